//! [`Generator`]: the pure state machine, driven with the time.

use super::policy::Policy;
use super::rules::{Rules, Step, LOST, NO_FENCE};
use super::watch::{ClockStats, Observer, Plain, PlainWatch};
use crate::error::Result;
use crate::layout::Layout;

/// The answer of one step of the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// An ID was issued.
    Id(u64),
    /// Nothing was issued; the policy says to try again once the clock reads
    /// at least this many Unix milliseconds.
    RetryAt(u64),
}

/// The pure snowflake state machine: layout, node, policy and the last issued
/// (tick, sequence). Drive it with [`Generator::next_at`].
#[derive(Debug, Clone)]
pub struct Generator {
    rules: Rules,
    /// The last issued tick and sequence (meaningful once `issued`).
    tick: u64,
    seq: u64,
    issued: bool,
    /// The fast path (see [`Generator::next_fast`]), armed by the slow path
    /// for the last issued tick: its start (Unix ms), its ID at sequence 0,
    /// and the sequence below which the next ID needs no rule at all
    /// (`0`: disarmed).
    fast_start_ms: u64,
    fast_base: u64,
    fast_limit: u64,
    /// The lease's fence word ([`NO_FENCE`] without a lease) and epoch.
    fence: u64,
    epoch: u64,
    /// Clock events: the open episode, the counts, the observer.
    watch: Plain,
}

impl Generator {
    /// A generator for `node` under `layout` and `policy`; the node must fit.
    pub fn new(layout: Layout, node: u64, policy: Policy) -> Result<Self> {
        Ok(Generator {
            rules: Rules::new(layout, node, policy)?,
            tick: 0,
            seq: 0,
            issued: false,
            fast_start_ms: 0,
            fast_base: 0,
            fast_limit: 0,
            fence: NO_FENCE,
            epoch: 0,
            watch: Plain::default(),
        })
    }

    /// Hand every clock event (a step back absorbed, waited out or refused;
    /// borrowing started or ended) to `observer` from now on (`None`: count only).
    pub fn observe(&mut self, observer: Option<Observer>) {
        self.watch.observer = observer;
    }

    /// The clock events counted so far.
    pub fn stats(&self) -> ClockStats {
        self.watch.stats()
    }

    /// Mint under a lease from now on: only ticks wholly inside
    /// `[start_ms, fence_ms)` (ID time) are issued. The state is raised to
    /// just below the first tick at or after `start_ms`, so a clock in the
    /// tick before reads as that tick used up (the exhausted policy waits for,
    /// borrows into, or fails before the start) and a clock further back meets
    /// the backwards policy. The fence replaces any earlier one (a new lease,
    /// a new `epoch`), lost or not.
    pub fn set_lease(&mut self, start_ms: u64, fence_ms: u64, epoch: u64) {
        let floor = self.rules.floor_word(self.rules.first_tick(start_ms));
        self.fence = self.rules.fence_word(fence_ms);
        self.epoch = epoch;
        match floor {
            Some((t, s)) if floor > self.last() => self.set_last(t, s),
            _ => self.rearm(),
        }
    }

    /// A renewal confirmed a later fence; a fence never moves back, and a
    /// lost lease's fence never moves at all.
    pub fn extend_fence(&mut self, fence_ms: u64) {
        let word = self.rules.fence_word(fence_ms);
        if self.fence & LOST == 0 && word > self.fence {
            self.fence = word;
        }
        self.rearm();
    }

    /// The store refused a renewal: ticks below the confirmed fence stay
    /// usable (they are this holder's alone), the fence then gives `lease_lost`.
    pub fn lose_lease(&mut self) {
        self.fence |= LOST;
        self.rearm();
    }

    /// The fence (ID time, exclusive) ticks must end by, if under a lease.
    pub fn fence_ms(&self) -> Option<u64> {
        (self.fence & NO_FENCE != NO_FENCE).then(|| self.rules.layout.tick_start_ms(self.fence & NO_FENCE))
    }

    /// The end (exclusive, ID time) of the last tick issued: what a clean
    /// release reports as its high-water. `None` before the first ID.
    pub fn high_water_ms(&self) -> Option<u64> {
        self.last().map(|(t, _)| self.rules.layout.tick_start_ms(t + 1))
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.rules.layout
    }
    /// The node ID.
    pub fn node(&self) -> u64 {
        self.rules.node
    }
    /// The policy.
    pub fn policy(&self) -> Policy {
        self.rules.policy
    }
    /// The last issued ID, if any.
    pub fn last_id(&self) -> Option<u64> {
        self.last().map(|(t, s)| self.rules.compose(t, s))
    }

    /// The last issued (tick, sequence), if any.
    #[inline]
    fn last(&self) -> Option<(u64, u64)> {
        self.issued.then_some((self.tick, self.seq))
    }

