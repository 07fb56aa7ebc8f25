//! The Rust side of cross-language conformance: replay every checked-in
//! vector file against the core, and fail when the files are stale.

#[path = "support/vectors/mod.rs"]
mod vectors;

use idloom::encoding::Encoding;
use idloom::mask::Mask;
use idloom::nanoid::NanoId;
use idloom::segment::SegmentBuffer;
use idloom::uuid::{UuidFormat, V7Generator};
use idloom::{Generator, Layout, ReplayBytes, SharedSnowflake, Uuid};
use serde_json::Value;
use vectors::*;

fn load(name: &str) -> Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn code(r: Result<impl Sized, idloom::Error>) -> String {
    r.err().map(|e| e.code().as_str().to_string()).unwrap_or_default()
}

#[test]
fn checked_in_vectors_are_fresh() {
    for (name, built) in all() {
        let path = vectors_dir().join(name);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == render(&built),
            "{} is stale: run `cargo run -p idloom --example gen_vectors` and commit the result",
            path.display()
        );
    }
}

#[test]
fn generated_js_tables_are_fresh() {
    let path = tables_module_path();
    assert!(
        std::fs::read_to_string(&path).unwrap_or_default() == tables_module(),
        "{} is stale: run `cargo run -p idloom --example gen_vectors` and commit the result",
        path.display()
    );
}

#[test]
fn layouts() {
    let v = load("layouts.json");
    for entry in v["layouts"].as_array().unwrap() {
        let l = layout_from(&entry["layout"]);
        if entry["preset"].as_bool().unwrap() {
            assert_eq!(Layout::preset_named(entry["name"].as_str().unwrap()).unwrap(), l);
        }
        let c = l.capacity();
        assert_eq!(
            c.ids_per_second_per_node,
            entry["capacity"]["ids_per_second_per_node"].as_u64().unwrap()
        );
        assert_eq!(c.runs_out_at_ms, entry["capacity"]["runs_out_at_ms"].as_u64().unwrap());
        assert_eq!(c.leaves_js_safe_at_ms, entry["capacity"]["leaves_js_safe_at_ms"].as_u64());
        for case in entry["cases"].as_array().unwrap() {
            let id: u64 = case["id"].as_str().unwrap().parse().unwrap();
            let n = |k: &str| case[k].as_u64().unwrap();
            assert_eq!(l.compose(n("timestamp_ms"), n("node"), n("sequence")).unwrap(), id);
            let p = l.decompose(id).unwrap();
            assert_eq!(p.timestamp_ms, case["parts"]["timestamp_ms"].as_u64().unwrap());
            assert_eq!((p.node, p.sequence), (n("node"), n("sequence")));
            let friendly = case["parts"]["friendly"].as_str().unwrap();
            assert_eq!(l.friendly(id).unwrap().to_string(), friendly);
            assert_eq!(l.parse_friendly(friendly).unwrap(), id);
        }
        for bad in entry["bad_compose"].as_array().unwrap() {
            let n = |k: &str| bad[k].as_u64().unwrap();
            assert_eq!(code(l.compose(n("timestamp_ms"), n("node"), n("sequence"))), bad["expect"]["error"]);
        }
        let bad = &entry["bad_decode"];
        assert_eq!(
            code(l.decompose(bad["id"].as_str().unwrap().parse().unwrap())),
            bad["expect"]["error"]
        );
    }
    for bad in v["invalid"].as_array().unwrap() {
        let n = |k: &str| bad[k].as_u64().unwrap();
        let e = Layout::new(
            n("time_bits") as u32,
            n("node_bits") as u32,
            n("sequence_bits") as u32,
            n("epoch_ms"),
            n("tick_ms"),
        )
        .unwrap_err();
        assert_eq!(e.code().as_str(), bad["expect"]["error"]);
        assert_eq!(e.param(), bad["expect"]["param"].as_str());
    }
}

