//! `uuid.json`: UUID v4, v7, the monotonic v7 generator, and parsing.

use super::json::{err, filler, hex};
use super::T0;
use idloom::uuid::{UuidFormat, V7Generator};
use idloom::Uuid;
use serde_json::{json, Value};

pub fn uuids() -> Value {
    let v4: Vec<Value> = (0..4)
        .map(|i| {
            let b: [u8; 16] = filler(40 + i, 16).try_into().unwrap();
            json!({"random": hex(&b), "uuid": Uuid::new_v4(b).to_string()})
        })
        .collect();
    let v7: Vec<Value> = [(0u64, 50u64), (0x017F_22E2_79B0, 51), (T0, 52), ((1 << 48) - 1, 53)]
        .iter()
        .map(|&(ms, s)| {
            let b: [u8; 10] = filler(s, 10).try_into().unwrap();
            json!({"unix_ms": ms, "random": hex(&b), "uuid": Uuid::new_v7(ms, &b).unwrap().to_string()})
        })
        .chain(std::iter::once(
            json!({"unix_ms": 1u64 << 48, "random": hex(&[0; 10]), "expect": {"error": "timestamp_out_of_range"}}),
        ))
        .collect();
    let mut g = V7Generator::new();
    let times = [T0, T0, T0, T0 + 1, T0 - 1000, T0 + 1, T0 + 2, T0 + 2];
    let script: Vec<Value> = times
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let b: [u8; 10] = filler(60 + i as u64, 10).try_into().unwrap();
            json!({"now": t, "random": hex(&b), "uuid": g.next_from(t, &b).unwrap().to_string()})
        })
        .collect();
    let parse_inputs = [
        "67e55044-10b1-426f-9247-bb680e5fe0c8",
        "67E5504410B1426F9247BB680E5FE0C8",
        "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
        "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
        "017F22E2-79B0-7CC3-98C4-DC0C0C07398F",
        "C232AB00-9414-11EC-B3C8-9F6BDECED846",
        "1EC9414C-232A-6B00-B3C8-9F6BDECED846",
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "",
        "67e55044-10b1-426f-9247-bb680e5fe0c",
        "67e55044x10b1-426f-9247-bb680e5fe0c8",
        "67e55044-10b1-426f-9247-bb680e5fe0cg",
        "[67e55044-10b1-426f-9247-bb680e5fe0c8]",
    ];
    let parse: Vec<Value> = parse_inputs
        .iter()
        .map(|s| {
            let expect = match Uuid::parse(s) {
                Ok(u) => json!({
                    "hyphenated": u.to_string(), "simple": u.format(UuidFormat::Simple).as_str(),
                    "urn": u.format(UuidFormat::Urn).as_str(), "braced": u.format(UuidFormat::Braced).as_str(),
                    "version": u.version(), "variant": format!("{:?}", u.variant()).to_lowercase(),
                    "timestamp_ms": u.timestamp_ms(), "u128": u.as_u128().to_string(),
                }),
                Err(e) => err(e),
            };
            json!({"input": s, "expect": expect})
        })
        .collect();
    json!({
        "_comment": "UUIDs (RFC 9562). v4: 16 random bytes with version/variant set. v7: unix_ms plus 10 bytes (rand_a = low nibble of byte 0 and byte 1; rand_b = low 6 bits of byte 2 and bytes 3..10). v7_monotonic: a V7Generator fed (now, 10 bytes) per call: a 42-bit counter seeded from bytes 0..6 (top bit clear) at each new ms, incremented otherwise, bytes 6..10 the low 32 bits. parse: accepted forms and rejections; variant is ncs|rfc9562|microsoft|future.",
        "v4": v4,
        "v7": v7,
        "v7_monotonic": script,
        "parse": parse,
    })
}
