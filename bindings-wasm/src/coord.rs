//! Coordination on wasm (`docs/COORDINATION.md`): the core's lease `Holder` (an
//! isolate's side of a lease), a leased generator's fence, and the store's
//! side — the core's `MemoryStore`, which the Durable Object
//! (`idloom-wasm/workers`) keeps in its transactional storage. Every
//! decision is the core's; JavaScript persists records and carries messages.

use crate::{js_err, layout, policy, IntoJs, JsClock, Out, WasmSnowflake};
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use idloom::lease::{Grant, Holder, Lease, LeaseConfig, LeaseState, MemoryStore, NodeRecord, Renewal, MAX_TTL_MS};
use idloom::stores::renewal::Action;
use idloom::{ErrorCode, SharedSnowflake};
use wasm_bindgen::prelude::*;

/// A safe non-negative integer from JS, else `invalid_argument` naming `param`.
fn ms(v: f64, param: &'static str) -> Out<u64> {
    if (0.0..=9_007_199_254_740_991.0).contains(&v) && v == (v as u64) as f64 {
        Ok(v as u64)
    } else {
        Err(js_err(&idloom::Error::reason(
            ErrorCode::InvalidArgument,
            param,
            "must be a safe non-negative integer",
        )))
    }
}

fn config(ttl_ms: f64, max_skew_ms: f64) -> Out<LeaseConfig> {
    let c = LeaseConfig {
        ttl_ms: ms(ttl_ms, "ttlMs")?,
        max_skew_ms: ms(max_skew_ms, "maxSkewMs")?,
    };
    if c.ttl_ms > MAX_TTL_MS {
        return Err(js_err(&idloom::Error::range(
            ErrorCode::InvalidArgument,
            "ttlMs",
            c.ttl_ms,
            1,
            MAX_TTL_MS,
        )));
    }
    c.validate().js()?;
    Ok(c)
}

fn grant(node: f64, epoch: f64, start_ms: f64, fence_ms: f64, store_now_ms: f64) -> Out<Grant> {
    Ok(Grant {
        node: ms(node, "grant.node")?,
        epoch: ms(epoch, "grant.epoch")?,
        start_ms: ms(start_ms, "grant.startMs")?,
        fence_ms: ms(fence_ms, "grant.fenceMs")?,
        store_now_ms: ms(store_now_ms, "grant.storeNowMs")?,
    })
}

fn grant_out(g: &Grant) -> Vec<f64> {
    vec![
        g.node as f64,
        g.epoch as f64,
        g.start_ms as f64,
        g.fence_ms as f64,
        g.store_now_ms as f64,
    ]
}

/// The holder's side of one lease (the core's `Holder`).
#[wasm_bindgen]
pub struct WasmLeaseMachine {
    holder: Holder,
}

/// A holder for a namespace's TTL and skew bound (checked).
#[wasm_bindgen(js_name = leaseMachine)]
pub fn lease_machine(ttl_ms: f64, max_skew_ms: f64) -> Out<WasmLeaseMachine> {
    Ok(WasmLeaseMachine {
        holder: Holder::new(config(ttl_ms, max_skew_ms)?).js()?,
    })
}

