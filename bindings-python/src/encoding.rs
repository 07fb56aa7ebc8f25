//! Fixed-width, order-preserving text encodings of 64- and 128-bit values.

use crate::args::{int_in, opt_named};
use crate::errors::{raise, IntoPy};
use idloom::encoding::Encoding;
use idloom::ErrorCode;
use pyo3::prelude::*;

fn width(bits: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
    let Some(bits) = bits.filter(|b| !b.is_none()) else {
        return Ok(64);
    };
    match crate::args::int_value(bits, "bits")? {
        Some(b @ (64 | 128)) => Ok(b as u32),
        _ => Err(raise(
            bits.py(),
            ErrorCode::InvalidArgument,
            format!(
                "bits must be 64 or 128, got {}",
                bits.repr().map(|r| r.to_string()).unwrap_or_default()
            ),
        )),
    }
}

/// Fixed-width, order-preserving text for a 64- or 128-bit value.
#[pyfunction]
#[pyo3(signature = (value, encoding = None, bits = None))]
pub fn encode(value: &Bound<'_, PyAny>, encoding: Option<&Bound<'_, PyAny>>, bits: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let e = opt_named(encoding, "encoding", Encoding::Base62)?;
    if width(bits)? == 64 {
        return Ok(e
            .encode_u64(int_in(value, "value", ErrorCode::IdOutOfRange, 0, u64::MAX)?)
            .to_string());
    }
    let v = crate::args::int_u128(value, "value", ErrorCode::IdOutOfRange)?;
    Ok(e.encode_u128(v).to_string())
}

/// The value of a string written by ``encode`` (strict: width, symbols, range).
#[pyfunction]
#[pyo3(signature = (text, encoding = None, bits = None))]
pub fn decode(
    py: Python<'_>,
    text: &Bound<'_, PyAny>,
    encoding: Option<&Bound<'_, PyAny>>,
    bits: Option<&Bound<'_, PyAny>>,
) -> PyResult<u128> {
    let e = opt_named(encoding, "encoding", Encoding::Base62)?;
    let bits = width(bits)?;
    let text = crate::args::text(text, "text")?;
    if bits == 64 {
        return e.decode_u64(&text).map(u128::from).py(py);
    }
    e.decode_u128(&text).py(py)
}
