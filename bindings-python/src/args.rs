//! Argument checks shared by every entry point: ints must be real ints
//! (`bool` is refused), inside the allowed range, never wrapped or truncated;
//! strings must be `str` (valid Unicode); names must be one of the core's.
//! Every refusal is an idloom error with a `code` naming the parameter.

use crate::errors::{raise, to_py};
use idloom::names::Named;
use idloom::{Error, ErrorCode};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyInt, PyString};
use std::borrow::Cow;

/// The Python type name of `obj`, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// `invalid_type`: "`param` must be `want`, got `obj`'s type".
pub fn wrong_type(obj: &Bound<'_, PyAny>, param: &str, want: &str) -> PyErr {
    raise(
        obj.py(),
        ErrorCode::InvalidType,
        format!("{param} must be {want}, got {}", type_name(obj)),
    )
}

fn not_an_int(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>()
}

/// An int argument as i128 (`None` when wider), or `invalid_type`.
pub fn int_value(obj: &Bound<'_, PyAny>, param: &'static str) -> PyResult<Option<i128>> {
    if not_an_int(obj) {
        return Err(wrong_type(obj, param, "an int"));
    }
    Ok(obj.extract::<i128>().ok())
}

/// An int argument in `0..=2**128-1`; otherwise `code` naming `param`.
pub fn int_u128(obj: &Bound<'_, PyAny>, param: &'static str, code: ErrorCode) -> PyResult<u128> {
    if not_an_int(obj) {
        return Err(wrong_type(obj, param, "an int"));
    }
    obj.extract::<u128>().map_err(|_| {
        let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
        raise(obj.py(), code, format!("{param} must be in 0..=2**128-1, got {shown}"))
    })
}

/// An int argument in `min..=max`; otherwise `code` naming `param` and the range.
pub fn int_in(obj: &Bound<'_, PyAny>, param: &'static str, code: ErrorCode, min: u64, max: u64) -> PyResult<u64> {
    let py = obj.py();
    if not_an_int(obj) {
        return Err(wrong_type(obj, param, "an int"));
    }
    match obj.extract::<i128>() {
        Ok(v) if v >= i128::from(min) && v <= i128::from(max) => Ok(v as u64),
        Ok(v) => Err(to_py(py, Error::range(code, param, v, min, max))),
        Err(_) => {
            let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
            Err(raise(py, code, format!("{param} must be in {min}..={max}, got {shown}")))
        }
    }
}

/// An optional int in `min..=max` (`None` or absent: `None`).
pub fn opt_int_in(obj: Option<&Bound<'_, PyAny>>, param: &'static str, code: ErrorCode, min: u64, max: u64) -> PyResult<Option<u64>> {
    match obj {
        Some(o) if !o.is_none() => int_in(o, param, code, min, max).map(Some),
        _ => Ok(None),
    }
}

/// A str argument as Rust text; a lone surrogate (not valid Unicode) is refused.
pub fn text<'a>(obj: &'a Bound<'_, PyAny>, param: &'static str) -> PyResult<Cow<'a, str>> {
    let s = obj.cast::<PyString>().map_err(|_| wrong_type(obj, param, "a str"))?;
    s.to_cow().map_err(|_| {
        raise(
            obj.py(),
            ErrorCode::InvalidArgument,
            format!("{param} must be valid Unicode text (it holds a lone surrogate)"),
        )
    })
}

/// A bytes argument.
pub fn bytes<'a>(obj: &'a Bound<'_, PyAny>, param: &'static str) -> PyResult<&'a [u8]> {
    Ok(obj.cast::<PyBytes>().map_err(|_| wrong_type(obj, param, "bytes"))?.as_bytes())
}

/// Exactly `N` bytes.
pub fn fixed<const N: usize>(obj: &Bound<'_, PyAny>, param: &'static str) -> PyResult<[u8; N]> {
    let b = bytes(obj, param)?;
    b.try_into().map_err(|_| {
        to_py(
            obj.py(),
            Error::range(ErrorCode::InvalidArgument, param, b.len() as u64, N as u64, N as u64),
        )
    })
}

/// One of the core's names for option `T`, passed as `param` (a str).
pub fn named<T: Named>(obj: &Bound<'_, PyAny>, param: &'static str) -> PyResult<T> {
    let allowed = || T::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let name = obj
        .cast::<PyString>()
        .map_err(|_| wrong_type(obj, param, &format!("a str, one of {}", allowed())))?;
    let name = name.to_cow().unwrap_or(Cow::Borrowed("\u{fffd}"));
    T::from_name(&name).map_err(|_| {
        raise(
            obj.py(),
            ErrorCode::InvalidArgument,
            format!("{param} must be one of {}, got {name:?}", allowed()),
        )
    })
}

/// An optional name (`None` or absent: `default`).
pub fn opt_named<T: Named>(obj: Option<&Bound<'_, PyAny>>, param: &'static str, default: T) -> PyResult<T> {
    match obj {
        Some(o) if !o.is_none() => named(o, param),
        _ => Ok(default),
    }
}

/// An optional str (`None` or absent: `None`).
pub fn opt_text(obj: Option<&Bound<'_, PyAny>>, param: &'static str) -> PyResult<Option<String>> {
    match obj {
        Some(o) if !o.is_none() => text(o, param).map(|t| Some(t.into_owned())),
        _ => Ok(None),
    }
}
