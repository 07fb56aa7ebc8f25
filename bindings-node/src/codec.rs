//! Encodings, masking, and the deterministic UUID entry points the vectors
//! use. Rare calls: plain functions, no handles.

use crate::errors::{throw, u64_of, IntoJs};
use idloom::encoding::Encoding;
use idloom::mask::Mask;
use idloom::uuid::{UuidFormat, V7Generator, MAX_V7_MS};
use idloom::{ErrorCode, Uuid};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::cell::RefCell;

fn bits_of(env: &Env, bits: u32) -> Result<()> {
    if bits == 64 || bits == 128 {
        return Ok(());
    }
    Err(throw(
        env,
        &idloom::Error::reason(ErrorCode::InvalidArgument, "bits", "must be 64 or 128"),
    ))
}

/// A value in a fixed-width, order-preserving encoding.
#[napi]
pub fn encode(env: &Env, value: BigInt, encoding: String, bits: u32) -> Result<String> {
    let enc = Encoding::from_name(&encoding).js(env)?;
    bits_of(env, bits)?;
    if bits == 64 {
        let v = u64_of(env, &value, "value", ErrorCode::IdOutOfRange, u64::MAX)?;
        return Ok(enc.encode_u64(v).as_str().to_string());
    }
    let (negative, v, lossless) = value.get_u128();
    if negative || !lossless {
        let shown = if negative { "a negative value" } else { "a value over 128 bits" };
        let message = format!("value must be in 0..={}, got {shown}", u128::MAX);
        let _ = env.throw_range_error(&message, Some(ErrorCode::IdOutOfRange.as_str()));
        return Err(Error::from_status(Status::PendingException));
    }
    Ok(enc.encode_u128(v).as_str().to_string())
}

/// The value of an encoded string (strict).
#[napi]
pub fn decode(env: &Env, text: String, encoding: String, bits: u32) -> Result<BigInt> {
    let enc = Encoding::from_name(&encoding).js(env)?;
    bits_of(env, bits)?;
    if bits == 64 {
        return Ok(BigInt::from(enc.decode_u64(&text).js(env)?));
    }
    Ok(BigInt::from(enc.decode_u128(&text).js(env)?))
}

fn key_of(env: &Env, key: &Uint8Array) -> Result<[u8; 16]> {
    let k: std::result::Result<[u8; 16], _> = key.as_ref().try_into();
    k.map_err(|_| idloom::Error::range(ErrorCode::InvalidArgument, "key length", key.len() as u64, 16, 16))
        .js(env)
}

/// A mask of `version` (1 or 2) over `bits` with a 16-byte key.
fn mask_of(env: &Env, bits: u32, key: &Uint8Array, version: u32) -> Result<Mask> {
    let version = idloom::mask::MaskVersion::from_number(u64::from(version)).js(env)?;
    Mask::with_version(version, bits, key_of(env, key)?).js(env)
}

/// Check a mask's version, width and key (throws what `new Mask` would).
#[napi]
pub fn mask_check(env: &Env, bits: u32, key: Uint8Array, version: u32) -> Result<()> {
    mask_of(env, bits, &key, version).map(drop)
}

/// Apply the keyed permutation over `bits` bits (`inverse`: unmask).
#[napi]
pub fn mask_apply(env: &Env, bits: u32, key: Uint8Array, value: BigInt, inverse: bool, version: u32) -> Result<u64> {
    let m = mask_of(env, bits, &key, version)?;
    let v = u64_of(env, &value, "value", ErrorCode::IdOutOfRange, m.max_value())?;
    if inverse {
        m.unmask(v).js(env)
    } else {
        m.mask(v).js(env)
    }
}

fn random10(env: &Env, random: &Uint8Array) -> Result<[u8; 10]> {
    let r: std::result::Result<[u8; 10], _> = random.as_ref().try_into();
    r.map_err(|_| idloom::Error::range(ErrorCode::InvalidArgument, "random length", random.len() as u64, 10, 10))
        .js(env)
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
    Ok(crate::uuid::text(u))
}

/// A monotonic v7 state machine driven by given time and bytes:
/// `nextFrom(nowMs, random10)` → UUID string.
#[napi(ts_return_type = "NativeV7Machine")]
pub fn v7_machine(env: &Env) -> Result<Object<'_>> {
    let state = RefCell::new(V7Generator::new());
    let mut obj = Object::new(env)?;
    let f: Function<(), String> = env.create_function_from_closure("nextFrom", move |ctx| {
        let now: f64 = ctx.get(0)?;
        let random: Uint8Array = ctx.get(1)?;
        let now = ms_of(ctx.env, now)?;
        let r = random10(ctx.env, &random)?;
        let u = state.borrow_mut().next_from(now, &r).map_err(|e| throw(ctx.env, &e))?;
        Ok(crate::uuid::text(u))
    })?;
    obj.set_named_property("nextFrom", f)?;
    Ok(obj)
}

/// A UUID string in another form: `hyphenated`, `simple`, `urn` or `braced`.
#[napi]
pub fn format_uuid(env: &Env, text: String, form: String) -> Result<String> {
    let u = Uuid::parse(&text).js(env)?;
    let form = <UuidFormat as idloom::names::Named>::from_name(&form).js(env)?;
    Ok(u.format(form).as_str().to_string())
}
