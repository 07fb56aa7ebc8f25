//! `Layout`, `Parts` and `Capacity`.

use crate::args::{int_in, opt_int_in, opt_named, wrong_type};
use crate::errors::IntoPy;
use idloom::names::Named;
use idloom::{ErrorCode, FieldOrder, Layout};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

/// A UTC `datetime` for Unix milliseconds (exact: epoch + timedelta).
pub fn utc_datetime(py: Python<'_>, ms: u64) -> PyResult<Bound<'_, PyAny>> {
    static EPOCH: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (epoch, timedelta) = EPOCH.get_or_try_init(py, || -> PyResult<_> {
        let dt = py.import("datetime")?;
        let utc = dt.getattr("timezone")?.getattr("utc")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("tzinfo", utc)?;
        let epoch = dt.getattr("datetime")?.call((1970, 1, 1), Some(&kwargs))?;
        Ok((epoch.unbind(), dt.getattr("timedelta")?.unbind()))
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("milliseconds", ms)?;
    epoch.bind(py).add(timedelta.bind(py).call((), Some(&kwargs))?)
}

/// A layout argument: a `Layout`, or `None` for `default`.
pub fn layout_arg(obj: Option<&Bound<'_, PyAny>>, default: Layout) -> PyResult<Layout> {
    match obj {
        Some(o) if !o.is_none() => o
            .cast::<PyLayout>()
            .map(|l| l.get().inner)
            .map_err(|_| wrong_type(o, "layout", "a Layout (e.g. Layout.TWITTER)")),
        _ => Ok(default),
    }
}

/// A validated bit layout for 64-bit time-ordered IDs.
#[pyclass(frozen, eq, hash, name = "Layout", module = "idloom")]
#[derive(Clone, PartialEq, Hash)]
pub struct PyLayout {
    pub inner: Layout,
}

#[pymethods]
impl PyLayout {
    #[new]
    #[pyo3(signature = (time_bits, node_bits, sequence_bits, epoch_ms, tick_ms = None, order = None))]
    fn new(
        py: Python<'_>,
        time_bits: &Bound<'_, PyAny>,
        node_bits: &Bound<'_, PyAny>,
        sequence_bits: &Bound<'_, PyAny>,
        epoch_ms: &Bound<'_, PyAny>,
        tick_ms: Option<&Bound<'_, PyAny>>,
        order: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let bits = |o, p| int_in(o, p, ErrorCode::InvalidLayout, 0, 63).map(|v| v as u32);
        let order = opt_named(order, "order", FieldOrder::TimeNodeSequence)?;
        let tick = opt_int_in(tick_ms, "tick_ms", ErrorCode::InvalidLayout, 1, idloom::limits::MAX_TICK_MS)?.unwrap_or(1);
        let epoch = int_in(epoch_ms, "epoch_ms", ErrorCode::InvalidLayout, 0, u64::MAX)?;
        let inner = Layout::with_order(
            bits(time_bits, "time_bits")?,
            bits(node_bits, "node_bits")?,
            bits(sequence_bits, "sequence_bits")?,
            epoch,
            tick,
            order,
        )
        .py(py)?;
        Ok(PyLayout { inner })
    }

    /// A preset by name: ``twitter``, ``sonyflake``, ``baidu``, ``js_safe``.
    #[classmethod]
    fn preset(_cls: &Bound<'_, PyType>, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyLayout {
            inner: Layout::preset_named(&crate::args::text(name, "name")?).py(py)?,
        })
    }

    /// Twitter: 41/10/12 bits, 1 ms ticks, epoch 2010-11-04T01:42:54.657Z.
    #[classattr]
    #[allow(non_snake_case)]
    fn TWITTER() -> Self {
        PyLayout { inner: Layout::TWITTER }
    }
    /// Sonyflake: 39/16/8 bits (time, sequence, node), 10 ms ticks, epoch 2014-09-01.
    #[classattr]
    #[allow(non_snake_case)]
    fn SONYFLAKE() -> Self {
        PyLayout { inner: Layout::SONYFLAKE }
    }
    /// Baidu uid-generator: 28/22/13 bits, 1 s ticks, epoch 2016-05-20 (ran out 2024-11-20: use with_epoch).
    #[classattr]
    #[allow(non_snake_case)]
    fn BAIDU() -> Self {
        PyLayout { inner: Layout::BAIDU }
    }
    /// JavaScript-safe: 39/6/8 bits, 10 ms ticks, epoch 2020-01-01; IDs stay below 2**53.
    #[classattr]
    #[allow(non_snake_case)]
    fn JS_SAFE() -> Self {
        PyLayout { inner: Layout::JS_SAFE }
    }

    /// The same layout from another epoch.
    fn with_epoch(&self, py: Python<'_>, epoch_ms: &Bound<'_, PyAny>) -> PyResult<Self> {
        let epoch = int_in(epoch_ms, "epoch_ms", ErrorCode::InvalidLayout, 0, u64::MAX)?;
        Ok(PyLayout {
            inner: self.inner.with_epoch(epoch).py(py)?,
        })
    }

    /// Timestamp bits.
    #[getter]
    fn time_bits(&self) -> u32 {
        self.inner.time_bits()
    }
    /// Node bits.
    #[getter]
    fn node_bits(&self) -> u32 {
        self.inner.node_bits()
    }
    /// Sequence bits.
    #[getter]
    fn sequence_bits(&self) -> u32 {
        self.inner.sequence_bits()
    }
    /// Epoch in Unix milliseconds.
    #[getter]
    fn epoch_ms(&self) -> u64 {
        self.inner.epoch_ms()
    }
    /// Tick length in milliseconds.
    #[getter]
    fn tick_ms(&self) -> u64 {
        self.inner.tick_ms()
    }
    /// ``"time_node_sequence"`` or ``"time_sequence_node"``.
    #[getter]
    fn order(&self) -> &'static str {
        self.inner.order().name()
    }
    /// Largest node ID.
    #[getter]
    fn max_node(&self) -> u64 {
        self.inner.max_node()
    }
    /// Largest sequence number in a tick.
    #[getter]
    fn max_sequence(&self) -> u64 {
        self.inner.max_sequence()
    }
    /// Largest ID.
    #[getter]
    fn max_id(&self) -> u64 {
        self.inner.max_id()
    }

    /// Rates, node count and the dates the layout runs out.
    fn capacity(&self) -> PyCapacity {
        PyCapacity {
            inner: self.inner.capacity(),
        }
    }

    /// An ID from Unix milliseconds (floored to the tick), node and sequence.
    fn compose(
        &self,
        py: Python<'_>,
        timestamp_ms: &Bound<'_, PyAny>,
        node: &Bound<'_, PyAny>,
        sequence: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let l = &self.inner;
        let ts = int_in(timestamp_ms, "timestamp_ms", ErrorCode::TimestampOutOfRange, 0, u64::MAX)?;
        let node = int_in(node, "node", ErrorCode::NodeOutOfRange, 0, l.max_node())?;
        let seq = int_in(sequence, "sequence", ErrorCode::SequenceOutOfRange, 0, l.max_sequence())?;
        l.compose(ts, node, seq).py(py)
    }

    /// The parts of an ID.
    pub(crate) fn decompose(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<PyParts> {
        let id = int_in(id, "id", ErrorCode::IdOutOfRange, 0, self.inner.max_id())?;
        Ok(PyParts {
            inner: self.inner.decompose(id).py(py)?,
        })
    }

    /// ``yyyyMMddHHmmssSSS-node-sequence`` in UTC.
    pub(crate) fn friendly(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<String> {
        let id = int_in(id, "id", ErrorCode::IdOutOfRange, 0, self.inner.max_id())?;
        Ok(self.inner.friendly(id).py(py)?.to_string())
    }

    /// The ID of a friendly string (strict).
    fn parse_friendly(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<u64> {
        self.inner.parse_friendly(&crate::args::text(text, "text")?).py(py)
    }

    fn __repr__(&self) -> String {
        let l = &self.inner;
        format!(
            "Layout(time_bits={}, node_bits={}, sequence_bits={}, epoch_ms={}, tick_ms={}, order='{}')",
            l.time_bits(),
            l.node_bits(),
            l.sequence_bits(),
            l.epoch_ms(),
            l.tick_ms(),
            self.order()
        )
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}

/// The decoded parts of an ID.
#[pyclass(frozen, eq, name = "Parts", module = "idloom")]
#[derive(PartialEq)]
pub struct PyParts {
    pub inner: idloom::Parts,
}

#[pymethods]
impl PyParts {
    /// Unix milliseconds at which the ID's tick begins.
    #[getter]
    fn timestamp_ms(&self) -> u64 {
        self.inner.timestamp_ms
    }
    /// Ticks since the layout's epoch.
    #[getter]
    fn tick(&self) -> u64 {
        self.inner.tick
    }
    /// Node ID.
    #[getter]
    fn node(&self) -> u64 {
        self.inner.node
    }
    /// Sequence within the tick.
    #[getter]
    fn sequence(&self) -> u64 {
        self.inner.sequence
    }
    /// The tick's start as a timezone-aware UTC ``datetime``.
    #[getter]
    fn datetime<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        utc_datetime(py, self.inner.timestamp_ms)
    }
    fn __repr__(&self) -> String {
        let p = &self.inner;
        format!(
            "Parts(timestamp_ms={}, tick={}, node={}, sequence={})",
            p.timestamp_ms, p.tick, p.node, p.sequence
        )
    }
}

/// A layout's capacity report.
#[pyclass(frozen, name = "Capacity", module = "idloom")]
pub struct PyCapacity {
    inner: idloom::Capacity,
}

#[pymethods]
impl PyCapacity {
    /// IDs per tick per node.
    #[getter]
    fn ids_per_tick(&self) -> u64 {
        self.inner.ids_per_tick
    }
    /// IDs per second per node (floored).
    #[getter]
    fn ids_per_second_per_node(&self) -> u64 {
        self.inner.ids_per_second_per_node
    }
    /// Distinct node IDs.
    #[getter]
    fn nodes(&self) -> u64 {
        self.inner.nodes
    }
    /// First Unix millisecond the layout cannot represent.
    #[getter]
    fn runs_out_at_ms(&self) -> u64 {
        self.inner.runs_out_at_ms
    }
    /// First Unix millisecond at which IDs may exceed 2**53 - 1, or None.
    #[getter]
    fn leaves_js_safe_at_ms(&self) -> Option<u64> {
        self.inner.leaves_js_safe_at_ms
    }
    /// ``runs_out_at_ms`` as a UTC ``datetime``.
    #[getter]
    fn runs_out_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        utc_datetime(py, self.inner.runs_out_at_ms)
    }
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
    fn __repr__(&self) -> String {
        let c = &self.inner;
        format!(
            "Capacity(ids_per_tick={}, ids_per_second_per_node={}, nodes={}, runs_out_at_ms={}, leaves_js_safe_at_ms={:?})",
            c.ids_per_tick, c.ids_per_second_per_node, c.nodes, c.runs_out_at_ms, c.leaves_js_safe_at_ms
        )
    }
}
