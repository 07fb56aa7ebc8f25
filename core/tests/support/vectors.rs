//! Builds the shared conformance vectors in `tests/vectors/*.json`.
//!
//! Inputs are written out here by hand; every expected output is computed
//! by the core. The same module replays the checked-in files in the Rust
//! tests, and each binding replays them in its own language. Regenerate with
//! `cargo run -p idloom --example gen_vectors`.
//!
//! Conventions in the JSON: 64-bit IDs and 128-bit values are decimal
//! strings (JavaScript numbers lose precision past 2^53); times and small
//! counts are numbers; bytes are lowercase hex; errors are `{"error": code}`.

#![allow(dead_code, clippy::type_complexity)]

use idloom::encoding::Encoding;
use idloom::mask::Mask;
use idloom::nanoid::NanoId;
use idloom::segment::{Range, SegmentBuffer, SegmentConfig, StepSize};
use idloom::snowflake::Next;
use idloom::uuid::{UuidFormat, V7Generator};
use idloom::{Error, ErrorCode, FieldOrder, Generator, Layout, OnBackwards, OnExhausted, Policy, ReplayBytes, SequenceStart, Uuid};
use serde_json::{json, Map, Value};

/// A fixed instant all scripts start from: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000_000;

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

fn err(e: Error) -> Value {
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
    let b = &v["on_backwards"];
    let on_backwards = match b["kind"].as_str().unwrap() {
        "fail" => OnBackwards::Fail,
        "wait" => OnBackwards::Wait { max_ms: n(b, "max_ms") },
        _ => OnBackwards::Logical {
            max_lead_ms: n(b, "max_lead_ms"),
        },
    };
    let x = &v["on_exhausted"];
    let on_exhausted = match x["kind"].as_str().unwrap() {
        "fail" => OnExhausted::Fail,
        "wait" => OnExhausted::Wait,
        _ => OnExhausted::Borrow {
            max_lead_ms: n(x, "max_lead_ms"),
        },
    };
    let s = &v["sequence_start"];
    let sequence_start = match s["kind"].as_str().unwrap() {
        "reset" => SequenceStart::Reset,
        "continuous" => SequenceStart::Continuous,
        _ => SequenceStart::Random {
            seed: s["seed"].as_str().unwrap().parse().unwrap(),
        },
    };
    Policy {
        on_backwards,
        on_exhausted,
        sequence_start,
    }
}

fn parts_json(l: &Layout, id: u64) -> Value {
    let p = l.decompose(id).unwrap();
    json!({"timestamp_ms": p.timestamp_ms, "tick": p.tick, "node": p.node, "sequence": p.sequence, "friendly": l.friendly(id).unwrap().to_string()})
}

// ---------------------------------------------------------------- layouts

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

// ---------------------------------------------------------------- encodings

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

// ---------------------------------------------------------------- masking

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

// ---------------------------------------------------------------- nanoid

pub fn nanoids() -> Value {
    let specs: [(&str, usize); 6] = [
        (idloom::nanoid::URL_ALPHABET, 21),
        ("0123456789", 12),
        ("0123456789abcdef", 16),
        ("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 10),
        ("abc", 30),
        ("αβγδεζηθικ", 8),
    ];
    let mut cases = vec![];
    for (i, (alphabet, size)) in specs.iter().enumerate() {
        let bytes = filler(7 + i as u64, 512);
        let mut src = ReplayBytes::new(&bytes);
        let id = NanoId::new(alphabet, *size).unwrap().generate(&mut src).unwrap();
        cases.push(json!({"alphabet": alphabet, "size": size, "random": hex(&bytes[..src.used()]), "id": id}));
    }
    let default_bytes = filler(1, 21);
    let default_id = idloom::nanoid::nanoid(&mut ReplayBytes::new(&default_bytes)).unwrap();
    let invalid: Vec<Value> = [("", 21usize), ("a", 21), ("abca", 21), ("ab", 0), ("ab", 1025)]
        .iter()
        .map(|(a, s)| json!({"alphabet": a, "size": s, "expect": err(NanoId::new(a, *s).unwrap_err())}))
        .chain(std::iter::once(
            json!({"alphabet": "x".repeat(257), "size": 21, "expect": {"error": "invalid_alphabet"}}),
        ))
        .collect();
    json!({
        "_comment": "NanoID from given random bytes (hex, consumed in order; exactly the bytes listed are used). Power-of-two alphabets take one byte per symbol (byte & (n-1)); others draw chunks of ceil(1.6*mask*size/n) bytes and keep bytes whose (byte & mask) < n. default: the 21-symbol URL-alphabet nanoid().",
        "default": {"random": hex(&default_bytes), "id": default_id},
        "cases": cases,
        "invalid": invalid,
    })
}

// ---------------------------------------------------------------- uuid

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

// ---------------------------------------------------------------- snowflake scripts

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
            let steps: Vec<Value> = steps
                .into_iter()
                .map(|s| {
                    let expect = run_snowflake_step(&mut g, &s);
                    let mut s = s;
                    s["expect"] = expect;
                    s
                })
                .collect();
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

// ---------------------------------------------------------------- segment scripts

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
            let steps: Vec<Value> = steps
                .into_iter()
                .map(|s| {
                    let expect = run_segment_step(&mut b, &s);
                    let mut s = s;
                    s["expect"] = expect;
                    s
                })
                .collect();
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

// ---------------------------------------------------------------- errors

pub fn errors() -> Value {
    let codes: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|c| json!({"code": c.as_str(), "bad_input": c.is_bad_input()}))
        .collect();
    json!({
        "_comment": "Every stable error code. bad_input: hosts raise ValueError/RangeError (or TypeError for invalid_type); otherwise the generator's state or environment refused (clock, exhaustion, fork): hosts raise their runtime error class, still with .code.",
        "codes": codes,
    })
}

