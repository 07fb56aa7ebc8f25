//! Restarts without a store for Python (`docs/COORDINATION.md`): state files
//! (the fence of a manual node written ahead) and host-local slots, the
//! core's `idloom::state`.

use crate::args::{int_in, opt_int_in, text, wrong_type};
use crate::errors::{raise, IntoPy};
use crate::layout::{layout_arg, PyLayout};
use idloom::state::{FileFence, Slot};
use idloom::{ErrorCode, Layout};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The process-wide fence file of a manual node: `DIR/NAMESPACE.node-N.state`.
pub fn node_fence(py: Python<'_>, dir: &Bound<'_, PyAny>, namespace: &str, layout: &Layout, node: u64) -> PyResult<Arc<FileFence>> {
    let dir = path_arg(dir, "state_dir")?;
    idloom::state::node_fence(&dir, namespace, layout, node).py(py)
}

fn path_arg(obj: &Bound<'_, PyAny>, param: &'static str) -> PyResult<PathBuf> {
    obj.extract::<PathBuf>().map_err(|_| wrong_type(obj, param, "a str or os.PathLike"))
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
    fn wrap(slot: Slot, layout: Layout, dir: PathBuf, namespace: String) -> Self {
        PySlot {
            index: slot.index(),
            node: slot.node(),
            slot: Mutex::new(Some(slot)),
            layout,
            dir,
            namespace,
        }
    }

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
        Ok(PySlot::wrap(slot, layout, dir, namespace))
    }

    /// Claim a slot of a Kubernetes StatefulSet pod: the ordinal is the
    /// number after the last ``-`` of ``hostname`` (default ``$HOSTNAME``,
    /// the pod's name, e.g. ``web-3``); node = ``base + ordinal × slots + k``
    /// for slot *k* of the pod's ``slots`` (one per worker process). ``dir``
    /// is on the pod's volume, so a restarted pod starts above the fence its
    /// predecessor wrote; a second process beyond ``slots`` gets
    /// ``NoFreeNodeError``.
    #[staticmethod]
    #[pyo3(signature = (dir, namespace, *, base = None, slots = None, hostname = None, layout = None))]
    fn statefulset(
        py: Python<'_>,
        dir: &Bound<'_, PyAny>,
        namespace: &Bound<'_, PyAny>,
        base: Option<&Bound<'_, PyAny>>,
        slots: Option<&Bound<'_, PyAny>>,
        hostname: Option<&Bound<'_, PyAny>>,
        layout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let layout = layout_arg(layout, Layout::TWITTER)?;
        let dir = path_arg(dir, "dir")?;
        let namespace = text(namespace, "namespace")?.into_owned();
        let max = layout.max_node();
        let base = opt_int_in(base, "base", ErrorCode::NodeOutOfRange, 0, max)?.unwrap_or(0);
        let slots = opt_int_in(slots, "slots", ErrorCode::InvalidArgument, 1, max.saturating_add(1))?.unwrap_or(1);
        let hostname = match hostname {
            Some(h) if !h.is_none() => Some(text(h, "hostname")?.into_owned()),
            _ => None,
        };
        let slot = py
            .detach(|| Slot::statefulset(&dir, &namespace, hostname.as_deref(), base, slots, max))
            .py(py)?;
        Ok(PySlot::wrap(slot, layout, dir, namespace))
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
