//! Node leases with tick fences (`docs/COORDINATION.md`, "The rule that makes a lease safe"): who a node is, for how
//! long, and over which interval of ID time.
//!
//! A lease gives one holder a node and a range of ID time `[start_ms,
//! fence_ms)`. The store keeps, per node, the highest fence it ever granted,
//! and a new holder starts at it, so the time axis of a node is cut into
//! disjoint intervals, one per epoch: two holders never compose the same
//! (time, node), whatever their clocks say and however long one was paused.
//! The generators enforce the interval on the timestamp inside each ID
//! ([`crate::Generator::set_lease`]); this module is the holder's bookkeeping
//! around it, pure like [`crate::segment::SegmentBuffer`]:
//!
//! - [`Lease::propose`] says what fence to ask for (`holder now + ttl`);
//! - [`Lease::from_grant`] / [`Lease::renewed`] take the store's answer,
//!   estimate the clock skew from the round trip and refuse (`clock_skew`)
//!   beyond `max_skew_ms`;
//! - [`Lease::renew_due`] says when to renew (every third of the TTL);
//! - [`Lease::refused`] records a refused renewal (`lease_lost`);
//! - [`Lease::release`] says what high-water to release with.
//!
//! [`MemoryStore`] is the store's side of the protocol over memory: the
//! reference model the SQL and Lua texts implement, the single-process store,
//! and what the conformance scripts in `tests/vectors/lease_scripts.json` run.

use crate::error::{Detail, Error, ErrorCode, Result};

/// Longest TTL a lease may have: one day.
pub const MAX_TTL_MS: u64 = 86_400_000;

/// A namespace's lease parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LeaseConfig {
    /// How long a lease lives without a renewal, on the store's clock.
    pub ttl_ms: u64,
    /// The largest clock difference between a holder and the store that a
    /// holder accepts; beyond it, `clock_skew`.
    pub max_skew_ms: u64,
}

impl LeaseConfig {
    /// Check the bounds: `ttl_ms` in 1..=86,400,000, `max_skew_ms` below it.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_TTL_MS).contains(&self.ttl_ms) {
            return Err(Error::range(ErrorCode::InvalidArgument, "ttl_ms", self.ttl_ms, 1, MAX_TTL_MS));
        }
        if self.max_skew_ms >= self.ttl_ms {
            return Err(Error::range(
                ErrorCode::InvalidArgument,
                "max_skew_ms",
                self.max_skew_ms,
                0,
                self.ttl_ms - 1,
            ));
        }
        Ok(())
    }

    /// How often a holder renews: every third of the TTL (at least 1 ms), so
    /// two renewals can fail before the lease runs out.
    pub const fn renew_every_ms(&self) -> u64 {
        if self.ttl_ms / 3 == 0 {
            1
        } else {
            self.ttl_ms / 3
        }
    }

    /// The floor of a namespace (re)created on a store that has no record of
    /// it, or whose identity changed: above every fence a holder from before
    /// could still use (`store_now + ttl + max_skew`).
    pub const fn floor_after_loss(&self, store_now_ms: u64) -> u64 {
        store_now_ms.saturating_add(self.ttl_ms).saturating_add(self.max_skew_ms)
    }
}

/// What a holder sends with an acquire or a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    /// The fence to ask for: the holder's clock plus the TTL (ID time).
    pub fence_ms: u64,
    /// The holder's clock when the request left.
    pub sent_ms: u64,
}

/// A store's answer to an acquire or a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Grant {
    /// The node leased.
    pub node: u64,
    /// The fencing token: it grows on every acquisition of the node.
    pub epoch: u64,
    /// ID time from which the holder may mint (the previous fence, or the namespace floor).
    pub start_ms: u64,
    /// ID time before which every tick the holder mints must end.
    pub fence_ms: u64,
    /// The store's clock when it answered.
    pub store_now_ms: u64,
}

impl Grant {
    /// The release of a grant the holder refused to use (`clock_skew`): the
    /// node goes back at once, with its fence back at the start.
    pub const fn release_unused(&self) -> Release {
        Release {
            node: self.node,
            epoch: self.epoch,
            high_water_ms: self.start_ms,
        }
    }
}

/// Where a lease stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// Held: renew when [`Lease::renew_due`] says so.
    Active,
    /// A renewal was refused: the node belongs to someone else from the fence on.
    Lost,
    /// Released cleanly.
    Released,
}

