//! Node leases for Python (`docs/COORDINATION.md`): the core's lease state
//! machine, and the fence handle a leased `Snowflake` gives its lease. Every
//! decision is the core's; the Python side (`idloom.stores`) runs the store
//! texts, owns the renewal thread and maps driver failures to codes.

use crate::args::{int_in, opt_int_in};
use crate::errors::{raise, to_py, IntoPy};
use crate::events::Owned;
use idloom::lease::{Grant, Holder, Lease, LeaseConfig, LeaseState, Renewal, MAX_TTL_MS};
use idloom::{ErrorCode, HostClock, SharedSnowflake};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

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

    /// The store confirmed the renewal: the core's action, ``("renewed",
    /// fence_ms)`` (extend the generators to the fence) or ``("retry",
    /// in_ms)`` (answered too late to judge the clocks: the fence stands,
    /// renew again then); the error that ends renewals (``ClockSkewError``)
    /// is raised.
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
    ) -> PyResult<(&'static str, u64)> {
        let grant = grant_args(node, epoch, start_ms, fence_ms, store_now_ms)?;
        let received = ms(received_ms, "received_ms")?;
        self.holder.renewed(&grant, received).pair().py(py)
    }

    /// The renewal failed without an answer from the protocol (``code``: the
    /// idloom code it was mapped to, None for a driver's own failure).
    /// Returns in how many ms to retry, or None when renewals end.
    #[pyo3(signature = (code = None))]
    fn renew_failed(&mut self, code: Option<&str>) -> Option<u64> {
        match self.holder.renew_failed(code.and_then(ErrorCode::from_name)) {
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

    /// The event of the last step, once: ``(name, facts)`` of the core's
    /// ``lease_acquired`` (after ``granted``), ``lease_renewed``,
    /// ``lease_renewal_failed``, ``lease_lost`` or ``lease_expired`` (a
    /// renewal's outcome, ``Renewal::event``), ``lease_released`` (after
    /// ``release``; its ``fence_ms`` is the high-water); None if none is new.
    fn _take_event<'py>(&mut self, py: Python<'py>) -> PyResult<Option<(&'static str, Bound<'py, PyDict>)>> {
        self.holder.take_event().map(|e| Owned::from(e).pair(py)).transpose()
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
