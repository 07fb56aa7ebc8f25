//! Fixed-width, order-preserving encodings of 64- and 128-bit values.

use crate::errors::{throw, u64_of, IntoJs};
use idloom::encoding::Encoding;
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi_derive::napi;

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
