//! A deterministic simulation of idloom's node leases past one machine:
//! thousands of holders in several regions, WAN round trips, partitions,
//! clock drift within and past `max_skew`, pauses, crashes and clean
//! restarts, a store that restarts empty or is restored from a snapshot —
//! driving the core's real state machines (`lease::Holder`,
//! `lease::MemoryStore`, the fenced `Generator`), not a model of them.
//!
//! Time and network are simulated (a discrete-event queue in milliseconds,
//! no threads, no wall clock) and every random choice comes from one seed,
//! so a seed gives the same run and the same report every time.
//!
//! The checks, like the SPIN model's (`core/model/lease.pml`): every lease's
//! claimed interval `[start, highest fence its generator was given)` (cut at
//! the high-water on a clean release) must not overlap another lease's on
//! the same node; and IDs minted through the real generators at sampled
//! moments (each holder whenever its clock reads a multiple of
//! `mint_every_ms`, and at the exact moments just below a fence, at a fence,
//! and at a start) must never repeat and must lie inside what the store
//! granted their lease. [`Broken`] removes a defence on purpose: the checks
//! must then find duplicates (`tests/sim.rs`).
//!
//! `scripts/sim` runs the big scenarios; `docs/CAPACITY.md` reads them.

#![warn(missing_docs)]

mod report;
mod rng;
mod scenario;
mod world;

pub use report::{Checks, FaultReport, Load, Report};
pub use rng::SplitMix64;
pub use scenario::{scenario, Broken, Config, Fault, SCENARIOS};
pub use world::{ACQUIRE_TIMEOUT_MS, T0_MS};

/// Run `cfg` to the end: its report.
pub fn run(cfg: &Config) -> Report {
    world::World::new(cfg.clone()).run()
}