/// What a clean release sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// The node.
    pub node: u64,
    /// The epoch.
    pub epoch: u64,
    /// The end of the last tick minted (ID time), clamped into `[start, fence]`:
    /// the store lowers the node's fence to it, so the next holder starts at once.
    pub high_water_ms: u64,
}

/// The holder's side of one lease (see the module docs).
#[derive(Debug, Clone)]
pub struct Lease {
    config: LeaseConfig,
    node: u64,
    epoch: u64,
    start_ms: u64,
    fence_ms: u64,
    /// When (holder clock) the request of the last confirming answer left:
    /// the store's expiry is at least a TTL after it.
    confirmed_sent_ms: u64,
    skew_ms: i64,
    renewal_sent_ms: Option<u64>,
    state: LeaseState,
}

/// Skew of the store's clock from the holder's, from one round trip:
/// (store now − midpoint, half the round trip).
fn skew(sent_ms: u64, received_ms: u64, store_now_ms: u64) -> (i64, u64) {
    let half = received_ms.saturating_sub(sent_ms) / 2;
    let midpoint = sent_ms.saturating_add(half);
    let skew = i128::from(store_now_ms) - i128::from(midpoint);
    (skew.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64, half)
}

impl Lease {
    /// What to ask for at holder time `now_ms`: a fence one TTL ahead.
    pub fn propose(config: &LeaseConfig, now_ms: u64) -> Proposal {
        Proposal {
            fence_ms: now_ms.saturating_add(config.ttl_ms),
            sent_ms: now_ms,
        }
    }

    /// The skew from one round trip, or an error. The store read its clock
    /// somewhere between sending and receiving, so the true skew lies within
    /// `skew ± uncertainty`. Within the bound everywhere: accepted. Beyond it
    /// everywhere: `clock_skew`. Otherwise the round trip was too long to
    /// judge the clocks (a pause, a slow store, a request queued while the
    /// client reconnected): `store_unavailable` — transient: try again. (A
    /// slow answer must not read as skew: the soak found a renewal queued
    /// through a Redis restart reported as `clock_skew`, ending renewals.)
    fn check_skew(config: &LeaseConfig, proposal: &Proposal, grant: &Grant, received_ms: u64) -> Result<i64> {
        let (skew_ms, uncertainty_ms) = skew(proposal.sent_ms, received_ms, grant.store_now_ms);
        if skew_ms.unsigned_abs().saturating_add(uncertainty_ms) > config.max_skew_ms {
            let code = if skew_ms.unsigned_abs().saturating_sub(uncertainty_ms) > config.max_skew_ms {
                ErrorCode::ClockSkew
            } else {
                ErrorCode::StoreUnavailable
            };
            return Err(Error::new(
                code,
                Detail::Skew {
                    skew_ms,
                    uncertainty_ms,
                    max_ms: config.max_skew_ms,
                },
            ));
        }
        Ok(skew_ms)
    }

    fn check_grant(grant: &Grant) -> Result<()> {
        if grant.fence_ms < grant.start_ms {
            return Err(Error::reason(
                ErrorCode::StoreSchema,
                "grant",
                "the store answered a fence below the lease's start: not the idloom protocol",
            ));
        }
        Ok(())
    }

    /// The lease the store granted for `proposal`, answered at holder time
    /// `received_ms`. Refused with `clock_skew` when the store's clock is
    /// further than `max_skew_ms` from the holder's (give the node back then).
    pub fn from_grant(config: LeaseConfig, proposal: &Proposal, grant: &Grant, received_ms: u64) -> Result<Lease> {
        config.validate()?;
        Self::check_grant(grant)?;
        let skew_ms = Self::check_skew(&config, proposal, grant, received_ms)?;
        Ok(Lease {
            config,
            node: grant.node,
            epoch: grant.epoch,
            start_ms: grant.start_ms,
            fence_ms: grant.fence_ms,
            confirmed_sent_ms: proposal.sent_ms,
            skew_ms,
            renewal_sent_ms: None,
            state: LeaseState::Active,
        })
    }

    /// The node.
    pub const fn node(&self) -> u64 {
        self.node
    }
    /// The epoch (fencing token).
    pub const fn epoch(&self) -> u64 {
        self.epoch
    }
    /// ID time from which this holder mints.
    pub const fn start_ms(&self) -> u64 {
        self.start_ms
    }
    /// ID time before which every tick it mints must end (the last confirmed fence).
    pub const fn fence_ms(&self) -> u64 {
        self.fence_ms
    }
    /// The store's clock minus the holder's, as last estimated.
    pub const fn skew_ms(&self) -> i64 {
        self.skew_ms
    }
    /// The state.
    pub const fn state(&self) -> LeaseState {
        self.state
    }
    /// The configuration.
    pub const fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// Holder time from which the store may give the node away unless a
    /// renewal lands first (a lower bound: the store's expiry is a TTL after
    /// it received the request, which left no earlier than this).
    pub const fn expires_ms(&self) -> u64 {
        self.confirmed_sent_ms.saturating_add(self.config.ttl_ms)
    }

