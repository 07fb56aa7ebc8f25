//! `layouts.json`: every preset and a custom layout, composed and decoded.

use super::json::{err, layout_json};
use idloom::Layout;
use serde_json::{json, Value};

fn parts_json(l: &Layout, id: u64) -> Value {
    let p = l.decompose(id).unwrap();
    json!({"timestamp_ms": p.timestamp_ms, "tick": p.tick, "node": p.node, "sequence": p.sequence, "friendly": l.friendly(id).unwrap().to_string()})
}

pub fn layouts() -> Value {
    let custom = Layout::new(31, 5, 7, 1_600_000_000_000, 1000).unwrap();
    let mut entries = vec![];
    let named: Vec<(&str, Layout)> = Layout::PRESETS.iter().copied().chain([("custom", custom)]).collect();
    for (name, l) in named {
        let c = l.capacity();
        let mut cases = vec![];
        for (i, frac) in [0u64, 1, 1000, 999_983].iter().enumerate() {
            let tick = (l.max_tick() / 1_000_000).saturating_mul(*frac).min(l.max_tick());
            let node = [0, 1, l.max_node() / 3, l.max_node()][i];
            let seq = [0, l.max_sequence(), 1, l.max_sequence() / 2][i];
            let id = l.compose_tick(tick, node, seq).unwrap();
            let ts = l.tick_start_ms(tick) + (l.tick_ms() - 1).min(i as u64);
            assert_eq!(l.compose(ts, node, seq).unwrap(), id);
            cases.push(json!({"timestamp_ms": ts, "node": node, "sequence": seq, "id": id.to_string(), "parts": parts_json(&l, id)}));
        }
        let bad = vec![
            json!({"timestamp_ms": l.epoch_ms().saturating_sub(1), "node": 0, "sequence": 0, "expect": err(l.compose(l.epoch_ms().saturating_sub(1), 0, 0).unwrap_err())}),
            json!({"timestamp_ms": l.epoch_ms(), "node": l.max_node() + 1, "sequence": 0, "expect": err(l.compose(l.epoch_ms(), l.max_node() + 1, 0).unwrap_err())}),
            json!({"timestamp_ms": l.epoch_ms(), "node": 0, "sequence": l.max_sequence() + 1, "expect": err(l.compose(l.epoch_ms(), 0, l.max_sequence() + 1).unwrap_err())}),
        ];
        let bad_decode = json!({"id": (l.max_id() + 1).to_string(), "expect": err(l.decompose(l.max_id() + 1).unwrap_err())});
        entries.push(json!({
            "name": name,
            "preset": name != "custom",
            "layout": layout_json(&l),
            "capacity": {
                "ids_per_tick": c.ids_per_tick, "ids_per_second_per_node": c.ids_per_second_per_node, "nodes": c.nodes,
                "runs_out_at_ms": c.runs_out_at_ms, "leaves_js_safe_at_ms": c.leaves_js_safe_at_ms,
            },
            "max_id": l.max_id().to_string(),
            "cases": cases,
            "bad_compose": bad,
            "bad_decode": bad_decode,
        }));
    }
    let invalid: Vec<Value> = [(0u32, 10u32, 12u32, 0u64, 1u64), (41, 62, 12, 0, 1), (41, 10, 0, 0, 1), (42, 10, 12, 0, 1), (41, 10, 12, 0, 0), (62, 0, 1, 0, 86_400_000)]
        .iter()
        .map(|&(t, n, s, e, k)| {
            let error = Layout::new(t, n, s, e, k).unwrap_err();
            json!({"time_bits": t, "node_bits": n, "sequence_bits": s, "epoch_ms": e, "tick_ms": k, "expect": {"error": error.code().as_str(), "param": error.param()}})
        })
        .collect();
    json!({
        "_comment": "Layouts: each preset and one custom layout with its capacity report, IDs composed from (timestamp_ms, node, sequence) and decoded back (timestamp_ms is the tick start; friendly is yyyyMMddHHmmssSSS-node-sequence in UTC), compositions that must fail, and invalid layouts with the parameter named. IDs are decimal strings.",
        "layouts": entries,
        "invalid": invalid,
    })
}
