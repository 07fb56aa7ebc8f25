//! Coordination for Python (`docs/COORDINATION.md`): the core's lease state
//! machine, the fence handle a leased `Snowflake` gives its lease, state
//! files, host-local slots, and the store texts `idloom.stores` executes on
//! the host's drivers. Every decision is the core's; the Python side runs the
//! texts, owns the renewal thread and maps driver failures to codes.

use crate::args::{int_in, opt_int_in, text};
use crate::errors::{raise, to_py, IntoPy};
use crate::layout::{layout_arg, PyLayout};
use idloom::lease::{Grant, Holder, Lease, LeaseConfig, LeaseState, Renewal, MAX_TTL_MS};
use idloom::state::{FileFence, Slot};
use idloom::{ErrorCode, HostClock, Layout, SharedSnowflake};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The holder's side of one node lease, pure (no I/O): what fence to
/// propose, the skew estimate, when to renew, when the lease is lost, what
/// high-water to release with. ``idloom.stores`` drives it; a host with its
/// own store can too.
#[pyclass(name = "LeaseMachine", module = "idloom")]
pub struct PyLeaseMachine {
    holder: Holder,
}

fn grant_args(
    node: &Bound<'_, PyAny>,
    epoch: &Bound<'_, PyAny>,
    start_ms: &Bound<'_, PyAny>,
    fence_ms: &Bound<'_, PyAny>,
    store_now_ms: &Bound<'_, PyAny>,
) -> PyResult<Grant> {
    let code = ErrorCode::StoreSchema;
    Ok(Grant {
        node: int_in(node, "grant.node", code, 0, u64::MAX)?,
        epoch: int_in(epoch, "grant.epoch", code, 0, u64::MAX)?,
        start_ms: int_in(start_ms, "grant.start_ms", code, 0, u64::MAX)?,
        fence_ms: int_in(fence_ms, "grant.fence_ms", code, 0, u64::MAX)?,
        store_now_ms: int_in(store_now_ms, "grant.store_now_ms", code, 0, u64::MAX)?,
    })
}

fn ms(obj: &Bound<'_, PyAny>, param: &'static str) -> PyResult<u64> {
    int_in(obj, param, ErrorCode::InvalidArgument, 0, u64::MAX)
}

impl PyLeaseMachine {
    fn held(&self, py: Python<'_>) -> PyResult<&Lease> {
        self.holder
            .lease()
            .ok_or_else(|| raise(py, ErrorCode::LeaseLost, "lease: no node was granted yet".into()))
    }
}

#[pymethods]
impl PyLeaseMachine {
    #[new]
    #[pyo3(signature = (*, ttl_ms, max_skew_ms))]
    fn new(py: Python<'_>, ttl_ms: &Bound<'_, PyAny>, max_skew_ms: &Bound<'_, PyAny>) -> PyResult<Self> {
        let config = LeaseConfig {
            ttl_ms: int_in(ttl_ms, "ttl_ms", ErrorCode::InvalidArgument, 1, MAX_TTL_MS)?,
            max_skew_ms: int_in(max_skew_ms, "max_skew_ms", ErrorCode::InvalidArgument, 0, MAX_TTL_MS)?,
        };
        Ok(PyLeaseMachine {
            holder: Holder::new(config).py(py)?,
        })
    }

    /// Start an acquisition at holder time ``now_ms``: the fence to propose.
    fn begin_acquire(&mut self, now_ms: &Bound<'_, PyAny>) -> PyResult<u64> {
        Ok(self.holder.begin_acquire(ms(now_ms, "now_ms")?))
    }

