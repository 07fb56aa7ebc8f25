//! The keyed permutation that masks sequential IDs.

use crate::errors::{fixed, out_of_range, IntoJs, Out};
use idloom::mask::{Mask, MaskVersion};
use idloom::ErrorCode;
use wasm_bindgen::prelude::*;

/// A mask of `version` (1 or 2) over `bits` with a 16-byte key.
fn mask_of(bits: u32, key: &[u8], version: u32) -> Out<Mask> {
    let version = MaskVersion::from_number(u64::from(version)).js()?;
    Mask::with_version(version, bits, fixed::<16>(key, ErrorCode::InvalidArgument, "key length")?).js()
}

/// Check a mask's version, width and key (throws what `new Mask` would).
#[wasm_bindgen(js_name = maskCheck)]
pub fn mask_check(bits: u32, key: &[u8], version: u32) -> Out<()> {
    mask_of(bits, key, version).map(drop)
}

/// Apply the keyed permutation over `bits` bits (`inverse`: unmask).
#[wasm_bindgen(js_name = maskApply)]
pub fn mask_apply(bits: u32, key: &[u8], value: u64, inverse: bool, version: u32) -> Out<u64> {
    let m = mask_of(bits, key, version)?;
    if value > m.max_value() {
        return Err(out_of_range(ErrorCode::IdOutOfRange, "value", value, 0, m.max_value()));
    }
    if inverse {
        m.unmask(value).js()
    } else {
        m.mask(value).js()
    }
}