/// The holders of one lease script: their leases and fenced generators.
pub struct LeaseRun {
    pub config: idloom::lease::LeaseConfig,
    pub store: idloom::lease::MemoryStore,
    pub holders: std::collections::BTreeMap<String, (idloom::lease::Lease, Generator)>,
}

fn lease_error(e: &Error) -> Value {
    json!({"error": e.code().as_str()})
}

fn lease_grant(l: &idloom::lease::Lease) -> Value {
    json!({"node": l.node(), "epoch": l.epoch(), "start": l.start_ms(), "fence": l.fence_ms(), "skew": l.skew_ms()})
}

impl LeaseRun {
    pub fn new(script: &Value) -> LeaseRun {
        let config = idloom::lease::LeaseConfig {
            ttl_ms: script["ttl_ms"].as_u64().unwrap(),
            max_skew_ms: script["max_skew_ms"].as_u64().unwrap(),
        };
        let store = idloom::lease::MemoryStore::new(
            config,
            script["nodes"].as_u64().unwrap(),
            script["identity"].as_str().unwrap(),
            script["fresh"].as_bool().unwrap(),
            script["store_now"].as_u64().unwrap(),
        )
        .unwrap();
        LeaseRun {
            config,
            store,
            holders: Default::default(),
        }
    }

    /// One step: what it answers (the `expect` of the vectors).
    pub fn step(&mut self, s: &Value) -> Value {
        let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
        let holder = s["holder"].as_str().unwrap().to_string();
        let identity = s["identity"].as_str().unwrap_or("");
        match s["op"].as_str().unwrap() {
            "acquire" => {
                let p = idloom::lease::Lease::propose(&self.config, n("local"));
                let g = match self.store.acquire(&holder, p.fence_ms, identity, n("store")) {
                    Ok(g) => g,
                    Err(e) => return lease_error(&e),
                };
                match idloom::lease::Lease::from_grant(self.config, &p, &g, n("received")) {
                    Ok(lease) => {
                        let mut gen = Generator::new(Layout::TWITTER, g.node, Policy::default()).unwrap();
                        gen.set_lease(lease.start_ms(), lease.fence_ms(), lease.epoch());
                        let out = lease_grant(&lease);
                        self.holders.insert(holder, (lease, gen));
                        out
                    }
                    Err(e) => lease_error(&e),
                }
            }
            "mint" => {
                let (_, gen) = self.holders.get_mut(&holder).unwrap();
                match gen.next_at(n("local")) {
                    Ok(Next::Id(id)) => json!({"id": id.to_string()}),
                    Ok(Next::RetryAt(ms)) => json!({"retry_at": ms}),
                    Err(e) => lease_error(&e),
                }
            }
            "renew" => {
                let (lease, gen) = self.holders.get_mut(&holder).unwrap();
                let Some(p) = lease.begin_renew(n("local")) else {
                    return json!({"due": false});
                };
                match self
                    .store
                    .renew(lease.node(), lease.epoch(), &holder, p.fence_ms, identity, n("store"))
                {
                    Ok(g) => match lease.renewed(&p, &g, n("received")) {
                        Ok(()) => {
                            gen.extend_fence(lease.fence_ms());
                            lease_grant(lease)
                        }
                        Err(e) => lease_error(&e),
                    },
                    Err(_) => {
                        let e = lease.refused();
                        gen.lose_lease();
                        lease_error(&e)
                    }
                }
            }
            "release" => {
                let (lease, gen) = self.holders.get_mut(&holder).unwrap();
                let r = match lease.release(gen.high_water_ms()) {
                    Ok(r) => r,
                    Err(e) => return lease_error(&e),
                };
                match self.store.release(r.node, r.epoch, &holder, r.high_water_ms, identity, n("store")) {
                    Ok(()) => json!({"high_water": r.high_water_ms}),
                    Err(e) => lease_error(&e),
                }
            }
            "floor" => json!({"floor": self.store.floor_ms()}),
            other => panic!("unknown op {other}"),
        }
    }
}

