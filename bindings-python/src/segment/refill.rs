//! Background refill for `Segment`: the core's `SegmentBuffer` serves IDs
//! from memory while one worker thread calls the source, so `next()` never
//! waits on a store while prefetched IDs remain. The worker holds the GIL
//! only inside the source call and never holds the buffer's lock across it;
//! `next()` waits for a range (bounded by `timeout_ms`) without the GIL.
//! The worker sees every fetch's outcome (the source's answer and whether
//! the buffer took it): it counts `segment_fetched` / `segment_fetch_failed`
//! and delivers the event to Python after letting the buffer's lock go,
//! still inside its accounted call (so an exiting interpreter waits for it).

use crate::errors::raise;
use crate::events::{code_of, Notes, Owned};
use crate::fork;
use idloom::events::Kind;
use idloom::segment::{SegmentBuffer, SegmentConfig};
use idloom::{Clock, ErrorCode, SystemClock};
use pyo3::prelude::*;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What the source call needs: the Python side of a fetch.
pub trait Fetch: Send + Sync + 'static {
    /// Call the source for `step` counters on the calling thread.
    fn fetch(&self, py: Python<'_>, step: u64) -> PyResult<idloom::segment::Range>;
}

struct Shared {
    buffer: SegmentBuffer,
    /// A step the worker should fetch.
    pending: Option<u64>,
    /// The last failure, reported once memory is dry.
    failure: Option<Failure>,
    /// The process whose ranges the buffer holds and whose worker runs.
    born: fork::Born,
    worker: bool,
    stop: bool,
    fetches: u64,
    failures: u64,
    last_fetch_ms: Option<u64>,
}

/// A failed fetch: the source's own exception, or a range the buffer refused
/// (converted to a Python exception by `next()`, with the GIL, never by the
/// worker while it holds the buffer's lock).
enum Failure {
    Py(PyErr),
    Core(idloom::Error),
}

type Cell = Arc<(Mutex<Shared>, Condvar)>;

/// Workers inside a source call, and whether the interpreter is shutting
/// down: a thread that is in Python when the interpreter finalizes aborts
/// the process, so at exit no worker starts a call and the exit waits
/// (bounded) for the calls in flight.
static CALLS: Mutex<Calls> = Mutex::new(Calls {
    busy: 0,
    shutdown: false,
    generation: 0,
});
static CALLS_DONE: Condvar = Condvar::new();

struct Calls {
    busy: usize,
    shutdown: bool,
    /// The process these counts belong to: in a forked child the parent's
    /// refill threads do not exist, so their calls in flight are not waited for.
    generation: u64,
}

fn calls() -> MutexGuard<'static, Calls> {
    let mut c = CALLS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = fork::generation();
    if c.generation != now {
        *c = Calls {
            busy: 0,
            shutdown: false,
            generation: now,
        };
    }
    c
}

