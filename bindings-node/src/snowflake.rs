//! Layouts and snowflake generators. A generator is returned to JavaScript
//! as an object of native closures over the process registry's shared
//! generator: `next()` takes no argument, so a call costs ~80 ns instead of
//! the ~250 ns of any napi call with an argument. `worker_threads` load the
//! addon once per process, so workers asking for the same (layout, node)
//! share one generator and never repeat each other.

use crate::errors::{throw, u64_of, IntoJs};
use idloom::names::{Backwards, Exhausted, Named, PolicyChoice, Start};
use idloom::snowflake::Next;
use idloom::{registry, ErrorCode, FieldOrder, HostClock, Layout, Policy, SharedSnowflake};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// A layout as plain numbers (the JS `Layout` carries one).
#[napi(object)]
#[derive(Clone)]
pub struct LayoutSpec {
    pub time_bits: u32,
    pub node_bits: u32,
    pub sequence_bits: u32,
    pub epoch_ms: f64,
    pub tick_ms: f64,
    pub order: String,
}

impl LayoutSpec {
    fn from_layout(l: &Layout) -> Self {
        LayoutSpec {
            time_bits: l.time_bits(),
            node_bits: l.node_bits(),
            sequence_bits: l.sequence_bits(),
            epoch_ms: l.epoch_ms() as f64,
            tick_ms: l.tick_ms() as f64,
            order: l.order().name().into(),
        }
    }

    pub(crate) fn layout(&self, env: &Env) -> Result<Layout> {
        let order = FieldOrder::from_name(&self.order).js(env)?;
        // The JS wrapper has checked that epochMs and tickMs are safe non-negative integers.
        Layout::with_order(
            self.time_bits,
            self.node_bits,
            self.sequence_bits,
            self.epoch_ms as u64,
            self.tick_ms as u64,
            order,
        )
        .js(env)
    }
}

/// A preset by name.
#[napi]
pub fn layout_preset(env: &Env, name: String) -> Result<LayoutSpec> {
    Ok(LayoutSpec::from_layout(&Layout::preset_named(&name).js(env)?))
}

/// Validate a layout (throws `invalid_layout`).
#[napi]
pub fn layout_check(env: &Env, spec: LayoutSpec) -> Result<()> {
    spec.layout(env).map(drop)
}

/// A layout's capacity report.
#[napi(object)]
pub struct Capacity {
    pub ids_per_tick: f64,
    pub ids_per_second_per_node: f64,
    pub nodes: f64,
    pub runs_out_at_ms: f64,
    pub leaves_js_safe_at_ms: Option<f64>,
}

/// Rates, node count and the dates the layout runs out.
#[napi]
pub fn layout_capacity(env: &Env, spec: LayoutSpec) -> Result<Capacity> {
    let c = spec.layout(env)?.capacity();
    Ok(Capacity {
        ids_per_tick: c.ids_per_tick as f64,
        ids_per_second_per_node: c.ids_per_second_per_node as f64,
        nodes: c.nodes as f64,
        runs_out_at_ms: c.runs_out_at_ms as f64,
        leaves_js_safe_at_ms: c.leaves_js_safe_at_ms.map(|v| v as f64),
    })
}

/// The parts of an ID.
#[napi(object)]
pub struct Parts {
    pub timestamp_ms: f64,
    pub tick: f64,
    pub node: f64,
    pub sequence: f64,
}

/// Take an ID apart.
#[napi]
pub fn layout_decompose(env: &Env, spec: LayoutSpec, id: BigInt) -> Result<Parts> {
    let layout = spec.layout(env)?;
    let id = u64_of(env, &id, "id", ErrorCode::IdOutOfRange, layout.max_id())?;
    let p = layout.decompose(id).js(env)?;
    Ok(Parts {
        timestamp_ms: p.timestamp_ms as f64,
        tick: p.tick as f64,
        node: p.node as f64,
        sequence: p.sequence as f64,
    })
}