pub fn lease_scripts() -> Value {
    let t = T0;
    let acquire = |h: &str, local: u64, store: u64, received: u64, id: &str| json!({"op": "acquire", "holder": h, "local": local, "store": store, "received": received, "identity": id});
    let renew = |h: &str, local: u64, store: u64, received: u64, id: &str| json!({"op": "renew", "holder": h, "local": local, "store": store, "received": received, "identity": id});
    let mint = |h: &str, local: u64| json!({"op": "mint", "holder": h, "local": local});
    let release = |h: &str, store: u64, id: &str| json!({"op": "release", "holder": h, "store": store, "identity": id});
    let floor = || json!({"op": "floor", "holder": ""});
    let scripts: Vec<(&str, &str, u64, bool, Vec<Value>)> = vec![
        (
            "acquire_renew_fence",
            "One holder: acquire (fence one TTL ahead of its clock), mint, renew every third of the TTL (the fence moves on), then run into the fence when renewals stop: lease_expired.",
            2,
            true,
            vec![
                acquire("a", t, t, t + 10, "r1"),
                mint("a", t + 10),
                mint("a", t + 10),
                renew("a", t + 1_000, t + 1_000, t + 1_010, "r1"),
                renew("a", t + 3_400, t + 3_400, t + 3_410, "r1"),
                mint("a", t + 13_399),
                mint("a", t + 13_400),
            ],
        ),
        (
            "renewal_refused",
            "a stops renewing (a pause); its lease expires on the store's clock and b takes the node, starting at a's fence; a's renewal is refused: lease_lost, and it mints nothing at or past its fence, ever.",
            1,
            true,
            vec![
                acquire("a", t, t, t, "r1"),
                mint("a", t + 5_000),
                acquire("b", t + 10_000, t + 10_000, t + 10_000, "r1"),
                acquire("b", t + 10_001, t + 10_001, t + 10_001, "r1"),
                mint("b", t + 10_001),
                mint("a", t + 9_999),
                renew("a", t + 20_000, t + 20_000, t + 20_000, "r1"),
                mint("a", t + 9_999),
                mint("a", t + 10_000),
            ],
        ),
        (
            "skewed_store_clock",
            "The store's clock reads 1.5 s behind the holder's (max_skew_ms 1000): clock_skew on acquire; a renewal whose answer shows the clocks drifted apart is refused the same way.",
            2,
            true,
            vec![
                acquire("a", t + 1_500, t, t + 1_500, "r1"),
                acquire("b", t, t, t + 20, "r1"),
                renew("b", t + 4_000, t + 2_800, t + 4_020, "r1"),
            ],
        ),
        (
            "new_store_identity",
            "The store restarts empty under a new identity (run_id): the floor rises to store_now + ttl + max_skew before anything is served, so a new holder starts above every fence from before.",
            2,
            true,
            vec![
                acquire("a", t, t, t, "r1"),
                floor(),
                acquire("b", t + 2_000, t + 2_000, t + 2_000, "r2"),
                floor(),
                mint("b", t + 2_000),
            ],
        ),
        (
            "release_high_water",
            "A clean release lowers the fence to the end of the last tick minted: the next holder starts there at once instead of one TTL later.",
            1,
            true,
            vec![
                acquire("a", t, t, t, "r1"),
                mint("a", t + 100),
                mint("a", t + 250),
                release("a", t + 300, "r1"),
                acquire("b", t + 300, t + 300, t + 300, "r1"),
                mint("b", t + 300),
            ],
        ),
        (
            "not_fresh",
            "A namespace created on a store with no record of it (not fresh) starts at store_now + ttl + max_skew.",
            1,
            false,
            vec![floor(), acquire("a", t, t, t, "r1"), mint("a", t)],
        ),
    ];
    let scripts: Vec<Value> = scripts
        .into_iter()
        .map(|(name, comment, nodes, fresh, steps)| {
            let mut script = json!({
                "name": name, "comment": comment, "ttl_ms": 10_000, "max_skew_ms": 1_000,
                "nodes": nodes, "fresh": fresh, "identity": "r1", "store_now": t,
            });
            let mut run = LeaseRun::new(&script);
            let steps: Vec<Value> = steps
                .into_iter()
                .map(|mut s| {
                    let expect = run.step(&s);
                    s["expect"] = expect;
                    s
                })
                .collect();
            script["steps"] = Value::Array(steps);
            script
        })
        .collect();
    json!({
        "_comment": "Node leases with tick fences, replayed by every binding: a store (the core's MemoryStore, the reference of the SQL and Lua texts) and holders (Lease + a fenced Generator, Twitter layout). Times: local = the holder's clock when it sends, received = when the answer arrives, store = the store's clock. Ops: acquire (expect node, epoch, start, fence, skew), mint (next_at(local): id, or error), renew (only when due; expect the lease, or an error), release (expect the high-water sent), floor (the namespace floor).",
        "scripts": scripts,
    })
}

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

