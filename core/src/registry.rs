//! One generator per (layout, node) per process.
//!
//! Two generators with the same layout and node ID in one process would
//! issue the same IDs: both start at sequence 0 in the same tick. Bindings
//! therefore obtain their snowflakes through [`acquire`]: asking for a
//! (layout, node) that is already live returns the *same* lock-free
//! [`SharedSnowflake`], so threads, Python objects and Node `worker_threads`
//! share one sequence. Asking with a different policy or clock is refused
//! with `node_in_use` rather than silently sharing or duplicating.

use crate::clock::Clock;
use crate::error::{Error, ErrorCode, Result};
use crate::layout::Layout;
use crate::snowflake::{Policy, SharedSnowflake};
use crate::sync::Lock;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

type Entry = Weak<dyn Any + Send + Sync>;

/// (layout, node) → generator. A process holds a handful of nodes, so a list
/// serves as well as a hash map, and keeps hashing code out of the wasm build.
#[derive(Default)]
struct Map(Vec<((Layout, u64), Entry)>);

impl Map {
    fn get(&self, key: &(Layout, u64)) -> Option<&Entry> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, e)| e)
    }
    fn insert(&mut self, key: (Layout, u64), entry: Entry) {
        // Entries whose generator is gone are dropped on the way.
        self.0.retain(|(k, e)| *k != key && e.strong_count() > 0);
        self.0.push((key, entry));
    }
    fn remove(&mut self, key: &(Layout, u64)) {
        self.0.retain(|(k, _)| k != key);
    }
}

static REGISTRY: Lock<Map> = Lock::new(Map(Vec::new()));

fn in_use(why: &'static str) -> Error {
    Error::reason(ErrorCode::NodeInUse, "node", why)
}

fn live<C: Clock + Send + Sync + 'static>(map: &Map, key: &(Layout, u64)) -> Option<Result<Arc<SharedSnowflake<C>>>> {
    let any = map.get(key)?.upgrade()?;
    Some(
        any.downcast::<SharedSnowflake<C>>()
            .map_err(|_| in_use("already used in this process by a generator of another clock type")),
    )
}

/// The process's generator for `layout` and `node`: the live one if there is
/// one (same policy and clock required), else a new one.
pub fn acquire<C>(layout: Layout, node: u64, policy: Policy, clock: C) -> Result<Arc<SharedSnowflake<C>>>
where
    C: Clock + PartialEq + Send + Sync + 'static,
{
    let mut map = REGISTRY.lock();
    let key = (layout, node);
    if let Some(existing) = live::<C>(&map, &key) {
        let existing = existing?;
        if existing.policy() != policy {
            return Err(in_use("already has a generator in this process with a different policy"));
        }
        if *existing.clock() != clock {
            return Err(in_use("already has a generator in this process with a different clock"));
        }
        return Ok(existing);
    }
    let created = Arc::new(SharedSnowflake::new(layout, node, policy, clock)?);
    let weak: Weak<SharedSnowflake<C>> = Arc::downgrade(&created);
    map.insert(key, weak as Entry);
    Ok(created)
}

/// Move `generator` to `node` (e.g. in a forked child): it keeps its time
/// state; the new node must not be live in this process.
pub fn rekey<C>(generator: &Arc<SharedSnowflake<C>>, node: u64) -> Result<()>
where
    C: Clock + Send + Sync + 'static,
{
    let mut map = REGISTRY.lock();
    let layout = generator.layout();
    let old = (layout, generator.node());
    let new = (layout, node);
    if old == new {
        return Ok(());
    }
    layout.check_node(node)?;
    if map.get(&new).and_then(Weak::upgrade).is_some() {
        return Err(in_use("already has a live generator in this process"));
    }
    generator.set_node(node)?;
    let mine = map
        .get(&old)
        .and_then(Weak::upgrade)
        .is_some_and(|a| Arc::ptr_eq(&a, &(generator.clone() as Arc<dyn Any + Send + Sync>)));
    if mine {
        map.remove(&old);
    }
    let weak: Weak<SharedSnowflake<C>> = Arc::downgrade(generator);
    map.insert(new, weak as Entry);
    Ok(())
}