/// Put an ID together from Unix milliseconds, node and sequence.
#[napi]
pub fn layout_compose(env: &Env, spec: LayoutSpec, timestamp_ms: BigInt, node: BigInt, sequence: BigInt) -> Result<u64> {
    let layout = spec.layout(env)?;
    let ts = u64_of(env, &timestamp_ms, "timestamp_ms", ErrorCode::TimestampOutOfRange, u64::MAX)?;
    let node = u64_of(env, &node, "node", ErrorCode::NodeOutOfRange, layout.max_node())?;
    let seq = u64_of(env, &sequence, "sequence", ErrorCode::SequenceOutOfRange, layout.max_sequence())?;
    layout.compose(ts, node, seq).js(env)
}

/// The friendly form `yyyyMMddHHmmssSSS-node-sequence`.
#[napi]
pub fn layout_friendly(env: &Env, spec: LayoutSpec, id: BigInt) -> Result<String> {
    let layout = spec.layout(env)?;
    let id = u64_of(env, &id, "id", ErrorCode::IdOutOfRange, layout.max_id())?;
    Ok(layout.friendly(id).js(env)?.to_string())
}

/// The ID of a friendly string (strict).
#[napi]
pub fn layout_parse_friendly(env: &Env, spec: LayoutSpec, text: String) -> Result<u64> {
    spec.layout(env)?.parse_friendly(&text).js(env)
}

/// Policy and clock choices; the JS wrapper fills defaults and checks types.
#[napi(object)]
pub struct SnowflakeOptions {
    pub backwards: String,
    pub max_backwards_ms: f64,
    pub exhausted: String,
    pub max_borrow_ms: f64,
    pub sequence_start: String,
    pub seed: Option<BigInt>,
    pub clock: String,
}

fn policy(env: &Env, o: &SnowflakeOptions) -> Result<(Policy, HostClock)> {
    // Names and bounds are the core's (the JS wrapper checked types and
    // spelled-out messages with the same tables, from `optionNames`).
    let choice = PolicyChoice {
        backwards: Backwards::from_name(&o.backwards).js(env)?,
        max_backwards_ms: Some(o.max_backwards_ms as u64),
        exhausted: Exhausted::from_name(&o.exhausted).js(env)?,
        max_borrow_ms: Some(o.max_borrow_ms as u64),
        sequence_start: Start::from_name(&o.sequence_start).js(env)?,
        seed: match &o.seed {
            Some(s) => Some(u64_of(env, s, "seed", ErrorCode::InvalidArgument, u64::MAX)?),
            None => None,
        },
    };
    let policy = choice.policy(|| idloom::process::with_thread_rng(|r| Ok(r.next_u64()))).js(env)?;
    Ok((policy, HostClock::named(&o.clock).js(env)?))
}

type Shared = Arc<SharedSnowflake<HostClock>>;

const MAX_BATCH: u32 = idloom::limits::MAX_BATCH as u32;
const SYNC_WAIT_MS: u64 = idloom::limits::MAX_SYNC_WAIT_MS;

/// A generator for `node`: an object of native closures
/// (`next`, `nextString`, `tryNext`, `nextBatch`, `node`, `rekey`).
#[napi(ts_return_type = "NativeSnowflake")]
pub fn snowflake_create<'env>(env: &'env Env, spec: LayoutSpec, node: BigInt, options: SnowflakeOptions) -> Result<Object<'env>> {
    let layout = spec.layout(env)?;
    let node = u64_of(env, &node, "node", ErrorCode::NodeOutOfRange, layout.max_node())?;
    let (policy, clock) = policy(env, &options)?;
    let gen: Shared = registry::acquire(layout, node, policy, clock).js(env)?;
    let mut obj = generator_object(env, &gen)?;
    let g = gen;
    let f: Function<(), ()> = env.create_function_from_closure("rekey", move |ctx| {
        let node: BigInt = ctx.get(0)?;
        let node = u64_of(ctx.env, &node, "node", ErrorCode::NodeOutOfRange, g.layout().max_node())?;
        registry::rekey(&g, node).map_err(|e| throw(ctx.env, &e))
    })?;
    obj.set_named_property("rekey", f)?;
    Ok(obj)
}

