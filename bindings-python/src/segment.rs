//! `Segment` and `MemorySource`: number ranges from a host source, served from memory.

use crate::args::int_in;
use crate::errors::{raise, IntoPy};
use idloom::segment::{MemorySource, Range, SegmentBuffer, SegmentConfig, StepSize};
use idloom::{Clock, ErrorCode, SystemClock};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use std::sync::{Arc, Mutex};

/// An in-memory source: one counter shared by every segment that uses it.
#[pyclass(frozen, name = "MemorySource", module = "idloom")]
pub struct PyMemorySource {
    inner: Arc<MemorySource>,
}

#[pymethods]
impl PyMemorySource {
    #[new]
    #[pyo3(signature = (start = None))]
    fn new(start: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let start = start.map_or(Ok(1), |s| int_in(s, "start", ErrorCode::InvalidArgument, 0, u64::MAX))?;
        Ok(PyMemorySource {
            inner: Arc::new(MemorySource::new(start)),
        })
    }
    /// Take ``step`` counters: ``(start, end)``, end exclusive.
    fn __call__(&self, py: Python<'_>, step: &Bound<'_, PyAny>) -> PyResult<(u64, u64)> {
        let step = int_in(step, "step", ErrorCode::InvalidArgument, 1, idloom::segment::MAX_STEP)?;
        let r = self.inner.take(step).py(py)?;
        Ok((r.start, r.end))
    }
}

enum Source {
    Memory(Arc<MemorySource>),
    Python(Py<PyAny>),
}

struct State {
    buffer: SegmentBuffer,
    last_error: Option<PyErr>,
}

/// IDs from ranges a source hands out (Leaf-style): ``source(step)`` must
/// return ``(start, end)`` counters (end exclusive) that no other caller will
/// ever receive. Thread-safe.
#[pyclass(frozen, name = "Segment", module = "idloom")]
pub struct PySegment {
    source: Source,
    state: Mutex<State>,
}

impl PySegment {
    fn fetch(&self, py: Python<'_>, step: u64) -> PyResult<Range> {
        match &self.source {
            Source::Memory(m) => m.take(step).py(py),
            Source::Python(f) => {
                let (start, end): (Bound<'_, PyAny>, Bound<'_, PyAny>) = f
                    .bind(py)
                    .call1((step,))?
                    .extract()
                    .map_err(|_| raise(py, ErrorCode::InvalidType, "source must return a (start, end) tuple of ints".into()))?;
                Ok(Range::new(
                    int_in(&start, "range.start", ErrorCode::InvalidRange, 0, u64::MAX)?,
                    int_in(&end, "range.end", ErrorCode::InvalidRange, 0, u64::MAX)?,
                ))
            }
        }
    }
}

