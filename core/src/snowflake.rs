//! Snowflake-family generators.
//!
//! Three layers, from pure to convenient:
//! - [`Generator`]: a pure state machine. [`Generator::next_at`] takes the
//!   time and answers an ID, a time to retry at, or a typed error. No clock,
//!   no waiting: this is what the vectors and fault scripts drive.
//! - [`Snowflake`]: a generator with an injected [`Clock`]; it performs the
//!   bounded waits its policy asks for. `&mut self`, one owner.
//! - [`SharedSnowflake`]: the same rules over one `AtomicU64`, lock-free, `&self`.
//!
//! Every path is bounded: a clock that never advances makes the generator
//! borrow ahead within its bound and then fail with `lead_exceeded`, or wait
//! a bounded number of polls and fail with `clock_stalled`. Nothing spins forever.

use crate::clock::Clock;
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::layout::Layout;
use core::sync::atomic::{AtomicU64, Ordering};

/// Longest wait or lead a policy may be configured with: one hour.
pub const MAX_POLICY_MS: u64 = 3_600_000;

/// What to do when the clock reads earlier than the last issued tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[allow(missing_docs)]
pub enum OnBackwards {
    /// Fail with `clock_moved_backwards`, reporting the size of the jump.
    Fail,
    /// Wait until the clock is back, if that takes at most `max_ms`; else fail.
    Wait { max_ms: u64 },
    /// Keep issuing from the last tick (a logical clock) while it leads the
    /// clock by at most `max_lead_ms`; beyond that, fail.
    Logical { max_lead_ms: u64 },
}

/// What to do when the current tick's sequence is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[allow(missing_docs)]
pub enum OnExhausted {
    /// Wait for the next tick (bounded: see the module docs).
    Wait,
    /// Move to the next tick before the clock does, leading it by at most
    /// `max_lead_ms` (uid-generator's and Yitter's "borrowing"); beyond, fail
    /// with `lead_exceeded`.
    Borrow { max_lead_ms: u64 },
    /// Fail with `sequence_exhausted`.
    Fail,
}

/// Where the sequence starts in a new tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[allow(missing_docs)]
pub enum SequenceStart {
    /// At 0 (classic). Low traffic makes `id % n` skew towards small values.
    Reset,
    /// Where the previous tick stopped, wrapping to 0 after the maximum, so
    /// that `id % n` spreads evenly (the sharding-skew fix of CosId). A tick
    /// may then hold fewer than 2^sequence_bits IDs.
    Continuous,
    /// At a pseudo-random point in the lower half of the sequence range,
    /// derived from `seed` and the tick (deterministic for a given seed).
    Random { seed: u64 },
}

/// The three policy choices together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Policy {
    /// When the clock reads behind the last issued tick.
    pub on_backwards: OnBackwards,
    /// When a tick's sequence is used up.
    pub on_exhausted: OnExhausted,
    /// Where each tick's sequence starts.
    pub sequence_start: SequenceStart,
}

impl Default for Policy {
    /// Logical clock with up to 1 s of lead, wait for the next tick on
    /// exhaustion, sequence reset each tick: never fails under small NTP
    /// steps and reaches the layout's ceiling with an honest clock.
    fn default() -> Self {
        Policy {
            on_backwards: OnBackwards::Logical { max_lead_ms: 1000 },
            on_exhausted: OnExhausted::Wait,
            sequence_start: SequenceStart::Reset,
        }
    }
}

impl Policy {
    /// Check the bounds of every parameter.
    pub fn validate(&self) -> Result<()> {
        let check = |param, v: u64| {
            if v > MAX_POLICY_MS {
                Err(Error::range(ErrorCode::InvalidArgument, param, v, 0, MAX_POLICY_MS))
            } else {
                Ok(())
            }
        };
        match self.on_backwards {
            OnBackwards::Wait { max_ms } => check("max_wait_ms", max_ms)?,
            OnBackwards::Logical { max_lead_ms } => check("max_lead_ms", max_lead_ms)?,
            OnBackwards::Fail => {}
        }
        if let OnExhausted::Borrow { max_lead_ms } = self.on_exhausted {
            check("max_borrow_ms", max_lead_ms)?;
        }
        Ok(())
    }