    /// The store granted a node (answered at holder time ``received_ms``).
    /// ``ClockSkewError`` when the clocks are further apart than
    /// ``max_skew_ms``: give the node back with ``start_ms`` as its high-water.
    #[allow(clippy::too_many_arguments)]
    fn granted(
        &mut self,
        py: Python<'_>,
        node: &Bound<'_, PyAny>,
        epoch: &Bound<'_, PyAny>,
        start_ms: &Bound<'_, PyAny>,
        fence_ms: &Bound<'_, PyAny>,
        store_now_ms: &Bound<'_, PyAny>,
        received_ms: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let grant = grant_args(node, epoch, start_ms, fence_ms, store_now_ms)?;
        let received = ms(received_ms, "received_ms")?;
        self.holder.granted(&grant, received).py(py)
    }

    /// If a renewal is due at ``now_ms``: mark it in flight and return the
    /// fence to propose; else None.
    fn begin_renew(&mut self, now_ms: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
        Ok(self.holder.begin_renew(ms(now_ms, "now_ms")?))
    }

    /// Whether a renewal is due at ``now_ms``.
    fn renew_due(&self, now_ms: &Bound<'_, PyAny>) -> PyResult<bool> {
        let now = ms(now_ms, "now_ms")?;
        Ok(self.holder.lease().is_some_and(|l| l.renew_due(now)))
    }

    /// Milliseconds from ``now_ms`` until the next renewal is due (at most a third of the TTL).
    fn next_renewal_in_ms(&self, now_ms: &Bound<'_, PyAny>) -> PyResult<u64> {
        Ok(self.holder.next_renewal_in_ms(ms(now_ms, "now_ms")?))
    }

    /// The store confirmed the renewal: returns the confirmed fence.
    /// ``StoreUnavailableError`` if the answer came too late to judge the
    /// clocks (retry in ``retry_in_ms``); ``ClockSkewError`` ends renewals.
    #[allow(clippy::too_many_arguments)]
    fn renewed(
        &mut self,
        py: Python<'_>,
        node: &Bound<'_, PyAny>,
        epoch: &Bound<'_, PyAny>,
        start_ms: &Bound<'_, PyAny>,
        fence_ms: &Bound<'_, PyAny>,
        store_now_ms: &Bound<'_, PyAny>,
        received_ms: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let grant = grant_args(node, epoch, start_ms, fence_ms, store_now_ms)?;
        let received = ms(received_ms, "received_ms")?;
        match self.holder.renewed(&grant, received) {
            Renewal::Renewed { fence_ms } => Ok(fence_ms),
            Renewal::Retry { in_ms } => Err(raise(
                py,
                ErrorCode::StoreUnavailable,
                format!("lease: the renewal was answered too late to judge the clocks; retry in {in_ms} ms"),
            )),
            Renewal::Stop(e) => Err(to_py(py, e)),
        }
    }

    /// The renewal failed without an answer from the protocol (``code``: the
    /// idloom code it was mapped to, None for a driver's own failure).
    /// Returns in how many ms to retry, or None when renewals end.
    #[pyo3(signature = (code = None))]
    fn renew_failed(&mut self, code: Option<&str>) -> Option<u64> {
        let code = code.and_then(ErrorCode::from_name);
        match self.holder.renew_failed(code) {
            Renewal::Retry { in_ms } => Some(in_ms),
            _ => None,
        }
    }

    /// The store refused the renewal: the lease is lost. Returns the
    /// ``LeaseLostError`` to report (not raised).
    fn refused(&mut self, py: Python<'_>) -> PyResult<PyErr> {
        match self.holder.refused() {
            Renewal::Stop(e) => Ok(to_py(py, e)),
            _ => Err(raise(py, ErrorCode::LeaseLost, "lease: no node was granted yet".into())),
        }
    }

    /// A clean release after the generators stopped: ``(node, epoch,
    /// high_water_ms)`` to send, the high-water (None: nothing minted)
    /// clamped into ``[start_ms, fence_ms]``.
    #[pyo3(signature = (high_water_ms = None))]
    fn release(&mut self, py: Python<'_>, high_water_ms: Option<&Bound<'_, PyAny>>) -> PyResult<(u64, u64, u64)> {
        let hw = opt_int_in(
            high_water_ms.filter(|h| !h.is_none()),
            "high_water_ms",
            ErrorCode::InvalidArgument,
            0,
            u64::MAX,
        )?;
        let r = self.holder.release(hw).py(py)?;
        Ok((r.node, r.epoch, r.high_water_ms))
    }