#[pymethods]
impl PySegment {
    #[new]
    #[pyo3(signature = (source, *, step = None, threshold_percent = None, max_prefetched = None, stride = None, offset = None, adaptive = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        step: Option<&Bound<'_, PyAny>>,
        threshold_percent: Option<&Bound<'_, PyAny>>,
        max_prefetched: Option<&Bound<'_, PyAny>>,
        stride: Option<&Bound<'_, PyAny>>,
        offset: Option<&Bound<'_, PyAny>>,
        adaptive: Option<(u64, u64, u64)>,
    ) -> PyResult<Self> {
        let arg = |o: &Bound<'_, PyAny>, p| int_in(o, p, ErrorCode::InvalidArgument, 0, u64::MAX);
        let step = match (adaptive, step) {
            (Some((min, max, target_ms)), _) => StepSize::Adaptive { min, max, target_ms },
            (None, Some(s)) => StepSize::Fixed(arg(s, "step")?),
            (None, None) => StepSize::Fixed(1000),
        };
        let config = SegmentConfig {
            step,
            threshold_percent: threshold_percent.map_or(Ok(10), |t| int_in(t, "threshold_percent", ErrorCode::InvalidArgument, 0, 100))?
                as u8,
            max_prefetched: max_prefetched.map_or(Ok(1), |m| int_in(m, "max_prefetched", ErrorCode::InvalidArgument, 1, 16))? as usize,
            stride: stride.map_or(Ok(1), |s| arg(s, "stride"))?,
            offset: offset.map_or(Ok(0), |o| arg(o, "offset"))?,
        };
        let source = match source.extract::<PyRef<'_, PyMemorySource>>() {
            Ok(m) => Source::Memory(m.inner.clone()),
            Err(_) if source.is_callable() => Source::Python(source.clone().unbind()),
            Err(_) => {
                return Err(raise(
                    py,
                    ErrorCode::InvalidType,
                    "source must be a MemorySource or a callable step -> (start, end)".into(),
                ))
            }
        };
        let buffer = SegmentBuffer::new(config).py(py)?;
        Ok(PySegment {
            source,
            state: Mutex::new(State { buffer, last_error: None }),
        })
    }

    /// The next ID; fetches from the source when the buffer asks. A failing
    /// source is reported only once memory is dry.
    fn next(&self, py: Python<'_>) -> PyResult<u64> {
        let mut state = self
            .state
            .lock_py_attached(py)
            .map_err(|_| raise(py, ErrorCode::SegmentExhausted, "segment state poisoned".into()))?;
        // The clock is read only when a fetch is due (it feeds the adaptive step).
        let due = if state.buffer.wants_fetch() {
            state.buffer.begin_fetch(SystemClock.now_ms())
        } else {
            None
        };
        if let Some(req) = due {
            match self.fetch(py, req.step).and_then(|r| state.buffer.supply(r).py(py)) {
                Ok(()) => state.last_error = None,
                Err(e) => {
                    state.buffer.fetch_failed();
                    state.last_error = Some(e);
                }
            }
        }
        match state.buffer.next_id() {
            Ok(id) => Ok(id),
            Err(e) => Err(state.last_error.take().unwrap_or_else(|| crate::errors::to_py(py, e))),
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<u64> {
        self.next(py)
    }

    /// IDs left in memory.
    #[getter]
    fn remaining(&self, py: Python<'_>) -> PyResult<u64> {
        let state = self
            .state
            .lock_py_attached(py)
            .map_err(|_| raise(py, ErrorCode::SegmentExhausted, "segment state poisoned".into()))?;
        Ok(state.buffer.remaining())
    }
}

/// The host-agnostic buffer behind ``Segment``, for hosts that fetch on
/// their own (asyncio, a background thread): it says when and how much to
/// fetch, accepts ranges, and serves IDs from memory.
#[pyclass(name = "SegmentBuffer", module = "idloom")]
pub struct PySegmentBuffer {
    inner: SegmentBuffer,
}

#[pymethods]
impl PySegmentBuffer {
    #[new]
    #[pyo3(signature = (*, step = 1000, threshold_percent = 10, max_prefetched = 1, stride = 1, offset = 0, adaptive = None))]
    fn new(
        py: Python<'_>,
        step: u64,
        threshold_percent: u8,
        max_prefetched: usize,
        stride: u64,
        offset: u64,
        adaptive: Option<(u64, u64, u64)>,
    ) -> PyResult<Self> {
        let step = match adaptive {
            Some((min, max, target_ms)) => StepSize::Adaptive { min, max, target_ms },
            None => StepSize::Fixed(step),
        };
        let config = SegmentConfig {
            step,
            threshold_percent,
            max_prefetched,
            stride,
            offset,
        };
        Ok(PySegmentBuffer {
            inner: SegmentBuffer::new(config).py(py)?,
        })
    }
    /// The next ID from memory (``SegmentExhaustedError`` when dry).
    fn next(&mut self, py: Python<'_>) -> PyResult<u64> {
        self.inner.next_id().py(py)
    }
    /// If a fetch should start now: mark it in flight and return its step; else None.
    fn begin_fetch(&mut self, now_ms: u64) -> Option<u64> {
        self.inner.begin_fetch(now_ms).map(|r| r.step)
    }
    /// Accept counters ``[start, end)`` from the source.
    fn supply(&mut self, py: Python<'_>, start: u64, end: u64) -> PyResult<()> {
        self.inner.supply(Range::new(start, end)).py(py)
    }
    /// The fetch failed: allow another.
    fn fetch_failed(&mut self) {
        self.inner.fetch_failed();
    }
    /// IDs left in memory.
    #[getter]
    fn remaining(&self) -> u64 {
        self.inner.remaining()
    }
}
