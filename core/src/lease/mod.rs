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

// One file per idea: `config` (the parameters and their bounds), `messages`
// (what holder and store send each other), `tenure` (one lease on the
// holder's side), `holder` (a lease as a binding drives it), `memory` (the
// store's side over memory, the reference model).
mod config;
mod holder;
#[cfg(feature = "alloc")]
mod memory;
mod messages;
mod tenure;

pub use config::{LeaseConfig, MAX_TTL_MS};
pub use holder::{Holder, Renewal};
#[cfg(feature = "alloc")]
pub use memory::{pick, same_identity, MemoryStore, NodeRecord};
pub use messages::{Grant, Proposal, Release};
pub use tenure::{Lease, LeaseState};
