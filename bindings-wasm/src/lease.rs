//! Node leases on wasm (`docs/COORDINATION.md`): the core's lease `Holder`
//! as the addon's `LeaseMachine` class (an isolate's side of a lease), and
//! the store's side — the core's `MemoryStore`, which the Durable Object
//! (`idloom-wasm/workers`) keeps in its transactional storage. Every
//! decision is the core's; JavaScript persists records and carries messages.

use crate::errors::{bad, js_err, out_of_range, safe_whole as ms, IntoJs, Out};
use crate::number_or_null;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use idloom::lease::{Grant, Holder, Lease, LeaseConfig, LeaseState, MemoryStore, NodeRecord, Renewal, MAX_TTL_MS};
use idloom::ErrorCode;
use js_sys::Array;
use wasm_bindgen::prelude::*;

fn config(ttl_ms: f64, max_skew_ms: f64) -> Out<LeaseConfig> {
    let c = LeaseConfig {
        ttl_ms: ms(ttl_ms, "ttlMs")?,
        max_skew_ms: ms(max_skew_ms, "maxSkewMs")?,
    };
    if c.ttl_ms > MAX_TTL_MS {
        return Err(out_of_range(ErrorCode::InvalidArgument, "ttlMs", c.ttl_ms, 1, MAX_TTL_MS));
    }
    c.validate().js()?;
    Ok(c)
}

js_object! {
    /// A store's answer, as numbers: `{ node, epoch, startMs, fenceMs, storeNowMs }`.
    GrantSpec {
        node: f64 = node, epoch: f64 = epoch, start_ms: f64 = startMs, fence_ms: f64 = fenceMs, store_now_ms: f64 = storeNowMs,
    }
}

impl GrantSpec {
    fn grant(&self) -> Out<Grant> {
        Ok(Grant {
            node: ms(self.node(), "grant.node")?,
            epoch: ms(self.epoch(), "grant.epoch")?,
            start_ms: ms(self.start_ms(), "grant.startMs")?,
            fence_ms: ms(self.fence_ms(), "grant.fenceMs")?,
            store_now_ms: ms(self.store_now_ms(), "grant.storeNowMs")?,
        })
    }
}

/// Numbers as a JS array (the addon's `Vec<f64>`).
fn numbers(values: &[f64]) -> Array {
    values.iter().map(|&v| JsValue::from_f64(v)).collect()
}

fn no_grant() -> JsValue {
    bad(ErrorCode::LeaseLost, "lease", "no node was granted yet")
}

/// The holder's side of one node lease, pure (no I/O): the core's `Holder`.
#[wasm_bindgen(js_name = LeaseMachine)]
pub struct WasmLeaseMachine {
    holder: Holder,
}

