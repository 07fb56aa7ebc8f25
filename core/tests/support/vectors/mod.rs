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

// Each includer (the vectors test, the gen_vectors example) uses a part:
// what one leaves unused is not dead, and the re-exports below serve both.
#![allow(dead_code, unused_imports, clippy::type_complexity)]

// One file per vector file (named after it), plus `json`: the conventions
// they share.
mod encodings;
mod errors;
mod events;
mod json;
mod layouts;
mod lease_scripts;
mod masking;
mod nanoid;
mod objectid;
mod segment_scripts;
mod snowflake_scripts;
mod store_inputs;
mod store_protocol;
mod tables;
mod uuid;

pub use encodings::encodings;
pub use errors::errors;
pub use events::{event_of, events};
pub use json::{filler, hex, layout_from, layout_json, policy_from, policy_json, unhex};
pub use layouts::layouts;
pub use lease_scripts::{lease_scripts, LeaseRun};
pub use masking::masking;
pub use nanoid::nanoids;
pub use objectid::object_ids;
pub use segment_scripts::{run_segment_step, segment_config_from, segment_config_json, segment_scripts};
pub use snowflake_scripts::{run_snowflake_step, snowflake_scripts};
pub use store_inputs::{store_input_outcome, store_inputs};
pub use store_protocol::{answer_outcome, arg_outcome, cas_outcomes, cell, failure_outcome, store_protocol, subject};
pub use tables::{tables, tables_module, tables_module_path};
pub use uuid::uuids;

use serde_json::Value;

/// A fixed instant all scripts start from: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000_000;

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

pub fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

pub fn render(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}