    /// The node leased.
    #[getter]
    fn node(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.held(py)?.node())
    }
    /// The epoch (fencing token).
    #[getter]
    fn epoch(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.held(py)?.epoch())
    }
    /// ID time from which this holder mints.
    #[getter]
    fn start_ms(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.held(py)?.start_ms())
    }
    /// The last confirmed fence (ID time, exclusive).
    #[getter]
    fn fence_ms(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.held(py)?.fence_ms())
    }
    /// The store's clock minus the holder's, as last estimated.
    #[getter]
    fn skew_ms(&self, py: Python<'_>) -> PyResult<i64> {
        Ok(self.held(py)?.skew_ms())
    }
    /// Holder time from which the store may give the node away unless a renewal lands.
    #[getter]
    fn expires_ms(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.held(py)?.expires_ms())
    }
    /// ``"pending"`` (nothing granted yet), ``"active"``, ``"lost"`` or ``"released"``.
    #[getter]
    fn state(&self) -> &'static str {
        match self.holder.lease().map(Lease::state) {
            None => "pending",
            Some(LeaseState::Active) => "active",
            Some(LeaseState::Lost) => "lost",
            Some(LeaseState::Released) => "released",
        }
    }
    /// How often to renew: every third of the TTL.
    #[getter]
    fn renew_every_ms(&self) -> u64 {
        self.holder.config().renew_every_ms()
    }
    /// How soon to retry a renewal that got no usable answer.
    #[getter]
    fn retry_in_ms(&self) -> u64 {
        self.holder.retry_in_ms()
    }
    /// The TTL.
    #[getter]
    fn ttl_ms(&self) -> u64 {
        self.holder.config().ttl_ms
    }
    /// The largest accepted clock difference with the store.
    #[getter]
    fn max_skew_ms(&self) -> u64 {
        self.holder.config().max_skew_ms
    }
}

/// The fence of one process-wide generator, handed by a leased ``Snowflake``
/// to its lease (``lease._attach``): the lease moves it on renewal, marks it
/// lost on refusal, and stops it before a release.
#[pyclass(frozen, name = "_Fence", module = "idloom")]
pub struct PyFence {
    pub inner: Arc<SharedSnowflake<HostClock>>,
}

#[pymethods]
impl PyFence {
    /// Mint under ``[start_ms, fence_ms)`` (replaces any earlier lease).
    fn set(&self, start_ms: &Bound<'_, PyAny>, fence_ms: &Bound<'_, PyAny>, epoch: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner
            .set_lease(ms(start_ms, "start_ms")?, ms(fence_ms, "fence_ms")?, ms(epoch, "epoch")?);
        Ok(())
    }
    /// A confirmed renewal: the fence moves on (never back).
    fn extend(&self, fence_ms: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.extend_fence(ms(fence_ms, "fence_ms")?);
        Ok(())
    }
    /// A refused renewal: ``lease_lost`` from the fence on.
    fn lose(&self) {
        self.inner.lose_lease();
    }
    /// Stop for a release: ``lease_lost`` from now on; the high-water (None: nothing minted).
    fn stop(&self) -> Option<u64> {
        self.inner.stop_lease()
    }
    /// The node.
    #[getter]
    fn node(&self) -> u64 {
        self.inner.node()
    }
}

/// The process-wide fence file of a manual node: `DIR/NAMESPACE.node-N.state`.
pub fn node_fence(py: Python<'_>, dir: &Bound<'_, PyAny>, namespace: &str, layout: &Layout, node: u64) -> PyResult<Arc<FileFence>> {
    let dir = path_arg(dir, "state_dir")?;
    idloom::state::node_fence(&dir, namespace, layout, node).py(py)
}

