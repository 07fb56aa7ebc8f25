//! One generator per (layout, node) per process, and the process's memory of
//! every node it has held.
//!
//! Two generators with the same layout and node ID in one process would
//! issue the same IDs: both start at sequence 0 in the same tick. Bindings
//! therefore obtain their snowflakes through [`acquire`]: asking for a
//! (layout, node) that is already live returns the *same* lock-free
//! [`SharedSnowflake`], so threads, Python objects and Node `worker_threads`
//! share one sequence. Asking with a different policy or clock is refused
//! with `node_in_use` rather than silently sharing or duplicating.
//!
//! The registry also remembers nodes whose generator is gone:
//! - a node dropped and acquired again in the same process continues above
//!   the last ID its previous generator issued (a fresh generator would
//!   start at sequence 0 of a tick the old one may have used);
//! - after `fork()` ([`crate::fork`]) every node held in an ancestor process
//!   is refused with `forked` — the parent goes on minting on it — and so is
//!   re-keying onto one. A child mints only on nodes its ancestors never held.

use crate::clock::Clock;
use crate::error::{Error, ErrorCode, Result};
use crate::layout::Layout;
use crate::snowflake::raise_word;
use crate::snowflake::{Policy, SharedSnowflake};
use crate::sync::Lock;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};

type Key = (Layout, u64);

/// What the process knows of one (layout, node).
struct Record {
    key: Key,
    /// The live generator, if any.
    live: Weak<dyn Any + Send + Sync>,
    /// The last state word of generators that went away (`u64::MAX`: none).
    retired: Arc<AtomicU64>,
    /// The fork generation that held the node; a later one must not touch it.
    generation: u64,
}

/// A process holds a handful of nodes, so a list serves as well as a hash
/// map, and keeps hashing code out of the wasm build.
static REGISTRY: Lock<Vec<Record>> = Lock::new(Vec::new());

fn in_use(why: &'static str) -> Error {
    Error::reason(ErrorCode::NodeInUse, "node", why)
}

fn inherited() -> Error {
    Error::reason(
        ErrorCode::Forked,
        "node",
        "was held by the parent process before fork() and the parent may still mint on it: \
         in the child pick a node the parent never held, or lease one",
    )
}

/// The record of `key`, refusing one inherited from an ancestor process.
fn record<'a>(map: &'a mut [Record], key: &Key) -> Result<Option<&'a mut Record>> {
    match map.iter_mut().find(|r| r.key == *key) {
        Some(r) if r.generation != crate::fork::generation() => Err(inherited()),
        other => Ok(other),
    }
}

fn live<C: Clock + Send + Sync + 'static>(r: &Record) -> Option<Result<Arc<SharedSnowflake<C>>>> {
    let any = r.live.upgrade()?;
    Some(
        any.downcast::<SharedSnowflake<C>>()
            .map_err(|_| in_use("already used in this process by a generator of another clock type")),
    )
}

/// The process's generator for `layout` and `node`: the live one if there is
/// one (same policy and clock required), else a new one that starts above the
/// last ID an earlier generator of this node issued in this process. Refused
/// with `forked` for a node an ancestor process held.
pub fn acquire<C>(layout: Layout, node: u64, policy: Policy, clock: C) -> Result<Arc<SharedSnowflake<C>>>
where
    C: Clock + PartialEq + Send + Sync + 'static,
{
    acquire_observed(layout, node, policy, clock, None)
}

/// As [`acquire`], a new generator handing its clock events to `observer`
/// ([`SharedSnowflake::with_observer`]); a live one keeps the observer it was made with.
pub fn acquire_observed<C>(
    layout: Layout,
    node: u64,
    policy: Policy,
    clock: C,
    observer: Option<crate::snowflake::Observer>,
) -> Result<Arc<SharedSnowflake<C>>>
where
    C: Clock + PartialEq + Send + Sync + 'static,
{
    let mut map = REGISTRY.lock();
    let key = (layout, node);
    let retired = match record(&mut map, &key)? {
        Some(r) => {
            if let Some(existing) = live::<C>(r) {
                let existing = existing?;
                if existing.policy() != policy {
                    return Err(in_use("already has a generator in this process with a different policy"));
                }
                if *existing.clock() != clock {
                    return Err(in_use("already has a generator in this process with a different clock"));
                }
                return Ok(existing);
            }
            r.retired.clone()
        }
        None => Arc::new(AtomicU64::new(u64::MAX)),
    };
    let mut created = SharedSnowflake::new(layout, node, policy, clock)?.retire_into(retired.clone());
    if let Some(f) = observer {
        created = created.with_observer(f);
    }
    created.resume_after(retired.load(Ordering::Acquire));
    let created = Arc::new(created);
    let weak: Weak<SharedSnowflake<C>> = Arc::downgrade(&created);
    register(&mut map, key, weak, retired);
    Ok(created)
}

fn register(map: &mut Vec<Record>, key: Key, live: Weak<dyn Any + Send + Sync>, retired: Arc<AtomicU64>) {
    let generation = crate::fork::generation();
    match map.iter_mut().find(|r| r.key == key) {
        Some(r) => {
            r.live = live;
            r.retired = retired;
            r.generation = generation;
        }
        None => map.push(Record {
            key,
            live,
            retired,
            generation,
        }),
    }
}

/// Move `generator` to `node` (e.g. in a forked child): it keeps its time
/// state, raised above anything an earlier generator of the new node issued
/// in this process. The new node must not be live in this process, nor held
/// by an ancestor process. Re-key while no other thread mints on it.
pub fn rekey<C>(generator: &Arc<SharedSnowflake<C>>, node: u64) -> Result<()>
where
    C: Clock + Send + Sync + 'static,
{
    let mut map = REGISTRY.lock();
    let layout = generator.layout();
    let old = (layout, generator.node());
    let new = (layout, node);
    layout.check_node(node)?;
    let generation = crate::fork::generation();
    let mine = |r: &Record| {
        r.live
            .upgrade()
            .is_some_and(|a| Arc::ptr_eq(&a, &(generator.clone() as Arc<dyn Any + Send + Sync>)))
    };
    // Re-keying onto the node it already has is a no-op only where this
    // process owns that node (in a forked child it does not).
    if old == new && map.iter().any(|r| r.key == old && r.generation == generation && mine(r)) {
        return Ok(());
    }
    let history = match record(&mut map, &new)? {
        Some(r) if r.live.upgrade().is_some() && !mine(r) => return Err(in_use("already has a live generator in this process")),
        Some(r) => r.retired.load(Ordering::Acquire),
        None => u64::MAX,
    };
    generator.resume_after(history);
    generator.set_node(node)?;
    // The generator's drop sink now speaks for the new node (raised to that
    // node's history); the old node keeps where the generator stopped on it.
    // In a forked child the old record stays the ancestor's (still refused).
    let sink = generator.retired_sink().unwrap_or_else(|| Arc::new(AtomicU64::new(u64::MAX)));
    raise_word(&sink, history);
    if let Some(r) = map.iter_mut().find(|r| r.key == old && r.generation == generation && mine(r)) {
        let stopped = Arc::new(AtomicU64::new(sink.load(Ordering::Acquire)));
        raise_word(&stopped, generator.state_word());
        r.retired = stopped;
        r.live = Weak::<SharedSnowflake<C>>::new();
    }
    let weak: Weak<SharedSnowflake<C>> = Arc::downgrade(generator);
    register(&mut map, new, weak, sink);
    Ok(())
}
