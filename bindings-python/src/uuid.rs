//! UUID v4/v7 over the core's process state: a ChaCha12 CSPRNG per thread
//! (reseeded after fork) and one v7 sequence for the whole process.

use crate::args::{int_in, wrong_type};
use crate::errors::{raise, IntoPy};
use idloom::process;
use idloom::uuid::{UuidFormat, V7Generator};
use idloom::{ErrorCode, Uuid};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyInt, PyString};

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
    // ASCII hex and dashes: Python's decoder takes them as they are (no
    // second UTF-8 check on the Rust side).
    PyString::from_bytes(py, &next_v4(py)?.hyphenated_bytes())
}

/// Fast path: a v7 UUID as its hyphenated string.
#[pyfunction]
pub fn uuid7_str(py: Python<'_>) -> PyResult<Bound<'_, PyString>> {
    PyString::from_bytes(py, &next_v7(py)?.hyphenated_bytes())
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
    Err(wrong_type(value, param, "a str, bytes, int or uuid.UUID"))
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
