//! UUID v4/v7 and NanoID over the core's process state: a ChaCha12 CSPRNG per
//! thread (reseeded after fork) and one v7 sequence for the whole process.

use crate::args::int_in;
use crate::errors::{raise, IntoPy};
use idloom::nanoid::{NanoId, URL_ALPHABET};
use idloom::process;
use idloom::uuid::{UuidFormat, V7Generator};
use idloom::{ErrorCode, SecureRng, Uuid};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyInt, PyString};

/// Run `f` with this thread's CSPRNG (the core's; reseeded after fork).
fn with_rng<T>(py: Python<'_>, f: impl FnOnce(&mut SecureRng) -> idloom::Result<T>) -> PyResult<T> {
    process::with_thread_rng(f).py(py)
}

fn next_v7(py: Python<'_>) -> PyResult<Uuid> {
    process::uuid_v7().py(py)
}

fn next_v4(py: Python<'_>) -> PyResult<Uuid> {
    process::uuid_v4().py(py)
}

/// A stdlib `uuid.UUID` built without re-validating (`__new__` + the two slots).
fn stdlib_uuid(py: Python<'_>, u: Uuid) -> PyResult<Bound<'_, PyAny>> {
    static PARTS: PyOnceLock<(Py<PyAny>, Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (cls, setattr, unknown) = PARTS.get_or_try_init(py, || -> PyResult<_> {
        let uuid = py.import("uuid")?;
        let setattr = py.import("builtins")?.getattr("object")?.getattr("__setattr__")?;
        Ok((
            uuid.getattr("UUID")?.unbind(),
            setattr.unbind(),
            uuid.getattr("SafeUUID")?.getattr("unknown")?.unbind(),
        ))
    })?;
    let cls = cls.bind(py);
    let obj = cls.call_method1(pyo3::intern!(py, "__new__"), (cls,))?;
    setattr.bind(py).call1((&obj, pyo3::intern!(py, "int"), u.as_u128()))?;
    setattr.bind(py).call1((&obj, pyo3::intern!(py, "is_safe"), unknown.bind(py)))?;
    Ok(obj)
}

/// A random (v4) UUID as a stdlib ``uuid.UUID``.
#[pyfunction]
pub fn uuid4(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    stdlib_uuid(py, next_v4(py)?)
}

/// A time-ordered (v7) UUID as a stdlib ``uuid.UUID``; monotonic within the process.
#[pyfunction]
pub fn uuid7(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    stdlib_uuid(py, next_v7(py)?)
}

/// Fast path: a v4 UUID as its hyphenated string.
#[pyfunction]
pub fn uuid4_str(py: Python<'_>) -> PyResult<Bound<'_, PyString>> {
    let text = next_v4(py)?.hyphenated_bytes();
    Ok(PyString::new(py, std::str::from_utf8(&text).unwrap_or_default()))
}

/// Fast path: a v7 UUID as its hyphenated string.
#[pyfunction]
pub fn uuid7_str(py: Python<'_>) -> PyResult<Bound<'_, PyString>> {
    let text = next_v7(py)?.hyphenated_bytes();
    Ok(PyString::new(py, std::str::from_utf8(&text).unwrap_or_default()))
}

/// Fast path: a v4 UUID as 16 bytes.
#[pyfunction]
pub fn uuid4_bytes(py: Python<'_>) -> PyResult<Bound<'_, PyBytes>> {
    Ok(PyBytes::new(py, next_v4(py)?.as_bytes()))
}

/// Fast path: a v7 UUID as 16 bytes.
#[pyfunction]
pub fn uuid7_bytes(py: Python<'_>) -> PyResult<Bound<'_, PyBytes>> {
    Ok(PyBytes::new(py, next_v7(py)?.as_bytes()))
}

/// A UUID from a str (hyphenated, simple, URN or braced), 16 bytes, an int,
/// or a ``uuid.UUID``.
fn uuid_arg(value: &Bound<'_, PyAny>, param: &'static str) -> PyResult<Uuid> {
    let py = value.py();
    if value.is_instance_of::<PyString>() {
        return Uuid::parse(&crate::args::text(value, param)?).py(py);
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        let bytes: [u8; 16] = b.as_bytes().try_into().map_err(|_| {
            raise(
                py,
                ErrorCode::InvalidUuid,
                format!("{param} as bytes must be 16 bytes long, got {}", b.as_bytes().len()),
            )
        })?;
        return Ok(Uuid::from_bytes(bytes));
    }
    if value.is_instance_of::<PyInt>() {
        return crate::args::int_u128(value, param, ErrorCode::InvalidUuid).map(Uuid::from_u128);
    }
    if let Ok(int) = value.getattr(pyo3::intern!(py, "int")) {
        if let Ok(v) = int.extract::<u128>() {
            return Ok(Uuid::from_u128(v));
        }
    }
    Err(raise(
        py,
        ErrorCode::InvalidType,
        format!(
            "{param} must be a str, bytes, int or uuid.UUID, got {}",
            crate::args::type_name(value)
        ),
    ))
}

/// Parse a UUID in any accepted form into a stdlib ``uuid.UUID`` (strict).
#[pyfunction]
pub fn parse_uuid<'py>(py: Python<'py>, text: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    crate::args::text(text, "text")?;
    stdlib_uuid(py, uuid_arg(text, "text")?)
}

/// Format a UUID as ``hyphenated``, ``simple``, ``urn`` or ``braced``.
#[pyfunction]
#[pyo3(signature = (value, form = None))]
pub fn format_uuid(value: &Bound<'_, PyAny>, form: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let form = crate::args::opt_named(form, "form", UuidFormat::Hyphenated)?;
    Ok(uuid_arg(value, "value")?.format(form).to_string())
}

/// The creation time in Unix milliseconds of a v1, v6 or v7 UUID, else None.
#[pyfunction]
pub fn uuid_timestamp_ms(value: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
    Ok(uuid_arg(value, "value")?.timestamp_ms())
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

/// A v4 UUID from 16 given bytes (version and variant bits overwritten).
#[pyfunction]
pub fn uuid4_from_bytes<'py>(py: Python<'py>, random: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    stdlib_uuid(py, Uuid::new_v4(crate::args::fixed::<16>(random, "random")?))
}

/// A v7 UUID from Unix milliseconds and 10 given bytes (no counter).
#[pyfunction]
pub fn uuid7_from_parts<'py>(py: Python<'py>, unix_ms: &Bound<'py, PyAny>, random: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let ms = int_in(unix_ms, "unix_ms", ErrorCode::TimestampOutOfRange, 0, idloom::uuid::MAX_V7_MS)?;
    stdlib_uuid(py, Uuid::new_v7(ms, &crate::args::fixed::<10>(random, "random")?).py(py)?)
}

/// A monotonic v7 generator driven by explicit time and bytes (deterministic).
#[pyclass(name = "V7Generator", module = "idloom")]
pub struct PyV7Generator {
    inner: V7Generator,
}

#[pymethods]
impl PyV7Generator {
    #[new]
    fn new() -> Self {
        PyV7Generator { inner: V7Generator::new() }
    }
    /// The next UUID at ``now_ms`` from 10 given random bytes.
    fn next_from<'py>(&mut self, py: Python<'py>, now_ms: &Bound<'py, PyAny>, random: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let now = int_in(now_ms, "now_ms", ErrorCode::TimestampOutOfRange, 0, idloom::uuid::MAX_V7_MS)?;
        let u = self.inner.next_from(now, &crate::args::fixed::<10>(random, "random")?).py(py)?;
        stdlib_uuid(py, u)
    }
}

/// A URL-alphabet NanoID of 21 symbols from 21 given bytes.
#[pyfunction]
pub fn nanoid_from_bytes(py: Python<'_>, random: &Bound<'_, PyAny>) -> PyResult<String> {
    let bytes = crate::args::fixed::<21>(random, "random")?;
    idloom::nanoid::nanoid(&mut idloom::ReplayBytes::new(&bytes)).py(py)
}