#[wasm_bindgen]
impl WasmLeaseMachine {
    /// Start an acquisition at holder time `now`: the fence to propose.
    #[wasm_bindgen(js_name = beginAcquire)]
    pub fn begin_acquire(&mut self, now: f64) -> Out<f64> {
        Ok(self.holder.begin_acquire(ms(now, "nowMs")?) as f64)
    }
    /// The store granted a node (`clock_skew` refuses it).
    pub fn granted(&mut self, node: f64, epoch: f64, start: f64, fence: f64, store_now: f64, received: f64) -> Out<()> {
        let g = grant(node, epoch, start, fence, store_now)?;
        self.holder.granted(&g, ms(received, "receivedMs")?).js()
    }
    /// If a renewal is due at `now`: the fence to propose.
    #[wasm_bindgen(js_name = beginRenew)]
    pub fn begin_renew(&mut self, now: f64) -> Out<Option<f64>> {
        Ok(self.holder.begin_renew(ms(now, "nowMs")?).map(|f| f as f64))
    }
    /// Milliseconds from `now` until the next renewal is due.
    #[wasm_bindgen(js_name = nextRenewalInMs)]
    pub fn next_renewal_in_ms(&self, now: f64) -> Out<f64> {
        Ok(self.holder.next_renewal_in_ms(ms(now, "nowMs")?) as f64)
    }
    /// The store confirmed a renewal: the core's action, `['renewed', fence]`
    /// or `['retry', ms]` (the Node addon's shape); throws when renewals end.
    pub fn renewed(&mut self, node: f64, epoch: f64, start: f64, fence: f64, store_now: f64, received: f64) -> Out<js_sys::Array> {
        let g = grant(node, epoch, start, fence, store_now)?;
        let (action, n) = Action::from(self.holder.renewed(&g, ms(received, "receivedMs")?))
            .pair()
            .map_err(|e| js_err(&e))?;
        Ok(js_sys::Array::of2(&JsValue::from_str(action), &JsValue::from_f64(n as f64)))
    }
    /// A renewal without a protocol answer (`code`, if one of ours): ms to retry in, or none.
    #[wasm_bindgen(js_name = renewFailed)]
    pub fn renew_failed(&mut self, code: Option<String>) -> Option<f64> {
        match self.holder.renew_failed(code.as_deref().and_then(ErrorCode::from_name)) {
            Renewal::Retry { in_ms } => Some(in_ms as f64),
            _ => None,
        }
    }
    /// The store refused a renewal: the `lease_lost` message.
    pub fn refused(&mut self) -> String {
        match self.holder.refused() {
            Renewal::Stop(e) => e.to_string(),
            _ => String::new(),
        }
    }
    /// A clean release: `[node, epoch, highWaterMs]`.
    pub fn release(&mut self, high_water_ms: Option<f64>) -> Out<Vec<f64>> {
        let hw = match high_water_ms {
            Some(v) => Some(ms(v, "highWaterMs")?),
            None => None,
        };
        let r = self.holder.release(hw).js()?;
        Ok(vec![r.node as f64, r.epoch as f64, r.high_water_ms as f64])
    }
    /// `[node, epoch, startMs, fenceMs, skewMs, expiresMs]`.
    pub fn snapshot(&self) -> Out<Vec<f64>> {
        let l = self
            .holder
            .lease()
            .ok_or_else(|| js_err(&idloom::Error::reason(ErrorCode::LeaseLost, "lease", "no node was granted yet")))?;
        Ok(vec![
            l.node() as f64,
            l.epoch() as f64,
            l.start_ms() as f64,
            l.fence_ms() as f64,
            l.skew_ms() as f64,
            l.expires_ms() as f64,
        ])
    }
    /// `pending`, `active`, `lost` or `released`.
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
    #[wasm_bindgen(js_name = renewEveryMs)]
    pub fn renew_every_ms(&self) -> f64 {
        self.holder.config().renew_every_ms() as f64
    }
    /// The TTL.
    #[wasm_bindgen(js_name = ttlMs)]
    pub fn ttl_ms(&self) -> f64 {
        self.holder.config().ttl_ms as f64
    }
}

/// A generator fenced by a lease: a generator of its own (not the
/// registry's, so two leases on one node never move each other's fences).
#[wasm_bindgen(js_name = snowflakeLeased)]
#[allow(clippy::too_many_arguments)]
pub fn snowflake_leased(
    t: u32,
    n: u32,
    s: u32,
    epoch: f64,
    tick: f64,
    order: u32,
    node: u64,
    backwards: &str,
    max_backwards_ms: f64,
    exhausted: &str,
    max_borrow_ms: f64,
    start: &str,
    seed: Option<u64>,
) -> Out<WasmSnowflake> {
    let layout = layout(t, n, s, epoch, tick, order)?;
    let policy = policy(backwards, max_backwards_ms, exhausted, max_borrow_ms, start, seed)?;
    Ok(WasmSnowflake {
        inner: Arc::new(SharedSnowflake::new(layout, node, policy, JsClock).js()?),
    })
}

