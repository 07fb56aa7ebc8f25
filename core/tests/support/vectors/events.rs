//! `events.json`: the event vocabulary every binding emits.

use serde_json::{json, Value};

/// An event from its JSON facts (`{"kind", "node", "epoch", "fence_ms", "code", "in_ms", "amount", "detail"}`).
pub fn event_of(v: &Value) -> idloom::events::Event<'_> {
    use idloom::events::{Event, Kind};
    Event {
        node: v["node"].as_u64(),
        epoch: v["epoch"].as_u64(),
        fence_ms: v["fence_ms"].as_u64(),
        code: v["code"].as_str(),
        in_ms: v["in_ms"].as_u64(),
        amount: v["amount"].as_u64(),
        detail: v["detail"].as_str(),
        ..Event::new(Kind::from_name(v["kind"].as_str().unwrap()).expect("a kind"))
    }
}

/// The event vocabulary: every kind's name, level and meaning, and the
/// one-line message of sample events (what every binding logs).
pub fn events() -> Value {
    use idloom::events::Kind;
    let kinds: Vec<Value> = Kind::ALL
        .iter()
        .map(|k| json!({"kind": k.name(), "level": k.level().as_str(), "what": k.what()}))
        .collect();
    let samples = vec![
        json!({"kind": "lease_acquired", "node": 3, "epoch": 7, "fence_ms": 1_700_000_010_000u64}),
        json!({"kind": "lease_renewed", "node": 3, "epoch": 7, "fence_ms": 1_700_000_013_000u64}),
        json!({"kind": "lease_renewal_failed", "node": 3, "epoch": 7, "fence_ms": 1_700_000_013_000u64, "code": "store_unavailable", "in_ms": 500}),
        json!({"kind": "lease_lost", "node": 3, "epoch": 7, "fence_ms": 1_700_000_013_000u64, "code": "lease_lost"}),
        json!({"kind": "lease_expired", "node": 3, "epoch": 7, "fence_ms": 1_700_000_013_000u64, "code": "clock_skew"}),
        json!({"kind": "lease_released", "node": 3, "epoch": 7, "fence_ms": 1_700_000_012_345u64}),
        json!({"kind": "segment_fetched", "amount": 1000, "detail": "invoice"}),
        json!({"kind": "segment_fetch_failed", "code": "store_unavailable", "detail": "invoice"}),
        json!({"kind": "segment_ran_dry", "code": "segment_exhausted", "detail": "invoice"}),
        json!({"kind": "clock_stepped_back", "node": 5, "amount": 12, "detail": "absorbed"}),
        json!({"kind": "clock_stepped_back", "node": 5, "amount": 40, "detail": "waited"}),
        json!({"kind": "clock_stepped_back", "node": 5, "amount": 3000, "detail": "refused"}),
        json!({"kind": "borrowing_started", "node": 5, "amount": 1}),
        json!({"kind": "borrowing_ended", "node": 5}),
        json!({"kind": "store_identity_changed", "node": 3, "epoch": 8, "fence_ms": 1_700_000_020_000u64}),
    ];
    let samples: Vec<Value> = samples
        .into_iter()
        .map(|s| {
            let message = event_of(&s).message().to_string();
            json!({"event": s, "message": message})
        })
        .collect();
    json!({
        "_comment": "The event vocabulary (idloom::events): every kind with its level and meaning, and the one-line message each binding logs for sample events (Python logging.getLogger(\"idloom\"), Node EventEmitter and diagnostics_channel, Rust tracing).",
        "kinds": kinds,
        "samples": samples,
    })
}
