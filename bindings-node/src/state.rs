//! Restarts without a store (`docs/COORDINATION.md`): host-local slots, the
//! core's `idloom::state` (a `Snowflake` on a slot or a state file is
//! `snowflake_on_file` in snowflake.rs).

use crate::errors::{throw, IntoJs};
use crate::layout::LayoutSpec;
use crate::lease::ms;
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A host-local slot: slot *k* of *count* under `dir/namespace`, held by an
/// exclusive file lock as long as this object (and the process) lives; node
/// = `hostBase + k`. For `cluster` and PM2 workers: claim it in the worker.
#[napi]
pub struct Slot {
    slot: std::sync::Mutex<Option<idloom::state::Slot>>,
    index: u64,
    node: u64,
    layout: idloom::Layout,
}

impl Slot {
    /// The slot's process-wide fence file.
    pub(crate) fn fence(&self, env: &Env) -> Result<std::sync::Arc<idloom::state::FileFence>> {
        let guard = self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = guard.as_ref().ok_or_else(|| {
            throw(
                env,
                &idloom::Error::reason(ErrorCode::NoFreeNode, "slot", "released: claim a slot again"),
            )
        })?;
        slot.fence(&self.layout).js(env)
    }
    pub(crate) fn node_id(&self) -> u64 {
        self.node
    }
    pub(crate) fn layout(&self) -> idloom::Layout {
        self.layout
    }
}

#[napi]
impl Slot {
    /// Claim the first free slot of `count`; `no_free_node` when every slot is held by a live process.
    #[napi(factory)]
    pub fn claim(env: Env, dir: String, namespace: String, count: f64, host_base: f64, spec: LayoutSpec) -> Result<Slot> {
        let layout = spec.layout(&env)?;
        let count = ms(&env, count, "count")?;
        let host_base = ms(&env, host_base, "hostBase")?;
        if host_base > layout.max_node() {
            return Err(throw(
                &env,
                &idloom::Error::range(ErrorCode::NodeOutOfRange, "hostBase", host_base, 0, layout.max_node()),
            ));
        }
        let slot = idloom::state::Slot::claim(std::path::Path::new(&dir), &namespace, count, host_base, layout.max_node()).js(&env)?;
        Ok(Slot {
            index: slot.index(),
            node: slot.node(),
            slot: std::sync::Mutex::new(Some(slot)),
            layout,
        })
    }

    /// Claim a slot of a Kubernetes StatefulSet pod (`idloom::state::Slot::statefulset`):
    /// node = `base + ordinal × slots + k`, the ordinal from `hostname` (`$HOSTNAME` when null).
    #[napi(factory)]
    pub fn statefulset(
        env: Env,
        dir: String,
        namespace: String,
        base: f64,
        slots: f64,
        hostname: Option<String>,
        spec: LayoutSpec,
    ) -> Result<Slot> {
        let layout = spec.layout(&env)?;
        let base = ms(&env, base, "base")?;
        let slots = ms(&env, slots, "slots")?;
        let slot = idloom::state::Slot::statefulset(
            std::path::Path::new(&dir),
            &namespace,
            hostname.as_deref(),
            base,
            slots,
            layout.max_node(),
        )
        .js(&env)?;
        Ok(Slot {
            index: slot.index(),
            node: slot.node(),
            slot: std::sync::Mutex::new(Some(slot)),
            layout,
        })
    }

    /// The slot index *k*.
    #[napi(getter)]
    pub fn index(&self) -> f64 {
        self.index as f64
    }

    /// The node: `hostBase + k`.
    #[napi(getter)]
    pub fn node(&self) -> f64 {
        self.node as f64
    }

    /// Whether this object still holds the lock.
    #[napi(getter)]
    pub fn held(&self) -> bool {
        self.slot.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// Let the slot go now (it also goes when the process dies).
    #[napi]
    pub fn release(&self) {
        if let Ok(mut s) = self.slot.lock() {
            s.take();
        }
    }
}