/// The core's option names and limits, as every binding spells and enforces them.
pub fn tables() -> Value {
    use idloom::limits as l;
    use idloom::names::{Backwards, Exhausted, Named, Start};
    fn names<T: Named>() -> Value {
        T::ALL.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>().into()
    }
    json!({
        "_comment": "The core's option names (idloom::names) and limits (idloom::limits). bindings-node/lib/tables.mjs is generated from this file by the same command; the JS API checks and lists names and bounds with it, the Python binding with the core directly.",
        "names": {
            "backwards": names::<Backwards>(),
            "exhausted": names::<Exhausted>(),
            "sequenceStart": names::<Start>(),
            "order": names::<FieldOrder>(),
            "form": names::<UuidFormat>(),
            "encoding": names::<Encoding>(),
        },
        "limits": {
            "maxBatch": l::MAX_BATCH,
            "maxNanoidBatch": l::MAX_NANOID_BATCH,
            "maxNanoidBatchSymbols": l::MAX_NANOID_BATCH_SYMBOLS,
            "maxNanoidSize": l::MAX_NANOID_SIZE,
            "maxPolicyMs": l::MAX_POLICY_MS,
            "maxSyncWaitMs": l::MAX_SYNC_WAIT_MS,
            "maxTickMs": l::MAX_TICK_MS,
            "maxV4Batch": l::MAX_V4_BATCH,
            "maxStep": l::MAX_STEP,
            "maxTtlMs": l::MAX_TTL_MS,
            "durableObjectMaxNodes": l::DURABLE_OBJECT_MAX_NODES,
            "durableObjectMaxNamespaces": l::DURABLE_OBJECT_MAX_NAMESPACES,
            "durableObjectMaxCounters": l::DURABLE_OBJECT_MAX_COUNTERS,
        },
    })
}

/// `bindings-node/lib/tables.mjs`: the tables as an ES module (no JSON
/// import needed in any host), with JSDoc types for the generated `.d.ts`.
pub fn tables_module() -> String {
    let t = tables();
    let mut out = String::from(
        "// Generated by `cargo run -p idloom --example gen_vectors` from the core's\n\
         // idloom::names and idloom::limits (tests/vectors/tables.json). Do not edit:\n\
         // the Rust tests fail when this file is stale.\n\n",
    );
    out.push_str("/** The core's option names, by option. */\nexport const NAMES = Object.freeze({\n");
    for (k, v) in t["names"].as_object().unwrap() {
        let list: Vec<String> = v.as_array().unwrap().iter().map(|n| format!("'{}'", n.as_str().unwrap())).collect();
        out.push_str(&format!("  {k}: Object.freeze([{}]),\n", list.join(", ")));
    }
    out.push_str("});\n\n/** The core's limits. */\nexport const LIMITS = Object.freeze({\n");
    for (k, v) in t["limits"].as_object().unwrap() {
        out.push_str(&format!("  {k}: {v},\n"));
    }
    out.push_str("});\n");
    out
}

/// Where the generated ES module goes.
pub fn tables_module_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bindings-node/lib/tables.mjs")
}

/// Every file: (name, content).
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        ("layouts.json", layouts()),
        ("encodings.json", encodings()),
        ("masking.json", masking()),
        ("nanoid.json", nanoids()),
        ("uuid.json", uuids()),
        ("snowflake_scripts.json", snowflake_scripts()),
        ("segment_scripts.json", segment_scripts()),
        ("errors.json", errors()),
        ("tables.json", tables()),
        ("lease_scripts.json", lease_scripts()),
        ("objectid.json", object_ids()),
        ("store_inputs.json", store_inputs()),
        ("store_protocol.json", store_protocol()),
        ("events.json", events()),
    ]
}

/// The outcome of checking `value` as store input `kind`: `{"ok": true}`,
/// or the refusal's code and message (the same text in every binding).
pub fn store_input_outcome(kind: &str, value: &str) -> Value {
    match idloom::inputs::check(kind, value) {
        Ok(()) => json!({"ok": true}),
        Err(e) => json!({"error": e.code().as_str(), "message": e.to_string()}),
    }
}

