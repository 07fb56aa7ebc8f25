//! [`MemoryStore`]: the store's side of the protocol over memory.

use super::config::LeaseConfig;
use super::messages::Grant;
use crate::error::{Error, ErrorCode, Result};
use alloc::string::String;
use alloc::vec::Vec;

/// What a store keeps per node.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NodeRecord {
    /// Who holds it (an instance string for humans), empty if never held.
    pub holder: String,
    /// Acquisitions so far.
    pub epoch: u64,
    /// Store time from which others may take it.
    pub expires_ms: u64,
    /// Where the current epoch's interval starts (ID time): a release never
    /// lowers the fence below it.
    pub start_ms: u64,
    /// The highest fence granted (ID time); only a clean release lowers it.
    pub fence_ms: u64,
}

impl NodeRecord {
    /// A node never held.
    pub const fn new() -> Self {
        NodeRecord {
            holder: String::new(),
            epoch: 0,
            expires_ms: 0,
            start_ms: 0,
            fence_ms: 0,
        }
    }

    /// Whether another holder may take it at store time `store_now_ms`.
    pub const fn free_at(&self, store_now_ms: u64) -> bool {
        self.expires_ms <= store_now_ms
    }

    /// The record after `holder` acquires it ([`MemoryStore::acquire`]):
    /// `epoch + 1`, expiry one TTL away, `start = max(fence, floor)`,
    /// `fence = max(start, min(proposed, store now + ttl + max_skew))`.
    /// The caller checked [`free_at`](Self::free_at).
    pub fn acquired(&self, config: &LeaseConfig, floor_ms: u64, holder: &str, proposed_fence_ms: u64, store_now_ms: u64) -> NodeRecord {
        let proposed = proposed_fence_ms.min(config.floor_after_loss(store_now_ms));
        let start = self.fence_ms.max(floor_ms);
        NodeRecord {
            holder: holder.into(),
            epoch: self.epoch + 1,
            expires_ms: store_now_ms.saturating_add(config.ttl_ms),
            start_ms: start,
            fence_ms: start.max(proposed),
        }
    }

    /// Whether this record is the current lease `(epoch, start_ms, holder)`
    /// under `floor_ms` ([`MemoryStore`]'s `held`): `lease_lost` otherwise.
    pub fn check_held(&self, floor_ms: u64, epoch: u64, start_ms: u64, holder: &str) -> Result<()> {
        if self.epoch == epoch && self.holder == holder && epoch > 0 && self.start_ms == start_ms && start_ms >= floor_ms {
            Ok(())
        } else {
            Err(not_held())
        }
    }

    /// The record after a renewal of the current lease (checked with
    /// [`check_held`](Self::check_held)): expiry one TTL away,
    /// `fence = max(fence, min(proposed, store now + ttl + max_skew))`.
    #[allow(clippy::too_many_arguments)]
    pub fn renewed(
        &self,
        config: &LeaseConfig,
        floor_ms: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        proposed_fence_ms: u64,
        store_now_ms: u64,
    ) -> Result<NodeRecord> {
        self.check_held(floor_ms, epoch, start_ms, holder)?;
        let proposed = proposed_fence_ms.min(config.floor_after_loss(store_now_ms));
        Ok(NodeRecord {
            expires_ms: store_now_ms.saturating_add(config.ttl_ms),
            fence_ms: self.fence_ms.max(proposed),
            ..self.clone()
        })
    }

    /// The record after a clean release of the current lease (checked with
    /// [`check_held`](Self::check_held)): free at once, the fence down to
    /// the high-water clamped into `[start, fence]`.
    pub fn released(&self, floor_ms: u64, epoch: u64, start_ms: u64, holder: &str, high_water_ms: u64) -> Result<NodeRecord> {
        self.check_held(floor_ms, epoch, start_ms, holder)?;
        Ok(NodeRecord {
            expires_ms: 0,
            fence_ms: high_water_ms.clamp(self.start_ms, self.fence_ms),
            ..self.clone()
        })
    }