fn path_arg(obj: &Bound<'_, PyAny>, param: &'static str) -> PyResult<PathBuf> {
    obj.extract::<PathBuf>().map_err(|_| {
        raise(
            obj.py(),
            ErrorCode::InvalidType,
            format!("{param} must be a str or os.PathLike, got {}", crate::args::type_name(obj)),
        )
    })
}

/// A host-local slot: slot *k* of *count* under ``DIR/NAMESPACE``, held by
/// an exclusive file lock as long as this object (and the process) lives;
/// node = ``host_base + k``. For gunicorn/uWSGI workers, Celery, cron jobs:
/// claim it *after* the fork (a forked child shares its parent's lock).
#[pyclass(frozen, name = "Slot", module = "idloom")]
pub struct PySlot {
    slot: Mutex<Option<Slot>>,
    pub index: u64,
    pub node: u64,
    pub layout: Layout,
    pub dir: PathBuf,
    pub namespace: String,
}

impl PySlot {
    /// The slot's process-wide fence file (beside its lock).
    pub fn fence(&self, py: Python<'_>) -> PyResult<Arc<FileFence>> {
        let guard = self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = guard
            .as_ref()
            .ok_or_else(|| raise(py, ErrorCode::NoFreeNode, "slot: released; claim a slot again".into()))?;
        slot.fence(&self.layout).py(py)
    }
}

#[pymethods]
impl PySlot {
    /// Claim the first free slot of ``count`` under ``dir``/``namespace``;
    /// ``NoFreeNodeError`` when every slot is held by a live process.
    #[staticmethod]
    #[pyo3(signature = (dir, namespace, count, *, host_base = None, layout = None))]
    fn claim(
        py: Python<'_>,
        dir: &Bound<'_, PyAny>,
        namespace: &Bound<'_, PyAny>,
        count: &Bound<'_, PyAny>,
        host_base: Option<&Bound<'_, PyAny>>,
        layout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let layout = layout_arg(layout, Layout::TWITTER)?;
        let dir = path_arg(dir, "dir")?;
        let namespace = text(namespace, "namespace")?.into_owned();
        let max = layout.max_node();
        let count = int_in(count, "count", ErrorCode::InvalidArgument, 1, max.saturating_add(1))?;
        let host_base = opt_int_in(host_base, "host_base", ErrorCode::NodeOutOfRange, 0, max)?.unwrap_or(0);
        let slot = Slot::claim(&dir, &namespace, count, host_base, max).py(py)?;
        Ok(PySlot {
            index: slot.index(),
            node: slot.node(),
            slot: Mutex::new(Some(slot)),
            layout,
            dir,
            namespace,
        })
    }

    /// The slot index *k*.
    #[getter]
    fn index(&self) -> u64 {
        self.index
    }
    /// The node: ``host_base + k``.
    #[getter]
    fn node(&self) -> u64 {
        self.node
    }
    /// The layout the node was checked against.
    #[getter]
    fn layout(&self) -> PyLayout {
        PyLayout { inner: self.layout }
    }
    /// Whether this object still holds the lock.
    #[getter]
    fn held(&self) -> bool {
        self.slot.lock().map(|s| s.is_some()).unwrap_or(false)
    }
    /// Let the slot go (it also goes when this object is collected or the
    /// process dies) — once no ``Snowflake`` made from it lives: a generator
    /// keeps its slot's node for as long as it can mint.
    fn release(&self) {
        if let Ok(mut s) = self.slot.lock() {
            s.take();
        }
    }
    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
    fn __exit__(&self, _t: &Bound<'_, PyAny>, _v: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) -> bool {
        self.release();
        false
    }
    fn __repr__(&self) -> String {
        format!("Slot(namespace={:?}, index={}, node={})", self.namespace, self.index, self.node)
    }
}

