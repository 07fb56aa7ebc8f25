//! `Snowflake`: the core's lock-free shared generator, safe to share between
//! threads, fork-aware, with a clock chosen by the host.

use crate::args::{int_in, opt_int_in, opt_named, opt_text, wrong_type};
use crate::errors::{raise, IntoPy};
use crate::fork;
use crate::layout::{layout_arg, PyLayout, PyParts};
use crate::lease::PyFence;
use crate::state::PySlot;
use idloom::names::{Backwards, Exhausted, PolicyChoice, Start};
use idloom::snowflake::{Generator, Next};
use idloom::state::FileFence;
use idloom::{Clock, ErrorCode, HostClock, Layout, ManualClock, Policy, SharedSnowflake, TickerClock};
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A clock Python code moves by hand (tests, simulations, replaying scripts).
#[pyclass(frozen, name = "ManualClock", module = "idloom")]
pub struct PyManualClock {
    inner: Arc<ManualClock>,
}

#[pymethods]
impl PyManualClock {
    #[new]
    fn new(now_ms: &Bound<'_, PyAny>) -> PyResult<Self> {
        let now = int_in(now_ms, "now_ms", ErrorCode::InvalidArgument, 0, u64::MAX)?;
        Ok(PyManualClock {
            inner: Arc::new(ManualClock::new(now)),
        })
    }
    /// Set the time (forwards or backwards).
    fn set(&self, now_ms: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set(int_in(now_ms, "now_ms", ErrorCode::InvalidArgument, 0, u64::MAX)?);
        Ok(())
    }
    /// Move the time forwards.
    fn advance(&self, ms: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.advance(int_in(ms, "ms", ErrorCode::InvalidArgument, 0, u64::MAX)?);
        Ok(())
    }
    /// The current reading.
    fn now_ms(&self) -> u64 {
        self.inner.now_ms()
    }
}

/// The policy asks to try again once the clock reads ``at_ms``.
#[pyclass(frozen, eq, name = "RetryAt", module = "idloom")]
#[derive(PartialEq)]
pub struct PyRetryAt {
    /// Unix milliseconds at which to try again.
    #[pyo3(get)]
    at_ms: u64,
}

#[pymethods]
impl PyRetryAt {
    fn __repr__(&self) -> String {
        format!("RetryAt(at_ms={})", self.at_ms)
    }
}

/// A snowflake generator for one node. Thread-safe (one atomic word); after
/// ``os.fork()`` the child's generators raise ``ForkedError`` until ``rekey()``.
#[pyclass(frozen, name = "Snowflake", module = "idloom")]
pub struct PySnowflake {
    /// Shared with every other `Snowflake` of this (layout, node) in the process.
    inner: Arc<SharedSnowflake<HostClock>>,
    layout: Layout,
    generation: AtomicU64,
    /// The state file of a manual node or slot: its fence is written ahead.
    state: Option<StateFence>,
    /// Made from a lease: the node is the lease's (no rekey).
    leased: bool,
}

/// How far ahead of the clock a state file's fence is written: a restart
/// waits (or borrows, per its policy) at most this long for its start.
const DEFAULT_STATE_LEAD_MS: u64 = 1_000;

/// A generator's fence kept in a state file (a lease with the disk as its store).
struct StateFence {
    fence: Arc<FileFence>,
    lead_ms: u64,
}

impl StateFence {
    /// Write the fence `lead_ms` past the clock before minting up to it (the
    /// core's `FileFence::advance`), without the GIL: another thread may hold
    /// the file's lock while it waits on fsync, and would need the GIL to return.
    fn advance(&self, py: Python<'_>, gen: &SharedSnowflake<HostClock>, first: bool) -> PyResult<bool> {
        py.detach(|| self.fence.advance(gen, self.lead_ms, first)).py(py)
    }
}

const MAX_BATCH: u64 = idloom::limits::MAX_BATCH;

impl PySnowflake {
    fn py_layout(&self) -> PyLayout {
        PyLayout { inner: self.layout }
    }

    /// A state-file generator at its fence writes the next fence ahead (then
    /// the caller retries); anything else is raised as it is.
    fn advance_state(&self, py: Python<'_>, e: &idloom::Error) -> PyResult<()> {
        match &self.state {
            Some(st) if e.code() == ErrorCode::LeaseExpired && st.advance(py, &self.inner, false)? => Ok(()),
            _ => Err(crate::errors::to_py(py, e.clone())),
        }
    }

