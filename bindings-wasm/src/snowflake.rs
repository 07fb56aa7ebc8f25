//! Snowflake generators: the process registry's shared generator per
//! (layout, node) of this wasm instance, leased generators of their own,
//! and the pure state machine. The addon's shapes: `snowflakeCreate(spec,
//! node, options)` answers a handle whose `next` and `nextString` are
//! functions of their own (the shared API hands them out without `this`).

use crate::errors::{out_of_range, IntoJs, Out};
use crate::layout::LayoutSpec;
use crate::{number_or_null, JsClock};
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use idloom::names::{Backwards, Exhausted, Named, PolicyChoice, Start};
use idloom::snowflake::Next;
use idloom::{process, registry, ErrorCode, Generator, Policy, SharedSnowflake};
use js_sys::{Array, BigUint64Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

js_object! {
    /// Policy choices; the JS wrapper fills defaults and checks types
    /// (`clock` is the addon's: here time is always `Date.now()`).
    SnowflakeOptions {
        backwards: String = backwards, max_backwards_ms: f64 = maxBackwardsMs,
        exhausted: String = exhausted, max_borrow_ms: f64 = maxBorrowMs,
        sequence_start: String = sequenceStart, seed: Option<u64> = seed,
    }
}

impl SnowflakeOptions {
    fn policy(&self) -> Out<Policy> {
        // Names and bounds are the core's; the JS wrapper checked types with the same tables (`optionNames`).
        let choice = PolicyChoice {
            backwards: Backwards::from_name(&self.backwards()).js()?,
            max_backwards_ms: Some(self.max_backwards_ms() as u64),
            exhausted: Exhausted::from_name(&self.exhausted()).js()?,
            max_borrow_ms: Some(self.max_borrow_ms() as u64),
            sequence_start: Start::from_name(&self.sequence_start()).js()?,
            seed: self.seed(),
        };
        choice.policy(|| process::with_thread_rng(|r| Ok(r.next_u64()))).js()
    }
}

/// Most IDs one batch call returns.
const MAX_BATCH: u32 = idloom::limits::MAX_BATCH as u32;
/// Longest one synchronous call spins on a policy wait (there is no thread to
/// sleep: the JS thread would freeze); longer waits are `would_block`.
const SYNC_WAIT_MS: u64 = idloom::limits::MAX_SYNC_WAIT_MS;

/// An ID (BigInt) or the time to retry at (number).
fn next_value(n: Next) -> JsValue {
    match n {
        Next::Id(id) => JsValue::from(id),
        Next::RetryAt(ms) => JsValue::from(ms as f64),
    }
}

/// A snowflake generator shared by every handle of its (layout, node) in
/// this wasm instance (or, leased, by the lease's handles).
#[wasm_bindgen]
pub struct WasmSnowflake {
    inner: Arc<SharedSnowflake<JsClock>>,
}

#[wasm_bindgen]
impl WasmSnowflake {
    /// The next ID.
    #[allow(clippy::should_implement_trait)] // JS method name
    pub fn next(&self) -> Out<u64> {
        self.inner.next_id_within(SYNC_WAIT_MS).js()
    }
    /// The next ID as a decimal string.
    #[wasm_bindgen(js_name = nextString)]
    pub fn next_string(&self) -> Out<String> {
        Ok(self.inner.next_id_within(SYNC_WAIT_MS).js()?.to_string())
    }
    /// One attempt, never waiting: an ID (BigInt) or the time to retry at (number).
    #[wasm_bindgen(js_name = tryNext)]
    pub fn try_next(&self) -> Out<JsValue> {
        Ok(next_value(self.inner.try_next_id().js()?))
    }
    /// `n` increasing IDs.
    #[wasm_bindgen(js_name = nextBatch)]
    pub fn next_batch(&self, n: u32) -> Out<BigUint64Array> {
        if n > MAX_BATCH {
            return Err(out_of_range(ErrorCode::InvalidArgument, "n", n, 0, MAX_BATCH.into()));
        }
        let mut out = vec![0u64; n as usize];
        self.inner.fill_within(&mut out, SYNC_WAIT_MS).js()?;
        Ok(BigUint64Array::from(&out[..]))
    }
    /// The node ID.
    pub fn node(&self) -> f64 {
        self.inner.node() as f64
    }
    /// The core's clock events of this generator (counted on its slow paths
    /// only): every kind's count in the core's order (`eventKinds`).
    pub fn stats(&self) -> alloc::vec::Vec<f64> {
        self.inner.stats().counters().iter().map(|(_, n)| n as f64).collect()
    }
    /// Move to another node (the registry's generators).
    pub fn rekey(&self, node: u64) -> Out<()> {
        let max = self.inner.layout().max_node();
        if node > max {
            return Err(out_of_range(ErrorCode::NodeOutOfRange, "node", node, 0, max));
        }
        registry::rekey(&self.inner, node).js()
    }
}

/// The handle as JavaScript gets it: `next` and `nextString` bound to it once
/// here, so they are functions of their own like the addon's closures (the
/// shared API hands them out: `const next = gen.next`); no cost per call.
fn handle(inner: Arc<SharedSnowflake<JsClock>>) -> Out<JsValue> {
    let obj = JsValue::from(WasmSnowflake { inner });
    for name in ["next", "nextString"] {
        let key = JsValue::from_str(name);
        let method: Function = Reflect::get(&obj, &key)?.unchecked_into();
        Reflect::set(&obj, &key, &method.bind0(&obj))?;
    }
    Ok(obj)
}

/// A generator for `node` (the JS wrapper has checked types and the node range).
#[wasm_bindgen(js_name = snowflakeCreate)]
pub fn snowflake_create(spec: &LayoutSpec, node: u64, options: &SnowflakeOptions) -> Out<JsValue> {
    handle(registry::acquire(spec.layout()?, node, options.policy()?, JsClock).js()?)
}

/// A generator fenced by a lease: a generator of its own (not the
/// registry's, so two leases on one node never move each other's fences).
#[cfg(feature = "coord")]
#[wasm_bindgen(js_name = snowflakeLeased)]
pub fn snowflake_leased(spec: &LayoutSpec, node: u64, options: &SnowflakeOptions) -> Out<JsValue> {
    handle(Arc::new(
        SharedSnowflake::new(spec.layout()?, node, options.policy()?, JsClock).js()?,
    ))
}

#[cfg(feature = "coord")]
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
    /// Stop for a release: the high-water to release with (null: nothing minted).
    #[wasm_bindgen(js_name = stopLease)]
    pub fn stop_lease(&self) -> JsValue {
        number_or_null(self.inner.stop_lease().map(|m| m as f64))
    }
}