    /// How far (ms) the last issued tick may lead the clock without the
    /// clock-backwards policy being consulted.
    fn tolerated_lead_ms(&self) -> u64 {
        let logical = match self.on_backwards {
            OnBackwards::Logical { max_lead_ms } => max_lead_ms,
            _ => 0,
        };
        let borrow = match self.on_exhausted {
            OnExhausted::Borrow { max_lead_ms } => max_lead_ms,
            _ => 0,
        };
        logical.max(borrow)
    }
}

/// The answer of one step of the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// An ID was issued.
    Id(u64),
    /// Nothing was issued; the policy says to try again once the clock reads
    /// at least this many Unix milliseconds.
    RetryAt(u64),
}

/// Internal outcome: the (tick, sequence) to issue, or a retry time.
enum Step {
    Issue(u64, u64),
    RetryAt(u64),
}

/// The rules, shared by every generator flavour: layout, node, policy.
#[derive(Debug, Clone, Copy)]
struct Rules {
    layout: Layout,
    node: u64,
    policy: Policy,
    tolerated_ms: u64,
}

impl Rules {
    fn new(layout: Layout, node: u64, policy: Policy) -> Result<Self> {
        layout.check_node(node)?;
        policy.validate()?;
        Ok(Rules {
            layout,
            node,
            policy,
            tolerated_ms: policy.tolerated_lead_ms(),
        })
    }

    fn start_sequence(&self, tick: u64, previous: Option<u64>) -> u64 {
        let max = self.layout.max_sequence();
        match self.policy.sequence_start {
            SequenceStart::Reset => 0,
            SequenceStart::Continuous => match previous {
                Some(s) if s < max => s + 1,
                _ => 0,
            },
            SequenceStart::Random { seed } => splitmix64(seed ^ tick.wrapping_mul(0x9E37_79B9_7F4A_7C15)) & (max >> 1),
        }
    }

    /// One step of the state machine from the last issued (tick, sequence).
    fn step(&self, last: Option<(u64, u64)>, now_ms: u64) -> Result<Step> {
        let layout = &self.layout;
        if now_ms < layout.epoch_ms() {
            return Err(Error::range(ErrorCode::EpochInFuture, "epoch_ms", layout.epoch_ms(), 0, now_ms));
        }
        let since = now_ms - layout.epoch_ms();
        let now_tick = match last {
            // Fast path: still inside the last issued tick (no 64-bit division).
            // `since` before the tick start wraps to a huge value and falls through.
            Some((t, _)) if since.wrapping_sub(t * layout.tick_ms()) < layout.tick_ms() => t,
            _ if layout.tick_ms() == 1 => since,
            _ => since / layout.tick_ms(),
        };
        let Some((tick, seq)) = last else {
            self.check_tick(now_tick)?;
            return Ok(Step::Issue(now_tick, self.start_sequence(now_tick, None)));
        };
        if now_tick > tick {
            self.check_tick(now_tick)?;
            return Ok(Step::Issue(now_tick, self.start_sequence(now_tick, Some(seq))));
        }
        if now_tick < tick {
            let lead_ms = layout.tick_start_ms(tick) - now_ms;
            if lead_ms > self.tolerated_ms {
                let backwards = Error::new(
                    ErrorCode::ClockMovedBackwards,
                    Detail::Backwards {
                        by_ms: lead_ms,
                        tolerated_ms: self.tolerated_ms,
                    },
                );
                return match self.policy.on_backwards {
                    OnBackwards::Wait { max_ms } if lead_ms - self.tolerated_ms <= max_ms => {
                        Ok(Step::RetryAt(layout.tick_start_ms(tick) - self.tolerated_ms))
                    }
                    _ => Err(backwards),
                };
            }
        }
        // Still in the last issued tick (the clock is in it, or behind it within tolerance).
        if seq < layout.max_sequence() {
            return Ok(Step::Issue(tick, seq + 1));
        }
        match self.policy.on_exhausted {
            OnExhausted::Fail => Err(Error::range(
                ErrorCode::SequenceExhausted,
                "sequence",
                seq + 1,
                0,
                layout.max_sequence(),
            )),
            OnExhausted::Wait => {
                self.check_tick(tick + 1)?;
                Ok(Step::RetryAt(layout.tick_start_ms(tick + 1)))
            }
            OnExhausted::Borrow { max_lead_ms } => {
                self.check_tick(tick + 1)?;
                let lead_ms = layout.tick_start_ms(tick + 1).saturating_sub(now_ms);
                if lead_ms > max_lead_ms {
                    return Err(Error::new(
                        ErrorCode::LeadExceeded,
                        Detail::Lead {
                            lead_ms,
                            max_ms: max_lead_ms,
                        },
                    ));
                }
                Ok(Step::Issue(tick + 1, self.start_sequence(tick + 1, Some(seq))))
            }
        }
    }