#[wasm_bindgen]
impl WasmSnowflake {
    /// Mint only inside `[start, fence)` of lease `epoch` (leased generators).
    #[wasm_bindgen(js_name = setLease)]
    pub fn set_lease(&self, start: f64, fence: f64, epoch: f64) {
        self.inner.set_lease(start as u64, fence as u64, epoch as u64);
    }
    /// A renewal moved the fence on.
    #[wasm_bindgen(js_name = extendFence)]
    pub fn extend_fence(&self, fence: f64) {
        self.inner.extend_fence(fence as u64);
    }
    /// The lease is lost: mint below the fence, never past it.
    #[wasm_bindgen(js_name = loseLease)]
    pub fn lose_lease(&self) {
        self.inner.lose_lease();
    }
    /// Stop for a release: the high-water to release with (none: nothing minted).
    #[wasm_bindgen(js_name = stopLease)]
    pub fn stop_lease(&self) -> Option<f64> {
        self.inner.stop_lease().map(|m| m as f64)
    }
}

/// Check a namespace name (1 to 64 of `A-Z a-z 0-9 _ . -`).
#[wasm_bindgen(js_name = storeCheckNamespace)]
pub fn store_check_namespace(namespace: &str) -> Out<()> {
    idloom::stores::check_namespace(namespace).js()
}

/// The layout record a namespace keeps.
#[wasm_bindgen(js_name = storeLayoutRecord)]
pub fn store_layout_record(t: u32, n: u32, s: u32, epoch: f64, tick: f64, order: u32) -> Out<String> {
    Ok(idloom::stores::layout_record(&layout(t, n, s, epoch, tick, order)?))
}