    /// The grant this record gives `node` at `store_now_ms`.
    pub const fn grant(&self, node: u64, store_now_ms: u64) -> Grant {
        Grant {
            node,
            epoch: self.epoch,
            start_ms: self.start_ms,
            fence_ms: self.fence_ms,
            store_now_ms,
        }
    }
}

impl Default for NodeRecord {
    fn default() -> Self {
        Self::new()
    }
}

/// The store's side of the protocol over memory, for one namespace: the
/// reference the SQL and Lua texts implement (same answers, same errors),
/// and a store for a single process or a test. Times are the store's.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    config: LeaseConfig,
    floor_ms: u64,
    identity: String,
    nodes: Vec<NodeRecord>,
}

impl MemoryStore {
    /// A namespace of `nodes` nodes. `fresh`: floor 0 (first deployment,
    /// tests); otherwise the floor a store that lost its state must use.
    pub fn new(config: LeaseConfig, nodes: u64, identity: &str, fresh: bool, store_now_ms: u64) -> Result<Self> {
        config.validate()?;
        if !(1..=1 << 22).contains(&nodes) {
            return Err(Error::range(ErrorCode::InvalidArgument, "nodes", nodes, 1, 1u64 << 22));
        }
        Ok(MemoryStore {
            config,
            floor_ms: if fresh { 0 } else { config.floor_after_loss(store_now_ms) },
            identity: identity.into(),
            nodes: (0..nodes).map(|_| NodeRecord::new()).collect(),
        })
    }

    /// A namespace as a durable store kept it (a Durable Object's
    /// storage): its floor, the identity it last saw, and every node's
    /// record (`nodes` records, 1..=2²²).
    pub fn restore(config: LeaseConfig, floor_ms: u64, identity: &str, nodes: Vec<NodeRecord>) -> Result<Self> {
        config.validate()?;
        if !(1..=1 << 22).contains(&(nodes.len() as u64)) {
            return Err(Error::range(ErrorCode::InvalidArgument, "nodes", nodes.len() as u64, 1, 1u64 << 22));
        }
        Ok(MemoryStore {
            config,
            floor_ms,
            identity: identity.into(),
            nodes,
        })
    }

    /// The configuration.
    pub const fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// The namespace floor: no lease starts below it.
    pub fn floor_ms(&self) -> u64 {
        self.floor_ms
    }
    /// The records, by node.
    pub fn nodes(&self) -> &[NodeRecord] {
        &self.nodes
    }

    /// Every call carries the store's identity (Redis `run_id`, PostgreSQL
    /// system identifier and timeline): another one means a restart
    /// without state, a restore or a failover, so the floor rises first.
    fn observe(&mut self, identity: &str, store_now_ms: u64) {
        if identity != self.identity {
            self.identity = identity.into();
            self.floor_ms = self.floor_ms.max(self.config.floor_after_loss(store_now_ms));
        }
    }

    fn grant(&self, node: u64, store_now_ms: u64) -> Grant {
        self.nodes[node as usize].grant(node, store_now_ms)
    }

    /// The furthest fence a holder may be granted at `store_now_ms`: one
    /// lease ahead of the store's clock (`store now + ttl + max_skew`).
    /// A proposal past it is clamped, so that no holder (a clock set
    /// years ahead, a bug, a hostile caller) can push a node's fence
    /// away and make the node unusable.
    pub const fn fence_bound(&self, store_now_ms: u64) -> u64 {
        self.config.floor_after_loss(store_now_ms)
    }

    /// Lease a node whose lease expired, the caller's previous one first
    /// (sticky restarts), then the lowest: `epoch + 1`, expiry one TTL
    /// away, `start = max(fence, floor)`,
    /// `fence = max(start, min(proposed, store now + ttl + max_skew))`.
    pub fn acquire(&mut self, holder: &str, proposed_fence_ms: u64, identity: &str, store_now_ms: u64) -> Result<Grant> {
        self.observe(identity, store_now_ms);
        let node = pick(self.nodes.iter().enumerate().map(|(n, r)| (n as u64, r)), holder, store_now_ms)?;
        let r = &mut self.nodes[node as usize];
        *r = r.acquired(&self.config, self.floor_ms, holder, proposed_fence_ms, store_now_ms);
        Ok(self.grant(node, store_now_ms))
    }

