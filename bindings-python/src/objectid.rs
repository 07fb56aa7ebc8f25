//! MongoDB ObjectIds: `ObjectId` (generated from the core's process
//! generator: 5 random bytes per process, drawn again in a forked child, and
//! a counter with a random start), `ObjectIdGenerator` (explicit bytes and
//! time, for vectors), and `objectid()`. Interop with PyMongo's
//! `bson.ObjectId` goes through its 12 bytes (`.binary`); bson is imported
//! only by `to_bson`.

use crate::args::{int_in, wrong_type};
use crate::errors::IntoPy;
use idloom::objectid::{ObjectId, ObjectIdGenerator};
use idloom::{process, ErrorCode};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyType};

/// An ObjectId from any accepted form: an `ObjectId`, 24 hex digits, 12
/// bytes, or an object whose `.binary` is 12 bytes (PyMongo's `bson.ObjectId`).
fn oid_arg(value: &Bound<'_, PyAny>) -> PyResult<ObjectId> {
    let py = value.py();
    if let Ok(o) = value.cast::<PyObjectId>() {
        return Ok(o.get().inner);
    }
    if value.is_instance_of::<PyString>() {
        return ObjectId::parse_param(&crate::args::text(value, "oid")?, "oid", "oid length").py(py);
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return ObjectId::from_slice(b.as_bytes(), "oid length").py(py);
    }
    bson_arg(value, "oid")
}

/// An object with `.binary` holding 12 bytes (`bson.ObjectId`'s shape).
fn bson_arg(value: &Bound<'_, PyAny>, param: &'static str) -> PyResult<ObjectId> {
    let py = value.py();
    if let Ok(binary) = value.getattr(pyo3::intern!(py, "binary")) {
        if let Ok(b) = binary.cast::<PyBytes>() {
            return ObjectId::from_slice(b.as_bytes(), "binary length").py(py);
        }
    }
    Err(wrong_type(
        value,
        param,
        "an ObjectId, a str of 24 hex digits, 12 bytes or an object with .binary (bson.ObjectId)",
    ))
}

/// A MongoDB ObjectId: 4-byte seconds, 5 per-process random bytes, 3-byte counter.
#[pyclass(frozen, eq, ord, hash, name = "ObjectId", module = "idloom")]
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyObjectId {
    inner: ObjectId,
}

impl From<ObjectId> for PyObjectId {
    fn from(inner: ObjectId) -> Self {
        PyObjectId { inner }
    }
}

