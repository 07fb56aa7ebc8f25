//! `Segment` and `MemorySource`: number ranges from a host source, served from memory.
//! A store-backed `Segment` refills in the background ([`refill`]).

pub mod refill;

use crate::args::{int_in, opt_int_in, wrong_type};
use crate::errors::{raise, IntoPy};
use crate::events::{code_of, Notes};
use crate::fork;
use idloom::events::Kind;
use idloom::segment::{MemorySource, Range, Segment, SegmentBuffer, SegmentConfig, SegmentSource, StepSize, MAX_STEP};
use idloom::{ErrorCode, SystemClock};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::PyTuple;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// An in-memory source: one counter shared by every segment that uses it.
/// It lives in one process: a forked child that draws from it gets
/// ``ForkedError`` (the parent's copy goes on handing out the same counters).
#[pyclass(frozen, name = "MemorySource", module = "idloom")]
pub struct PyMemorySource {
    inner: Arc<MemorySource>,
    born: fork::Born,
}

fn memory_forked(py: Python<'_>) -> PyErr {
    raise(
        py,
        ErrorCode::Forked,
        "this MemorySource was created before os.fork(): its counter lives in the parent, which goes on \
         handing out the same numbers; give the child a source of its own (a store, or a MemorySource made in the child)"
            .into(),
    )
}

impl PyMemorySource {
    fn take(&self, py: Python<'_>, step: u64) -> PyResult<Range> {
        if !self.born.is_current() {
            return Err(memory_forked(py));
        }
        self.inner.take(step).py(py)
    }
}

/// Segment sizing arguments, shared by ``Segment`` and ``SegmentBuffer``;
/// every one validated whether or not it is used.
#[allow(clippy::too_many_arguments)]
fn segment_config(
    step: Option<&Bound<'_, PyAny>>,
    threshold_percent: Option<&Bound<'_, PyAny>>,
    max_prefetched: Option<&Bound<'_, PyAny>>,
    stride: Option<&Bound<'_, PyAny>>,
    offset: Option<&Bound<'_, PyAny>>,
    adaptive: Option<&Bound<'_, PyAny>>,
) -> PyResult<SegmentConfig> {
    let code = ErrorCode::InvalidArgument;
    let fixed = opt_int_in(step, "step", code, 1, MAX_STEP)?;
    let step = match adaptive.filter(|a| !a.is_none()) {
        Some(a) => {
            let parts = (a.cast::<PyTuple>().ok().filter(|t| t.len() == 3))
                .ok_or_else(|| wrong_type(a, "adaptive", "a tuple (min, max, target_ms) of ints"))?;
            StepSize::Adaptive {
                min: int_in(&parts.get_item(0)?, "adaptive.min", code, 1, MAX_STEP)?,
                max: int_in(&parts.get_item(1)?, "adaptive.max", code, 1, MAX_STEP)?,
                target_ms: int_in(&parts.get_item(2)?, "adaptive.target_ms", code, 1, idloom::limits::MAX_POLICY_MS)?,
            }
        }
        None => StepSize::Fixed(fixed.unwrap_or(1000)),
    };
    Ok(SegmentConfig {
        step,
        threshold_percent: opt_int_in(threshold_percent, "threshold_percent", code, 0, 100)?.unwrap_or(10) as u8,
        max_prefetched: opt_int_in(max_prefetched, "max_prefetched", code, 1, 16)?.unwrap_or(1) as usize,
        stride: opt_int_in(stride, "stride", code, 1, u64::MAX)?.unwrap_or(1),
        offset: opt_int_in(offset, "offset", code, 0, u64::MAX)?.unwrap_or(0),
    })
}

#[pymethods]
impl PyMemorySource {
    #[new]
    #[pyo3(signature = (start = None))]
    fn new(start: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let start = start.map_or(Ok(1), |s| int_in(s, "start", ErrorCode::InvalidArgument, 0, u64::MAX))?;
        Ok(PyMemorySource {
            inner: Arc::new(MemorySource::new(start)),
            born: fork::Born::now(),
        })
    }
    /// Take ``step`` counters: ``(start, end)``, end exclusive.
    fn __call__(&self, py: Python<'_>, step: &Bound<'_, PyAny>) -> PyResult<(u64, u64)> {
        let step = int_in(step, "step", ErrorCode::InvalidArgument, 1, MAX_STEP)?;
        let r = self.take(py, step)?;
        Ok((r.start, r.end))
    }
}

enum Source {
    Memory(Py<PyMemorySource>),
    Python(Py<PyAny>),
}

