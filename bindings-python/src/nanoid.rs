//! NanoID over the core's process state: a ChaCha12 CSPRNG per thread
//! (reseeded after fork).

use crate::args::int_in;
use crate::errors::IntoPy;
use idloom::nanoid::{NanoId, URL_ALPHABET};
use idloom::process;
use idloom::{ErrorCode, SecureRng};
use pyo3::prelude::*;

/// Run `f` with this thread's CSPRNG (the core's; reseeded after fork).
fn with_rng<T>(py: Python<'_>, f: impl FnOnce(&mut SecureRng) -> idloom::Result<T>) -> PyResult<T> {
    process::with_thread_rng(f).py(py)
}

/// A NanoID over the URL alphabet (``size`` 1..=1024 symbols).
#[pyfunction]
#[pyo3(signature = (size = None))]
pub fn nanoid(py: Python<'_>, size: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    match size {
        None => with_rng(py, idloom::nanoid::nanoid),
        Some(s) => {
            let size = int_in(s, "size", ErrorCode::InvalidArgument, 1, idloom::nanoid::MAX_SIZE as u64)? as usize;
            let gen = NanoId::new(URL_ALPHABET, size).py(py)?;
            with_rng(py, |rng| gen.generate(rng))
        }
    }
}

/// A NanoID generator over a custom alphabet: call it to get an ID.
#[pyclass(frozen, name = "NanoIdGenerator", module = "idloom")]
pub struct PyNanoIdGenerator {
    inner: NanoId,
    alphabet: String,
}

#[pymethods]
impl PyNanoIdGenerator {
    /// One ID (``size`` overrides the generator's size for this call).
    #[pyo3(signature = (size = None))]
    fn __call__(&self, py: Python<'_>, size: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        match size {
            None => with_rng(py, |rng| self.inner.generate(rng)),
            Some(s) => {
                let size = int_in(s, "size", ErrorCode::InvalidArgument, 1, idloom::nanoid::MAX_SIZE as u64)? as usize;
                let gen = NanoId::new(&self.alphabet, size).py(py)?;
                with_rng(py, |rng| gen.generate(rng))
            }
        }
    }
    /// One ID from given random bytes (deterministic); returns ``(id, bytes_used)``.
    fn generate_from(&self, py: Python<'_>, random: &Bound<'_, PyAny>) -> PyResult<(String, usize)> {
        let bytes = crate::args::bytes(random, "random")?;
        let mut src = idloom::ReplayBytes::new(bytes);
        let id = self.inner.generate(&mut src).py(py)?;
        Ok((id, src.used()))
    }

    /// ``n`` IDs.
    fn batch(&self, py: Python<'_>, n: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        let n = int_in(n, "n", ErrorCode::InvalidArgument, 0, idloom::limits::MAX_NANOID_BATCH)?;
        idloom::limits::check_nanoid_batch(n, self.inner.size() as u64).py(py)?;
        with_rng(py, |rng| (0..n).map(|_| self.inner.generate(&mut *rng)).collect())
    }
    /// Symbols per ID.
    #[getter]
    fn size(&self) -> usize {
        self.inner.size()
    }
    /// The alphabet.
    #[getter]
    fn alphabet(&self) -> &str {
        &self.alphabet
    }
}

/// A generator of NanoIDs over ``alphabet`` (2..=256 distinct symbols), ``size`` symbols each.
#[pyfunction]
#[pyo3(signature = (alphabet, size = None))]
pub fn custom_alphabet(py: Python<'_>, alphabet: &Bound<'_, PyAny>, size: Option<&Bound<'_, PyAny>>) -> PyResult<PyNanoIdGenerator> {
    let alphabet = crate::args::text(alphabet, "alphabet")?.into_owned();
    let size = match size {
        Some(s) => int_in(s, "size", ErrorCode::InvalidArgument, 1, idloom::nanoid::MAX_SIZE as u64)? as usize,
        None => idloom::nanoid::DEFAULT_SIZE,
    };
    Ok(PyNanoIdGenerator {
        inner: NanoId::new(&alphabet, size).py(py)?,
        alphabet,
    })
}

/// A URL-alphabet NanoID of 21 symbols from 21 given bytes.
#[pyfunction]
pub fn nanoid_from_bytes(py: Python<'_>, random: &Bound<'_, PyAny>) -> PyResult<String> {
    let bytes = crate::args::fixed::<21>(random, "random")?;
    idloom::nanoid::nanoid(&mut idloom::ReplayBytes::new(&bytes)).py(py)
}
