//! `snowflake_scripts.json`: stateful scripts of the pure snowflake state machine.

use super::json::{err, layout_json, policy_json, with_expectations};
use super::T0;
use idloom::snowflake::Next;
use idloom::{Generator, Layout, OnBackwards, OnExhausted, Policy, SequenceStart};
use serde_json::{json, Value};

fn tiny() -> Layout {
    Layout::new(40, 3, 2, T0 - 1000, 1).unwrap()
}

fn pol(b: OnBackwards, x: OnExhausted, s: SequenceStart) -> Policy {
    Policy {
        on_backwards: b,
        on_exhausted: x,
        sequence_start: s,
    }
}

/// One step: `{"now": ms}` (one ID) or `{"now": ms, "fill": n}` (a batch).
pub fn run_snowflake_step(g: &mut Generator, step: &Value) -> Value {
    let now = step["now"].as_u64().unwrap();
    if let Some(n) = step.get("fill").and_then(Value::as_u64) {
        let mut out = vec![0u64; n as usize];
        return match g.fill_at(now, &mut out) {
            Ok((k, retry)) => json!({"ids": out[..k].iter().map(u64::to_string).collect::<Vec<_>>(), "retry_at": retry}),
            Err(e) => err(e),
        };
    }
    match g.next_at(now) {
        Ok(Next::Id(id)) => json!({"id": id.to_string()}),
        Ok(Next::RetryAt(ms)) => json!({"retry_at": ms}),
        Err(e) => err(e),
    }
}

pub fn snowflake_scripts() -> Value {
    use OnBackwards as B;
    use OnExhausted as X;
    use SequenceStart as S;
    let t = |d: i64| (T0 as i64 + d) as u64;
    let scripts: Vec<(&str, &str, Layout, u64, Policy, Vec<Value>)> = vec![
        ("classic", "Twitter layout, default policy: sequence resets each tick.", Layout::TWITTER, 7, Policy::default(),
            [0, 0, 0, 1, 5].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("frozen_clock_borrows_then_fails", "The clock never moves: 4 IDs per tick, borrowing up to 2 ms ahead (12 IDs), then lead_exceeded; the clock moves on and issuing resumes.",
            tiny(), 5, pol(B::Fail, X::Borrow { max_lead_ms: 2 }, S::Reset),
            (0..14).map(|_| json!({"now": t(0)})).chain([json!({"now": t(1)}), json!({"now": t(3)})]).collect()),
        ("backwards_fail", "Clock jumps back 5 ms: clock_moved_backwards; when it returns, the same tick continues.", Layout::TWITTER, 1, pol(B::Fail, X::Fail, S::Reset),
            [0, 0, -5, 0, 1].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("backwards_wait", "Within 10 ms the generator asks to retry when the clock is back; beyond, it fails.", tiny(), 1, pol(B::Wait { max_ms: 10 }, X::Fail, S::Reset),
            [100, 92, 85, 100].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("backwards_logical", "Clock jumps back 30 ms: IDs continue from the last tick (logical clock), borrowing within 50 ms; a jump of 80 ms fails.",
            tiny(), 2, pol(B::Logical { max_lead_ms: 50 }, X::Borrow { max_lead_ms: 50 }, S::Reset),
            std::iter::once(json!({"now": t(100)})).chain((0..10).map(|_| json!({"now": t(70)}))).chain([json!({"now": t(20)}), json!({"now": t(103)})]).collect()),
        ("overflow_wait", "The 5th ID in a tick of 4 asks to retry at the next tick.", tiny(), 0, pol(B::Fail, X::Wait, S::Reset),
            [0, 0, 0, 0, 0, 1].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("overflow_fail", "The 5th ID in a tick of 4 fails with sequence_exhausted.", tiny(), 0, pol(B::Fail, X::Fail, S::Reset),
            [0, 0, 0, 0, 0, 1].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("continuous_start", "The sequence continues across ticks instead of resetting (even id % n).", tiny(), 3, pol(B::Fail, X::Fail, S::Continuous),
            [0, 0, 1, 2, 3, 3, 4].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("random_start", "Each tick starts at splitmix64(seed ^ tick * 0x9E3779B97F4A7C15) & (max_sequence >> 1).", Layout::TWITTER, 3, pol(B::Fail, X::Fail, S::Random { seed: 12345 }),
            [0, 0, 1, 2, 3].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("sonyflake", "Sonyflake layout (10 ms ticks, node in the low bits).", Layout::SONYFLAKE, 0x2A2A, Policy::default(),
            [0, 3, 9, 10, 25].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("batch", "Batches take the rest of a tick at once; a full tick with the wait policy returns a retry time with the IDs written so far.",
            tiny(), 4, pol(B::Fail, X::Wait, S::Reset),
            vec![json!({"now": t(0), "fill": 3}), json!({"now": t(0), "fill": 3}), json!({"now": t(1), "fill": 2}), json!({"now": t(2), "fill": 0})]),
        ("batch_borrow", "A batch with borrowing runs ahead of a frozen clock up to its bound, then returns what it wrote.",
            tiny(), 4, pol(B::Fail, X::Borrow { max_lead_ms: 1 }, S::Reset),
            vec![json!({"now": t(0), "fill": 10}), json!({"now": t(0), "fill": 1})]),
        ("layout_end", "A 4-bit timestamp runs out after 16 ticks: layout_exhausted.", Layout::new(4, 1, 1, T0, 1).unwrap(), 1, pol(B::Fail, X::Borrow { max_lead_ms: 5 }, S::Reset),
            [15, 15, 15, 16].iter().map(|&d| json!({"now": t(d)})).collect()),
        ("before_epoch", "A clock reading before the epoch: epoch_in_future.", Layout::new(41, 10, 12, T0, 1).unwrap(), 0, Policy::default(),
            [-1, 0].iter().map(|&d| json!({"now": t(d)})).collect()),
    ];
    let out: Vec<Value> = scripts
        .into_iter()
        .map(|(name, about, layout, node, policy, steps)| {
            let mut g = Generator::new(layout, node, policy).unwrap();
            let steps = with_expectations(steps, |s| run_snowflake_step(&mut g, s));
            json!({"name": name, "about": about, "layout": layout_json(&layout), "node": node, "policy": policy_json(&policy), "steps": steps})
        })
        .collect();
    let bad_nodes: Vec<Value> = [(Layout::TWITTER, 1024u64), (Layout::JS_SAFE, 64), (Layout::SONYFLAKE, 65536)]
        .iter()
        .map(|(l, n)| json!({"layout": layout_json(l), "node": n, "expect": err(Generator::new(*l, *n, Policy::default()).unwrap_err())}))
        .collect();
    json!({
        "_comment": "Stateful snowflake scripts. Build a generator from layout, node and policy, then feed each step's `now` (Unix ms) in order: expect {id} (decimal string), {retry_at} (the policy asks to try again at that ms; nothing issued), or {error: code}. Steps with `fill: n` ask for a batch: {ids, retry_at|null}. These drive the pure state machine (next_at/fill_at), no real clock.",
        "scripts": out,
        "bad_nodes": bad_nodes,
    })
}