/// Every string input a store takes, at its limit, one past it, and with
/// characters inside and outside its set.
pub fn store_inputs() -> Value {
    use idloom::inputs::*;
    let r = |s: &str, n: usize| s.repeat(n);
    let injection = "x'), (0x696e6a6563746564, 999999, 1, 0x70776e6564) -- ";
    let cases: Vec<(&str, String)> = vec![
        ("namespace", r("n", MAX_NAMESPACE)),
        ("namespace", r("n", MAX_NAMESPACE + 1)),
        ("namespace", String::new()),
        ("namespace", "app-1.prod_2".into()),
        ("namespace", ".hidden".into()),
        ("namespace", "../x".into()),
        ("namespace", "a:b".into()),
        ("namespace", "ns}{".into()),
        ("biz_tag", r("t", MAX_BIZ_TAG)),
        ("biz_tag", r("t", MAX_BIZ_TAG + 1)),
        ("biz_tag", String::new()),
        ("biz_tag", "leaf-segment-test".into()),
        ("biz_tag", "order:v2.eu_1".into()),
        ("biz_tag", "a}b".into()),
        ("biz_tag", "x'); DROP TABLE t; --".into()),
        ("biz_tag", "space here".into()),
        ("biz_tag", "訂單".into()),
        ("holder", r("h", MAX_HOLDER)),
        ("holder", r("h", MAX_HOLDER + 1)),
        ("holder", String::new()),
        ("holder", "web-1.example.com:4242:a1b2c3".into()),
        ("holder", "worker 3 ~ {x} 'q' \\".into()),
        ("holder", "tab\there".into()),
        ("holder", "café".into()),
        ("description", String::new()),
        ("description", r("d", MAX_DESCRIPTION)),
        ("description", r("d", MAX_DESCRIPTION + 1)),
        ("description", r("號", MAX_DESCRIPTION)),
        ("description", r("號", MAX_DESCRIPTION + 1)),
        ("description", r("😀", MAX_DESCRIPTION)),
        ("description", r("😀", MAX_DESCRIPTION + 1)),
        ("description", injection.into()),
        ("description", "quotes ' \" ` backslash \\ -- /* */ #".into()),
        ("description", "nul \0 inside".into()),
        ("description", "line\nbreak".into()),
        ("description", "del \u{7f}".into()),
        ("table", r("t", MAX_IDENTIFIER)),
        ("table", r("t", MAX_IDENTIFIER + 1)),
        ("table", String::new()),
        ("table", "leaf_alloc".into()),
        ("table", format!("{}.{}", r("s", MAX_IDENTIFIER), r("t", MAX_IDENTIFIER))),
        ("table", format!("s.{}", r("t", MAX_IDENTIFIER + 1))),
        ("table", "_t1".into()),
        ("table", "1t".into()),
        ("table", "a.b.c".into()),
        ("table", "x; DROP TABLE y".into()),
        ("table", "tablé".into()),
    ];
    let cases: Vec<Value> = cases
        .iter()
        .map(|(kind, value)| json!({"kind": kind, "value": value, "expect": store_input_outcome(kind, value)}))
        .collect();
    json!({
        "_comment": "Every string a caller gives a store, checked by the core (idloom::inputs) before anything is sent: the same limits, codes and messages in every binding. Lengths count characters (Unicode scalar values), not bytes or UTF-16 units.",
        "limits": {"namespace": MAX_NAMESPACE, "biz_tag": MAX_BIZ_TAG, "holder": MAX_HOLDER, "description": MAX_DESCRIPTION, "table": MAX_IDENTIFIER},
        "cases": cases,
    })
}

/// A JSON value as a store cell: null, a bool, an integer, a text.
pub fn cell(v: &Value) -> idloom::stores::Cell<'_> {
    use idloom::stores::Cell;
    match v {
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => Cell::Int(n.as_i64().expect("an i64 cell")),
        Value::String(t) => Cell::Text(t),
        _ => Cell::Null,
    }
}

/// A JSON subject: `{"namespace", "node", "epoch", "biz_tag"}`, each optional.
pub fn subject(v: &Value) -> idloom::stores::Subject<'_> {
    idloom::stores::Subject {
        namespace: v["namespace"].as_str(),
        node: v["node"].as_u64(),
        epoch: v["epoch"].as_u64(),
        biz_tag: v["biz_tag"].as_str(),
    }
}

fn failed(e: Error) -> Value {
    json!({"error": e.code().as_str(), "message": e.to_string()})
}

/// What reading `answer` for `call` on `engine` gives, as JSON.
pub fn answer_outcome(engine: &str, call: &str, subj: &Value, answer: &Value) -> Value {
    use idloom::stores::{read, Reading};
    let cells: Option<Vec<_>> = answer.as_array().map(|a| a.iter().map(cell).collect());
    match read(engine, call, &subject(subj), cells.as_deref()) {
        Ok(Reading::Grant(g)) => {
            json!({"grant": {"node": g.node, "epoch": g.epoch, "start_ms": g.start_ms, "fence_ms": g.fence_ms, "store_now_ms": g.store_now_ms}})
        }
        Ok(Reading::Namespace(n)) => {
            json!({"namespace": {"layout": n.layout, "nodes": n.nodes, "ttl_ms": n.ttl_ms, "max_skew_ms": n.max_skew_ms, "floor_ms": n.floor_ms}})
        }
        Ok(Reading::Missing) => json!({"missing": true}),
        Ok(Reading::Refused) => json!({"refused": true}),
        Ok(Reading::Range { start, end }) => json!({"range": [start, end]}),
        Ok(Reading::Value(v)) => json!({"value": v}),
        Ok(Reading::Lock { ttl_ms, floor_ms, now_ms }) => json!({"lock": {"ttl_ms": ttl_ms, "floor_ms": floor_ms, "now_ms": now_ms}}),
        Ok(Reading::Node(n)) => json!({"node": n}),
        Ok(Reading::Held { epoch, start_ms, fence_ms }) => json!({"held": {"epoch": epoch, "start_ms": start_ms, "fence_ms": fence_ms}}),
        Ok(Reading::Done) => json!({"done": true}),
        Ok(other) => panic!("a reading the vectors do not know: {other:?}"),
        Err(e) => failed(e),
    }
}