    /// Whether to start a renewal at holder time `now_ms`: active, none in
    /// flight, and a third of the TTL since the last confirmed request — or
    /// the clock reads before that request: it stepped back, and only a
    /// renewal lets the store's clock judge it (`clock_skew`). Waiting for
    /// the stepped clock to come round again would let the store's TTL run
    /// out unrenewed (the soak found the lease lost instead of the skew told).
    pub fn renew_due(&self, now_ms: u64) -> bool {
        self.state == LeaseState::Active
            && self.renewal_sent_ms.is_none()
            && (now_ms >= self.confirmed_sent_ms.saturating_add(self.config.renew_every_ms()) || now_ms < self.confirmed_sent_ms)
    }

    /// Start a renewal at `now_ms` if one is due: what to send.
    pub fn begin_renew(&mut self, now_ms: u64) -> Option<Proposal> {
        if !self.renew_due(now_ms) {
            return None;
        }
        self.renewal_sent_ms = Some(now_ms);
        Some(Lease::propose(&self.config, now_ms))
    }

    /// The store confirmed the renewal: the fence moves on (never back).
    /// `clock_skew` if the clocks drifted apart: the fence stays where it
    /// was, and the holder should stop and release. `store_unavailable` if
    /// the answer came too late to judge the clocks (the holder was paused,
    /// the store was slow): the fence stays, and another renewal may start.
    pub fn renewed(&mut self, proposal: &Proposal, grant: &Grant, received_ms: u64) -> Result<()> {
        self.renewal_sent_ms = None;
        if self.state != LeaseState::Active {
            return Err(self.not_active());
        }
        if grant.node != self.node || grant.epoch != self.epoch {
            return Err(Error::reason(
                ErrorCode::StoreSchema,
                "grant",
                "the store confirmed a renewal for another node or epoch: not the idloom protocol",
            ));
        }
        Self::check_grant(grant)?;
        self.skew_ms = Self::check_skew(&self.config, proposal, grant, received_ms)?;
        self.fence_ms = self.fence_ms.max(grant.fence_ms);
        // The latest confirmed request, even when the clock read earlier than
        // the one before (a small step back, within max_skew): the expiry it
        // implies is then earlier (conservative), and the next renewal is a
        // third of the TTL on, not at once again until the clock comes round.
        self.confirmed_sent_ms = proposal.sent_ms;
        Ok(())
    }

    /// The renewal did not get an answer (store unavailable): another may
    /// start at once. The lease stands until its fence.
    pub fn renew_failed(&mut self) {
        self.renewal_sent_ms = None;
    }

    /// The store refused the renewal (zero rows: epoch or holder changed).
    /// The holder may mint below the last confirmed fence, never past it;
    /// returns the `lease_lost` error to report.
    pub fn refused(&mut self) -> Error {
        self.renewal_sent_ms = None;
        self.state = LeaseState::Lost;
        self.lost_error()
    }

    fn lost_error(&self) -> Error {
        Error::new(
            ErrorCode::LeaseLost,
            Detail::Fence {
                node: self.node,
                epoch: self.epoch,
                tick_ms: self.fence_ms,
                fence_ms: self.fence_ms,
                lost: true,
            },
        )
    }

    fn not_active(&self) -> Error {
        match self.state {
            LeaseState::Lost => self.lost_error(),
            _ => Error::reason(ErrorCode::LeaseLost, "lease", "released: lease a node again"),
        }
    }

    /// A clean shutdown after the generator stopped: release with the end of
    /// the last tick minted (`None`: nothing minted), clamped into
    /// `[start, fence]`. A lost lease has nothing to release.
    pub fn release(&mut self, high_water_ms: Option<u64>) -> Result<Release> {
        if self.state != LeaseState::Active {
            return Err(self.not_active());
        }
        self.state = LeaseState::Released;
        Ok(Release {
            node: self.node,
            epoch: self.epoch,
            high_water_ms: high_water_ms.unwrap_or(self.start_ms).clamp(self.start_ms, self.fence_ms),
        })
    }
}

