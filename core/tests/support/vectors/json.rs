//! The JSON conventions every vector file shares: hex bytes, filler inputs,
//! error objects, and the forms of a layout and a policy.

use idloom::{Error, FieldOrder, Layout, OnBackwards, OnExhausted, Policy, SequenceStart};
use serde_json::{json, Value};

/// A script's steps, each with the `expect` its run gives (steps run in order).
pub fn with_expectations(steps: Vec<Value>, mut run: impl FnMut(&Value) -> Value) -> Vec<Value> {
    steps
        .into_iter()
        .map(|mut s| {
            s["expect"] = run(&s);
            s
        })
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Deterministic filler bytes for inputs (not randomness: reproducible data).
pub fn filler(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

pub(super) fn err(e: Error) -> Value {
    json!({ "error": e.code().as_str() })
}

fn order_name(o: FieldOrder) -> &'static str {
    match o {
        FieldOrder::TimeNodeSequence => "time_node_sequence",
        FieldOrder::TimeSequenceNode => "time_sequence_node",
    }
}

pub fn layout_json(l: &Layout) -> Value {
    json!({
        "time_bits": l.time_bits(), "node_bits": l.node_bits(), "sequence_bits": l.sequence_bits(),
        "epoch_ms": l.epoch_ms(), "tick_ms": l.tick_ms(), "order": order_name(l.order()),
    })
}

pub fn layout_from(v: &Value) -> Layout {
    let order = match v["order"].as_str().unwrap() {
        "time_node_sequence" => FieldOrder::TimeNodeSequence,
        _ => FieldOrder::TimeSequenceNode,
    };
    let n = |k: &str| v[k].as_u64().unwrap();
    Layout::with_order(
        n("time_bits") as u32,
        n("node_bits") as u32,
        n("sequence_bits") as u32,
        n("epoch_ms"),
        n("tick_ms"),
        order,
    )
    .unwrap()
}

pub fn policy_json(p: &Policy) -> Value {
    let back = match p.on_backwards {
        OnBackwards::Fail => json!({"kind": "fail"}),
        OnBackwards::Wait { max_ms } => json!({"kind": "wait", "max_ms": max_ms}),
        OnBackwards::Logical { max_lead_ms } => json!({"kind": "logical", "max_lead_ms": max_lead_ms}),
    };
    let exhausted = match p.on_exhausted {
        OnExhausted::Wait => json!({"kind": "wait"}),
        OnExhausted::Fail => json!({"kind": "fail"}),
        OnExhausted::Borrow { max_lead_ms } => json!({"kind": "borrow", "max_lead_ms": max_lead_ms}),
    };
    let start = match p.sequence_start {
        SequenceStart::Reset => json!({"kind": "reset"}),
        SequenceStart::Continuous => json!({"kind": "continuous"}),
        SequenceStart::Random { seed } => json!({"kind": "random", "seed": seed.to_string()}),
    };
    json!({"on_backwards": back, "on_exhausted": exhausted, "sequence_start": start})
}

pub fn policy_from(v: &Value) -> Policy {
    let n = |o: &Value, k: &str| o[k].as_u64().unwrap();
    // Each choice as `{"kind": …, its numbers}`.
    let choice = |key: &str| (&v[key], v[key]["kind"].as_str().unwrap());
    let on_backwards = match choice("on_backwards") {
        (_, "fail") => OnBackwards::Fail,
        (b, "wait") => OnBackwards::Wait { max_ms: n(b, "max_ms") },
        (b, _) => OnBackwards::Logical {
            max_lead_ms: n(b, "max_lead_ms"),
        },
    };
    let on_exhausted = match choice("on_exhausted") {
        (_, "fail") => OnExhausted::Fail,
        (_, "wait") => OnExhausted::Wait,
        (x, _) => OnExhausted::Borrow {
            max_lead_ms: n(x, "max_lead_ms"),
        },
    };
    let sequence_start = match choice("sequence_start") {
        (_, "reset") => SequenceStart::Reset,
        (_, "continuous") => SequenceStart::Continuous,
        (s, _) => SequenceStart::Random {
            seed: s["seed"].as_str().unwrap().parse().unwrap(),
        },
    };
    Policy {
        on_backwards,
        on_exhausted,
        sequence_start,
    }
}