/// What classifying a driver failure gives, as JSON.
pub fn failure_outcome(engine: &str, kind: &str, code: &str, detail: &str) -> Value {
    match idloom::stores::failure::classify_named(engine, kind, code, detail) {
        Ok(e) => json!({"code": e.code().as_str(), "message": e.to_string()}),
        Err(e) => failed(e),
    }
}

/// What checking a store argument gives, as JSON.
pub fn arg_outcome(key: &str, value: i128) -> Value {
    match idloom::stores::args::check(key, value) {
        Ok(v) => json!({"ok": v}),
        Err(e) => failed(e),
    }
}

/// A compare-and-set script: each event a read (`{"read": v|null}`) or a
/// swap outcome (`{"swapped": bool, "unit": u}`), each with what the loop answers.
pub fn cas_outcomes(step: u64, events: &[Value]) -> Vec<Value> {
    use idloom::stores::cas::{CasLoop, CasStep};
    let tag = json!({"biz_tag": "invoice"});
    let subj = subject(&tag);
    let mut cas = match CasLoop::new(step) {
        Ok(c) => c,
        Err(e) => return vec![failed(e)],
    };
    let step_json = |s: CasStep| match s {
        CasStep::Swap { old, new } => json!({"swap": [old, new]}),
        CasStep::Pause { us } => json!({"pause_us": us}),
        CasStep::Done { start, end } => json!({"done": [start, end]}),
    };
    events
        .iter()
        .map(|ev| {
            let r = if let Some(read) = ev.get("read") {
                cas.read(read.as_u64(), &subj)
            } else {
                cas.swapped(ev["swapped"].as_bool().unwrap(), ev["unit"].as_f64().unwrap(), &subj)
            };
            let mut out = match r {
                Ok(s) => step_json(s),
                Err(e) => failed(e),
            };
            out["retries"] = json!(cas.retries());
            out
        })
        .collect()
}

