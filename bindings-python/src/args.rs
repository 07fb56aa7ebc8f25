//! Argument checks shared by every entry point: ints must be real ints
//! (`bool` is refused), inside the allowed range, never wrapped or truncated.

use crate::errors::raise;
use idloom::{Error, ErrorCode};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

/// The Python type name of `obj`, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

fn not_an_int(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>()
}

/// An int argument in `0..=2**128-1`; otherwise `code` naming `param`.
pub fn int_u128(obj: &Bound<'_, PyAny>, param: &'static str, code: ErrorCode) -> PyResult<u128> {
    let py = obj.py();
    if not_an_int(obj) {
        return Err(raise(
            py,
            ErrorCode::InvalidType,
            format!("{param} must be an int, got {}", type_name(obj)),
        ));
    }
    obj.extract::<u128>().map_err(|_| {
        let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
        raise(py, code, format!("{param} must be in 0..=2**128-1, got {shown}"))
    })
}

/// An int argument in `min..=max`; otherwise `code` naming `param` and the range.
pub fn int_in(obj: &Bound<'_, PyAny>, param: &'static str, code: ErrorCode, min: u64, max: u64) -> PyResult<u64> {
    let py = obj.py();
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        return Err(raise(
            py,
            ErrorCode::InvalidType,
            format!("{param} must be an int, got {type_name}"),
        ));
    }
    match obj.extract::<i128>() {
        Ok(v) if v >= i128::from(min) && v <= i128::from(max) => Ok(v as u64),
        Ok(v) => Err(crate::errors::to_py(py, Error::range(code, param, v, min, max))),
        Err(_) => {
            let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
            Err(raise(py, code, format!("{param} must be in {min}..={max}, got {shown}")))
        }
    }
}

/// A str argument.
pub fn text<'a>(obj: &'a Bound<'_, PyAny>, param: &'static str) -> PyResult<&'a Bound<'a, PyString>> {
    obj.cast::<PyString>().map_err(|_| {
        raise(
            obj.py(),
            ErrorCode::InvalidType,
            format!("{param} must be a str, got {}", type_name(obj)),
        )
    })
}

/// One of a fixed set of names.
pub fn choice<'a>(py: Python<'_>, value: &str, param: &'static str, allowed: &[&'a str]) -> PyResult<&'a str> {
    allowed.iter().copied().find(|a| *a == value).ok_or_else(|| {
        raise(
            py,
            ErrorCode::InvalidArgument,
            format!("{param} must be one of {}, got {value:?}", allowed.join(", ")),
        )
    })
}