/// Every store text the core holds for ``engine`` ("postgres", "mysql",
/// "redis"), by name, plus ``schema_version``: what ``idloom.stores`` runs.
#[pyfunction]
pub fn _store_texts<'py>(py: Python<'py>, engine: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    use idloom::stores::mysql;
    let d = PyDict::new(py);
    let engine = text(engine, "engine")?;
    let texts = idloom::stores::texts(&engine).ok_or_else(|| {
        raise(
            py,
            ErrorCode::InvalidArgument,
            format!("engine must be \"postgres\", \"mysql\" or \"redis\", got {:?}", &*engine),
        )
    })?;
    for (k, v) in texts {
        d.set_item(*k, *v)?;
    }
    if &*engine == "mysql" {
        d.set_item("SCHEMA_STATEMENTS", mysql::schema_statements().collect::<Vec<_>>())?;
    }
    d.set_item("schema_version", idloom::stores::SCHEMA_VERSION)?;
    Ok(d)
}

/// A segment text with its table name checked and in place.
#[pyfunction]
pub fn _segment_sql(py: Python<'_>, sql: &Bound<'_, PyAny>, table: &Bound<'_, PyAny>) -> PyResult<String> {
    idloom::stores::segment_sql(&text(sql, "sql")?, &text(table, "table")?).py(py)
}

/// A sequence text with its name, start and increment checked and in place.
#[pyfunction]
pub fn _sequence_sql(
    py: Python<'_>,
    sql: &Bound<'_, PyAny>,
    name: &Bound<'_, PyAny>,
    start: &Bound<'_, PyAny>,
    increment: &Bound<'_, PyAny>,
) -> PyResult<String> {
    let start = int_in(start, "start", ErrorCode::InvalidArgument, 0, i64::MAX as u64)?;
    let increment = int_in(increment, "increment", ErrorCode::InvalidArgument, 1, i64::MAX as u64)?;
    idloom::stores::sequence_sql(&text(sql, "sql")?, &text(name, "name")?, start, increment).py(py)
}

/// The core's (start, increment) of sequence ``index`` of ``count`` with ranges of ``step`` from ``floor``.
#[pyfunction]
pub fn _sequence_numbers(
    py: Python<'_>,
    step: &Bound<'_, PyAny>,
    floor: &Bound<'_, PyAny>,
    index: &Bound<'_, PyAny>,
    count: &Bound<'_, PyAny>,
) -> PyResult<(u64, u64)> {
    let n = |v: &Bound<'_, PyAny>, name: &'static str| int_in(v, name, ErrorCode::InvalidArgument, 0, u64::MAX);
    idloom::stores::sequence_numbers(n(step, "step")?, n(floor, "floor")?, n(index, "index")?, n(count, "count")?).py(py)
}

/// The core's pause before compare-and-set round ``attempt + 1``, in µs, for a uniform ``unit`` in [0, 1).
#[pyfunction]
pub fn _cas_pause_us(attempt: u32, unit: f64) -> u64 {
    idloom::stores::cas_pause_us(attempt, unit)
}

/// Check a namespace name (1 to 64 of ``A-Z a-z 0-9 _ . -``).
#[pyfunction]
pub fn _check_namespace(py: Python<'_>, namespace: &Bound<'_, PyAny>) -> PyResult<String> {
    let ns = text(namespace, "namespace")?;
    idloom::stores::check_namespace(&ns).py(py)?;
    Ok(ns.into_owned())
}

/// Check a string a caller gives a store as input ``kind`` (``namespace``,
/// ``biz_tag``, ``holder``, ``description``, ``table``): the core's
/// characters and length, else ``InvalidArgumentError``. Returns the value.
#[pyfunction]
pub fn _check_input(py: Python<'_>, kind: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let kind = text(kind, "kind")?;
    let param = idloom::inputs::KINDS.iter().copied().find(|k| *k == &*kind).unwrap_or("value");
    let value = text(value, param)?;
    idloom::inputs::check(&kind, &value).py(py)?;
    Ok(value.into_owned())
}