#[wasm_bindgen(js_class = LeaseMachine)]
impl WasmLeaseMachine {
    /// A holder for a namespace's TTL and skew bound (checked).
    #[wasm_bindgen(constructor)]
    pub fn new(ttl_ms: f64, max_skew_ms: f64) -> Out<WasmLeaseMachine> {
        Ok(WasmLeaseMachine {
            holder: Holder::new(config(ttl_ms, max_skew_ms)?).js()?,
        })
    }
    /// Start an acquisition at holder time `now`: the fence to propose.
    #[wasm_bindgen(js_name = beginAcquire)]
    pub fn begin_acquire(&mut self, now: f64) -> Out<f64> {
        Ok(self.holder.begin_acquire(ms(now, "nowMs")?) as f64)
    }
    /// The store granted a node (`clock_skew` refuses it).
    pub fn granted(&mut self, grant: &GrantSpec, received: f64) -> Out<()> {
        let g = grant.grant()?;
        self.holder.granted(&g, ms(received, "receivedMs")?).js()
    }
    /// If a renewal is due at `now`: the fence to propose (null: none).
    #[wasm_bindgen(js_name = beginRenew)]
    pub fn begin_renew(&mut self, now: f64) -> Out<JsValue> {
        Ok(number_or_null(self.holder.begin_renew(ms(now, "nowMs")?).map(|f| f as f64)))
    }
    /// Milliseconds from `now` until the next renewal is due.
    #[wasm_bindgen(js_name = nextRenewalInMs)]
    pub fn next_renewal_in_ms(&self, now: f64) -> Out<f64> {
        Ok(self.holder.next_renewal_in_ms(ms(now, "nowMs")?) as f64)
    }
    /// The store confirmed a renewal: the core's action, `['renewed', fence]`
    /// or `['retry', ms]`; throws when renewals end.
    pub fn renewed(&mut self, grant: &GrantSpec, received: f64) -> Out<Array> {
        let g = grant.grant()?;
        let (action, n) = self.holder.renewed(&g, ms(received, "receivedMs")?).pair().js()?;
        Ok(Array::of2(&JsValue::from_str(action), &JsValue::from_f64(n as f64)))
    }
    /// A renewal without a protocol answer (`code`, if one of ours): ms to retry in, or null.
    #[wasm_bindgen(js_name = renewFailed)]
    pub fn renew_failed(&mut self, code: Option<String>) -> JsValue {
        number_or_null(match self.holder.renew_failed(code.as_deref().and_then(ErrorCode::from_name)) {
            Renewal::Retry { in_ms } => Some(in_ms as f64),
            _ => None,
        })
    }
    /// The store refused a renewal: the `lease_lost` message.
    pub fn refused(&mut self) -> Out<String> {
        match self.holder.refused() {
            Renewal::Stop(e) => Ok(e.to_string()),
            _ => Err(no_grant()),
        }
    }
    /// A clean release: `[node, epoch, highWaterMs]`.
    pub fn release(&mut self, high_water_ms: Option<f64>) -> Out<Array> {
        let hw = high_water_ms.map(|v| ms(v, "highWaterMs")).transpose()?;
        let r = self.holder.release(hw).js()?;
        Ok(numbers(&[r.node as f64, r.epoch as f64, r.high_water_ms as f64]))
    }
    /// `[node, epoch, startMs, fenceMs, skewMs, expiresMs]`.
    pub fn snapshot(&self) -> Out<Array> {
        let l = self.holder.lease().ok_or_else(no_grant)?;
        Ok(numbers(&[
            l.node() as f64,
            l.epoch() as f64,
            l.start_ms() as f64,
            l.fence_ms() as f64,
            l.skew_ms() as f64,
            l.expires_ms() as f64,
        ]))
    }
    /// The event of the last step, once (the core's `Holder::take_event`):
    /// `{ name, facts }` of `lease_acquired`, a renewal's outcome,
    /// `lease_released`; null if none is new.
    #[wasm_bindgen(js_name = takeEvent)]
    pub fn take_event(&mut self) -> JsValue {
        self.holder.take_event().map_or(JsValue::NULL, |e| crate::events::event_record(&e))
    }
    /// `pending`, `active`, `lost` or `released`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        match self.holder.lease().map(Lease::state) {
            None => "pending",
            Some(LeaseState::Active) => "active",
            Some(LeaseState::Lost) => "lost",
            Some(LeaseState::Released) => "released",
        }
        .into()
    }
    /// Every third of the TTL.
    #[wasm_bindgen(getter, js_name = renewEveryMs)]
    pub fn renew_every_ms(&self) -> f64 {
        self.holder.config().renew_every_ms() as f64
    }
    /// The TTL.
    #[wasm_bindgen(getter, js_name = ttlMs)]
    pub fn ttl_ms(&self) -> f64 {
        self.holder.config().ttl_ms as f64
    }
}

/// The store's side of one namespace (the core's `MemoryStore`): what a
/// Durable Object answers, persisting each record it changes.
#[wasm_bindgen]
pub struct WasmLeaseStore {
    inner: MemoryStore,
}

/// A new namespace of `nodes` nodes (`fresh`: floor 0).
#[wasm_bindgen(js_name = leaseStoreNew)]
pub fn lease_store_new(ttl_ms: f64, max_skew_ms: f64, nodes: f64, identity: &str, fresh: bool, now: f64) -> Out<WasmLeaseStore> {
    let c = config(ttl_ms, max_skew_ms)?;
    Ok(WasmLeaseStore {
        inner: MemoryStore::new(c, ms(nodes, "nodes")?, identity, fresh, ms(now, "nowMs")?).js()?,
    })
}