/// A generator fenced by a lease: a generator of its own (not the process
/// registry's, so two leases on one node never move each other's fences),
/// with the minting closures of `snowflake_create` and the lease's
/// (`setLease`, `extendFence`, `loseLease`, `stopLease`), no `rekey`.
#[napi(ts_return_type = "NativeLeasedSnowflake")]
pub fn snowflake_leased<'env>(env: &'env Env, spec: LayoutSpec, node: BigInt, options: SnowflakeOptions) -> Result<Object<'env>> {
    let layout = spec.layout(env)?;
    let node = u64_of(env, &node, "node", ErrorCode::NodeOutOfRange, layout.max_node())?;
    let (policy, clock) = policy(env, &options)?;
    let gen: Shared = Arc::new(SharedSnowflake::new(layout, node, policy, clock).js(env)?);
    let mut obj = generator_object(env, &gen)?;
    let g = gen.clone();
    let f: Function<(), ()> = env.create_function_from_closure("setLease", move |ctx| {
        let (start, fence, epoch): (f64, f64, f64) = (ctx.get(0)?, ctx.get(1)?, ctx.get(2)?);
        g.set_lease(start as u64, fence as u64, epoch as u64);
        Ok(())
    })?;
    obj.set_named_property("setLease", f)?;
    let g = gen.clone();
    let f: Function<(), ()> = env.create_function_from_closure("extendFence", move |ctx| {
        let fence: f64 = ctx.get(0)?;
        g.extend_fence(fence as u64);
        Ok(())
    })?;
    obj.set_named_property("extendFence", f)?;
    let g = gen.clone();
    let f: Function<(), ()> = env.create_function_from_closure("loseLease", move |_ctx| {
        g.lose_lease();
        Ok(())
    })?;
    obj.set_named_property("loseLease", f)?;
    let g = gen.clone();
    let f: Function<(), Option<f64>> = env.create_function_from_closure("stopLease", move |_ctx| Ok(g.stop_lease().map(|ms| ms as f64)))?;
    obj.set_named_property("stopLease", f)?;
    let g = gen;
    let f: Function<(), u32> = env.create_function_from_closure("share", move |_ctx| Ok(share(&g)))?;
    obj.set_named_property("share", f)?;
    Ok(obj)
}

/// Leased generators shared with `worker_threads`: the addon is loaded once
/// per process, so a token minted in one thread names the same generator in
/// every other. Weak: the lease's own handle keeps it alive.
fn shared_leases() -> &'static Mutex<HashMap<u32, Weak<SharedSnowflake<HostClock>>>> {
    static SHARED: OnceLock<Mutex<HashMap<u32, Weak<SharedSnowflake<HostClock>>>>> = OnceLock::new();
    SHARED.get_or_init(Default::default)
}

fn share(gen: &Shared) -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let mut map = shared_leases().lock().unwrap_or_else(|e| e.into_inner());
    map.retain(|_, w| w.strong_count() > 0);
    if let Some((k, _)) = map.iter().find(|(_, w)| w.upgrade().is_some_and(|g| Arc::ptr_eq(&g, gen))) {
        return *k;
    }
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    map.insert(k, Arc::downgrade(gen));
    k
}

/// The generator of a lease another thread of this process shared
/// (`share()`): the same fence, moved by the lease's renewals and ended by
/// its release. A token whose lease is gone is `lease_lost`.
#[napi(ts_return_type = "NativeSnowflake")]
pub fn snowflake_join_lease<'env>(env: &'env Env, token: u32) -> Result<Object<'env>> {
    let gen = shared_leases()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&token)
        .and_then(Weak::upgrade);
    match gen {
        Some(g) => generator_object(env, &g),
        None => Err(throw(
            env,
            &idloom::Error::reason(
                ErrorCode::LeaseLost,
                "lease",
                "the shared lease is gone from this process (released, or its process thread ended)",
            ),
        )),
    }
}

