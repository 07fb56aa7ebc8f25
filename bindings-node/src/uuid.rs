//! UUIDs with the shapes of npm `uuid`: strings out of the process
//! generators (the hot calls), parsing and formatting, and the deterministic
//! entry points the vectors use.

use crate::errors::{fixed, refused, throw, IntoJs};
use crate::method;
use idloom::uuid::{UuidFormat, V7Generator, MAX_V7_MS};
use idloom::{process, ErrorCode, Uuid};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::cell::RefCell;

pub(crate) fn text(u: Uuid) -> String {
    String::from_utf8_lossy(&u.hyphenated_bytes()).into_owned()
}

// The hot calls take neither arguments nor `Env`: in napi-rs 3.16 an `Env`
// parameter costs ~90 ns a call here and each argument ~85 ns (bench/probe).
// Their only failure is a refusal (`random_unavailable`), thrown as a plain
// `Error` with the core's code.

/// A random (v4) UUID string.
#[napi(js_name = "v4")]
pub fn v4() -> std::result::Result<Ascii36, Error<String>> {
    process::uuid_v4().map(|u| Ascii36(u.hyphenated_bytes())).map_err(refused)
}

/// `count` v4 UUID strings concatenated (36 bytes each): JavaScript slices
/// them from a pool, so a `v4()` call costs a slice, not a crossing.
#[napi(js_name = "v4Batch")]
pub fn v4_batch(count: u32) -> std::result::Result<Latin1, Error<String>> {
    let n = count.min(idloom::limits::MAX_V4_BATCH as u32); // the JS pool asks for 64
    let mut out = Vec::with_capacity(36 * n as usize);
    for _ in 0..n {
        out.extend_from_slice(&process::uuid_v4().map_err(refused)?.hyphenated_bytes());
    }
    Ok(Latin1(out))
}

/// A time-ordered (v7) UUID string, monotonic within the process.
#[napi(js_name = "v7")]
pub fn v7() -> std::result::Result<Ascii36, Error<String>> {
    process::uuid_v7().map(|u| Ascii36(u.hyphenated_bytes())).map_err(refused)
}

/// Whether `text` is a standard hyphenated UUID (npm `uuid`'s `validate`).
#[napi]
pub fn validate(text: String) -> bool {
    Uuid::parse_standard(&text).is_ok()
}

/// The version of a standard UUID string.
#[napi]
pub fn version(env: &Env, text: String) -> Result<u32> {
    Ok(u32::from(Uuid::parse_standard(&text).js(env)?.version()))
}

/// The 16 bytes of a standard UUID string.
#[napi]
pub fn parse(env: &Env, text: String) -> Result<Uint8Array> {
    Ok(Uint8Array::new(Uuid::parse_standard(&text).js(env)?.as_bytes().to_vec()))
}

/// A v7 UUID in npm `uuid`'s layout from `msecs`, a 32-bit `seq` (negative:
/// drawn from the bytes) and 16 random bytes (the JS wrapper checked ranges).
#[napi]
pub fn v7_counter(env: &Env, msecs: f64, seq: f64, random: Uint8Array) -> Result<String> {
    let r = fixed::<16>(env, &random, ErrorCode::InvalidArgument, "random length")?;
    let seq = (seq >= 0.0).then_some(seq as u32);
    Ok(text(Uuid::new_v7_counter(msecs as u64, seq, &r).js(env)?))
}

/// The hyphenated string of 16 bytes.
#[napi]
pub fn stringify(env: &Env, bytes: Uint8Array) -> Result<String> {
    Ok(text(Uuid::from_bytes(fixed(env, &bytes, ErrorCode::InvalidUuid, "bytes length")?)))
}

/// The Unix milliseconds of a v1/v6/v7 UUID, or null.
#[napi]
pub fn uuid_timestamp_ms(env: &Env, text: String) -> Result<Option<f64>> {
    Ok(Uuid::parse(&text).js(env)?.timestamp_ms().map(|ms| ms as f64))
}

