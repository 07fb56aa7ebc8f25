//! MongoDB ObjectIds for `ObjectId` in the shared `js/` layer (the same
//! exports as the napi-rs addon's `src/objectid.rs`): 12 bytes out of the
//! process generator at `Date.now()`, parsed hex, checked bytes, parts, and
//! a deterministic machine.

use crate::errors::{fixed, IntoJs, Out};
use crate::JsClock;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use idloom::objectid::{ObjectId, ObjectIdGenerator};
use idloom::{process, Clock, ErrorCode};
use wasm_bindgen::prelude::*;

/// The parameter names the JS layer passes, as the core's `&'static str`
/// (with the name of their length); anything else reads as `id`.
fn param(name: &str) -> (&'static str, &'static str) {
    match name {
        "hex" => ("hex", "hex length"),
        "bytes" => ("bytes", "bytes length"),
        "value" => ("value", "value length"),
        _ => ("id", "id length"),
    }
}

fn out(id: ObjectId) -> Vec<u8> {
    id.as_bytes().to_vec()
}

/// A new ObjectId's 12 bytes (the process generator, `Date.now()`).
#[wasm_bindgen(js_name = objectIdNew)]
pub fn object_id_new() -> Out<Vec<u8>> {
    process::object_id_at(JsClock.now_ms()).js().map(out)
}

/// A new ObjectId's 24 hex digits.
#[wasm_bindgen(js_name = objectIdNewHex)]
pub fn object_id_new_hex() -> Out<String> {
    process::object_id_at(JsClock.now_ms()).js().map(|id| id.to_string())
}

/// The 12 bytes of 24 hex digits (either case); errors name `param`.
#[wasm_bindgen(js_name = objectIdParse)]
pub fn object_id_parse(text: &str, param_name: &str) -> Out<Vec<u8>> {
    let (p, p_len) = param(param_name);
    ObjectId::parse_param(text, p, p_len).js().map(out)
}

/// A copy of exactly 12 bytes (`invalid_encoding` naming `param` otherwise).
#[wasm_bindgen(js_name = objectIdFromBytes)]
pub fn object_id_from_bytes(bytes: &[u8], param_name: &str) -> Out<Vec<u8>> {
    ObjectId::from_slice(bytes, param(param_name).1).js().map(out)
}

/// The 24 lowercase hex digits of 12 bytes.
#[wasm_bindgen(js_name = objectIdHex)]
pub fn object_id_hex(bytes: &[u8]) -> Out<String> {
    Ok(ObjectId::from_slice(bytes, "bytes length").js()?.to_string())
}

/// From seconds, 5 process bytes and a counter (its low 24 bits; JS checked the ranges).
#[wasm_bindgen(js_name = objectIdFromParts)]
pub fn object_id_from_parts(seconds: u32, process: &[u8], counter: u32) -> Out<Vec<u8>> {
    let p = fixed::<5>(process, ErrorCode::InvalidArgument, "process length")?;
    Ok(out(ObjectId::from_parts(seconds, p, counter)))
}

/// ObjectIds from given process bytes and counter start (deterministic).
#[wasm_bindgen]
pub struct WasmObjectIdMachine {
    inner: ObjectIdGenerator,
}

#[wasm_bindgen]
impl WasmObjectIdMachine {
    /// The next ObjectId's 12 bytes at Unix time `now` (JS checked: a safe integer >= 0).
    #[wasm_bindgen(js_name = nextAt)]
    pub fn next_at(&mut self, now: f64) -> Out<Vec<u8>> {
        self.inner.next_at(now as u64).js().map(out)
    }
}

/// A machine with 5 process bytes and a counter start (its low 24 bits).
#[wasm_bindgen(js_name = objectIdMachine)]
pub fn object_id_machine(process: &[u8], counter_start: u32) -> Out<WasmObjectIdMachine> {
    let p = fixed::<5>(process, ErrorCode::InvalidArgument, "process length")?;
    Ok(WasmObjectIdMachine {
        inner: ObjectIdGenerator::new(p, counter_start),
    })
}