/// A store URL with its password shown as ``***`` (``scheme://user:***@host``,
/// ``password=***``): what messages, ``repr`` and the CLI show.
#[pyfunction]
pub fn _redact_url(url: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(idloom::secrets::redact_url(&text(url, "url")?))
}

/// ``text`` (a message, a driver's error) with ``url`` redacted and its
/// password removed wherever it appears.
#[pyfunction]
pub fn _redact(text_: &Bound<'_, PyAny>, url: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(idloom::secrets::redact(&text(text_, "text")?, &text(url, "url")?))
}

/// What a MySQL URL's ``ssl-mode`` (``None``: absent) and ``ssl-ca`` ask for:
/// ``DISABLED``, ``REQUIRED``, ``VERIFY_CA`` or ``VERIFY_IDENTITY`` (the core decides).
#[pyfunction]
#[pyo3(signature = (ssl_mode, has_ca))]
pub fn _mysql_tls(py: Python<'_>, ssl_mode: Option<&Bound<'_, PyAny>>, has_ca: bool) -> PyResult<&'static str> {
    let mode = ssl_mode.map(|m| text(m, "ssl-mode")).transpose()?;
    Ok(idloom::tls::mysql_mode(mode.as_deref(), has_ca).py(py)?.name())
}

/// The record of a layout a namespace keeps (its description).
#[pyfunction]
pub fn _layout_record(layout: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(idloom::stores::layout_record(&layout_arg(Some(layout), Layout::TWITTER)?))
}

/// The core's node count of a namespace on ``engine`` with ``layout``:
/// ``nodes`` checked (``invalid_argument`` naming the range), or the
/// default (1,024, at most the layout's node count) for ``None``.
#[pyfunction]
#[pyo3(signature = (engine, layout, nodes=None))]
pub fn _namespace_nodes(
    py: Python<'_>,
    engine: &Bound<'_, PyAny>,
    layout: &Bound<'_, PyAny>,
    nodes: Option<&Bound<'_, PyAny>>,
) -> PyResult<u64> {
    let engine = text(engine, "engine")?;
    let layout = layout_arg(Some(layout), Layout::TWITTER)?;
    let nodes = match nodes {
        Some(n) if !n.is_none() => Some(int_in(n, "nodes", ErrorCode::InvalidArgument, 0, u64::MAX)?),
        _ => None,
    };
    idloom::stores::namespace_nodes(&engine, &layout, nodes).py(py)
}

/// The core's check of a Redis counter's floor for ranges of ``step``
/// (Lua computes in doubles: below 2^53 − 1 − step, else ``invalid_range``).
#[pyfunction]
pub fn _redis_counter_floor(py: Python<'_>, floor: &Bound<'_, PyAny>, step: &Bound<'_, PyAny>) -> PyResult<u64> {
    let floor = int_in(floor, "floor", ErrorCode::InvalidRange, 0, u64::MAX)?;
    let step = int_in(step, "step", ErrorCode::InvalidArgument, 0, u64::MAX)?;
    idloom::stores::redis::check_counter_floor(floor, step).py(py)
}

/// Redis keys: ``("ns", namespace)`` or ``("counter", biz_tag)``.
#[pyfunction]
pub fn _redis_key(py: Python<'_>, kind: &Bound<'_, PyAny>, name: &Bound<'_, PyAny>) -> PyResult<String> {
    let name = text(name, "name")?;
    match &*text(kind, "kind")? {
        "ns" => {
            idloom::stores::check_namespace(&name).py(py)?;
            Ok(idloom::stores::redis::namespace_key(&name))
        }
        "counter" => {
            idloom::inputs::biz_tag(&name).py(py)?;
            Ok(idloom::stores::redis::counter_key(&name))
        }
        other => Err(raise(
            py,
            ErrorCode::InvalidArgument,
            format!("kind must be \"ns\" or \"counter\", got {other:?}"),
        )),
    }
}
