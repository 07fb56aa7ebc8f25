//! MongoDB ObjectIds for `ObjectId` in `js/objectid.mjs`: 12 bytes out of the
//! process generator (5 random bytes per process, drawn again after a fork;
//! a counter with a random start), parsed hex, checked bytes, parts, and a
//! deterministic machine for the vectors. JavaScript keeps the bytes.

use crate::errors::{fixed, refused, throw, IntoJs};
use crate::method;
use idloom::objectid::{ObjectId, ObjectIdGenerator};
use idloom::{process, ErrorCode};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::cell::RefCell;

/// The parameter names the JS layer passes, as the core's `&'static str`
/// (with the name of their length); anything else reads as `id`.
fn param(name: &str) -> (&'static str, &'static str) {
    match name {
        "hex" => ("hex", "hex length"),
        "bytes" => ("bytes", "bytes length"),
        "value" => ("value", "value length"),
        "id" => ("id", "id length"),
        _ => ("id", "id length"),
    }
}

fn out(id: ObjectId) -> Uint8Array {
    Uint8Array::new(id.as_bytes().to_vec())
}

/// A new ObjectId's 12 bytes (the process generator, wall clock).
#[napi]
pub fn object_id_new() -> std::result::Result<Uint8Array, Error<String>> {
    process::object_id().map(out).map_err(refused)
}

/// The 12 bytes of 24 hex digits (either case); errors name `param`.
#[napi]
pub fn object_id_parse(env: &Env, text: String, param_name: String) -> Result<Uint8Array> {
    let (p, p_len) = param(&param_name);
    ObjectId::parse_param(&text, p, p_len).js(env).map(out)
}

/// A copy of exactly 12 bytes (`invalid_encoding` naming `param` otherwise).
#[napi]
pub fn object_id_from_bytes(env: &Env, bytes: Uint8Array, param_name: String) -> Result<Uint8Array> {
    ObjectId::from_slice(bytes.as_ref(), param(&param_name).1).js(env).map(out)
}

/// The 24 lowercase hex digits of 12 bytes.
#[napi]
pub fn object_id_hex(env: &Env, bytes: Uint8Array) -> Result<String> {
    Ok(ObjectId::from_slice(bytes.as_ref(), "bytes length").js(env)?.to_string())
}

fn process5(env: &Env, process: &Uint8Array) -> Result<[u8; 5]> {
    fixed(env, process, ErrorCode::InvalidArgument, "process length")
}

/// From seconds, 5 process bytes and a counter (its low 24 bits; JS checked the ranges).
#[napi]
pub fn object_id_from_parts(env: &Env, seconds: u32, process: Uint8Array, counter: u32) -> Result<Uint8Array> {
    Ok(out(ObjectId::from_parts(seconds, process5(env, &process)?, counter)))
}

/// A generator with given process bytes and counter start:
/// `nextAt(nowMs)` → 12 bytes (deterministic; vectors).
#[napi(ts_return_type = "NativeObjectIdMachine")]
pub fn object_id_machine(env: &Env, process: Uint8Array, counter_start: u32) -> Result<Object<'_>> {
    let state = RefCell::new(ObjectIdGenerator::new(process5(env, &process)?, counter_start));
    let mut obj = Object::new(env)?;
    method(env, &mut obj, "nextAt", move |ctx| {
        let now: f64 = ctx.get(0)?;
        // JS checked: a safe integer >= 0.
        let id = state.borrow_mut().next_at(now as u64).map_err(|e| throw(ctx.env, &e))?;
        Ok(out(id))
    })?;
    Ok(obj)
}

/// A new ObjectId's 24 hex digits (the process generator, wall clock).
#[napi]
pub fn object_id_new_hex() -> std::result::Result<String, Error<String>> {
    process::object_id().map(|id| id.to_string()).map_err(refused)
}