/// A namespace as storage kept it: `holders[k]` and `numbers[4k..4k+4]` =
/// epoch, expiry, start and fence of node k.
#[wasm_bindgen(js_name = leaseStoreRestore)]
pub fn lease_store_restore(
    ttl_ms: f64,
    max_skew_ms: f64,
    floor_ms: f64,
    identity: &str,
    holders: Vec<String>,
    numbers: &[f64],
) -> Out<WasmLeaseStore> {
    let c = config(ttl_ms, max_skew_ms)?;
    if numbers.len() != holders.len() * 4 {
        return Err(js_err(&idloom::Error::reason(
            ErrorCode::StoreSchema,
            "records",
            "four numbers per node: a namespace's storage was written by something else",
        )));
    }
    let mut nodes = Vec::with_capacity(holders.len());
    for (k, holder) in holders.into_iter().enumerate() {
        let q = &numbers[4 * k..4 * k + 4];
        nodes.push(NodeRecord {
            holder,
            epoch: ms(q[0], "record.epoch")?,
            expires_ms: ms(q[1], "record.expiresMs")?,
            start_ms: ms(q[2], "record.startMs")?,
            fence_ms: ms(q[3], "record.fenceMs")?,
        });
    }
    Ok(WasmLeaseStore {
        inner: MemoryStore::restore(c, ms(floor_ms, "floorMs")?, identity, nodes).js()?,
    })
}

/// A grant as `[node, epoch, startMs, fenceMs, storeNowMs]`.
fn grant_out(g: &Grant) -> Vec<f64> {
    [g.node, g.epoch, g.start_ms, g.fence_ms, g.store_now_ms]
        .iter()
        .map(|&v| v as f64)
        .collect()
}

#[wasm_bindgen]
impl WasmLeaseStore {
    /// Lease a node: `[node, epoch, startMs, fenceMs, storeNowMs]`.
    pub fn acquire(&mut self, holder: &str, proposed: f64, identity: &str, now: f64) -> Out<Vec<f64>> {
        let (proposed, now) = (ms(proposed, "proposedFenceMs")?, ms(now, "nowMs")?);
        Ok(grant_out(&self.inner.acquire(holder, proposed, identity, now).js()?))
    }
    /// Renew the current lease — the same epoch, holder and start, at or
    /// above the floor, under the identity the store recorded (`lease_lost`
    /// otherwise).
    #[allow(clippy::too_many_arguments)]
    pub fn renew(&mut self, node: f64, epoch: f64, start: f64, holder: &str, proposed: f64, identity: &str, now: f64) -> Out<Vec<f64>> {
        let (node, epoch, start) = (ms(node, "node")?, ms(epoch, "epoch")?, ms(start, "startMs")?);
        let (proposed, now) = (ms(proposed, "proposedFenceMs")?, ms(now, "nowMs")?);
        Ok(grant_out(
            &self.inner.renew(node, epoch, start, holder, proposed, identity, now).js()?,
        ))
    }
    /// A clean release of the current lease with a high-water (`lease_lost` otherwise).
    pub fn release(&mut self, node: f64, epoch: f64, start: f64, holder: &str, high_water: f64) -> Out<()> {
        let (node, epoch, start) = (ms(node, "node")?, ms(epoch, "epoch")?, ms(start, "startMs")?);
        let high_water = ms(high_water, "highWaterMs")?;
        self.inner.release(node, epoch, start, holder, high_water).js()
    }
    /// The namespace floor.
    #[wasm_bindgen(js_name = floorMs)]
    pub fn floor_ms(&self) -> f64 {
        self.inner.floor_ms() as f64
    }
    /// How many nodes.
    pub fn nodes(&self) -> f64 {
        self.inner.nodes().len() as f64
    }
    /// Node `k`'s `[epoch, expiresMs, startMs, fenceMs]`.
    pub fn record(&self, k: u32) -> Vec<f64> {
        self.inner.nodes().get(k as usize).map_or_else(Vec::new, |r| {
            vec![r.epoch as f64, r.expires_ms as f64, r.start_ms as f64, r.fence_ms as f64]
        })
    }
    /// Node `k`'s holder.
    pub fn holder(&self, k: u32) -> String {
        self.inner
            .nodes()
            .get(k as usize)
            .map_or_else(String::new, |r| r.holder.to_string())
    }
}