/// A failed fetch, carried through the core's `Segment`: the source's own
/// Python exception, or a core error (a range that breaks the contract).
enum Failure {
    Py(PyErr),
    Core(idloom::Error),
}

impl From<idloom::Error> for Failure {
    fn from(e: idloom::Error) -> Self {
        Failure::Core(e)
    }
}

/// How long a background segment's `next()` waits for a range when memory is dry.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// No thread is fetching (thread idents are never 0).
const NOBODY: u64 = 0;

fn thread_ident() -> u64 {
    // Stable per live thread; the address of a thread-local is unique among live threads.
    thread_local!(static MARK: u8 = const { 0 });
    MARK.with(|m| m as *const u8 as u64)
}

/// The Python side of the core's `SegmentSource`: calls the callable (or
/// the `MemorySource`) with the GIL, marking the thread inside the call.
struct PySource {
    source: Source,
    fetching: Arc<AtomicU64>,
    /// Inline fetches so far, and the last one's outcome: the range's size,
    /// or the failure's code (what `next()` turns into an event once the
    /// segment's lock is let go).
    calls: u64,
    last: Option<Result<u64, Option<String>>>,
}

impl PySource {
    fn call(&self, py: Python<'_>, step: u64) -> PyResult<Range> {
        match &self.source {
            Source::Memory(m) => m.get().take(py, step),
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

impl refill::Fetch for PySource {
    fn fetch(&self, py: Python<'_>, step: u64) -> PyResult<Range> {
        self.fetching.store(thread_ident(), Ordering::Release);
        let fetched = self.call(py, step);
        self.fetching.store(NOBODY, Ordering::Release);
        fetched
    }
}

impl SegmentSource for PySource {
    type Error = Failure;
    fn fetch(&mut self, step: u64) -> Result<Range, Failure> {
        // `next()` holds the GIL around the core's call; attaching again is a no-op.
        Python::attach(|py| {
            self.fetching.store(thread_ident(), Ordering::Release);
            let fetched = self.call(py, step);
            self.fetching.store(NOBODY, Ordering::Release);
            self.calls += 1;
            self.last = Some(match &fetched {
                Ok(r) => Ok(r.len()),
                Err(e) => Err(code_of(py, e)),
            });
            fetched.map_err(Failure::Py)
        })
    }
}

struct State {
    /// The core's segment: buffer, fetch timing and failure handling.
    segment: Segment<PySource, SystemClock>,
    /// The process whose ranges the buffer holds.
    born: fork::Born,
}

impl State {
    /// In a forked child, forget the parent's ranges (the parent goes on
    /// serving them): the child fetches its own.
    fn forget_if_forked(&mut self) {
        if self.born.renew_if_forked() {
            self.segment.discard();
        }
    }
}

/// IDs from ranges a source hands out (Leaf-style): ``source(step)`` must
/// return ``(start, end)`` counters (end exclusive) that no other caller will
/// ever receive. Thread-safe; after ``os.fork()`` the child starts with an
/// empty buffer and fetches its own ranges.
#[pyclass(frozen, name = "Segment", module = "idloom")]
pub struct PySegment {
    mode: Mode,
    /// Its events: counted (`stats()`) and delivered to `idloom.events`.
    notes: Arc<Notes>,
    /// The thread inside the source call, so that a source calling back into
    /// its own segment gets an error instead of a deadlock.
    fetching: Arc<AtomicU64>,
}

/// Where fetches run: in the caller of `next()`, or in a background thread.
// One per segment: the inline state stays unboxed (no pointer chased on every `next()`).
#[allow(clippy::large_enum_variant)]
enum Mode {
    Inline(Mutex<State>),
    Background(refill::Refill),
}

impl PySegment {
    /// `next()` of a segment that fetches inline: the core's `Segment` under
    /// its lock; the fetch's event (if one ran) is delivered after the lock
    /// is let go.
    fn next_inline(&self, py: Python<'_>) -> PyResult<u64> {
        let (got, fetch) = {
            let mut st = self.lock(py)?;
            let (calls, before) = (st.segment.source().calls, st.segment.buffer().remaining());
            let got = st.segment.next_id();
            let after = st.segment.buffer().remaining();
            let fetch = match &st.segment.source().last {
                Some(Ok(len)) if st.segment.source().calls != calls => {
                    // The source answered; the buffer took the range iff memory grew by it.
                    let taken = after + u64::from(got.is_ok()) > before;
                    Some(if taken {
                        Ok(*len)
                    } else {
                        Err(Some(ErrorCode::InvalidRange.as_str().to_owned()))
                    })
                }
                Some(Err(code)) if st.segment.source().calls != calls => Some(Err(code.clone())),
                _ => None,
            };
            (got, fetch)
        };
        match fetch {
            Some(Ok(len)) => self.notes.note(py, &self.notes.segment(Kind::SegmentFetched, None, Some(len))),
            Some(Err(code)) => self
                .notes
                .note(py, &self.notes.segment(Kind::SegmentFetchFailed, code.as_deref(), None)),
            None => {}
        }
        got.map_err(|f| match f {
            Failure::Py(e) => e,
            Failure::Core(e) => crate::errors::to_py(py, e),
        })
    }

    fn lock<'a>(&'a self, py: Python<'_>) -> PyResult<std::sync::MutexGuard<'a, State>> {
        let Mode::Inline(state) = &self.mode else {
            unreachable!("only the inline mode has a locked core segment")
        };
        let mut state = state
            .lock_py_attached(py)
            .map_err(|_| raise(py, ErrorCode::SegmentExhausted, "segment state poisoned".into()))?;
        state.forget_if_forked();
        Ok(state)
    }
}

#[pymethods]
impl PySegment {
    #[new]
    #[pyo3(signature = (source, *, step = None, threshold_percent = None, max_prefetched = None, stride = None, offset = None, adaptive = None, background = None, timeout_ms = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        step: Option<&Bound<'_, PyAny>>,
        threshold_percent: Option<&Bound<'_, PyAny>>,
        max_prefetched: Option<&Bound<'_, PyAny>>,
        stride: Option<&Bound<'_, PyAny>>,
        offset: Option<&Bound<'_, PyAny>>,
        adaptive: Option<&Bound<'_, PyAny>>,
        background: Option<&Bound<'_, PyAny>>,
        timeout_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = segment_config(step, threshold_percent, max_prefetched, stride, offset, adaptive)?;
        let timeout = opt_int_in(
            timeout_ms,
            "timeout_ms",
            ErrorCode::InvalidArgument,
            1,
            idloom::limits::MAX_POLICY_MS,
        )?;
        let source_obj = source;
        let source = match source.cast::<PyMemorySource>() {
            Ok(m) => Source::Memory(m.clone().unbind()),
            Err(_) if source.is_callable() => Source::Python(source.clone().unbind()),
            Err(_) => {
                return Err(raise(
                    py,
                    ErrorCode::InvalidType,
                    "source must be a MemorySource or a callable step -> (start, end)".into(),
                ))
            }
        };
        // Store sources ask for a background refill (`background_refill = True`);
        // `background=` decides for any source.
        let background = match background.filter(|b| !b.is_none()) {
            Some(b) => (b.cast::<pyo3::types::PyBool>().map(|b| b.is_true())).map_err(|_| wrong_type(b, "background", "a bool"))?,
            None => source_obj.getattr("background_refill").and_then(|v| v.is_truthy()).unwrap_or(false),
        };
        if !background && timeout.is_some() {
            return Err(raise(py, ErrorCode::InvalidArgument, "timeout_ms goes with background=True".into()));
        }
        let fetching = Arc::new(AtomicU64::new(NOBODY));
        let source = PySource {
            source,
            fetching: fetching.clone(),
            calls: 0,
            last: None,
        };
        // Its events name the counter (a store source's `biz_tag`, a sequence's `name`).
        let detail = ["biz_tag", "name"]
            .iter()
            .find_map(|a| source_obj.getattr(*a).ok().and_then(|v| v.extract::<String>().ok()));
        let notes = Arc::new(Notes::new(detail));
        let mode = if background {
            let timeout = std::time::Duration::from_millis(timeout.unwrap_or(DEFAULT_TIMEOUT_MS));
            Mode::Background(refill::Refill::new(config, Arc::new(source), timeout, notes.clone()).py(py)?)
        } else {
            Mode::Inline(Mutex::new(State {
                segment: Segment::new(config, source, SystemClock).py(py)?,
                born: fork::Born::now(),
            }))
        };
        Ok(PySegment { mode, notes, fetching })
    }

    /// The next ID; fetches from the source when the buffer asks. A failing
    /// source is reported only once memory is dry (then it is asked again).
    fn next(&self, py: Python<'_>) -> PyResult<u64> {
        if self.fetching.load(Ordering::Acquire) == thread_ident() {
            return Err(raise(
                py,
                ErrorCode::SegmentExhausted,
                "segment: its source called next() on the same segment while fetching; a source must not draw from \
                 the segment it feeds"
                    .into(),
            ));
        }
        let got = match &self.mode {
            Mode::Background(refill) => refill.next(py),
            Mode::Inline(_) => self.next_inline(py),
        };
        if let Err(e) = &got {
            // No ID in memory and the source did not answer (a failure, or
            // no range within timeout_ms): minting stopped on this call.
            let code = code_of(py, e);
            self.notes.note(py, &self.notes.segment(Kind::SegmentRanDry, code.as_deref(), None));
        }
        got
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
        if self.fetching.load(Ordering::Acquire) == thread_ident() {
            return Ok(0);
        }
        if let Mode::Background(refill) = &self.mode {
            return Ok(refill.remaining());
        }
        Ok(self.lock(py)?.segment.buffer().remaining())
    }

    /// How many events of each kind this segment saw.
    fn _events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(py);
        self.notes.counters.fill(&d)?;
        Ok(d)
    }

    /// Whether a background thread refills this segment.
    #[getter]
    fn background(&self) -> bool {
        matches!(self.mode, Mode::Background(_))
    }

    /// Its events, ``{name: count}`` for every kind of the core's
    /// (``segment_fetched``, ``segment_fetch_failed``, ``segment_ran_dry``,
    /// …), and ``"remaining"``; a background segment's refill also:
    /// ``"in_flight"``, ``"fetches"``, ``"failures"``, ``"last_fetch_ms"``,
    /// ``"current": (next, end)``, ``"prefetched": [(start, end), …]`` in counters.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = self._events(py)?;
        let Mode::Background(refill) = &self.mode else {
            d.set_item("remaining", self.remaining(py)?)?;
            return Ok(d);
        };
        let st = refill.stats();
        d.set_item("remaining", st.remaining)?;
        d.set_item("in_flight", st.in_flight)?;
        d.set_item("fetches", st.fetches)?;
        d.set_item("failures", st.failures)?;
        d.set_item("last_fetch_ms", st.last_fetch_ms)?;
        d.set_item("current", st.current)?;
        d.set_item("prefetched", st.prefetched)?;
        Ok(d)
    }
}

