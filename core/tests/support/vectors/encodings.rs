//! `encodings.json`: the fixed-width, order-preserving encodings.

use super::json::err;
use idloom::encoding::Encoding;
use serde_json::{json, Map, Value};

pub fn encodings() -> Value {
    let u64s: Vec<u64> = vec![0, 1, 61, 62, 1 << 53, 1_585_841_080_431_321_088, u64::MAX - 1, u64::MAX];
    let u128s: Vec<u128> = vec![0, 1, u128::from(u64::MAX) + 1, 0x017F_22E2_79B0_7CC3_98C4_DC0C_0C07_398F, u128::MAX];
    let mut per = Map::new();
    for (name, e) in Encoding::ALL {
        let c64: Vec<Value> = u64s
            .iter()
            .map(|&v| json!({"value": v.to_string(), "text": e.encode_u64(v).as_str()}))
            .collect();
        let c128: Vec<Value> = u128s
            .iter()
            .map(|&v| json!({"value": v.to_string(), "text": e.encode_u128(v).as_str()}))
            .collect();
        let max_plus = match e {
            Encoding::Base62 => "LygHa16AHYG",
            Encoding::Base36 => "3w5e11264sgsg",
            Encoding::Base32 => "G000000000000",
            Encoding::Hex => "0000000000000000",
        };
        let bad: Vec<Value> = [
            "",
            "0",
            &"0".repeat(e.width_u64() + 1),
            &format!("{}!", "0".repeat(e.width_u64() - 1)),
            max_plus,
        ]
        .iter()
        .map(|t| json!({"text": t, "expect": e.decode_u64(t).map(|v| json!({"value": v.to_string()})).unwrap_or_else(err)}))
        .collect();
        per.insert(
            name.into(),
            json!({"width_u64": e.width_u64(), "width_u128": e.width_u128(), "u64": c64, "u128": c128, "decode_u64": bad}),
        );
    }
    json!({
        "_comment": "Fixed-width, order-preserving encodings of u64 and u128 values (decimal strings). decode_u64 lists strict-decoding cases: wrong length, foreign symbol, overflow; each expects a value or an error code.",
        "encodings": per,
    })
}