    /// Record (tick, sequence) as the last issued, and arm the fast path for it.
    #[inline]
    fn set_last(&mut self, tick: u64, seq: u64) {
        self.tick = tick;
        self.seq = seq;
        self.issued = true;
        self.rearm();
    }

    /// Arm the fast path for the last issued tick, or disarm it: it may run
    /// only while every rule would answer "the next sequence of this tick".
    /// The clock inside the tick is checked per call; here, once per tick
    /// (and again whenever the fence or the node changes): the tick lies
    /// wholly below the fence (the fence only rises while a lease holds; a
    /// lost lease keeps the ticks below it), so the fence check cannot fail.
    /// The sequence limit keeps exhaustion on the slow path; a clock behind
    /// or past the tick (backwards, catching up, borrowing) is not inside it.
    fn rearm(&mut self) {
        let armed = self.issued && self.tick < self.fence & NO_FENCE;
        self.fast_start_ms = self.rules.layout.tick_start_ms(self.tick);
        self.fast_base = self.rules.compose(self.tick, 0);
        self.fast_limit = if armed { self.rules.layout.max_sequence() } else { 0 };
    }

    /// The common case in a handful of instructions: the clock still inside
    /// the last issued tick, the sequence below its limit (see `rearm`).
    /// The answer is the one [`next_at`](Self::next_at)'s rules would give;
    /// `None`: take the slow path.
    #[inline(always)]
    pub(super) fn next_fast(&mut self, now_ms: u64) -> Option<u64> {
        if now_ms.wrapping_sub(self.fast_start_ms) < self.rules.hot.tick_ms && self.seq < self.fast_limit {
            self.seq += 1;
            return Some(self.fast_base | (self.seq << self.rules.hot.sequence_shift));
        }
        None
    }

    /// Change the node ID, keeping the time state (how bindings re-key a
    /// generator in a forked child). The new node must fit the layout.
    pub fn set_node(&mut self, node: u64) -> Result<()> {
        self.rules.layout.check_node(node)?;
        self.rules.node = node;
        self.rearm();
        Ok(())
    }

    /// One step at time `now_ms`: an ID, a time to retry at, or an error.
    #[inline]
    pub fn next_at(&mut self, now_ms: u64) -> Result<Next> {
        match self.next_fast(now_ms) {
            Some(id) => Ok(Next::Id(id)),
            None => self.next_slow(now_ms),
        }
    }

    /// Every rule: the step, the fence, the policy's answers.
    #[inline(never)]
    fn next_slow(&mut self, now_ms: u64) -> Result<Next> {
        let last = self.last();
        let mut watch = PlainWatch {
            state: &mut self.watch,
            node: self.rules.node,
        };
        match self.rules.step_fenced(last, now_ms, &mut watch, || self.fence, || self.epoch)? {
            Step::Issue(t, s) => {
                self.rules.fenced(t, self.fence, || self.epoch)?;
                self.set_last(t, s);
                Ok(Next::Id(self.rules.compose(t, s)))
            }
            Step::RetryAt(ms) => Ok(Next::RetryAt(self.rules.retry_unless_lost(ms, self.fence, || self.epoch)?)),
        }
    }

    /// Issue up to `out.len()` IDs at time `now_ms`, in increasing order;
    /// returns how many were written. Fewer than asked means the policy asked
    /// to retry later (at the returned time); an error is returned only if
    /// nothing could be written.
    pub fn fill_at(&mut self, now_ms: u64, out: &mut [u64]) -> Result<(usize, Option<u64>)> {
        let mut written = 0;
        while written < out.len() {
            let last = self.last();
            let mut watch = PlainWatch {
                state: &mut self.watch,
                node: self.rules.node,
            };
            match self
                .rules
                .step_fenced(last, now_ms, &mut watch, || self.fence, || self.epoch)
                .and_then(|step| match step {
                    Step::Issue(t, _) => self.rules.fenced(t, self.fence, || self.epoch).map(|()| step),
                    Step::RetryAt(ms) => self.rules.retry_unless_lost(ms, self.fence, || self.epoch).map(Step::RetryAt),
                }) {
                Ok(Step::Issue(t, s)) => {
                    let take = self.rules.room_after(s).min((out.len() - written - 1) as u64);
                    let first = self.rules.compose(t, s);
                    let stride = 1u64 << self.rules.layout.sequence_shift();
                    for (k, slot) in out[written..=written + take as usize].iter_mut().enumerate() {
                        *slot = first + k as u64 * stride;
                    }
                    self.set_last(t, s + take);
                    written += take as usize + 1;
                }
                Ok(Step::RetryAt(ms)) => return Ok((written, Some(ms))),
                Err(e) if written == 0 => return Err(e),
                Err(_) => return Ok((written, None)),
            }
        }
        Ok((written, None))
    }
}