/// The pure state machine: the host passes every time.
#[wasm_bindgen]
pub struct WasmMachine {
    inner: Generator,
}

#[wasm_bindgen]
impl WasmMachine {
    /// An ID (BigInt) or the time to retry at (number).
    #[wasm_bindgen(js_name = nextAt)]
    pub fn next_at(&mut self, now: f64) -> Out<JsValue> {
        Ok(next_value(self.inner.next_at(now as u64).js()?))
    }
    /// `[ids, retryAtMs or null]`.
    #[wasm_bindgen(js_name = fillAt)]
    pub fn fill_at(&mut self, now: f64, n: u32) -> Out<Array> {
        let mut out = vec![0u64; n.min(MAX_BATCH) as usize];
        let (k, retry) = self.inner.fill_at(now as u64, &mut out).js()?;
        Ok(Array::of2(
            &BigUint64Array::from(&out[..k]).into(),
            &number_or_null(retry.map(|ms| ms as f64)),
        ))
    }
}

/// A pure state machine for `node`.
#[wasm_bindgen(js_name = snowflakeMachine)]
pub fn snowflake_machine(spec: &LayoutSpec, node: u64, options: &SnowflakeOptions) -> Out<WasmMachine> {
    Ok(WasmMachine {
        inner: Generator::new(spec.layout()?, node, options.policy()?).js()?,
    })
}