    fn check_tick(&self, tick: u64) -> Result<()> {
        if tick > self.layout.max_tick() {
            return Err(Error::range(
                ErrorCode::LayoutExhausted,
                "timestamp_ms",
                self.layout.tick_start_ms(tick),
                self.layout.epoch_ms(),
                self.layout.last_ms(),
            ));
        }
        Ok(())
    }

    #[inline]
    fn compose(&self, tick: u64, seq: u64) -> u64 {
        self.layout.compose_unchecked(tick, self.node, seq)
    }

    /// How many more IDs fit in `tick` after `seq`.
    #[inline]
    fn room_after(&self, seq: u64) -> u64 {
        self.layout.max_sequence() - seq
    }
}

/// SplitMix64 finaliser: a cheap, well-mixed hash for random sequence starts
/// (not a security boundary: it only spreads start points).
#[inline]
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fence word: the first tick a generator may not issue (exclusive), in
/// the low 63 bits; the top bit is set once the lease was lost.
/// `NO_FENCE`: no lease, every tick of the layout is usable.
pub const NO_FENCE: u64 = (1 << 63) - 1;
const LOST: u64 = 1 << 63;

impl Rules {
    /// Refuse to issue in `tick` unless it lies wholly below the fence.
    #[inline]
    fn fenced(&self, tick: u64, fence: u64, epoch: impl FnOnce() -> u64) -> Result<()> {
        if tick < fence & NO_FENCE {
            return Ok(());
        }
        self.fence_error(tick, fence, epoch())
    }

    #[cold]
    fn fence_error(&self, tick: u64, fence: u64, epoch: u64) -> Result<()> {
        let lost = fence & LOST != 0;
        Err(Error::new(
            if lost { ErrorCode::LeaseLost } else { ErrorCode::LeaseExpired },
            Detail::Fence {
                node: self.node,
                epoch,
                tick_ms: self.layout.tick_start_ms(tick),
                fence_ms: self.layout.tick_start_ms(fence & NO_FENCE),
                lost,
            },
        ))
    }

    /// One step, except that a lost lease with no tick left below its fence
    /// answers `lease_lost` whatever the clock says (a stopped generator
    /// whose clock reads behind must not report a clock error instead).
    #[inline]
    fn step_fenced(&self, last: Option<(u64, u64)>, now_ms: u64, fence: impl FnOnce() -> u64, epoch: impl FnOnce() -> u64) -> Result<Step> {
        self.step(last, now_ms).or_else(|e| {
            let fence = fence();
            if fence & LOST != 0 {
                let next = last.map_or(0, |(t, s)| if s < self.layout.max_sequence() { t } else { t + 1 });
                self.fenced(next, fence, epoch)?;
            }
            Err(e)
        })
    }