#[test]
fn encodings() {
    let v = load("encodings.json");
    for (name, e) in Encoding::ALL {
        let entry = &v["encodings"][name];
        for case in entry["u64"].as_array().unwrap() {
            let value: u64 = case["value"].as_str().unwrap().parse().unwrap();
            assert_eq!(e.encode_u64(value).as_str(), case["text"]);
            assert_eq!(e.decode_u64(case["text"].as_str().unwrap()).unwrap(), value);
        }
        for case in entry["u128"].as_array().unwrap() {
            let value: u128 = case["value"].as_str().unwrap().parse().unwrap();
            assert_eq!(e.encode_u128(value).as_str(), case["text"]);
            assert_eq!(e.decode_u128(case["text"].as_str().unwrap()).unwrap(), value);
        }
        for case in entry["decode_u64"].as_array().unwrap() {
            let r = e.decode_u64(case["text"].as_str().unwrap());
            match case["expect"].get("error") {
                Some(c) => assert_eq!(code(r), *c),
                None => assert_eq!(r.unwrap().to_string(), case["expect"]["value"]),
            }
        }
    }
}

#[test]
fn masking() {
    use idloom::mask::MaskVersion;
    let v = load("masking.json");
    for case in v["cases"].as_array().unwrap() {
        let key: [u8; 16] = unhex(case["key"].as_str().unwrap()).try_into().unwrap();
        let version = MaskVersion::from_number(case["version"].as_u64().unwrap()).unwrap();
        let bits = case["bits"].as_u64().unwrap() as u32;
        let m = Mask::with_version(version, bits, key).unwrap();
        if version == MaskVersion::V2 {
            assert_eq!(
                Mask::new(bits, key).unwrap().mask(1).unwrap(),
                m.mask(1).unwrap(),
                "version 2 is the default"
            );
        }
        for pair in case["values"].as_array().unwrap() {
            let value: u64 = pair["value"].as_str().unwrap().parse().unwrap();
            let masked: u64 = pair["masked"].as_str().unwrap().parse().unwrap();
            assert_eq!(m.mask(value).unwrap(), masked);
            assert_eq!(m.unmask(masked).unwrap(), value);
        }
        if let Some(v) = case["out_of_range"]["value"].as_str() {
            assert_eq!(code(m.mask(v.parse().unwrap())), "id_out_of_range");
        }
    }
    for bad in v["invalid_bits"].as_array().unwrap() {
        let version = MaskVersion::from_number(bad["version"].as_u64().unwrap()).unwrap();
        assert_eq!(
            code(Mask::with_version(version, bad["bits"].as_u64().unwrap() as u32, [0; 16])),
            bad["expect"]["error"]
        );
    }
    for bad in v["invalid_versions"].as_array().unwrap() {
        assert_eq!(
            code(MaskVersion::from_number(bad["version"].as_u64().unwrap())),
            bad["expect"]["error"]
        );
    }
}

#[test]
fn nanoids() {
    let v = load("nanoid.json");
    let d = unhex(v["default"]["random"].as_str().unwrap());
    assert_eq!(idloom::nanoid::nanoid(&mut ReplayBytes::new(&d)).unwrap(), v["default"]["id"]);
    for case in v["cases"].as_array().unwrap() {
        let bytes = unhex(case["random"].as_str().unwrap());
        let mut src = ReplayBytes::new(&bytes);
        let g = NanoId::new(case["alphabet"].as_str().unwrap(), case["size"].as_u64().unwrap() as usize).unwrap();
        assert_eq!(g.generate(&mut src).unwrap(), case["id"]);
        assert_eq!(src.used(), bytes.len(), "exactly the listed bytes are consumed");
    }
    for bad in v["invalid"].as_array().unwrap() {
        assert_eq!(
            code(NanoId::new(
                bad["alphabet"].as_str().unwrap(),
                bad["size"].as_u64().unwrap() as usize
            )),
            bad["expect"]["error"]
        );
    }
}

