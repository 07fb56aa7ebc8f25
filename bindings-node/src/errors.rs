//! Core errors become JS errors with the core's stable `code`: `TypeError`
//! for `invalid_type`, `RangeError` for other bad input, `Error` for
//! refusals of a generator's state (clock, exhaustion, fork).

use idloom::ErrorCode;
use napi::bindgen_prelude::*;

/// Throw `e` as its JS error class and return the "exception pending" marker.
pub fn throw(env: &Env, e: &idloom::Error) -> Error {
    let message = e.to_string();
    let code = Some(e.code().as_str());
    let thrown = if e.code() == ErrorCode::InvalidType {
        env.throw_type_error(&message, code)
    } else if e.code().is_bad_input() {
        env.throw_range_error(&message, code)
    } else {
        env.throw_error(&message, code)
    };
    match thrown {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(other) => other,
    }
}

/// A core error as a plain JS `Error` with the core's `code`, for the
/// argument-free hot calls that have no `Env` (and can only be refused, never
/// given bad input).
pub fn refused(e: idloom::Error) -> Error<String> {
    Error::new(e.code().as_str().to_string(), e.to_string())
}

/// `?` for core results inside functions that have the `Env`.
pub trait IntoJs<T> {
    fn js(self, env: &Env) -> Result<T>;
}

impl<T> IntoJs<T> for idloom::Result<T> {
    #[inline]
    fn js(self, env: &Env) -> Result<T> {
        self.map_err(|e| throw(env, &e))
    }
}

/// Exactly `N` bytes, else `code` naming `param` (a length).
pub fn fixed<const N: usize>(env: &Env, bytes: &[u8], code: ErrorCode, param: &'static str) -> Result<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| throw(env, &idloom::Error::range(code, param, bytes.len() as u64, N as u64, N as u64)))
}

/// A u64 from a JS BigInt: negative, fractional (impossible for BigInt) or
/// wider than 64 bits is refused, never wrapped.
pub fn u64_of(env: &Env, value: &BigInt, param: &'static str, code: ErrorCode, max: u64) -> Result<u64> {
    let (negative, v, lossless) = value.get_u64();
    if negative || !lossless || v > max {
        let shown = if negative {
            "a negative value".to_string()
        } else if !lossless {
            "a value over 64 bits".to_string()
        } else {
            v.to_string()
        };
        let message = format!("{param} must be in 0..={max}, got {shown}");
        let _ = env.throw_range_error(&message, Some(code.as_str()));
        return Err(Error::from_status(Status::PendingException));
    }
    Ok(v)
}

/// Every error code with whether it means bad input (`RangeError`/`TypeError`)
/// rather than a generator's refusal (`Error`), from the core's one table.
#[napi_derive::napi]
pub fn error_codes() -> Vec<(String, bool)> {
    ErrorCode::ALL.iter().map(|c| (c.as_str().to_string(), c.is_bad_input())).collect()
}
