//! Masking: the core's keyed, reversible permutation of IDs.

use crate::args::int_in;
use crate::errors::IntoPy;
use idloom::ErrorCode;
use pyo3::prelude::*;

/// A keyed, reversible permutation of ``bits``-bit integers: shows
/// sequential IDs publicly without leaking order, volume or creation time.
/// ``version=2`` (the default: SipHash-2-4 rounds, 20..=64 bits) or ``1``
/// (the original construction, 1..=64 bits, for IDs already public).
/// Not authenticated encryption: check what ``unmask`` returns. The key is
/// never shown by ``repr`` and is zeroed when the mask is freed.
#[pyclass(frozen, name = "Mask", module = "idloom")]
pub struct PyMask {
    inner: idloom::mask::Mask,
}

#[pymethods]
impl PyMask {
    #[new]
    #[pyo3(signature = (bits, key, version = None))]
    fn new(py: Python<'_>, bits: &Bound<'_, PyAny>, key: &Bound<'_, PyAny>, version: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let version = match crate::args::opt_int_in(version, "version", ErrorCode::InvalidArgument, 1, 2)? {
            Some(n) => idloom::mask::MaskVersion::from_number(n).py(py)?,
            None => idloom::mask::MaskVersion::default(),
        };
        let bits = int_in(bits, "bits", ErrorCode::InvalidArgument, u64::from(version.min_bits()), 64)? as u32;
        let key = crate::args::fixed::<16>(key, "key length")?;
        Ok(PyMask {
            inner: idloom::mask::Mask::with_version(version, bits, key).py(py)?,
        })
    }
    /// A fresh random 16-byte key from the OS.
    #[staticmethod]
    fn generate_key<'py>(py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        let key = idloom::mask::Mask::generate_key().py(py)?;
        Ok(pyo3::types::PyBytes::new(py, &key))
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
    /// The construction (1 or 2).
    #[getter]
    fn version(&self) -> u8 {
        self.inner.version().number()
    }
    fn __repr__(&self) -> String {
        format!(
            "Mask(bits={}, version={}, key=<secret>)",
            self.inner.bits(),
            self.inner.version().number()
        )
    }
}