#[test]
fn uuids() {
    let v = load("uuid.json");
    for case in v["v4"].as_array().unwrap() {
        let b: [u8; 16] = unhex(case["random"].as_str().unwrap()).try_into().unwrap();
        assert_eq!(Uuid::new_v4(b).to_string(), case["uuid"]);
    }
    for case in v["v7"].as_array().unwrap() {
        let b: [u8; 10] = unhex(case["random"].as_str().unwrap()).try_into().unwrap();
        let r = Uuid::new_v7(case["unix_ms"].as_u64().unwrap(), &b);
        match case.get("expect") {
            Some(e) => assert_eq!(code(r), e["error"]),
            None => assert_eq!(r.unwrap().to_string(), case["uuid"]),
        }
    }
    let mut g = V7Generator::new();
    for step in v["v7_monotonic"].as_array().unwrap() {
        let b: [u8; 10] = unhex(step["random"].as_str().unwrap()).try_into().unwrap();
        assert_eq!(g.next_from(step["now"].as_u64().unwrap(), &b).unwrap().to_string(), step["uuid"]);
    }
    for case in v["parse"].as_array().unwrap() {
        let r = Uuid::parse(case["input"].as_str().unwrap());
        let e = &case["expect"];
        match e.get("error") {
            Some(c) => assert_eq!(code(r), *c),
            None => {
                let u = r.unwrap();
                assert_eq!(u.to_string(), e["hyphenated"]);
                assert_eq!(u.format(UuidFormat::Urn).as_str(), e["urn"]);
                assert_eq!(u.version() as u64, e["version"].as_u64().unwrap());
                assert_eq!(u.timestamp_ms(), e["timestamp_ms"].as_u64());
            }
        }
    }
}

#[test]
fn snowflake_scripts() {
    let v = load("snowflake_scripts.json");
    for script in v["scripts"].as_array().unwrap() {
        let mut g = Generator::new(
            layout_from(&script["layout"]),
            script["node"].as_u64().unwrap(),
            policy_from(&script["policy"]),
        )
        .unwrap();
        for (i, step) in script["steps"].as_array().unwrap().iter().enumerate() {
            assert_eq!(
                run_snowflake_step(&mut g, step),
                step["expect"],
                "script {} step {i}",
                script["name"]
            );
        }
    }
    // The lock-free shared generator follows the same scripts step for step.
    for script in v["scripts"].as_array().unwrap() {
        let layout = layout_from(&script["layout"]);
        let epoch = layout.epoch_ms(); // the clock only serves the constructor's epoch check here
        let shared = SharedSnowflake::new(
            layout,
            script["node"].as_u64().unwrap(),
            policy_from(&script["policy"]),
            move || epoch,
        )
        .unwrap();
        for (i, step) in script["steps"].as_array().unwrap().iter().enumerate() {
            let now = step["now"].as_u64().unwrap();
            let got = match step.get("fill").and_then(Value::as_u64) {
                Some(n) => {
                    let mut out = vec![0u64; n as usize];
                    match shared.fill_at(now, &mut out) {
                        Ok((k, retry)) => {
                            serde_json::json!({"ids": out[..k].iter().map(u64::to_string).collect::<Vec<_>>(), "retry_at": retry})
                        }
                        Err(e) => serde_json::json!({"error": e.code().as_str()}),
                    }
                }
                None => match shared.next_at(now) {
                    Ok(idloom::Next::Id(id)) => serde_json::json!({"id": id.to_string()}),
                    Ok(idloom::Next::RetryAt(ms)) => serde_json::json!({"retry_at": ms}),
                    Err(e) => serde_json::json!({"error": e.code().as_str()}),
                },
            };
            assert_eq!(got, step["expect"], "shared: script {} step {i}", script["name"]);
        }
    }
    for bad in v["bad_nodes"].as_array().unwrap() {
        let r = Generator::new(layout_from(&bad["layout"]), bad["node"].as_u64().unwrap(), Default::default());
        assert_eq!(code(r), bad["expect"]["error"]);
    }
}

#[test]
fn segment_scripts() {
    let v = load("segment_scripts.json");
    for script in v["scripts"].as_array().unwrap() {
        let mut b = SegmentBuffer::new(segment_config_from(&script["config"])).unwrap();
        for (i, step) in script["steps"].as_array().unwrap().iter().enumerate() {
            assert_eq!(run_segment_step(&mut b, step), step["expect"], "script {} step {i}", script["name"]);
        }
    }
    for bad in v["invalid"].as_array().unwrap() {
        let e = SegmentBuffer::new(segment_config_from(&bad["config"])).unwrap_err();
        assert_eq!(e.code().as_str(), bad["expect"]["error"]);
    }
}