/// A generator on a host-local slot, or on a manual node with a state
/// file: the process registry's generator for the node, fenced by the file
/// (written `leadMs` ahead; a restart starts above it). `slot` or `dir`.
#[napi(ts_return_type = "NativeSnowflake")]
#[allow(clippy::too_many_arguments)]
pub fn snowflake_on_file<'env>(
    env: &'env Env,
    spec: LayoutSpec,
    node: Option<BigInt>,
    options: SnowflakeOptions,
    slot: Option<&crate::coord::Slot>,
    dir: Option<String>,
    namespace: Option<String>,
    lead_ms: f64,
) -> Result<Object<'env>> {
    let layout = spec.layout(env)?;
    let (node, fence) = match (slot, dir, node) {
        (Some(s), None, None) => {
            if s.layout() != layout {
                return Err(throw(
                    env,
                    &idloom::Error::reason(ErrorCode::InvalidArgument, "layout", "a slot's Snowflake uses the slot's layout"),
                ));
            }
            (s.node_id(), s.fence(env)?)
        }
        (None, Some(dir), Some(node)) => {
            let node = u64_of(env, &node, "node", ErrorCode::NodeOutOfRange, layout.max_node())?;
            let ns = namespace.unwrap_or_else(|| "default".into());
            (
                node,
                idloom::state::node_fence(std::path::Path::new(&dir), &ns, &layout, node).js(env)?,
            )
        }
        _ => {
            return Err(throw(
                env,
                &idloom::Error::reason(ErrorCode::InvalidArgument, "slot", "a slot, or a node with a stateDir"),
            ))
        }
    };
    let (policy, clock) = policy(env, &options)?;
    let gen: Shared = registry::acquire(layout, node, policy, clock).js(env)?;
    let on_file = OnFile {
        fence,
        lead_ms: lead_ms as u64,
    };
    on_file.fence.advance(&gen, on_file.lead_ms, true).js(env)?;
    generator_object_with(env, &gen, Some(on_file))
}

/// The minting closures every generator object has.
fn generator_object<'env>(env: &'env Env, gen: &Shared) -> Result<Object<'env>> {
    generator_object_with(env, gen, None)
}

/// A generator whose fence is a state file: a call at the fence writes the
/// next fence ahead (the core's `FileFence`) and tries once more.
#[derive(Clone)]
pub(crate) struct OnFile {
    pub fence: Arc<idloom::state::FileFence>,
    pub lead_ms: u64,
}

/// `f()`, or at a state file's fence: advance it, then `f()` again.
fn minting<T>(g: &Shared, file: &Option<OnFile>, mut f: impl FnMut() -> idloom::Result<T>) -> idloom::Result<T> {
    match (f(), file) {
        (Err(e), Some(st)) if e.code() == ErrorCode::LeaseExpired => {
            if st.fence.advance(g, st.lead_ms, false)? {
                f()
            } else {
                Err(e)
            }
        }
        (r, _) => r,
    }
}