    /// A wait the policy asks for, unless the lease is lost and the wait ends
    /// at or past the fence: then nothing is left to wait for (`lease_lost` now,
    /// not after sleeping until the fence).
    #[inline]
    fn retry_unless_lost(&self, at_ms: u64, fence: u64, epoch: impl FnOnce() -> u64) -> Result<u64> {
        if fence & LOST != 0 {
            let tick = at_ms.saturating_sub(self.layout.epoch_ms()) / self.layout.tick_ms();
            self.fenced(tick, fence, epoch)?;
        }
        Ok(at_ms)
    }

    /// The fence word for a lease's `fence_ms` (ID time): the first tick that
    /// does not end by `fence_ms`.
    fn fence_word(&self, fence_ms: u64) -> u64 {
        (fence_ms.saturating_sub(self.layout.epoch_ms()) / self.layout.tick_ms()).min(NO_FENCE)
    }

    /// The first tick that starts at or after `start_ms`.
    fn first_tick(&self, start_ms: u64) -> u64 {
        start_ms.saturating_sub(self.layout.epoch_ms()).div_ceil(self.layout.tick_ms())
    }

    /// The state word just below `tick` (its predecessor's last sequence), so
    /// that the next ID is issued at `tick` or later.
    fn floor_word(&self, tick: u64) -> Option<(u64, u64)> {
        tick.checked_sub(1).map(|t| (t, self.layout.max_sequence()))
    }
}

/// The pure snowflake state machine: layout, node, policy and the last issued
/// (tick, sequence). Drive it with [`Generator::next_at`].
#[derive(Debug, Clone)]
pub struct Generator {
    rules: Rules,
    last: Option<(u64, u64)>,
    /// The lease's fence word ([`NO_FENCE`] without a lease) and epoch.
    fence: u64,
    epoch: u64,
}

impl Generator {
    /// A generator for `node` under `layout` and `policy`; the node must fit.
    pub fn new(layout: Layout, node: u64, policy: Policy) -> Result<Self> {
        Ok(Generator {
            rules: Rules::new(layout, node, policy)?,
            last: None,
            fence: NO_FENCE,
            epoch: 0,
        })
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
        if floor > self.last {
            self.last = floor;
        }
        self.fence = self.rules.fence_word(fence_ms);
        self.epoch = epoch;
    }

    /// A renewal confirmed a later fence; a fence never moves back, and a
    /// lost lease's fence never moves at all.
    pub fn extend_fence(&mut self, fence_ms: u64) {
        let word = self.rules.fence_word(fence_ms);
        if self.fence & LOST == 0 && word > self.fence {
            self.fence = word;
        }
    }

    /// The store refused a renewal: ticks below the confirmed fence stay
    /// usable (they are this holder's alone), the fence then gives `lease_lost`.
    pub fn lose_lease(&mut self) {
        self.fence |= LOST;
    }

    /// The fence (ID time, exclusive) ticks must end by, if under a lease.
    pub fn fence_ms(&self) -> Option<u64> {
        (self.fence & NO_FENCE != NO_FENCE).then(|| self.rules.layout.tick_start_ms(self.fence & NO_FENCE))
    }

    /// The end (exclusive, ID time) of the last tick issued: what a clean
    /// release reports as its high-water. `None` before the first ID.
    pub fn high_water_ms(&self) -> Option<u64> {
        self.last.map(|(t, _)| self.rules.layout.tick_start_ms(t + 1))
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
        self.last.map(|(t, s)| self.rules.compose(t, s))
    }

    /// Change the node ID, keeping the time state (how bindings re-key a
    /// generator in a forked child). The new node must fit the layout.
    pub fn set_node(&mut self, node: u64) -> Result<()> {
        self.rules.layout.check_node(node)?;
        self.rules.node = node;
        Ok(())
    }