#[test]
fn object_ids() {
    use idloom::objectid::{ObjectId, ObjectIdGenerator};
    let v = load("objectid.json");
    for c in v["parts"].as_array().unwrap() {
        let p: [u8; 5] = unhex(c["process"].as_str().unwrap()).try_into().unwrap();
        let id = ObjectId::from_parts(c["seconds"].as_u64().unwrap() as u32, p, c["counter"].as_u64().unwrap() as u32);
        assert_eq!(id.to_string(), c["hex"]);
    }
    let mut g = ObjectIdGenerator::new([9, 8, 7, 6, 5], 0xff_fffe);
    for s in v["sequence"].as_array().unwrap() {
        assert_eq!(g.next_at(s["now_ms"].as_u64().unwrap()).unwrap().to_string(), s["hex"]);
    }
    for c in v["parse"].as_array().unwrap() {
        let got = match ObjectId::parse(c["input"].as_str().unwrap()) {
            Ok(id) => serde_json::json!({"hex": id.to_string(), "seconds": id.seconds(), "counter": id.counter()}),
            Err(e) => serde_json::json!({"error": e.code().as_str()}),
        };
        assert_eq!(got, c["expect"], "{}", c["input"]);
    }
}

#[test]
fn lease_scripts() {
    let v = load("lease_scripts.json");
    for script in v["scripts"].as_array().unwrap() {
        let mut run = LeaseRun::new(script);
        for (i, step) in script["steps"].as_array().unwrap().iter().enumerate() {
            assert_eq!(run.step(step), step["expect"], "script {} step {i}", script["name"]);
        }
    }
}

#[test]
fn error_table_matches() {
    let v = load("errors.json");
    let codes: Vec<&str> = v["codes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, idloom::ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>());
}

#[test]
fn store_inputs() {
    let v = load("store_inputs.json");
    for case in v["cases"].as_array().unwrap() {
        let (kind, value) = (case["kind"].as_str().unwrap(), case["value"].as_str().unwrap());
        assert_eq!(store_input_outcome(kind, value), case["expect"], "{kind} {value:?}");
    }
}

#[test]
fn store_protocol() {
    let v = load("store_protocol.json");
    for f in v["failures"].as_array().unwrap() {
        let s = |k: &str| f[k].as_str().unwrap();
        assert_eq!(failure_outcome(s("engine"), s("kind"), s("code"), s("detail")), f["expect"], "{f}");
    }
    let more = v["answers_more"].as_array().unwrap();
    for a in v["answers"].as_array().unwrap().iter().chain(more) {
        let s = |k: &str| a[k].as_str().unwrap();
        assert_eq!(
            answer_outcome(s("engine"), s("call"), &a["subject"], &a["answer"]),
            a["expect"],
            "{a}"
        );
    }
    for a in v["args"].as_array().unwrap() {
        let value: i128 = a["value"].as_str().unwrap().parse().unwrap();
        assert_eq!(arg_outcome(a["key"].as_str().unwrap(), value), a["expect"], "{a}");
    }
    for r in v["create_races"].as_array().unwrap() {
        let race = idloom::stores::failure::create_race(r["engine"].as_str().unwrap(), r["code"].as_str().unwrap());
        assert_eq!(Value::from(race), r["race"], "{r}");
    }
    for c in v["cas"].as_array().unwrap() {
        let got = cas_outcomes(c["step"].as_u64().unwrap(), c["events"].as_array().unwrap());
        assert_eq!(Value::from(got), c["expect"], "{}", c["name"]);
    }
}

#[test]
fn events() {
    let v = load("events.json");
    let names: Vec<&str> = v["kinds"].as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(names, idloom::events::Kind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>());
    for s in v["samples"].as_array().unwrap() {
        assert_eq!(event_of(&s["event"]).message().to_string(), s["message"].as_str().unwrap());
    }
}
