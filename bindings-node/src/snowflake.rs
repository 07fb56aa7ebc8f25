//! Snowflake generators. A generator is returned to JavaScript
//! as an object of native closures over the process registry's shared
//! generator: `next()` takes no argument, so a call costs ~80 ns instead of
//! the ~250 ns of any napi call with an argument. `worker_threads` load the
//! addon once per process, so workers asking for the same (layout, node)
//! share one generator and never repeat each other.

use crate::errors::{throw, u64_of, IntoJs};
use crate::layout::LayoutSpec;
use crate::method;
use idloom::names::{Backwards, Exhausted, Named, PolicyChoice, Start};
use idloom::snowflake::Next;
use idloom::{registry, ErrorCode, HostClock, Layout, Policy, SharedSnowflake};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

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

/// A generator's layout, node (checked against the layout), policy and clock.
fn generator_args(env: &Env, spec: &LayoutSpec, node: &BigInt, options: &SnowflakeOptions) -> Result<(Layout, u64, Policy, HostClock)> {
    let layout = spec.layout(env)?;
    let node = u64_of(env, node, "node", ErrorCode::NodeOutOfRange, layout.max_node())?;
    let (policy, clock) = policy(env, options)?;
    Ok((layout, node, policy, clock))
}

type Shared = Arc<SharedSnowflake<HostClock>>;

const MAX_BATCH: u32 = idloom::limits::MAX_BATCH as u32;
const SYNC_WAIT_MS: u64 = idloom::limits::MAX_SYNC_WAIT_MS;

/// A generator for `node`: an object of native closures
/// (`next`, `nextString`, `tryNext`, `nextBatch`, `node`, `rekey`).
#[napi(ts_return_type = "NativeSnowflake")]
pub fn snowflake_create<'env>(env: &'env Env, spec: LayoutSpec, node: BigInt, options: SnowflakeOptions) -> Result<Object<'env>> {
    let (layout, node, policy, clock) = generator_args(env, &spec, &node, &options)?;
    let gen: Shared = registry::acquire(layout, node, policy, clock).js(env)?;
    let mut obj = generator_object(env, &gen)?;
    let g = gen;
    method(env, &mut obj, "rekey", move |ctx| {
        let node: BigInt = ctx.get(0)?;
        let node = u64_of(ctx.env, &node, "node", ErrorCode::NodeOutOfRange, g.layout().max_node())?;
        registry::rekey(&g, node).map_err(|e| throw(ctx.env, &e))
    })?;
    Ok(obj)
}

/// A generator fenced by a lease: a generator of its own (not the process
/// registry's, so two leases on one node never move each other's fences),
/// with the minting closures of `snowflake_create` and the lease's
/// (`setLease`, `extendFence`, `loseLease`, `stopLease`), no `rekey`.
#[napi(ts_return_type = "NativeLeasedSnowflake")]
pub fn snowflake_leased<'env>(env: &'env Env, spec: LayoutSpec, node: BigInt, options: SnowflakeOptions) -> Result<Object<'env>> {
    let (layout, node, policy, clock) = generator_args(env, &spec, &node, &options)?;
    let gen: Shared = Arc::new(SharedSnowflake::new(layout, node, policy, clock).js(env)?);
    let mut obj = generator_object(env, &gen)?;
    let g = gen.clone();
    method(env, &mut obj, "setLease", move |ctx| {
        let (start, fence, epoch): (f64, f64, f64) = (ctx.get(0)?, ctx.get(1)?, ctx.get(2)?);
        g.set_lease(start as u64, fence as u64, epoch as u64);
        Ok(())
    })?;
    let g = gen.clone();
    method(env, &mut obj, "extendFence", move |ctx| {
        let fence: f64 = ctx.get(0)?;
        g.extend_fence(fence as u64);
        Ok(())
    })?;
    let g = gen.clone();
    method(env, &mut obj, "loseLease", move |_ctx| {
        g.lose_lease();
        Ok(())
    })?;
    let g = gen.clone();
    method(env, &mut obj, "stopLease", move |_ctx| Ok(g.stop_lease().map(|ms| ms as f64)))?;
    let g = gen;
    method(env, &mut obj, "share", move |_ctx| Ok(share(&g)))?;
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
    slot: Option<&crate::state::Slot>,
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
    method(env, &mut obj, "next", move |ctx| {
        minting(&g, &st, || g.next_id_within(SYNC_WAIT_MS)).map_err(|e| throw(ctx.env, &e))
    })?;
    let (g, st) = (gen.clone(), file.clone());
    method(env, &mut obj, "nextString", move |ctx| {
        minting(&g, &st, || g.next_id_within(SYNC_WAIT_MS))
            .map(|id| id.to_string())
            .map_err(|e| throw(ctx.env, &e))
    })?;
    let (g, st) = (gen.clone(), file.clone());
    method(env, &mut obj, "tryNext", move |ctx| {
        match minting(&g, &st, || g.try_next_id()).map_err(|e| throw(ctx.env, &e))? {
            Next::Id(id) => Ok(Either::A(id)),
            Next::RetryAt(ms) => Ok(Either::B(ms as f64)),
        }
    })?;
    let (g, st) = (gen.clone(), file);
    method(env, &mut obj, "nextBatch", move |ctx| {
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
    let g = gen.clone();
    method(env, &mut obj, "node", move |_ctx| Ok(g.node() as f64))?;
    // The core's clock events of this generator, counted on its slow paths only:
    // every kind's count in the core's order (`eventKinds`).
    let g = gen.clone();
    method(env, &mut obj, "stats", move |_ctx| {
        Ok(g.stats().counters().iter().map(|(_, n)| n as f64).collect::<Vec<f64>>())
    })?;
    Ok(obj)
}

/// The pure state machine (no clock, no process registry) for replaying
/// scripts and simulations: the host passes every time. Not for minting in
/// production — use `snowflake_create`, which shares one sequence per node.
#[napi(ts_return_type = "NativeSnowflakeMachine")]
pub fn snowflake_machine<'env>(env: &'env Env, spec: LayoutSpec, node: BigInt, options: SnowflakeOptions) -> Result<Object<'env>> {
    let (layout, node, policy, _) = generator_args(env, &spec, &node, &options)?;
    let machine = Arc::new(std::sync::Mutex::new(idloom::Generator::new(layout, node, policy).js(env)?));
    let mut obj = Object::new(env)?;
    let m = machine.clone();
    method(env, &mut obj, "nextAt", move |ctx| {
        let now: f64 = ctx.get(0)?;
        let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
        match g.next_at(now as u64).map_err(|e| throw(ctx.env, &e))? {
            Next::Id(id) => Ok(Either::A(BigInt::from(id))),
            Next::RetryAt(ms) => Ok(Either::B(ms as f64)),
        }
    })?;
    let m = machine;
    method(env, &mut obj, "fillAt", move |ctx| {
        let now: f64 = ctx.get(0)?;
        let n: u32 = ctx.get(1)?;
        let mut out = vec![0u64; n.min(MAX_BATCH) as usize];
        let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
        let (k, retry) = g.fill_at(now as u64, &mut out).map_err(|e| throw(ctx.env, &e))?;
        out.truncate(k);
        Ok((BigUint64Array::new(out), retry.map(|ms| ms as f64)))
    })?;
    Ok(obj)
}