/// The minting closures every generator object has.
pub(crate) fn generator_object_with<'env>(env: &'env Env, gen: &Shared, file: Option<OnFile>) -> Result<Object<'env>> {
    let mut obj = Object::new(env)?;
    // Synchronous calls block the event loop at most MAX_SYNC_WAIT_MS per
    // wait; a longer one is `would_block` (nextAsync waits on a timer instead).
    let (g, st) = (gen.clone(), file.clone());
    let f: Function<(), u64> = env.create_function_from_closure("next", move |ctx| {
        minting(&g, &st, || g.next_id_within(SYNC_WAIT_MS)).map_err(|e| throw(ctx.env, &e))
    })?;
    obj.set_named_property("next", f)?;
    let (g, st) = (gen.clone(), file.clone());
    let f: Function<(), String> = env.create_function_from_closure("nextString", move |ctx| {
        minting(&g, &st, || g.next_id_within(SYNC_WAIT_MS))
            .map(|id| id.to_string())
            .map_err(|e| throw(ctx.env, &e))
    })?;
    obj.set_named_property("nextString", f)?;
    let (g, st) = (gen.clone(), file.clone());
    let f: Function<(), Either<u64, f64>> = env.create_function_from_closure("tryNext", move |ctx| {
        match minting(&g, &st, || g.try_next_id()).map_err(|e| throw(ctx.env, &e))? {
            Next::Id(id) => Ok(Either::A(id)),
            Next::RetryAt(ms) => Ok(Either::B(ms as f64)),
        }
    })?;
    obj.set_named_property("tryNext", f)?;
    let (g, st) = (gen.clone(), file);
    let f: Function<(), BigUint64Array> = env.create_function_from_closure("nextBatch", move |ctx| {
        let n: u32 = ctx.get(0)?;
        if n > MAX_BATCH {
            return Err(throw(
                ctx.env,
                &idloom::Error::range(ErrorCode::InvalidArgument, "n", n, 0, MAX_BATCH),
            ));
        }
        let mut out = vec![0u64; n as usize];
        minting(&g, &st, || g.fill_within(&mut out, SYNC_WAIT_MS)).map_err(|e| throw(ctx.env, &e))?;
        Ok(BigUint64Array::new(out))
    })?;
    obj.set_named_property("nextBatch", f)?;
    let g = gen.clone();
    let f: Function<(), f64> = env.create_function_from_closure("node", move |_ctx| Ok(g.node() as f64))?;
    obj.set_named_property("node", f)?;
    Ok(obj)
}

/// The pure state machine (no clock, no process registry) for replaying
/// scripts and simulations: the host passes every time. Not for minting in
/// production — use `snowflake_create`, which shares one sequence per node.
#[napi(ts_return_type = "NativeSnowflakeMachine")]
pub fn snowflake_machine<'env>(env: &'env Env, spec: LayoutSpec, node: BigInt, options: SnowflakeOptions) -> Result<Object<'env>> {
    let layout = spec.layout(env)?;
    let node = u64_of(env, &node, "node", ErrorCode::NodeOutOfRange, layout.max_node())?;
    let (policy, _) = policy(env, &options)?;
    let machine = Arc::new(std::sync::Mutex::new(idloom::Generator::new(layout, node, policy).js(env)?));
    let mut obj = Object::new(env)?;
    let m = machine.clone();
    let f: Function<(), Either<BigInt, f64>> = env.create_function_from_closure("nextAt", move |ctx| {
        let now: f64 = ctx.get(0)?;
        let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
        match g.next_at(now as u64).map_err(|e| throw(ctx.env, &e))? {
            Next::Id(id) => Ok(Either::A(BigInt::from(id))),
            Next::RetryAt(ms) => Ok(Either::B(ms as f64)),
        }
    })?;
    obj.set_named_property("nextAt", f)?;
    let m = machine;
    let f: Function<(), (BigUint64Array, Option<f64>)> = env.create_function_from_closure("fillAt", move |ctx| {
        let now: f64 = ctx.get(0)?;
        let n: u32 = ctx.get(1)?;
        let mut out = vec![0u64; n.min(MAX_BATCH) as usize];
        let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
        let (k, retry) = g.fill_at(now as u64, &mut out).map_err(|e| throw(ctx.env, &e))?;
        out.truncate(k);
        Ok((BigUint64Array::new(out), retry.map(|ms| ms as f64)))
    })?;
    obj.set_named_property("fillAt", f)?;
    Ok(obj)
}
