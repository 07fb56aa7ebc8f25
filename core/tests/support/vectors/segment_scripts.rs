//! `segment_scripts.json`: segment buffer scripts, the host's side written out.

use super::json::{err, with_expectations};
use idloom::segment::{Range, SegmentBuffer, SegmentConfig, StepSize};
use serde_json::{json, Value};

pub fn run_segment_step(b: &mut SegmentBuffer, step: &Value) -> Value {
    match step["op"].as_str().unwrap() {
        "next" => b.next_id().map(|id| json!({"id": id.to_string()})).unwrap_or_else(err),
        "begin_fetch" => json!({"step": b.begin_fetch(step["now"].as_u64().unwrap()).map(|r| r.step)}),
        "supply" => {
            let r = Range::new(
                step["start"].as_str().unwrap().parse().unwrap(),
                step["end"].as_str().unwrap().parse().unwrap(),
            );
            b.supply(r).map(|_| json!({"ok": true})).unwrap_or_else(err)
        }
        "fetch_failed" => {
            b.fetch_failed();
            json!({"ok": true})
        }
        "remaining" => json!({"remaining": b.remaining()}),
        other => panic!("unknown op {other}"),
    }
}

pub fn segment_config_json(c: &SegmentConfig) -> Value {
    let step = match c.step {
        StepSize::Fixed(n) => json!({"kind": "fixed", "step": n}),
        StepSize::Adaptive { min, max, target_ms } => json!({"kind": "adaptive", "min": min, "max": max, "target_ms": target_ms}),
    };
    json!({"step": step, "threshold_percent": c.threshold_percent, "max_prefetched": c.max_prefetched, "stride": c.stride.to_string(), "offset": c.offset.to_string()})
}

pub fn segment_config_from(v: &Value) -> SegmentConfig {
    let s = &v["step"];
    let step = match s["kind"].as_str().unwrap() {
        "fixed" => StepSize::Fixed(s["step"].as_u64().unwrap()),
        _ => StepSize::Adaptive {
            min: s["min"].as_u64().unwrap(),
            max: s["max"].as_u64().unwrap(),
            target_ms: s["target_ms"].as_u64().unwrap(),
        },
    };
    SegmentConfig {
        step,
        threshold_percent: v["threshold_percent"].as_u64().unwrap() as u8,
        max_prefetched: v["max_prefetched"].as_u64().unwrap() as usize,
        stride: v["stride"].as_str().unwrap().parse().unwrap(),
        offset: v["offset"].as_str().unwrap().parse().unwrap(),
    }
}

pub fn segment_scripts() -> Value {
    let next = || json!({"op": "next"});
    let fetch = |now: u64| json!({"op": "begin_fetch", "now": now});
    let supply = |a: u64, b: u64| json!({"op": "supply", "start": a.to_string(), "end": b.to_string()});
    let fixed = |step| SegmentConfig {
        step: StepSize::Fixed(step),
        ..SegmentConfig::default()
    };
    let scripts: Vec<(&str, &str, SegmentConfig, Vec<Value>)> = vec![
        (
            "leaf_double_buffer",
            "Leaf: step 10, fetch the next range once 10 % of the current is used, hold one range ahead; run dry, then resume.",
            fixed(10),
            [
                vec![
                    next(),
                    fetch(0),
                    fetch(0),
                    supply(1, 11),
                    next(),
                    fetch(1),
                    supply(11, 21),
                    fetch(2),
                    json!({"op": "remaining"}),
                ],
                (0..19).map(|_| next()).collect(),
                vec![next(), fetch(3), supply(31, 41), next()],
            ]
            .concat(),
        ),
        (
            "source_contract",
            "Ranges that overlap or go back, and empty ranges, are invalid_range; after a failed fetch the next is wanted only once a tenth of what is left is used (the host may still supply a range).",
            fixed(5),
            vec![
                fetch(0),
                supply(100, 105),
                supply(102, 107),
                supply(110, 110),
                json!({"op": "fetch_failed"}),
                fetch(0),
                supply(105, 110),
                json!({"op": "remaining"}),
            ],
        ),
        (
            "interleaved",
            "Three sequences with step 3: this buffer maps counter c to 3c + 2.",
            SegmentConfig {
                stride: 3,
                offset: 2,
                ..fixed(4)
            },
            vec![fetch(0), supply(0, 4), next(), next(), next(), next(), next()],
        ),
        (
            "adaptive",
            "Adaptive step: 1000 ms target, 10..=1000 per fetch, at most doubling or halving per fetch.",
            SegmentConfig {
                step: StepSize::Adaptive {
                    min: 10,
                    max: 1000,
                    target_ms: 1000,
                },
                threshold_percent: 0,
                ..fixed(1)
            },
            [
                vec![fetch(0), supply(0, 10)],
                (0..10).map(|_| next()).collect(),
                vec![fetch(10), supply(10, 30)],
                (0..20).map(|_| next()).collect(),
                vec![fetch(20), supply(30, 70), fetch(100_000)],
            ]
            .concat(),
        ),
    ];
    let out: Vec<Value> = scripts
        .into_iter()
        .map(|(name, about, config, steps)| {
            let mut b = SegmentBuffer::new(config).unwrap();
            let steps = with_expectations(steps, |s| run_segment_step(&mut b, s));
            json!({"name": name, "about": about, "config": segment_config_json(&config), "steps": steps})
        })
        .collect();
    let invalid: Vec<Value> = [
        fixed(0),
        SegmentConfig {
            threshold_percent: 101,
            ..fixed(1)
        },
        SegmentConfig {
            stride: 2,
            offset: 2,
            ..fixed(1)
        },
    ]
    .iter()
    .map(|c| {
        let e = SegmentBuffer::new(*c).unwrap_err();
        json!({"config": segment_config_json(c), "expect": {"error": e.code().as_str(), "param": e.param()}})
    })
    .collect();
    json!({
        "_comment": "Segment buffer scripts (no source, no clock: the host's side is written out). Ops: next -> {id}|{error}; begin_fetch(now) -> {step: n|null} (null: no fetch wanted now); supply(start, end) of counters [start, end) -> {ok}|{error}; fetch_failed; remaining -> {remaining}. Counters and IDs are decimal strings.",
        "scripts": out,
        "invalid": invalid,
    })
}