    /// One step at time `now_ms`: an ID, a time to retry at, or an error.
    pub fn next_at(&mut self, now_ms: u64) -> Result<Next> {
        match self.rules.step_fenced(self.last, now_ms, || self.fence, || self.epoch)? {
            Step::Issue(t, s) => {
                self.rules.fenced(t, self.fence, || self.epoch)?;
                self.last = Some((t, s));
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
            match self
                .rules
                .step_fenced(self.last, now_ms, || self.fence, || self.epoch)
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
                    self.last = Some((t, s + take));
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

/// Polls of the clock allowed per millisecond of a wait before a clock that
/// will not advance is declared stalled (2^18 ≈ 5 ms of real time at ~20 ns a read).
pub const POLLS_PER_MS: u64 = 1 << 18;

/// Wait (bounded) until `clock` reads at least `target_ms`; returns the new time.
fn wait_until<C: Clock>(clock: &C, mut now_ms: u64, target_ms: u64) -> Result<u64> {
    let mut budget = (target_ms.saturating_sub(now_ms) + 2).saturating_mul(POLLS_PER_MS);
    while now_ms < target_ms {
        let remaining = target_ms - now_ms;
        if remaining > 1 && clock.sleep_ms(remaining - 1) {
            budget = budget.saturating_sub((remaining - 1).saturating_mul(POLLS_PER_MS));
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

    /// The next ID, waiting (bounded) where the policy says to wait.
    pub fn next_id(&mut self) -> Result<u64> {
        let mut now = self.clock.now_ms();
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

#[cfg(feature = "alloc")]
impl<C: Clock> Drop for SharedSnowflake<C> {
    fn drop(&mut self) {
        if let Some(sink) = &self.retired {
            raise_word(sink, *self.state.get_mut());
        }
    }
}

/// A lock-free snowflake shared by threads (`&self`): the last issued
/// (tick, sequence) lives in one `AtomicU64` updated by compare-and-swap.
#[derive(Debug)]
pub struct SharedSnowflake<C: Clock> {
    rules: Rules,
    /// The node ID, atomic so that a forked child can be re-keyed in place.
    node: AtomicU64,
    /// `tick << sequence_bits | sequence`, or `EMPTY` before the first ID.
    state: AtomicU64,
    /// The lease's fence word ([`NO_FENCE`] without a lease): one load per ID.
    fence: AtomicU64,
    /// The lease's epoch, for messages.
    epoch: AtomicU64,
    clock: C,
    /// Where the last state goes when this generator is dropped (the
    /// registry's memory of the node, so a successor starts above it).
    #[cfg(feature = "alloc")]
    retired: Option<alloc::sync::Arc<AtomicU64>>,
}

const EMPTY: u64 = u64::MAX;

/// Raise a state word to `word` if it is behind (`EMPTY` is below every word).
pub(crate) fn raise_word(state: &AtomicU64, word: u64) {
    if word != EMPTY {
        let _ = state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
            (cur == EMPTY || cur < word).then_some(word)
        });
    }
}

impl<C: Clock> SharedSnowflake<C> {
    /// As [`Snowflake::new`].
    pub fn new(layout: Layout, node: u64, policy: Policy, clock: C) -> Result<Self> {
        layout.check_epoch(clock.now_ms())?;
        Ok(SharedSnowflake {
            rules: Rules::new(layout, node, policy)?,
            node: AtomicU64::new(node),
            state: AtomicU64::new(EMPTY),
            fence: AtomicU64::new(NO_FENCE),
            epoch: AtomicU64::new(0),
            clock,
            #[cfg(feature = "alloc")]
            retired: None,
        })
    }

    /// Mint under a lease from now on (see [`Generator::set_lease`]): the
    /// state is raised to `start_ms`, the fence replaced. Lock-free; threads
    /// minting meanwhile see the new fence on their next ID.
    pub fn set_lease(&self, start_ms: u64, fence_ms: u64, epoch: u64) {
        if let Some((t, s)) = self.rules.floor_word(self.rules.first_tick(start_ms)) {
            raise_word(&self.state, self.pack(t, s));
        }
        self.epoch.store(epoch, Ordering::Relaxed);
        self.fence.store(self.rules.fence_word(fence_ms), Ordering::Release);
    }

    /// A renewal confirmed a later fence; it never moves back, and a lost
    /// lease stays lost.
    pub fn extend_fence(&self, fence_ms: u64) {
        let word = self.rules.fence_word(fence_ms);
        let _ = self
            .fence
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| (f & LOST == 0 && word > f).then_some(word));
    }

    /// The store refused a renewal (see [`Generator::lose_lease`]).
    pub fn lose_lease(&self) {
        self.fence.fetch_or(LOST, Ordering::AcqRel);
    }

    /// The fence (ID time, exclusive), if under a lease.
    pub fn fence_ms(&self) -> Option<u64> {
        let f = self.fence.load(Ordering::Acquire) & NO_FENCE;
        (f != NO_FENCE).then(|| self.rules.layout.tick_start_ms(f))
    }

    /// The end (exclusive, ID time) of the last tick issued, for a clean
    /// release; `None` before the first ID.
    pub fn high_water_ms(&self) -> Option<u64> {
        self.unpack(self.state.load(Ordering::Acquire))
            .map(|(t, _)| self.rules.layout.tick_start_ms(t + 1))
    }

    /// Stop minting under the lease, for a clean release: from this call on
    /// every thread gets `lease_lost`, and the answer is the end of the last
    /// tick that was (or ever will be) issued — the high-water to release
    /// with (`None`: nothing was minted). Race-free against threads minting
    /// meanwhile: the fence is lowered to just past the tick after the last
    /// issued one, then the state word is swapped from what was read to "that
    /// next tick used up" (never the same word: no ABA). A minter that read
    /// the old fence fails its compare-and-set, retries and meets the lowered
    /// fence; whatever it issued first is counted by reading the state again.
    /// A generator without a lease stops the same way.
    pub fn stop_lease(&self) -> Option<u64> {
        let max_seq = self.rules.layout.max_sequence();
        loop {
            let cur = self.state.load(Ordering::Acquire);
            let last = self.unpack(cur);
            // The tick after the last issued one is marked used up; nothing passes it.
            let blocked = last.map_or(0, |(t, _)| t + 1);
            let lowered = LOST | (blocked + 1);
            let _ = self.fence.fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                Some(LOST | (f & NO_FENCE).min(lowered & NO_FENCE))
            });
            if self
                .state
                .compare_exchange(cur, self.pack(blocked, max_seq), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return last.map(|(t, _)| self.rules.layout.tick_start_ms(t + 1));
            }
        }
    }

    /// The last issued (tick, sequence) as one word, `u64::MAX` before the first ID.
    pub fn state_word(&self) -> u64 {
        self.state.load(Ordering::Acquire)
    }

    /// Never issue at or below `word` (a [`state_word`](Self::state_word) of
    /// an earlier generator of this layout and node): the state is raised to
    /// it if it is behind. `u64::MAX` (no ID yet) changes nothing.
    pub fn resume_after(&self, word: u64) {
        raise_word(&self.state, word);
    }

    /// The word this generator raises on drop, if the registry gave it one.
    #[cfg(feature = "alloc")]
    pub(crate) fn retired_sink(&self) -> Option<alloc::sync::Arc<AtomicU64>> {
        self.retired.clone()
    }

    /// On drop, raise `sink` to this generator's last state (see `registry`).
    #[cfg(feature = "alloc")]
    pub(crate) fn retire_into(mut self, sink: alloc::sync::Arc<AtomicU64>) -> Self {
        self.retired = Some(sink);
        self
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.rules.layout
    }
    /// The policy.
    pub fn policy(&self) -> Policy {
        self.rules.policy
    }
    /// The node ID.
    pub fn node(&self) -> u64 {
        self.node.load(Ordering::Relaxed)
    }

    /// Change the node ID, keeping the time state (see [`Generator::set_node`]).
    pub fn set_node(&self, node: u64) -> Result<()> {
        self.rules.layout.check_node(node)?;
        self.node.store(node, Ordering::Release);
        Ok(())
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    #[inline]
    fn compose(&self, tick: u64, seq: u64) -> u64 {
        self.rules.layout.compose_unchecked(tick, self.node.load(Ordering::Acquire), seq)
    }

    /// One step at an explicit time, without waiting: the pure state machine
    /// over the shared word, for hosts with their own timers and for replaying
    /// the conformance scripts.
    pub fn next_at(&self, now_ms: u64) -> Result<Next> {
        loop {
            let word = self.state.load(Ordering::Acquire);
            match self.step_fenced(word, now_ms)? {
                Step::Issue(t, s) => {
                    self.rules
                        .fenced(t, self.fence.load(Ordering::Acquire), || self.epoch.load(Ordering::Relaxed))?;
                    if self
                        .state
                        .compare_exchange_weak(word, self.pack(t, s), Ordering::AcqRel, Ordering::Relaxed)
                        .is_ok()
                    {
                        return Ok(Next::Id(self.compose(t, s)));
                    }
                }
                Step::RetryAt(ms) => return Ok(Next::RetryAt(self.retry_unless_lost(ms)?)),
            }
        }
    }

    /// A batch at an explicit time, without waiting; as [`Generator::fill_at`].
    pub fn fill_at(&self, now_ms: u64, out: &mut [u64]) -> Result<(usize, Option<u64>)> {
        let stride = 1u64 << self.rules.layout.sequence_shift();
        let mut written = 0;
        while written < out.len() {
            let word = self.state.load(Ordering::Acquire);
            let fence = self.fence.load(Ordering::Acquire);
            match self.step_fenced(word, now_ms).and_then(|step| match step {
                Step::Issue(t, _) => self.rules.fenced(t, fence, || self.epoch.load(Ordering::Relaxed)).map(|()| step),
                retry => Ok(retry),
            }) {
                Ok(Step::Issue(t, s)) => {
                    let take = self.rules.room_after(s).min((out.len() - written - 1) as u64);
                    if self
                        .state
                        .compare_exchange_weak(word, self.pack(t, s + take), Ordering::AcqRel, Ordering::Relaxed)
                        .is_err()
                    {
                        continue;
                    }
                    let first = self.compose(t, s);
                    for (k, slot) in out[written..=written + take as usize].iter_mut().enumerate() {
                        *slot = first + k as u64 * stride;
                    }
                    written += take as usize + 1;
                }
                Ok(Step::RetryAt(ms)) => match self.retry_unless_lost(ms) {
                    Ok(ms) => return Ok((written, Some(ms))),
                    Err(e) if written == 0 => return Err(e),
                    Err(_) => return Ok((written, None)),
                },
                Err(e) if written == 0 => return Err(e),
                Err(_) => return Ok((written, None)),
            }
        }
        Ok((written, None))
    }

    /// One step from `word` (see [`Rules::step_fenced`]).
    #[inline]
    fn step_fenced(&self, word: u64, now_ms: u64) -> Result<Step> {
        self.rules.step_fenced(
            self.unpack(word),
            now_ms,
            || self.fence.load(Ordering::Acquire),
            || self.epoch.load(Ordering::Relaxed),
        )
    }

    /// A wait the policy asks for, or `lease_lost` if the lease is lost and
    /// the wait would end at or past the fence.
    #[inline]
    fn retry_unless_lost(&self, at_ms: u64) -> Result<u64> {
        self.rules
            .retry_unless_lost(at_ms, self.fence.load(Ordering::Acquire), || self.epoch.load(Ordering::Relaxed))
    }

    #[inline]
    fn unpack(&self, word: u64) -> Option<(u64, u64)> {
        (word != EMPTY).then(|| (word >> self.rules.layout.sequence_bits(), word & self.rules.layout.max_sequence()))
    }
    #[inline]
    fn pack(&self, tick: u64, seq: u64) -> u64 {
        (tick << self.rules.layout.sequence_bits()) | seq
    }

    /// One attempt at the current time: reserve up to `want` consecutive IDs
    /// of one tick, as `Ok((first ID, count))`, or `Err(retry_at_ms)` when the
    /// policy says to wait. Never waits.
    fn attempt(&self, want: u64) -> Result<core::result::Result<(u64, u64), u64>> {
        // Load the state *before* reading the clock: the state was written from
        // a reading no later than ours, so another thread's newer tick is never
        // mistaken for our clock going backwards.
        let mut word = self.state.load(Ordering::Acquire);
        let mut now = self.clock.now_ms();
        loop {
            match self.step_fenced(word, now)? {
                Step::Issue(t, s) => {
                    self.rules
                        .fenced(t, self.fence.load(Ordering::Acquire), || self.epoch.load(Ordering::Relaxed))?;
                    let take = self.rules.room_after(s).min(want - 1);
                    match self
                        .state
                        .compare_exchange_weak(word, self.pack(t, s + take), Ordering::AcqRel, Ordering::Acquire)
                    {
                        Ok(_) => return Ok(Ok((self.compose(t, s), take + 1))),
                        Err(current) => {
                            word = current;
                            // Another thread won with a tick that starts after our
                            // reading: read the clock again (same reason as above).
                            if self.unpack(word).is_some_and(|(t, _)| self.rules.layout.tick_start_ms(t) > now) {
                                now = self.clock.now_ms();
                            }
                        }
                    }
                }
                Step::RetryAt(target) => return Ok(Err(self.retry_unless_lost(target)?)),
            }
        }
    }

    /// Reserve up to `want` consecutive IDs of one tick, waiting (bounded)
    /// where the policy says to wait, but never a single wait longer than
    /// `max_wait_ms` (`would_block`); returns (first ID, count).
    fn reserve(&self, want: u64, max_wait_ms: u64) -> Result<(u64, u64)> {
        loop {
            match self.attempt(want)? {
                Ok(run) => return Ok(run),
                Err(target) => {
                    let now = self.clock.now_ms();
                    let wait_ms = target.saturating_sub(now);
                    if wait_ms > max_wait_ms {
                        return Err(Error::new(
                            ErrorCode::WouldBlock,
                            Detail::WouldBlock {
                                wait_ms,
                                max_ms: max_wait_ms,
                            },
                        ));
                    }
                    wait_until(&self.clock, now, target)?;
                }
            }
        }
    }

    /// The next ID at the current time without waiting: an ID, or the time
    /// the policy asks to retry at (hosts that must not block on the calling
    /// thread wait elsewhere, then call [`next_id`](Self::next_id)).
    pub fn try_next_id(&self) -> Result<Next> {
        Ok(match self.attempt(1)? {
            Ok((id, _)) => Next::Id(id),
            Err(target) => Next::RetryAt(target),
        })
    }

    /// The next ID.
    pub fn next_id(&self) -> Result<u64> {
        self.reserve(1, u64::MAX).map(|(id, _)| id)
    }

    /// The next ID, refusing with `would_block` any policy wait longer than
    /// `max_wait_ms` (hosts whose thread must not block: a JS event loop).
    pub fn next_id_within(&self, max_wait_ms: u64) -> Result<u64> {
        self.reserve(1, max_wait_ms).map(|(id, _)| id)
    }

    /// Fill `out` with increasing IDs (each run of a tick is one CAS).
    pub fn fill(&self, out: &mut [u64]) -> Result<()> {
        self.fill_within(out, u64::MAX)
    }

    /// As [`fill`](Self::fill), refusing with `would_block` any single wait
    /// longer than `max_wait_ms`; IDs written before the refusal are spent.
    pub fn fill_within(&self, out: &mut [u64], max_wait_ms: u64) -> Result<()> {
        let stride = 1u64 << self.rules.layout.sequence_shift();
        let mut done = 0;
        while done < out.len() {
            let (first, n) = self.reserve((out.len() - done) as u64, max_wait_ms)?;
            for (k, slot) in out[done..done + n as usize].iter_mut().enumerate() {
                *slot = first + k as u64 * stride;
            }
            done += n as usize;
        }
        Ok(())
    }

    /// Decode an ID of this generator's layout.
    pub fn decode(&self, id: u64) -> Result<crate::layout::Parts> {
        self.rules.layout.decompose(id)
    }
}
