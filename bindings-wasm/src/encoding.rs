//! Fixed-width, order-preserving encodings of 64- and 128-bit values.

use crate::errors::{bad, IntoJs, Out};
use alloc::string::{String, ToString};
use idloom::encoding::Encoding;
use idloom::ErrorCode;
use wasm_bindgen::prelude::*;

fn width(bits: u32) -> Out<u32> {
    match bits {
        64 | 128 => Ok(bits),
        _ => Err(bad(ErrorCode::InvalidArgument, "bits", "must be 64 or 128")),
    }
}

/// A value in an encoding (the JS wrapper checked it fits `bits`).
#[wasm_bindgen]
pub fn encode(value: u128, encoding: &str, bits: u32) -> Out<String> {
    let enc = Encoding::from_name(encoding).js()?;
    Ok(match width(bits)? {
        64 => enc.encode_u64(value as u64).as_str().to_string(),
        _ => enc.encode_u128(value).as_str().to_string(),
    })
}

/// The value of an encoded string (strict).
#[wasm_bindgen]
pub fn decode(text: &str, encoding: &str, bits: u32) -> Out<u128> {
    let enc = Encoding::from_name(encoding).js()?;
    Ok(match width(bits)? {
        64 => u128::from(enc.decode_u64(text).js()?),
        _ => enc.decode_u128(text).js()?,
    })
}