/// The store protocol every binding runs: driver failures classified,
/// store answers read, arguments bounded, Leaf's compare-and-set loop.
pub fn store_protocol() -> Value {
    let failures: Vec<(&str, &str, &str, &str)> = vec![
        ("postgres", "sqlstate", "42P01", "relation \"idloom_node\" does not exist"),
        ("postgres", "sqlstate", "08006", "connection failure"),
        ("postgres", "sqlstate", "53300", "sorry, too many clients already"),
        (
            "postgres",
            "sqlstate",
            "57P01",
            "terminating connection due to administrator command",
        ),
        ("postgres", "sqlstate", "57014", "canceling statement due to statement timeout"),
        ("postgres", "sqlstate", "25006", "cannot execute UPDATE in a read-only transaction"),
        ("postgres", "sqlstate", "40001", "could not serialize access"),
        ("postgres", "sqlstate", "40P01", "deadlock detected"),
        ("postgres", "sqlstate", "58030", "could not write"),
        ("postgres", "sqlstate", "42703", "column \"x\" does not exist"),
        ("postgres", "sqlstate", "22003", "bigint out of range"),
        ("postgres", "connection", "", "connection refused"),
        ("mysql", "errno", "1146", "Table 'test.idloom_node' doesn't exist"),
        ("mysql", "errno", "1054", "Unknown column 'x'"),
        ("mysql", "errno", "1040", "Too many connections"),
        ("mysql", "errno", "1053", "Server shutdown in progress"),
        ("mysql", "errno", "1205", "Lock wait timeout exceeded"),
        ("mysql", "errno", "1213", "Deadlock found"),
        (
            "mysql",
            "errno",
            "1290",
            "The MariaDB server is running with the --read-only option",
        ),
        ("mysql", "errno", "1927", "Connection was killed"),
        ("mysql", "errno", "2003", "Can't connect to MySQL server"),
        ("mysql", "errno", "2006", "MySQL server has gone away"),
        ("mysql", "errno", "2013", "Lost connection to MySQL server during query"),
        ("mysql", "errno", "not-a-number", ""),
        ("mysql", "connection", "", "ECONNREFUSED"),
        ("redis", "reply", "LOADING Redis is loading the dataset in memory", ""),
        ("redis", "reply", "READONLY You can't write against a read only replica.", ""),
        ("redis", "reply", "NOREPLICAS Not enough good replicas to write.", ""),
        ("redis", "reply", "BUSY Redis is busy running a script.", ""),
        ("redis", "reply", "MASTERDOWN Link with MASTER is down", ""),
        ("redis", "reply", "CLUSTERDOWN The cluster is down", ""),
        ("redis", "reply", "MOVED 3999 127.0.0.1:6381", ""),
        ("redis", "reply", "NOSCRIPT No matching script.", ""),
        ("redis", "reply", "OOM command not allowed when used memory > 'maxmemory'.", ""),
        ("redis", "reply", "ERR Error running script", "user_script:1: bad"),
        (
            "redis",
            "reply",
            "WRONGTYPE Operation against a key holding the wrong kind of value",
            "",
        ),
        ("redis", "reply", "NOPERM this user has no permissions", ""),
        ("redis", "connection", "", "Connection reset by peer"),
        ("redis", "timeout", "", ""),
        ("oracle", "connection", "", ""),
    ];
    let failures: Vec<Value> = failures
        .iter()
        .map(|&(engine, kind, code, detail)| {
            json!({"engine": engine, "kind": kind, "code": code, "detail": detail, "expect": failure_outcome(engine, kind, code, detail)})
        })
        .collect();

    let ns = json!({"namespace": "orders"});
    let node = json!({"namespace": "orders", "node": 3, "epoch": 7});
    let tag = json!({"biz_tag": "invoice"});
    let record = json!(["twitter(41,10,12)", 64, 10000, 1000, 0]);
    let n = Value::Null;
    let answers: Vec<(&str, &str, &Value, Value)> = vec![
        ("postgres", "schema_version", &ns, json!([1])),
        ("postgres", "schema_version", &ns, json!([2])),
        ("postgres", "schema_version", &ns, n.clone()),
        ("postgres", "namespace_init", &ns, record.clone()),
        ("postgres", "namespace_init", &ns, n.clone()),
        ("postgres", "namespace_get", &ns, record.clone()),
        ("postgres", "namespace_get", &ns, n.clone()),
        ("postgres", "acquire", &ns, json!([true, 3, 7, 1000, 11000, 1000])),
        ("postgres", "acquire", &ns, json!([true, null, null, null, null, 1000])),
        ("postgres", "acquire", &ns, json!([false, null, null, null, null, 1000])),
        ("postgres", "acquire", &ns, n.clone()),
        ("postgres", "acquire", &ns, json!([true, 3, -7, 1000, 11000, 1000])),
        ("postgres", "renew", &node, json!([3, 7, 1000, 14000, 4000])),
        ("postgres", "renew", &node, n.clone()),
        ("postgres", "release", &node, json!([3])),
        ("postgres", "release", &node, n.clone()),
        ("postgres", "segment_fetch", &tag, json!([1000, 2000])),
        ("postgres", "segment_fetch", &tag, json!([null, null])),
        ("postgres", "segment_fetch", &tag, n.clone()),
        ("postgres", "segment_read", &tag, json!([1000, false])),
        ("postgres", "segment_read", &tag, json!([1000, true])),
        ("postgres", "segment_read", &tag, n.clone()),
        ("postgres", "segment_cas", &tag, json!([1])),
        ("postgres", "segment_cas", &tag, json!([0])),
        ("postgres", "incrby", &tag, json!([1])),
        ("mysql", "schema_version", &ns, json!([1])),
        ("mysql", "schema_version", &ns, json!([0])),
        ("mysql", "acquire_lock", &ns, json!([10000, 0, 5000])),
        ("mysql", "acquire_lock", &ns, n.clone()),
        ("mysql", "acquire_pick", &ns, json!([4])),
        ("mysql", "acquire_pick", &ns, n.clone()),
        ("mysql", "node_get", &node, json!([8, 2000, 15000, "holder-1"])),
        ("mysql", "node_get", &node, n.clone()),
        ("mysql", "renew_lock", &node, json!([10000, 0, 5000])),
        ("mysql", "renew_lock", &node, n.clone()),
        ("mysql", "renew", &node, json!([1])),
        ("mysql", "renew", &node, json!([0])),
        ("mysql", "release", &node, json!([1])),
        ("mysql", "release", &node, json!([0])),
        ("mysql", "segment_fetch", &tag, json!([1000, 2000])),
        ("mysql", "segment_read", &tag, json!([1000])),
        ("mysql", "segment_read", &tag, n.clone()),
        ("mysql", "segment_cas", &tag, json!([0])),
        (
            "redis",
            "namespace_init",
            &ns,
            json!(["ok", "twitter(41,10,12)", 64, 10000, 1000, 0]),
        ),
        ("redis", "namespace_get", &ns, json!(["state_lost"])),
        ("redis", "acquire", &ns, json!(["ok", "3", "7", "1000", "11000", "1000"])),
        ("redis", "acquire", &ns, json!(["no_free_node"])),
        ("redis", "acquire", &ns, json!(["state_lost"])),
        ("redis", "acquire", &ns, json!(["what"])),
        ("redis", "acquire", &ns, json!(["ok", "3"])),
        ("redis", "renew", &node, json!(["ok", 3, 7, 1000, 14000, 4000])),
        ("redis", "renew", &node, json!(["lease_lost"])),
        ("redis", "renew", &node, json!(["state_lost"])),
        ("redis", "release", &node, json!(["ok"])),
        ("redis", "release", &node, json!(["lease_lost"])),
        ("redis", "incrby", &tag, json!(["ok", 1000, 2000])),
        ("redis", "incrby", &tag, json!(["state_lost"])),
        ("redis", "incrby", &tag, json!(["state_lost", "store_identity"])),
        ("redis", "incrby", &tag, json!(["invalid_range", "counter", "9007199254740000"])),
        ("redis", "segment_init", &tag, json!(["ok"])),
        ("redis", "segment_init", &tag, json!(["invalid_range", "floor", "9007199254740991"])),
        ("redis", "segment_fetch", &tag, json!(["ok"])),
    ];
    let answers: Vec<Value> = answers
        .iter()
        .map(|(engine, call, subj, answer)| {
            json!({"engine": engine, "call": call, "subject": subj, "answer": answer, "expect": answer_outcome(engine, call, subj, answer)})
        })
        .collect();

    let args: Vec<(&str, i128)> = vec![
        ("nodes", 0),
        ("nodes", 1),
        ("nodes", 1 << 22),
        ("nodes", (1 << 22) + 1),
        ("ttl_ms", 0),
        ("ttl_ms", 86_400_000),
        ("ttl_ms", 86_400_001),
        ("max_skew_ms", -1),
        ("max_skew_ms", 0),
        ("step", 0),
        ("step", 1 << 40),
        ("step", (1 << 40) + 1),
        ("counter_step", (1 << 31) - 1),
        ("counter_step", 1 << 31),
        ("floor", -1),
        ("floor", i64::MAX as i128),
        ("floor", i64::MAX as i128 + 1),
        ("count", 1025),
        ("servers", 65_535),
        ("servers", 0),
        ("timeout_ms", 0),
        ("connect_timeout", 3_601),
        ("unknown", 1),
    ];
    let args: Vec<Value> = args
        .iter()
        .map(|&(key, value)| json!({"key": key, "value": value.to_string(), "expect": arg_outcome(key, value)}))
        .collect();

    let cas_scripts: Vec<(&str, u64, Vec<Value>)> = vec![
        (
            "won at once",
            1000,
            vec![json!({"read": 5000}), json!({"swapped": true, "unit": 0.5})],
        ),
        (
            "lost twice, then won",
            10,
            vec![
                json!({"read": 0}),
                json!({"swapped": false, "unit": 0.0}),
                json!({"read": 10}),
                json!({"swapped": false, "unit": 0.999}),
                json!({"read": 30}),
                json!({"swapped": true, "unit": 0.5}),
            ],
        ),
        ("no such counter", 10, vec![json!({"read": null})]),
        ("past bigint", 10, vec![json!({"read": i64::MAX - 5})]),
        ("a step out of range", 0, vec![]),
        ("lost every round", 1, {
            let mut v = Vec::new();
            for _ in 0..idloom::stores::CAS_TRIES {
                v.push(json!({"read": 1}));
                v.push(json!({"swapped": false, "unit": 0.25}));
            }
            v
        }),
    ];
    let cas: Vec<Value> = cas_scripts
        .iter()
        .map(|(name, step, events)| json!({"name": name, "step": step, "events": events, "expect": cas_outcomes(*step, events)}))
        .collect();

    json!({
        "_comment": "The store protocol every binding runs, decided by the core (idloom::stores::{failure, answer, args, cas}): a driver failure classified (kind sqlstate | errno | reply | connection, with the driver's detail), a store answer read (the first SQL row, null for none, a rows-changed count as a one-cell row, or a Redis script's reply; cells are null, bools, integers or texts), an argument bounded (value a decimal string), and Leaf's compare-and-set loop (events: a read, or a swap's outcome with the host's uniform draw for the pause). Every binding replays these and must give the same code and message.",
        "failures": failures,
        "answers": answers,
        "args": args,
        "cas": cas,
    })
}

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
        json!({"kind": "clock_stepped_back", "node": 5, "amount": 3000, "detail": "refused"}),
        json!({"kind": "borrowing_started", "node": 5, "amount": 1}),
        json!({"kind": "borrowing_ended", "node": 5}),
        json!({"kind": "store_identity_changed", "fence_ms": 1_700_000_020_000u64}),
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

pub fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

pub fn render(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}