/// What a holder does after a renewal attempt (see [`Holder`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// Confirmed: the fence moved to `fence_ms` (extend the generators).
    Renewed {
        /// The confirmed fence.
        fence_ms: u64,
    },
    /// No usable answer (no answer, or too late to judge the clocks): the
    /// fence stands; renew again in `in_ms`.
    Retry {
        /// When to try again.
        in_ms: u64,
    },
    /// Renewals end: `lease_lost` (refused: stop the generators at the
    /// fence), `clock_skew` or a protocol error (the fence stays; release).
    Stop(Error),
}

/// The holder's side of one lease as a binding drives it: the proposal in
/// flight, the lease once granted, when to renew and what a renewal's
/// outcome means. Pure (no I/O, no clock): every host (Python threads and
/// asyncio, Node timers, a Worker's requests) runs the same decisions.
#[derive(Debug, Clone)]
pub struct Holder {
    config: LeaseConfig,
    lease: Option<Lease>,
    pending: Option<Proposal>,
}

impl Holder {
    /// A holder for a namespace's `config` (checked).
    pub fn new(config: LeaseConfig) -> Result<Self> {
        config.validate()?;
        Ok(Holder {
            config,
            lease: None,
            pending: None,
        })
    }

    /// The configuration.
    pub const fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// The lease, once granted.
    pub const fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn no_lease() -> Error {
        Error::reason(ErrorCode::LeaseLost, "lease", "no node was granted yet")
    }

    /// Start an acquisition at holder time `now_ms`: the fence to propose.
    pub fn begin_acquire(&mut self, now_ms: u64) -> u64 {
        let p = Lease::propose(&self.config, now_ms);
        self.pending = Some(p);
        p.fence_ms
    }

    /// The store granted a node, answered at `received_ms`. `clock_skew` (or
    /// `store_unavailable`, too late to judge) refuses it: give the node back
    /// with [`Grant::release_unused`].
    pub fn granted(&mut self, grant: &Grant, received_ms: u64) -> Result<()> {
        let proposal = self
            .pending
            .take()
            .ok_or(Error::reason(ErrorCode::InvalidArgument, "granted", "without begin_acquire"))?;
        self.lease = Some(Lease::from_grant(self.config, &proposal, grant, received_ms)?);
        Ok(())
    }

    /// If a renewal is due at `now_ms`: mark it in flight, the fence to propose.
    pub fn begin_renew(&mut self, now_ms: u64) -> Option<u64> {
        let p = self.lease.as_mut()?.begin_renew(now_ms);
        self.pending = p;
        p.map(|p| p.fence_ms)
    }

    /// How long from `now_ms` until the next renewal is due (at most a third of the TTL).
    pub fn next_renewal_in_ms(&self, now_ms: u64) -> u64 {
        let every = self.config.renew_every_ms();
        match &self.lease {
            Some(l) => (l.expires_ms() - self.config.ttl_ms + every).saturating_sub(now_ms).min(every),
            None => every,
        }
    }

    /// How soon to retry a renewal that got no usable answer: a quarter of
    /// the renewal period (at least 10 ms), so several tries fit before the fence.
    pub const fn retry_in_ms(&self) -> u64 {
        let q = self.config.renew_every_ms() / 4;
        if q < 10 {
            10
        } else {
            q
        }
    }

    /// The store confirmed the renewal (answered at `received_ms`).
    pub fn renewed(&mut self, grant: &Grant, received_ms: u64) -> Renewal {
        let proposal = self.pending.take();
        let retry = self.retry_in_ms();
        let Some(lease) = self.lease.as_mut() else {
            return Renewal::Stop(Self::no_lease());
        };
        let Some(proposal) = proposal else {
            lease.renew_failed();
            return Renewal::Stop(Error::reason(ErrorCode::InvalidArgument, "renewed", "without begin_renew"));
        };
        match lease.renewed(&proposal, grant, received_ms) {
            Ok(()) => Renewal::Renewed {
                fence_ms: lease.fence_ms(),
            },
            // Answered too late to judge the clocks (a paused holder, a slow store).
            Err(e) if e.code() == ErrorCode::StoreUnavailable => Renewal::Retry { in_ms: retry },
            Err(e) => Renewal::Stop(e),
        }
    }