    #[inline]
    fn check_fork(&self, py: Python<'_>) -> PyResult<()> {
        if fork::generation() != self.generation.load(Ordering::Relaxed) {
            return Err(raise(
                py,
                ErrorCode::Forked,
                "this generator was created before os.fork(): call rekey(node) with a node ID unique to this process".into(),
            ));
        }
        Ok(())
    }
}

/// The policy and clock arguments `Snowflake` and `SnowflakeMachine` share,
/// every one validated whether or not the chosen policy uses it.
#[allow(clippy::too_many_arguments)]
fn policy_args(
    py: Python<'_>,
    backwards: Option<&Bound<'_, PyAny>>,
    max_backwards_ms: Option<&Bound<'_, PyAny>>,
    exhausted: Option<&Bound<'_, PyAny>>,
    max_borrow_ms: Option<&Bound<'_, PyAny>>,
    sequence_start: Option<&Bound<'_, PyAny>>,
    seed: Option<&Bound<'_, PyAny>>,
) -> PyResult<Policy> {
    let max = idloom::limits::MAX_POLICY_MS;
    let choice = PolicyChoice {
        backwards: opt_named(backwards, "backwards", Backwards::Logical)?,
        max_backwards_ms: opt_int_in(max_backwards_ms, "max_backwards_ms", ErrorCode::InvalidArgument, 0, max)?,
        exhausted: opt_named(exhausted, "exhausted", Exhausted::Wait)?,
        max_borrow_ms: opt_int_in(max_borrow_ms, "max_borrow_ms", ErrorCode::InvalidArgument, 0, max)?,
        sequence_start: opt_named(sequence_start, "sequence_start", Start::Reset)?,
        seed: opt_int_in(seed, "seed", ErrorCode::InvalidArgument, 0, u64::MAX)?,
    };
    choice.policy(|| Ok(idloom::SecureRng::from_os()?.next_u64())).py(py)
}

/// Layout (default Twitter), node (within it) and policy: what `Snowflake`
/// and `SnowflakeMachine` are built from.
#[allow(clippy::too_many_arguments)]
fn generator_args(
    py: Python<'_>,
    node: &Bound<'_, PyAny>,
    layout: Option<&Bound<'_, PyAny>>,
    backwards: Option<&Bound<'_, PyAny>>,
    max_backwards_ms: Option<&Bound<'_, PyAny>>,
    exhausted: Option<&Bound<'_, PyAny>>,
    max_borrow_ms: Option<&Bound<'_, PyAny>>,
    sequence_start: Option<&Bound<'_, PyAny>>,
    seed: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Layout, u64, Policy)> {
    let layout = layout_arg(layout, Layout::TWITTER)?;
    let node = int_in(node, "node", ErrorCode::NodeOutOfRange, 0, layout.max_node())?;
    let policy = policy_args(py, backwards, max_backwards_ms, exhausted, max_borrow_ms, sequence_start, seed)?;
    Ok((layout, node, policy))
}

fn clock_arg(py: Python<'_>, clock: Option<&Bound<'_, PyAny>>) -> PyResult<HostClock> {
    let Some(c) = clock.filter(|c| !c.is_none()) else {
        return Ok(HostClock::Ticker(TickerClock::global()));
    };
    if let Ok(m) = c.cast::<PyManualClock>() {
        return Ok(HostClock::Manual(m.get().inner.clone()));
    }
    match c.cast::<pyo3::types::PyString>().ok().and_then(|s| s.to_cow().ok()).as_deref() {
        Some(name) if HostClock::NAMES.contains(&name) => HostClock::named(name).py(py),
        Some(other) => Err(raise(
            py,
            ErrorCode::InvalidArgument,
            format!("clock must be \"ticker\", \"system\" or a ManualClock, got {other:?}"),
        )),
        None => Err(raise(
            py,
            ErrorCode::InvalidType,
            format!(
                "clock must be \"ticker\", \"system\" or a ManualClock, got {}",
                crate::args::type_name(c)
            ),
        )),
    }
}