#[pymethods]
impl PyObjectId {
    /// A new ObjectId (no argument), or one from 24 hex digits, 12 bytes, an
    /// ObjectId or an object with ``.binary`` (``bson.ObjectId``).
    #[new]
    #[pyo3(signature = (oid = None))]
    fn new(py: Python<'_>, oid: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        match oid {
            Some(o) if !o.is_none() => oid_arg(o).map(Self::from),
            _ => process::object_id().py(py).map(Self::from),
        }
    }
    /// From 24 hex digits (either case).
    #[staticmethod]
    fn from_hex(py: Python<'_>, hex: &Bound<'_, PyAny>) -> PyResult<Self> {
        ObjectId::parse_param(&crate::args::text(hex, "hex")?, "hex", "hex length")
            .py(py)
            .map(Self::from)
    }
    /// From its 12 bytes.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        ObjectId::from_slice(crate::args::bytes(data, "data")?, "data length")
            .py(py)
            .map(Self::from)
    }
    /// From seconds since 1970, 5 process bytes and a counter (its low 24 bits).
    #[staticmethod]
    fn from_parts(seconds: &Bound<'_, PyAny>, process: &Bound<'_, PyAny>, counter: &Bound<'_, PyAny>) -> PyResult<Self> {
        let seconds = int_in(seconds, "seconds", ErrorCode::TimestampOutOfRange, 0, u64::from(u32::MAX))? as u32;
        let process = crate::args::fixed::<5>(process, "process")?;
        let counter = int_in(counter, "counter", ErrorCode::InvalidArgument, 0, u64::from(u32::MAX))? as u32;
        Ok(ObjectId::from_parts(seconds, process, counter).into())
    }
    /// From PyMongo's ``bson.ObjectId`` (or any object whose ``.binary`` is 12 bytes).
    #[staticmethod]
    fn from_bson(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(o) = value.cast::<PyObjectId>() {
            return Ok(o.get().inner.into());
        }
        bson_arg(value, "value").map(Self::from)
    }
    /// Whether ``value`` is an ObjectId in an accepted form (never raises).
    #[staticmethod]
    fn is_valid(value: &Bound<'_, PyAny>) -> bool {
        oid_arg(value).is_ok()
    }
    /// PyMongo's ``bson.ObjectId`` with the same 12 bytes (imports bson now).
    fn to_bson<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let module = py.import("bson.objectid").map_err(|e| {
            let err =
                pyo3::exceptions::PyModuleNotFoundError::new_err("ObjectId.to_bson needs PyMongo's bson package (pip install pymongo)");
            err.set_cause(py, Some(e));
            err
        })?;
        module.getattr("ObjectId")?.call1((PyBytes::new(py, self.inner.as_bytes()),))
    }
    /// The 24 lowercase hex digits.
    #[getter]
    fn hex(&self) -> String {
        self.inner.to_string()
    }
    /// The 12 bytes (the name PyMongo's ``bson.ObjectId`` uses).
    #[getter]
    fn binary<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_bytes())
    }
    /// The creation time in seconds since 1970.
    #[getter]
    fn seconds(&self) -> u32 {
        self.inner.seconds()
    }
    /// The creation time as a timezone-aware UTC ``datetime`` (whole seconds).
    #[getter]
    fn generation_time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::layout::utc_datetime(py, self.inner.timestamp_ms())
    }
    /// The 5 per-process random bytes.
    #[getter]
    fn process<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.process())
    }
    /// The 3-byte counter.
    #[getter]
    fn counter(&self) -> u32 {
        self.inner.counter()
    }
    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.binary(py)
    }
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
    fn __repr__(&self) -> String {
        format!("ObjectId('{}')", self.inner)
    }
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        Ok((slf.get_type(), (slf.get().binary(py),)))
    }
}

/// A new ObjectId (the same as ``ObjectId()``).
#[pyfunction]
pub fn objectid(py: Python<'_>) -> PyResult<PyObjectId> {
    process::object_id().py(py).map(PyObjectId::from)
}

/// ObjectIds from explicit process bytes, counter start and time (deterministic).
#[pyclass(name = "ObjectIdGenerator", module = "idloom")]
pub struct PyObjectIdGenerator {
    inner: ObjectIdGenerator,
}

#[pymethods]
impl PyObjectIdGenerator {
    /// ``process``: 5 bytes; ``counter_start``: the first counter (its low 24 bits).
    #[new]
    fn new(process: &Bound<'_, PyAny>, counter_start: &Bound<'_, PyAny>) -> PyResult<Self> {
        let process = crate::args::fixed::<5>(process, "process")?;
        let start = int_in(counter_start, "counter_start", ErrorCode::InvalidArgument, 0, u64::from(u32::MAX))? as u32;
        Ok(PyObjectIdGenerator {
            inner: ObjectIdGenerator::new(process, start),
        })
    }
    /// The next ObjectId at Unix time ``now_ms`` (its seconds are used).
    fn next_at(&mut self, py: Python<'_>, now_ms: &Bound<'_, PyAny>) -> PyResult<PyObjectId> {
        let now = int_in(now_ms, "now_ms", ErrorCode::TimestampOutOfRange, 0, u64::MAX)?;
        self.inner.next_at(now).py(py).map(PyObjectId::from)
    }
}
