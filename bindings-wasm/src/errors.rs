//! Core errors become JS errors with the core's stable `code`: `TypeError`
//! for `invalid_type`, `RangeError` for other bad input, `Error` for
//! refusals of a generator's state (clock, exhaustion, fork). The same
//! classes and codes as the addon's `bindings-node/src/errors.rs`.

use alloc::string::ToString;
use idloom::ErrorCode;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

pub(crate) type Out<T> = Result<T, JsValue>;

/// A core error as its JS error object (thrown by returning it as `Err`).
pub(crate) fn js_err(e: &idloom::Error) -> JsValue {
    let message = e.to_string();
    let err: JsValue = if e.code() == ErrorCode::InvalidType {
        js_sys::TypeError::new(&message).into()
    } else if e.code().is_bad_input() {
        js_sys::RangeError::new(&message).into()
    } else {
        js_sys::Error::new(&message).into()
    };
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code().as_str()));
    err
}

/// `?` for core results.
pub(crate) trait IntoJs<T> {
    fn js(self) -> Out<T>;
}
impl<T> IntoJs<T> for idloom::Result<T> {
    #[inline]
    fn js(self) -> Out<T> {
        self.map_err(|e| js_err(&e))
    }
}

/// The core's error for a bad `param`, with the reason why.
pub(crate) fn bad(code: ErrorCode, param: &'static str, reason: &'static str) -> JsValue {
    js_err(&idloom::Error::reason(code, param, reason))
}

/// The core's error for `param` outside `min..=max`.
pub(crate) fn out_of_range(code: ErrorCode, param: &'static str, value: impl Into<u64>, min: u64, max: u64) -> JsValue {
    js_err(&idloom::Error::range(code, param, value.into(), min, max))
}

/// Exactly `N` bytes, else `code` naming `param` (a length).
pub(crate) fn fixed<const N: usize>(bytes: &[u8], code: ErrorCode, param: &'static str) -> Out<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| out_of_range(code, param, bytes.len() as u64, N as u64, N as u64))
}

/// A safe non-negative integer from JS, else `invalid_argument` naming `param`.
#[cfg(feature = "coord")]
pub(crate) fn safe_whole(v: f64, param: &'static str) -> Out<u64> {
    if (0.0..=9_007_199_254_740_991.0).contains(&v) && v == (v as u64) as f64 {
        Ok(v as u64)
    } else {
        Err(bad(ErrorCode::InvalidArgument, param, "must be a safe non-negative integer"))
    }
}

/// Every error code with whether it means bad input (`RangeError`/`TypeError`)
/// rather than a generator's refusal (`Error`): `[code, badInput]` pairs from the core's table.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Array {
    ErrorCode::ALL
        .iter()
        .map(|c| JsValue::from(Array::of2(&JsValue::from_str(c.as_str()), &JsValue::from_bool(c.is_bad_input()))))
        .collect()
}
