//! `masking.json`: keyed reversible masking, per version, width and key.

use super::json::{filler, hex};
use idloom::mask::Mask;
use serde_json::{json, Value};

pub fn masking() -> Value {
    use idloom::mask::MaskVersion;
    let mut cases = vec![];
    let widths: [(MaskVersion, &[u32]); 2] = [
        (MaskVersion::V1, &[1, 8, 13, 32, 41, 53, 63, 64]),
        (MaskVersion::V2, &[20, 21, 32, 41, 47, 48, 53, 63, 64]),
    ];
    for (version, bits_list) in widths {
        for (i, bits) in bits_list.iter().enumerate() {
            let seed = if version == MaskVersion::V1 { 100 } else { 200 };
            let key: [u8; 16] = filler(seed + i as u64, 16).try_into().unwrap();
            let m = Mask::with_version(version, *bits, key).unwrap();
            let max = if *bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
            let mut inputs: Vec<u64> = [0, 1, 2, max / 2, max].iter().map(|&v| v.min(max)).collect();
            inputs.dedup();
            let values: Vec<Value> = inputs
                .iter()
                .map(|&v| json!({"value": v.to_string(), "masked": m.mask(v).unwrap().to_string()}))
                .collect();
            cases.push(json!({"version": version.number(), "bits": bits, "key": hex(&key), "values": values, "out_of_range": {"value": if *bits == 64 { Value::Null } else { json!((max + 1).to_string()) }, "expect": {"error": "id_out_of_range"}}}));
        }
    }
    json!({
        "_comment": "Keyed reversible masking: for each version (1: the original SipHash-1-3 construction; 2: the default, SipHash-2-4 rounds keyed by version and width), width (bits) and 16-byte key (hex), value -> masked; unmask(masked) must give value back. A value wider than bits is id_out_of_range. invalid_bits: widths a version refuses (version 2 refuses below 20 bits); invalid_versions: versions other than 1 and 2. A mask made without a version is version 2.",
        "cases": cases,
        "invalid_bits": [
            {"version": 1, "bits": 0, "expect": {"error": "invalid_argument"}},
            {"version": 1, "bits": 65, "expect": {"error": "invalid_argument"}},
            {"version": 2, "bits": 19, "expect": {"error": "invalid_argument"}},
            {"version": 2, "bits": 65, "expect": {"error": "invalid_argument"}},
        ],
        "invalid_versions": [{"version": 0, "expect": {"error": "invalid_argument"}}, {"version": 3, "expect": {"error": "invalid_argument"}}],
    })
}
