//! Encodings and masking.

use crate::args::{choice, int_in};
use crate::errors::{raise, IntoPy};
use idloom::encoding::Encoding;
use idloom::ErrorCode;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

fn encoding(py: Python<'_>, name: &str) -> PyResult<Encoding> {
    let name = choice(py, name, "encoding", &["base62", "base36", "base32", "hex"])?;
    Encoding::from_name(name).py(py)
}

fn width(py: Python<'_>, bits: u32) -> PyResult<u32> {
    match bits {
        64 | 128 => Ok(bits),
        _ => Err(raise(py, ErrorCode::InvalidArgument, format!("bits must be 64 or 128, got {bits}"))),
    }
}

/// Fixed-width, order-preserving text for a 64- or 128-bit value.
#[pyfunction]
#[pyo3(signature = (value, encoding = "base62", bits = 64))]
pub fn encode(py: Python<'_>, value: &Bound<'_, PyAny>, encoding: &str, bits: u32) -> PyResult<String> {
    let e = self::encoding(py, encoding)?;
    if width(py, bits)? == 64 {
        return Ok(e
            .encode_u64(int_in(value, "value", ErrorCode::IdOutOfRange, 0, u64::MAX)?)
            .to_string());
    }
    let v = crate::args::int_u128(value, "value", ErrorCode::IdOutOfRange)?;
    Ok(e.encode_u128(v).to_string())
}

/// The value of a string written by ``encode`` (strict: width, symbols, range).
#[pyfunction]
#[pyo3(signature = (text, encoding = "base62", bits = 64))]
pub fn decode(py: Python<'_>, text: &Bound<'_, PyAny>, encoding: &str, bits: u32) -> PyResult<u128> {
    let e = self::encoding(py, encoding)?;
    let text = crate::args::text(text, "text")?.to_cow()?;
    if width(py, bits)? == 64 {
        return e.decode_u64(&text).map(u128::from).py(py);
    }
    e.decode_u128(&text).py(py)
}

/// A keyed, reversible permutation of ``bits``-bit integers (1..=64): shows
/// sequential IDs publicly without leaking order, volume or creation time.
/// Not authenticated encryption: check what ``unmask`` returns.
#[pyclass(frozen, name = "Mask", module = "idloom")]
pub struct PyMask {
    inner: idloom::mask::Mask,
}

#[pymethods]
impl PyMask {
    #[new]
    fn new(py: Python<'_>, bits: &Bound<'_, PyAny>, key: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bits = int_in(bits, "bits", ErrorCode::InvalidArgument, 1, 64)? as u32;
        let key = key
            .cast::<PyBytes>()
            .map_err(|_| raise(py, ErrorCode::InvalidType, "key must be bytes".into()))?
            .as_bytes();
        let key: [u8; 16] = key.try_into().map_err(|_| {
            crate::errors::to_py(
                py,
                idloom::Error::range(ErrorCode::InvalidArgument, "key length", key.len() as u64, 16, 16),
            )
        })?;
        Ok(PyMask {
            inner: idloom::mask::Mask::new(bits, key).py(py)?,
        })
    }
    /// The public form of ``value``.
    fn mask(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<u64> {
        self.inner
            .mask(int_in(value, "value", ErrorCode::IdOutOfRange, 0, self.inner.max_value())?)
            .py(py)
    }
    /// The original of a masked value.
    fn unmask(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<u64> {
        self.inner
            .unmask(int_in(value, "value", ErrorCode::IdOutOfRange, 0, self.inner.max_value())?)
            .py(py)
    }
    /// The width in bits.
    #[getter]
    fn bits(&self) -> u32 {
        self.inner.bits()
    }
}