/// The host-agnostic buffer behind ``Segment``, for hosts that fetch on
/// their own (asyncio, a background thread): it says when and how much to
/// fetch, accepts ranges, and serves IDs from memory. After ``os.fork()`` the
/// child's buffer is empty (the parent goes on serving its ranges).
#[pyclass(name = "SegmentBuffer", module = "idloom")]
pub struct PySegmentBuffer {
    inner: SegmentBuffer,
    born: fork::Born,
}

impl PySegmentBuffer {
    fn current(&mut self) -> &mut SegmentBuffer {
        if self.born.renew_if_forked() {
            self.inner.discard();
        }
        &mut self.inner
    }
}

#[pymethods]
impl PySegmentBuffer {
    #[new]
    #[pyo3(signature = (*, step = None, threshold_percent = None, max_prefetched = None, stride = None, offset = None, adaptive = None))]
    fn new(
        py: Python<'_>,
        step: Option<&Bound<'_, PyAny>>,
        threshold_percent: Option<&Bound<'_, PyAny>>,
        max_prefetched: Option<&Bound<'_, PyAny>>,
        stride: Option<&Bound<'_, PyAny>>,
        offset: Option<&Bound<'_, PyAny>>,
        adaptive: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = segment_config(step, threshold_percent, max_prefetched, stride, offset, adaptive)?;
        Ok(PySegmentBuffer {
            inner: SegmentBuffer::new(config).py(py)?,
            born: fork::Born::now(),
        })
    }
    /// The next ID from memory (``SegmentExhaustedError`` when dry).
    fn next(&mut self, py: Python<'_>) -> PyResult<u64> {
        self.current().next_id().py(py)
    }
    /// If a fetch should start now: mark it in flight and return its step; else None.
    fn begin_fetch(&mut self, now_ms: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
        let now = int_in(now_ms, "now_ms", ErrorCode::InvalidArgument, 0, u64::MAX)?;
        Ok(self.current().begin_fetch(now).map(|r| r.step))
    }
    /// Accept counters ``[start, end)`` from the source.
    fn supply(&mut self, py: Python<'_>, start: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> PyResult<()> {
        let start = int_in(start, "start", ErrorCode::InvalidRange, 0, u64::MAX)?;
        let end = int_in(end, "end", ErrorCode::InvalidRange, 0, u64::MAX)?;
        self.current().supply(Range::new(start, end)).py(py)
    }
    /// The fetch failed: allow another.
    fn fetch_failed(&mut self) {
        self.current().fetch_failed();
    }
    /// IDs left in memory.
    #[getter]
    fn remaining(&mut self) -> u64 {
        self.current().remaining()
    }
}