/// A v4 UUID from 16 given bytes (deterministic; vectors).
#[napi]
pub fn v4_from_bytes(env: &Env, random: Uint8Array) -> Result<String> {
    Ok(text(Uuid::new_v4(fixed(
        env,
        &random,
        ErrorCode::InvalidArgument,
        "random length",
    )?)))
}

fn random10(env: &Env, random: &Uint8Array) -> Result<[u8; 10]> {
    fixed(env, random, ErrorCode::InvalidArgument, "random length")
}

fn ms_of(env: &Env, ms: f64) -> Result<u64> {
    if !(ms.fract() == 0.0 && (0.0..=MAX_V7_MS as f64).contains(&ms)) {
        let message = format!("unix_ms must be an integer in 0..={MAX_V7_MS}, got {ms}");
        let _ = env.throw_range_error(&message, Some(ErrorCode::TimestampOutOfRange.as_str()));
        return Err(Error::from_status(Status::PendingException));
    }
    Ok(ms as u64)
}

/// A v7 UUID from Unix milliseconds and 10 given bytes (deterministic).
#[napi]
pub fn v7_from_parts(env: &Env, unix_ms: f64, random: Uint8Array) -> Result<String> {
    let u = Uuid::new_v7(ms_of(env, unix_ms)?, &random10(env, &random)?).js(env)?;
    Ok(text(u))
}

/// A monotonic v7 state machine driven by given time and bytes:
/// `nextFrom(nowMs, random10)` → UUID string.
#[napi(ts_return_type = "NativeV7Machine")]
pub fn v7_machine(env: &Env) -> Result<Object<'_>> {
    let state = RefCell::new(V7Generator::new());
    let mut obj = Object::new(env)?;
    method(env, &mut obj, "nextFrom", move |ctx| {
        let now: f64 = ctx.get(0)?;
        let random: Uint8Array = ctx.get(1)?;
        let now = ms_of(ctx.env, now)?;
        let r = random10(ctx.env, &random)?;
        let u = state.borrow_mut().next_from(now, &r).map_err(|e| throw(ctx.env, &e))?;
        Ok(text(u))
    })?;
    Ok(obj)
}

/// A UUID string in another form: `hyphenated`, `simple`, `urn` or `braced`.
#[napi]
pub fn format_uuid(env: &Env, text: String, form: String) -> Result<String> {
    let u = Uuid::parse(&text).js(env)?;
    let form = <UuidFormat as idloom::names::Named>::from_name(&form).js(env)?;
    Ok(u.format(form).as_str().to_string())
}

/// ASCII bytes handed to JS as a Latin-1 string (no UTF-8 validation).
pub struct Latin1(pub Vec<u8>);

#[allow(unsafe_code)] // napi's trait: an unsafe fn with a raw env
impl ToNapiValue for Latin1 {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let mut out = std::ptr::null_mut();
        // SAFETY: a valid env from napi-rs and a buffer that outlives the call.
        let status = unsafe { napi::sys::napi_create_string_latin1(env, val.0.as_ptr().cast(), val.0.len() as isize, &mut out) };
        if status != napi::sys::Status::napi_ok {
            return Err(Error::from_status(Status::GenericFailure));
        }
        Ok(out)
    }
}

/// 36 ASCII bytes handed to JS as a Latin-1 string (no heap String, no UTF-8 scan).
pub struct Ascii36(pub [u8; 36]);

#[allow(unsafe_code)] // napi's trait: an unsafe fn with a raw env
impl ToNapiValue for Ascii36 {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let mut out = std::ptr::null_mut();
        // SAFETY: a valid env from napi-rs and a 36-byte buffer that outlives the call.
        let status = unsafe { napi::sys::napi_create_string_latin1(env, val.0.as_ptr().cast(), 36, &mut out) };
        if status != napi::sys::Status::napi_ok {
            return Err(Error::from_status(Status::GenericFailure));
        }
        Ok(out)
    }
}