/// Registered with `atexit`: no new source call from a refill thread, and
/// the calls in flight finish first (at most 10 s: a store that hangs longer
/// is left behind).
#[pyfunction]
pub fn _refill_shutdown(py: Python<'_>) {
    py.detach(|| {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut c = calls();
        c.shutdown = true;
        while c.busy > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            c = CALLS_DONE
                .wait_timeout(c, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    });
}

/// A background segment's state for `stats()`: counters, not IDs (a
/// segment with a stride or offset maps counter `c` to `c × stride + offset`).
pub struct Stats {
    pub remaining: u64,
    pub in_flight: bool,
    pub fetches: u64,
    pub failures: u64,
    pub last_fetch_ms: Option<u64>,
    pub current: (u64, u64),
    pub prefetched: Vec<(u64, u64)>,
}

/// A buffer refilled by a background thread.
pub struct Refill {
    cell: Cell,
    source: Arc<dyn Fetch>,
    timeout: Duration,
    notes: Arc<Notes>,
}

fn lock(cell: &Cell) -> MutexGuard<'_, Shared> {
    cell.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Refill {
    pub fn new(config: SegmentConfig, source: Arc<dyn Fetch>, timeout: Duration, notes: Arc<Notes>) -> idloom::Result<Self> {
        Ok(Refill {
            cell: Arc::new((
                Mutex::new(Shared {
                    buffer: SegmentBuffer::new(config)?,
                    pending: None,
                    failure: None,
                    born: fork::Born::now(),
                    worker: false,
                    stop: false,
                    fetches: 0,
                    failures: 0,
                    last_fetch_ms: None,
                }),
                Condvar::new(),
            )),
            source,
            timeout,
            notes,
        })
    }

    /// Ask for a fetch if the buffer wants one, starting the worker if this
    /// process has none (first use, or a forked child: it forgets the
    /// parent's ranges and fetches its own).
    fn kick(&self, st: &mut Shared) {
        if st.born.renew_if_forked() {
            st.buffer.discard();
            st.pending = None;
            st.failure = None;
            st.worker = false;
        }
        if !st.buffer.wants_fetch() {
            return; // the common case: no clock read, no notification
        }
        if let Some(req) = st.buffer.begin_fetch(SystemClock.now_ms()) {
            st.pending = Some(req.step);
            if !st.worker {
                st.worker = true;
                let (cell, source, notes) = (self.cell.clone(), self.source.clone(), self.notes.clone());
                let spawned = std::thread::Builder::new()
                    .name("idloom-segment-refill".into())
                    .spawn(move || worker(cell, source, notes));
                if spawned.is_err() {
                    st.worker = false;
                    st.buffer.fetch_failed();
                    st.pending = None;
                }
            }
            self.cell.1.notify_all();
        }
    }

    /// The next ID from memory; waits (without the GIL, at most the timeout)
    /// only when memory is dry.
    pub fn next(&self, py: Python<'_>) -> PyResult<u64> {
        {
            let mut st = lock(&self.cell);
            self.kick(&mut st);
            if let Ok(id) = st.buffer.next_id() {
                return Ok(id);
            }
        }
        let outcome = py.detach(|| {
            let deadline = Instant::now() + self.timeout;
            let mut st = lock(&self.cell);
            loop {
                self.kick(&mut st);
                if let Ok(id) = st.buffer.next_id() {
                    return Ok(id);
                }
                if let Some(e) = st.failure.take() {
                    return Err(Some(e));
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(None);
                }
                st = self
                    .cell
                    .1
                    .wait_timeout(st, left)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
        });
        outcome.map_err(|e| match e {
            Some(Failure::Py(e)) => e,
            Some(Failure::Core(e)) => crate::errors::to_py(py, e),
            None => raise(
                py,
                ErrorCode::StoreUnavailable,
                format!(
                    "segment: no range arrived within {} ms (timeout_ms) and memory is dry",
                    self.timeout.as_millis()
                ),
            ),
        })
    }

    /// IDs left in memory.
    pub fn remaining(&self) -> u64 {
        let mut st = lock(&self.cell);
        if st.born.renew_if_forked() {
            st.buffer.discard();
            st.worker = false;
        }
        st.buffer.remaining()
    }

    /// What `Segment.stats()` shows.
    pub fn stats(&self) -> Stats {
        let st = lock(&self.cell);
        let current = st.buffer.current();
        Stats {
            remaining: st.buffer.remaining(),
            in_flight: st.buffer.fetch_in_flight(),
            fetches: st.fetches,
            failures: st.failures,
            last_fetch_ms: st.last_fetch_ms,
            current: (current.start, current.end),
            prefetched: st.buffer.prefetched().map(|r| (r.start, r.end)).collect(),
        }
    }
}

impl Drop for Refill {
    fn drop(&mut self) {
        lock(&self.cell).stop = true;
        self.cell.1.notify_all();
    }
}

fn worker(cell: Cell, source: Arc<dyn Fetch>, notes: Arc<Notes>) {
    let me = fork::generation();
    loop {
        let step = {
            let mut st = lock(&cell);
            loop {
                if st.stop || fork::generation() != me {
                    return;
                }
                if let Some(step) = st.pending.take() {
                    break step;
                }
                st = cell.1.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        {
            let mut c = calls();
            if c.shutdown {
                return;
            }
            c.busy += 1;
        }
        let started = Instant::now();
        // The exception's code is read while the GIL is held for the call.
        let fetched = Python::attach(|py| {
            source.fetch(py, step).map_err(|e| {
                let code = code_of(py, &e);
                (e, code)
            })
        });
        let event = {
            let mut st = lock(&cell);
            st.last_fetch_ms = Some(started.elapsed().as_millis() as u64);
            let (supplied, event): (Result<(), Failure>, Owned) = match fetched {
                Ok(range) => match st.buffer.supply(range) {
                    Ok(()) => (Ok(()), notes.segment(Kind::SegmentFetched, None, Some(range.len()))),
                    Err(e) => {
                        let failed = notes.segment(Kind::SegmentFetchFailed, Some(e.code().as_str()), None);
                        (Err(Failure::Core(e)), failed)
                    }
                },
                Err((e, code)) => (Err(Failure::Py(e)), notes.segment(Kind::SegmentFetchFailed, code.as_deref(), None)),
            };
            // Counted with the outcome (stats() agrees with fetches/failures at once), delivered below.
            notes.counters.record_kind(event.kind);
            match supplied {
                Ok(()) => {
                    st.fetches += 1;
                    st.failure = None;
                }
                Err(e) => {
                    st.failures += 1;
                    st.buffer.fetch_failed();
                    st.failure = Some(e);
                }
            }
            event
        };
        cell.1.notify_all();
        // Delivered with the buffer's lock let go (a hook may draw from this
        // segment), and before the call is no longer counted as in flight.
        Python::attach(|py| crate::events::deliver(py, &event));
        calls().busy -= 1;
        CALLS_DONE.notify_all();
    }
}