    /// The renewal failed without an answer from the protocol: `code` is the
    /// idloom code the host mapped the failure to (`None`: not one of ours,
    /// e.g. a driver's own exception). `store_unavailable` and unknown
    /// failures retry; any other code ends renewals with it.
    pub fn renew_failed(&mut self, code: Option<ErrorCode>) -> Renewal {
        self.pending = None;
        if let Some(l) = self.lease.as_mut() {
            l.renew_failed();
        }
        match code {
            None | Some(ErrorCode::StoreUnavailable) => Renewal::Retry { in_ms: self.retry_in_ms() },
            Some(c) => Renewal::Stop(Error::reason(c, "renewal", "the store refused it")),
        }
    }

    /// The store refused the renewal (another epoch or holder): `lease_lost`.
    pub fn refused(&mut self) -> Renewal {
        self.pending = None;
        Renewal::Stop(match self.lease.as_mut() {
            Some(l) => l.refused(),
            None => Self::no_lease(),
        })
    }

    /// A clean release after the generators stopped (see [`Lease::release`]).
    pub fn release(&mut self, high_water_ms: Option<u64>) -> Result<Release> {
        self.lease.as_mut().ok_or_else(Self::no_lease)?.release(high_water_ms)
    }
}

#[cfg(feature = "alloc")]
pub use memory::{MemoryStore, NodeRecord};

#[cfg(feature = "alloc")]
mod memory {
    use super::{Grant, LeaseConfig};
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
                nodes: (0..nodes)
                    .map(|_| NodeRecord {
                        holder: String::new(),
                        epoch: 0,
                        expires_ms: 0,
                        start_ms: 0,
                        fence_ms: 0,
                    })
                    .collect(),
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
            let r = &self.nodes[node as usize];
            Grant {
                node,
                epoch: r.epoch,
                start_ms: r.start_ms,
                fence_ms: r.fence_ms,
                store_now_ms,
            }
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
            let free = |r: &NodeRecord| r.expires_ms <= store_now_ms;
            let node = self
                .nodes
                .iter()
                .position(|r| free(r) && r.holder == holder)
                .or_else(|| self.nodes.iter().position(free))
                .ok_or(Error::reason(
                    ErrorCode::NoFreeNode,
                    "namespace",
                    "every node is leased by a live holder: add nodes, or wait one TTL",
                ))?;
            let floor = self.floor_ms;
            let proposed = proposed_fence_ms.min(self.fence_bound(store_now_ms));
            let r = &mut self.nodes[node];
            let start = r.fence_ms.max(floor);
            r.holder = holder.into();
            r.epoch += 1;
            r.expires_ms = store_now_ms.saturating_add(self.config.ttl_ms);
            r.start_ms = start;
            r.fence_ms = start.max(proposed);
            Ok(self.grant(node as u64, store_now_ms))
        }

        fn held<'a>(&'a mut self, node: u64, epoch: u64, holder: &str) -> Result<&'a mut NodeRecord> {
            match self.nodes.get_mut(node as usize) {
                Some(r) if r.epoch == epoch && r.holder == holder && epoch > 0 => Ok(r),
                _ => Err(Error::reason(
                    ErrorCode::LeaseLost,
                    "lease",
                    "the store has another epoch or holder for this node: it was taken after the lease expired",
                )),
            }
        }

        /// Extend a lease, only under the same epoch and holder: expiry one TTL
        /// away, `fence = max(fence, min(proposed, store now + ttl + max_skew))`. `lease_lost` otherwise (the
        /// zero rows of an `UPDATE … WHERE epoch = ? AND holder = ?`).
        pub fn renew(
            &mut self,
            node: u64,
            epoch: u64,
            holder: &str,
            proposed_fence_ms: u64,
            identity: &str,
            store_now_ms: u64,
        ) -> Result<Grant> {
            self.observe(identity, store_now_ms);
            let ttl = self.config.ttl_ms;
            let proposed = proposed_fence_ms.min(self.fence_bound(store_now_ms));
            let r = self.held(node, epoch, holder)?;
            r.expires_ms = store_now_ms.saturating_add(ttl);
            r.fence_ms = r.fence_ms.max(proposed);
            Ok(self.grant(node, store_now_ms))
        }

        /// A clean release: the node is free at once and its fence drops to
        /// the holder's high-water, clamped into the epoch's `[start, fence]`
        /// (the next start is still `max(fence, floor)`).
        pub fn release(
            &mut self,
            node: u64,
            epoch: u64,
            holder: &str,
            high_water_ms: u64,
            identity: &str,
            store_now_ms: u64,
        ) -> Result<()> {
            self.observe(identity, store_now_ms);
            let r = self.held(node, epoch, holder)?;
            r.expires_ms = 0;
            r.fence_ms = high_water_ms.clamp(r.start_ms, r.fence_ms);
            Ok(())
        }
    }
}
