//! The keyed permutation that masks sequential IDs.

use crate::errors::{fixed, u64_of, IntoJs};
use idloom::mask::Mask;
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A mask of `version` (1 or 2) over `bits` with a 16-byte key.
fn mask_of(env: &Env, bits: u32, key: &Uint8Array, version: u32) -> Result<Mask> {
    let version = idloom::mask::MaskVersion::from_number(u64::from(version)).js(env)?;
    Mask::with_version(version, bits, fixed(env, key, ErrorCode::InvalidArgument, "key length")?).js(env)
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