    /// The current lease's record ([`NodeRecord::check_held`]): the same
    /// epoch and holder, the lease's own start, and that start at or above
    /// the floor (a lease granted before the floor rose — revived by a
    /// restore from an older snapshot, or an epoch number given again after
    /// the store forgot — is over). `lease_lost` otherwise (the zero rows of
    /// an `UPDATE … WHERE epoch = ? AND holder = ? AND start_ms = ? AND start_ms >= floor`).
    fn held(&self, node: u64, epoch: u64, start_ms: u64, holder: &str) -> Result<&NodeRecord> {
        let r = self.nodes.get(node as usize).ok_or_else(not_held)?;
        r.check_held(self.floor_ms, epoch, start_ms, holder)?;
        Ok(r)
    }

    /// Extend the current lease ([`held`](Self::held)): expiry one TTL
    /// away, `fence = max(fence, min(proposed, store now + ttl + max_skew))`.
    /// Under another identity than the one the namespace recorded,
    /// `lease_lost` and nothing changes: the next acquire raises the floor
    /// (and reports it).
    #[allow(clippy::too_many_arguments)]
    pub fn renew(
        &mut self,
        node: u64,
        epoch: u64,
        start_ms: u64,
        holder: &str,
        proposed_fence_ms: u64,
        identity: &str,
        store_now_ms: u64,
    ) -> Result<Grant> {
        same_identity(&self.identity, identity)?;
        let r = self.held(node, epoch, start_ms, holder)?.renewed(
            &self.config,
            self.floor_ms,
            epoch,
            start_ms,
            holder,
            proposed_fence_ms,
            store_now_ms,
        )?;
        self.nodes[node as usize] = r;
        Ok(self.grant(node, store_now_ms))
    }

    /// A clean release of the current lease ([`held`](Self::held)): the
    /// node is free at once and its fence drops to the holder's high-water,
    /// clamped into the epoch's `[start, fence]` (the next start is still
    /// `max(fence, floor)`). The identity is not compared: the next acquire does.
    pub fn release(&mut self, node: u64, epoch: u64, start_ms: u64, holder: &str, high_water_ms: u64) -> Result<()> {
        let r = self
            .held(node, epoch, start_ms, holder)?
            .released(self.floor_ms, epoch, start_ms, holder, high_water_ms)?;
        self.nodes[node as usize] = r;
        Ok(())
    }
}

/// A renewal under `identity` of a namespace that recorded `recorded`:
/// another one (a restart, a restore or a failover) is `lease_lost`, and
/// nothing changes — the next acquire raises the floor (and reports it).
pub fn same_identity(recorded: &str, identity: &str) -> Result<()> {
    if identity == recorded {
        Ok(())
    } else {
        Err(Error::reason(
            ErrorCode::LeaseLost,
            "lease",
            "the store's identity changed (a restart, a restore or a failover): every lease from before is over",
        ))
    }
}

/// A renewal or release of a lease that is not the node's current one.
fn not_held() -> Error {
    Error::reason(
        ErrorCode::LeaseLost,
        "lease",
        "the store has another epoch, holder or start for this node: it was taken after the lease expired, \
         or the store lost or restored its state since",
    )
}

/// The node an acquire takes among `(node, record)` pairs in node order:
/// the first free one `holder` held last (sticky restarts), else the first
/// free one; `no_free_node` when every node is leased by a live holder.
pub fn pick<'a>(records: impl Iterator<Item = (u64, &'a NodeRecord)> + Clone, holder: &str, store_now_ms: u64) -> Result<u64> {
    let mut free = records.filter(|(_, r)| r.free_at(store_now_ms));
    free.clone()
        .find(|(_, r)| r.holder == holder)
        .or_else(|| free.next())
        .map(|(n, _)| n)
        .ok_or(Error::reason(
            ErrorCode::NoFreeNode,
            "namespace",
            "every node is leased by a live holder: add nodes, or wait one TTL",
        ))
}
