//! `objectid.json`: MongoDB ObjectIds from parts, a generator sequence, parsing.

use super::json::hex;
use serde_json::{json, Value};

pub fn object_ids() -> Value {
    use idloom::objectid::{ObjectId, ObjectIdGenerator};
    let parts: Vec<Value> = [
        (0x507f1f77u32, [0xbc, 0xf8, 0x6c, 0xd7, 0x99], 0x439011u32),
        (0, [0; 5], 0),
        (u32::MAX, [0xff; 5], 0xff_ffff),
        (1_700_000_000, [1, 2, 3, 4, 5], 0x0100_0002), // the counter keeps its low 24 bits
    ]
    .iter()
    .map(|&(seconds, process, counter)| {
        json!({"seconds": seconds, "process": hex(&process), "counter": counter, "hex": ObjectId::from_parts(seconds, process, counter).to_string()})
    })
    .collect();
    let mut g = ObjectIdGenerator::new([9, 8, 7, 6, 5], 0xff_fffe);
    let sequence: Vec<Value> = [1_700_000_000_000u64, 1_700_000_000_999, 1_700_000_001_000]
        .iter()
        .map(|&now| json!({"now_ms": now, "hex": g.next_at(now).unwrap().to_string()}))
        .collect();
    let parse: Vec<Value> = [
        "507f1f77bcf86cd799439011",
        "507F1F77BCF86CD799439011",
        "507f1f77bcf86cd79943901",
        "507f1f77bcf86cd79943901g",
        "",
    ]
    .iter()
    .map(|t| {
        let expect = match ObjectId::parse(t) {
            Ok(id) => json!({"hex": id.to_string(), "seconds": id.seconds(), "counter": id.counter()}),
            Err(e) => json!({"error": e.code().as_str()}),
        };
        json!({"input": t, "expect": expect})
    })
    .collect();
    json!({
        "_comment": "MongoDB ObjectIds: 4-byte big-endian seconds, 5 per-process random bytes (hex), 3-byte big-endian counter (its low 24 bits). sequence: a generator with process 0908070605 and counter start 0xfffffe at the given times (the counter wraps at 2^24).",
        "parts": parts,
        "sequence": sequence,
        "parse": parse,
    })
}