/// The core's node count of a namespace on `engine` with the layout: `nodes`
/// checked, or the default (1,024, at most the layout's node count) when absent.
#[wasm_bindgen(js_name = storeNamespaceNodes)]
#[allow(clippy::too_many_arguments)]
pub fn store_namespace_nodes(engine: &str, t: u32, n: u32, s: u32, epoch: f64, tick: f64, order: u32, nodes: Option<f64>) -> Out<f64> {
    let nodes = match nodes {
        None => None,
        Some(v) => Some(ms(v, "nodes")?),
    };
    Ok(idloom::stores::namespace_nodes(engine, &layout(t, n, s, epoch, tick, order)?, nodes).js()? as f64)
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

#[wasm_bindgen]
impl WasmLeaseStore {
    /// Lease a node: `[node, epoch, startMs, fenceMs, storeNowMs]`.
    pub fn acquire(&mut self, holder: &str, proposed: f64, identity: &str, now: f64) -> Out<Vec<f64>> {
        let g = self
            .inner
            .acquire(holder, ms(proposed, "proposedFenceMs")?, identity, ms(now, "nowMs")?)
            .js()?;
        Ok(grant_out(&g))
    }
    /// Renew under the same epoch and holder (`lease_lost` otherwise).
    pub fn renew(&mut self, node: f64, epoch: f64, holder: &str, proposed: f64, identity: &str, now: f64) -> Out<Vec<f64>> {
        let g = self
            .inner
            .renew(
                ms(node, "node")?,
                ms(epoch, "epoch")?,
                holder,
                ms(proposed, "proposedFenceMs")?,
                identity,
                ms(now, "nowMs")?,
            )
            .js()?;
        Ok(grant_out(&g))
    }
    /// A clean release with a high-water (`lease_lost` if another has it).
    pub fn release(&mut self, node: f64, epoch: f64, holder: &str, high_water: f64, identity: &str, now: f64) -> Out<()> {
        self.inner
            .release(
                ms(node, "node")?,
                ms(epoch, "epoch")?,
                holder,
                ms(high_water, "highWaterMs")?,
                identity,
                ms(now, "nowMs")?,
            )
            .js()
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

/// Every store text the core holds for `engine` (`postgres`, `mysql`,
/// `redis`) as `[name, text]` pairs.
#[wasm_bindgen(js_name = storeTexts)]
pub fn store_texts(engine: &str) -> Out<js_sys::Array> {
    let texts = idloom::stores::texts(engine).ok_or_else(|| {
        js_err(&idloom::Error::reason(
            ErrorCode::InvalidArgument,
            "engine",
            "must be postgres, mysql or redis",
        ))
    })?;
    Ok(texts
        .iter()
        .map(|(k, v)| JsValue::from(js_sys::Array::of2(&JsValue::from_str(k), &JsValue::from_str(v))))
        .collect())
}

/// A segment text with its table name checked and in place.
#[wasm_bindgen(js_name = storeSegmentSql)]
pub fn store_segment_sql(text: &str, table: &str) -> Out<String> {
    idloom::stores::segment_sql(text, table).js()
}

/// A sequence's create text for sequence `index` of `count` (the core's numbers, checked).
#[wasm_bindgen(js_name = storeSequenceSql)]
pub fn store_sequence_sql(text: &str, name: &str, step: f64, floor: f64, index: f64, count: f64) -> Out<String> {
    let (start, increment) =
        idloom::stores::sequence_numbers(ms(step, "step")?, ms(floor, "floor")?, ms(index, "index")?, ms(count, "count")?).js()?;
    idloom::stores::sequence_sql(text, name, start, increment).js()
}

/// The core's check of a Redis counter's floor for ranges of `step` (Lua
/// computes in doubles: below 2^53 − 1 − step, else `invalid_range`).
#[wasm_bindgen(js_name = storeRedisCounterFloor)]
pub fn store_redis_counter_floor(floor: f64, step: f64) -> Out<f64> {
    // Any non-negative integer (a floor past 2^53 is what the core refuses by range).
    let n = |v: f64, param: &'static str| -> Out<u64> {
        if v >= 0.0 && v == (v as u64) as f64 {
            Ok(v as u64)
        } else {
            ms(v, param)
        }
    };
    Ok(idloom::stores::redis::check_counter_floor(n(floor, "floor")?, n(step, "step")?).js()? as f64)
}

/// Redis keys: `ns` (a namespace's record) or `counter` (a segment counter).
#[wasm_bindgen(js_name = storeRedisKey)]
pub fn store_redis_key(kind: &str, name: &str) -> Out<String> {
    if kind == "ns" {
        idloom::stores::check_namespace(name).js()?;
        Ok(idloom::stores::redis::namespace_key(name))
    } else {
        idloom::inputs::biz_tag(name).js()?;
        Ok(idloom::stores::redis::counter_key(name))
    }
}

/// A store URL with its password shown as `***`.
#[wasm_bindgen(js_name = storeRedactUrl)]
pub fn store_redact_url(url: &str) -> String {
    idloom::secrets::redact_url(url)
}

/// `text` with `url` redacted and its password removed wherever it appears.
#[wasm_bindgen(js_name = storeRedact)]
pub fn store_redact(text: &str, url: &str) -> String {
    idloom::secrets::redact(text, url)
}

/// Check a string a caller gives a store as input `kind` (`namespace`,
/// `biz_tag`, `holder`, `description`, `table`): the core's characters and
/// length, else `invalid_argument`.
#[wasm_bindgen(js_name = storeCheckInput)]
pub fn store_check_input(kind: &str, value: &str) -> Out<()> {
    idloom::inputs::check(kind, value).js()
}

/// What a MySQL URL's `ssl-mode` (undefined: absent) and `ssl-ca` ask for
/// (the core decides): `DISABLED`, `REQUIRED`, `VERIFY_CA` or `VERIFY_IDENTITY`.
#[wasm_bindgen(js_name = storeMysqlTls)]
pub fn store_mysql_tls(ssl_mode: Option<String>, has_ca: bool) -> Out<String> {
    Ok(idloom::tls::mysql_mode(ssl_mode.as_deref(), has_ca).js()?.name().into())
}

/// The core's pause before compare-and-set round `attempt + 1`, in µs.
#[wasm_bindgen(js_name = storeCasPauseUs)]
pub fn store_cas_pause_us(attempt: u32, unit: f64) -> f64 {
    idloom::stores::cas_pause_us(attempt, unit) as f64
}

/// Compare-and-set rounds a Leaf `cas` fetch tries.
#[wasm_bindgen(js_name = storeCasTries)]
pub fn store_cas_tries() -> u32 {
    idloom::stores::CAS_TRIES
}