/// An optional argument that was given and is not None.
/// A generator's clock event (the core counts it: `stats()`), delivered to
/// `idloom.events`: the logger and the hooks, on the minting thread.
fn clock_event(event: &idloom::events::Event<'_>) {
    let owned = crate::events::Owned::from(*event);
    Python::attach(|py| crate::events::deliver(py, &owned));
}

fn given<'py>(o: Option<&Bound<'py, PyAny>>) -> Option<Bound<'py, PyAny>> {
    o.filter(|o| !o.is_none()).cloned()
}

#[pymethods]
impl PySnowflake {
    #[new]
    #[pyo3(signature = (node = None, layout = None, *, backwards = None, max_backwards_ms = None, exhausted = None, max_borrow_ms = None, sequence_start = None, seed = None, clock = None, lease = None, slot = None, state_dir = None, namespace = None, state_lead_ms = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        node: Option<&Bound<'_, PyAny>>,
        layout: Option<&Bound<'_, PyAny>>,
        backwards: Option<&Bound<'_, PyAny>>,
        max_backwards_ms: Option<&Bound<'_, PyAny>>,
        exhausted: Option<&Bound<'_, PyAny>>,
        max_borrow_ms: Option<&Bound<'_, PyAny>>,
        sequence_start: Option<&Bound<'_, PyAny>>,
        seed: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
        lease: Option<&Bound<'_, PyAny>>,
        slot: Option<&Bound<'_, PyAny>>,
        state_dir: Option<&Bound<'_, PyAny>>,
        namespace: Option<&Bound<'_, PyAny>>,
        state_lead_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let (node, layout, lease, slot, state_dir) = (given(node), given(layout), given(lease), given(slot), given(state_dir));
        let lead = opt_int_in(
            state_lead_ms,
            "state_lead_ms",
            ErrorCode::InvalidArgument,
            1,
            idloom::limits::MAX_POLICY_MS,
        )?;
        let namespace = opt_text(namespace, "namespace")?;
        let conflict = |what: &str| raise(py, ErrorCode::InvalidArgument, what.into());
        // Who the node is: given by hand, leased from a store, or a host-local slot.
        let (node, layout) = match (&node, &lease, &slot) {
            (Some(n), None, None) => (n.clone(), layout),
            (None, Some(l), None) => (l.getattr("node")?, Some(layout.map_or_else(|| l.getattr("layout"), Ok)?)),
            (None, None, Some(s)) => {
                let s = s.cast::<PySlot>().map_err(|_| wrong_type(s, "slot", "a Slot"))?;
                let l = match layout {
                    Some(l) => l,
                    None => PyLayout { inner: s.get().layout }.into_pyobject(py)?.into_any(),
                };
                (s.get().node.into_pyobject(py)?.into_any(), Some(l))
            }
            (None, None, None) => return Err(conflict("Snowflake needs a node: node=N, lease=a NodeLease, or slot=a Slot")),
            _ => return Err(conflict("Snowflake takes one of node, lease and slot")),
        };
        if lease.is_some() && (state_dir.is_some() || namespace.is_some() || lead.is_some()) {
            return Err(conflict(
                "a leased Snowflake keeps its fence in the store: state_dir, namespace and state_lead_ms are for manual nodes and slots",
            ));
        }
        if slot.is_some() && (state_dir.is_some() || namespace.is_some()) {
            return Err(conflict(
                "a slot keeps its state file beside its lock: state_dir and namespace are for manual nodes",
            ));
        }
        if state_dir.is_none() && slot.is_none() && (namespace.is_some() || lead.is_some()) {
            return Err(conflict("namespace and state_lead_ms go with state_dir (or slot)"));
        }
        let (layout, node, policy) = generator_args(
            py,
            &node,
            layout.as_ref(),
            backwards,
            max_backwards_ms,
            exhausted,
            max_borrow_ms,
            sequence_start,
            seed,
        )?;
        let clock = clock_arg(py, clock)?;
        if let Some(l) = &lease {
            let leased = l.getattr("layout")?;
            if layout_arg(Some(&leased), layout)? != layout {
                return Err(raise(
                    py,
                    ErrorCode::StoreSchema,
                    format!(
                        "layout: the lease's namespace uses {}, not {layout}",
                        layout_arg(Some(&leased), layout)?
                    ),
                ));
            }
        }
        // The file that keeps this node's fence across restarts, if any.
        let state = match (&slot, &state_dir) {
            (Some(s), _) => Some(s.cast::<PySlot>()?.get().fence(py)?),
            (None, Some(dir)) => Some(crate::state::node_fence(
                py,
                dir,
                namespace.as_deref().unwrap_or("default"),
                &layout,
                node,
            )?),
            (None, None) => None,
        };
        let mut fresh_for_lease = false;
        let inner = match &lease {
            // A lease fences a generator of its own, shared by every Snowflake made
            // from it: two leases on one node (another namespace, a re-lease after a
            // loss) never move each other's fences.
            Some(l) => match l.call_method0("_generator")?.cast::<PyFence>() {
                Ok(existing) => {
                    let g = existing.get().inner.clone();
                    if g.policy() != policy || *g.clock() != clock {
                        return Err(raise(
                            py,
                            ErrorCode::NodeInUse,
                            format!("node {node}: this lease already has a Snowflake with another policy or clock; use the same options"),
                        ));
                    }
                    g
                }
                Err(_) => {
                    fresh_for_lease = true;
                    Arc::new(SharedSnowflake::new(layout, node, policy, clock).py(py)?.with_observer(clock_event))
                }
            },
            // A conflicting generator may be garbage kept alive only by a reference
            // cycle: collect once and retry before reporting `node_in_use`.
            None => match idloom::registry::acquire_observed(layout, node, policy, clock.clone(), Some(clock_event)) {
                Err(e) if e.code() == ErrorCode::NodeInUse => {
                    py.import("gc")?.call_method0("collect")?;
                    idloom::registry::acquire_observed(layout, node, policy, clock, Some(clock_event)).py(py)?
                }
                other => other.py(py)?,
            },
        };
        let state = state.map(|fence| StateFence {
            fence,
            lead_ms: lead.unwrap_or(DEFAULT_STATE_LEAD_MS),
        });
        if let Some(st) = &state {
            st.advance(py, &inner, true)?;
        }
        let this = PySnowflake {
            inner,
            layout,
            generation: AtomicU64::new(fork::generation()),
            state,
            leased: lease.is_some(),
        };
        if let Some(l) = lease.filter(|_| fresh_for_lease) {
            // The lease sets the fence now and moves it on every renewal.
            l.call_method1("_attach", (Py::new(py, PyFence { inner: this.inner.clone() })?,))?;
        }
        Ok(this)
    }

    /// How many clock events this node's generator saw: ``{name: count}``
    /// for every kind of the core's (``clock_stepped_back``,
    /// ``borrowing_started``, ``borrowing_ended``; the others stay 0). Every
    /// Snowflake of this (layout, node) shares them.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(py);
        for (kind, n) in self.inner.stats().counters().iter() {
            d.set_item(kind.name(), n)?;
        }
        Ok(d)
    }

    /// The next ID. Waits (bounded, without holding the GIL) where the policy says to wait.
    fn next(&self, py: Python<'_>) -> PyResult<u64> {
        self.check_fork(py)?;
        // Fast path: one attempt at the current time with the GIL held; only a
        // wait the policy asks for releases the GIL.
        match self.inner.try_next_id() {
            Ok(Next::Id(id)) => Ok(id),
            Ok(Next::RetryAt(_)) => py.detach(|| self.inner.next_id()).py(py),
            Err(e) => {
                self.advance_state(py, &e)?;
                py.detach(|| self.inner.next_id()).py(py)
            }
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<u64> {
        self.next(py)
    }

    /// ``n`` increasing IDs as a list (each run of a tick is taken at once).
    fn next_batch<'py>(&self, py: Python<'py>, n: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        self.check_fork(py)?;
        let n = int_in(n, "n", ErrorCode::InvalidArgument, 0, MAX_BATCH)? as usize;
        let mut out = vec![0u64; n];
        if let Err(e) = py.detach(|| self.inner.fill(&mut out)) {
            self.advance_state(py, &e)?;
            py.detach(|| self.inner.fill(&mut out)).py(py)?;
        }
        PyList::new(py, out)
    }

    /// Give this generator a new node ID (required in a forked child).
    fn rekey(&self, py: Python<'_>, node: &Bound<'_, PyAny>) -> PyResult<()> {
        let node = int_in(node, "node", ErrorCode::NodeOutOfRange, 0, self.layout.max_node())?;
        if self.leased || self.state.is_some() {
            return Err(raise(
                py,
                ErrorCode::InvalidArgument,
                "rekey: this Snowflake's node comes from a lease, a slot or a state file; make a new Snowflake from a new one".into(),
            ));
        }
        idloom::registry::rekey(&self.inner, node).py(py)?;
        self.generation.store(fork::generation(), Ordering::Relaxed);
        Ok(())
    }

    /// Decode an ID of this generator's layout.
    fn decode(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<PyParts> {
        self.py_layout().decompose(py, id)
    }

    /// The friendly form of an ID of this layout.
    fn friendly(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<String> {
        self.py_layout().friendly(py, id)
    }

    /// The node ID.
    #[getter]
    fn node(&self) -> u64 {
        self.inner.node()
    }

    /// The layout.
    #[getter]
    fn layout(&self) -> PyLayout {
        self.py_layout()
    }

    fn __repr__(&self) -> String {
        format!("Snowflake(node={}, layout={})", self.inner.node(), self.layout)
    }
}

/// The pure snowflake state machine for one node, outside the process
/// registry: time comes in as an argument, nothing waits, nothing is shared.
/// For replaying scripts, simulations and hosts with their own timers; its
/// steps never move a ``Snowflake``. Not thread-safe (one owner).
#[pyclass(name = "SnowflakeMachine", module = "idloom")]
pub struct PySnowflakeMachine {
    inner: Generator,
    layout: Layout,
}

#[pymethods]
impl PySnowflakeMachine {
    #[new]
    #[pyo3(signature = (node, layout = None, *, backwards = None, max_backwards_ms = None, exhausted = None, max_borrow_ms = None, sequence_start = None, seed = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        node: &Bound<'_, PyAny>,
        layout: Option<&Bound<'_, PyAny>>,
        backwards: Option<&Bound<'_, PyAny>>,
        max_backwards_ms: Option<&Bound<'_, PyAny>>,
        exhausted: Option<&Bound<'_, PyAny>>,
        max_borrow_ms: Option<&Bound<'_, PyAny>>,
        sequence_start: Option<&Bound<'_, PyAny>>,
        seed: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let (layout, node, policy) = generator_args(
            py,
            node,
            layout,
            backwards,
            max_backwards_ms,
            exhausted,
            max_borrow_ms,
            sequence_start,
            seed,
        )?;
        Ok(PySnowflakeMachine {
            inner: Generator::new(layout, node, policy).py(py)?,
            layout,
        })
    }

    /// One step at ``now_ms`` (Unix ms), never waiting: an ID, or ``RetryAt``.
    fn next_at(&mut self, py: Python<'_>, now_ms: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let now = int_in(now_ms, "now_ms", ErrorCode::InvalidArgument, 0, u64::MAX)?;
        Ok(match self.inner.next_at(now).py(py)? {
            Next::Id(id) => id.into_pyobject(py)?.into_any().unbind(),
            Next::RetryAt(at_ms) => Py::new(py, PyRetryAt { at_ms })?.into_any(),
        })
    }

    /// Up to ``n`` IDs at ``now_ms``, never waiting: ``(ids, retry_at_ms or None)``.
    fn fill_at(&mut self, py: Python<'_>, now_ms: &Bound<'_, PyAny>, n: &Bound<'_, PyAny>) -> PyResult<(Vec<u64>, Option<u64>)> {
        let now = int_in(now_ms, "now_ms", ErrorCode::InvalidArgument, 0, u64::MAX)?;
        let n = int_in(n, "n", ErrorCode::InvalidArgument, 0, MAX_BATCH)? as usize;
        let mut out = vec![0u64; n];
        let (k, retry) = self.inner.fill_at(now, &mut out).py(py)?;
        out.truncate(k);
        Ok((out, retry))
    }

    /// The last ID issued, or None.
    #[getter]
    fn last_id(&self) -> Option<u64> {
        self.inner.last_id()
    }

    /// The node ID.
    #[getter]
    fn node(&self) -> u64 {
        self.inner.node()
    }

    /// The layout.
    #[getter]
    fn layout(&self) -> PyLayout {
        PyLayout { inner: self.layout }
    }

    fn __repr__(&self) -> String {
        format!("SnowflakeMachine(node={}, layout={})", self.inner.node(), self.layout)
    }
}
