//! [`Snowflake`]: a [`Generator`] with an injected clock, performing the
//! bounded waits its policy asks for.

use super::generator::{Generator, Next};
use super::policy::Policy;
use super::watch::{ClockStats, Observer};
use crate::clock::Clock;
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::layout::Layout;

/// Polls of the clock allowed per millisecond of a wait before a clock that
/// will not advance is declared stalled (2^18 ≈ 5 ms of real time at ~20 ns a read).
pub const POLLS_PER_MS: u64 = 1 << 18;

/// Wait (bounded) until `clock` reads at least `target_ms`; returns the new time.
pub(super) fn wait_until<C: Clock>(clock: &C, mut now_ms: u64, target_ms: u64) -> Result<u64> {
    let mut budget = (target_ms.saturating_sub(now_ms) + 2).saturating_mul(POLLS_PER_MS);
    let mut slept_to_boundary = false;
    while now_ms < target_ms {
        let remaining = target_ms - now_ms;
        if remaining > 1 && clock.sleep_ms(remaining - 1) {
            budget = budget.saturating_sub((remaining - 1).saturating_mul(POLLS_PER_MS));
        } else if !slept_to_boundary && clock.sleep_to_next_ms() {
            // Once: a second sleep could pass the tick a ticker stores late.
            slept_to_boundary = true;
            budget = budget.saturating_sub(POLLS_PER_MS);
        } else {
            clock.pause();
            budget = budget.saturating_sub(1);
        }
        if budget == 0 {
            return Err(Error::new(ErrorCode::ClockStalled, Detail::Stalled { now_ms, target_ms }));
        }
        now_ms = clock.now_ms();
    }
    Ok(now_ms)
}

/// A snowflake generator with an injected clock; one owner (`&mut self`).
#[derive(Debug, Clone)]
pub struct Snowflake<C: Clock> {
    state: Generator,
    clock: C,
}

impl<C: Clock> Snowflake<C> {
    /// A generator for `node`; fails if the node does not fit, the policy is
    /// out of bounds, or the layout's epoch is after the clock's time.
    pub fn new(layout: Layout, node: u64, policy: Policy, clock: C) -> Result<Self> {
        layout.check_epoch(clock.now_ms())?;
        Ok(Snowflake {
            state: Generator::new(layout, node, policy)?,
            clock,
        })
    }

    /// The underlying state machine.
    pub fn generator(&self) -> &Generator {
        &self.state
    }
    /// The layout.
    pub fn layout(&self) -> Layout {
        self.state.layout()
    }
    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }
    /// Change the node ID (see [`Generator::set_node`]).
    pub fn set_node(&mut self, node: u64) -> Result<()> {
        self.state.set_node(node)
    }
    /// Mint under a lease (see [`Generator::set_lease`]).
    pub fn set_lease(&mut self, start_ms: u64, fence_ms: u64, epoch: u64) {
        self.state.set_lease(start_ms, fence_ms, epoch);
    }
    /// A renewal confirmed a later fence (see [`Generator::extend_fence`]).
    pub fn extend_fence(&mut self, fence_ms: u64) {
        self.state.extend_fence(fence_ms);
    }
    /// The store refused a renewal (see [`Generator::lose_lease`]).
    pub fn lose_lease(&mut self) {
        self.state.lose_lease();
    }
    /// Hand clock events to `observer` (see [`Generator::observe`]).
    pub fn observe(&mut self, observer: Option<Observer>) {
        self.state.observe(observer);
    }
    /// The clock events counted so far.
    pub fn stats(&self) -> ClockStats {
        self.state.stats()
    }

    /// The next ID, waiting (bounded) where the policy says to wait.
    #[inline(always)]
    pub fn next_id(&mut self) -> Result<u64> {
        let now = self.clock.now_ms();
        match self.state.next_fast(now) {
            Some(id) => Ok(id),
            None => self.next_id_slow(now),
        }
    }

    /// Off the fast path: every rule, and the waits they ask for.
    #[inline(never)]
    fn next_id_slow(&mut self, mut now: u64) -> Result<u64> {
        loop {
            match self.state.next_at(now)? {
                Next::Id(id) => return Ok(id),
                Next::RetryAt(target) => now = wait_until(&self.clock, now, target)?,
            }
        }
    }

    /// Fill `out` with increasing IDs, taking whole runs of a tick at once.
    /// On error the IDs already written are spent (a gap, never a repeat).
    pub fn fill(&mut self, out: &mut [u64]) -> Result<()> {
        let mut done = 0;
        let mut now = self.clock.now_ms();
        while done < out.len() {
            let (n, retry) = self.state.fill_at(now, &mut out[done..])?;
            done += n;
            match retry {
                Some(target) => now = wait_until(&self.clock, now, target)?,
                None if done < out.len() => {
                    // A failure after some IDs: surface it now.
                    match self.state.next_at(now)? {
                        Next::Id(id) => {
                            out[done] = id;
                            done += 1;
                        }
                        Next::RetryAt(target) => now = wait_until(&self.clock, now, target)?,
                    }
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Decode an ID of this generator's layout.
    pub fn decode(&self, id: u64) -> Result<crate::layout::Parts> {
        self.state.layout().decompose(id)
    }
}

impl<C: Clock> Iterator for Snowflake<C> {
    type Item = Result<u64>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_id())
    }
}
