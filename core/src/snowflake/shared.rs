//! [`SharedSnowflake`]: the rules over one `AtomicU64`, lock-free, `&self`.

use super::atomic::{AtomicU64, Ordering};
use super::clocked::wait_until;
use super::generator::Next;
use super::policy::Policy;
use super::rules::{Rules, Step, LOST, NO_FENCE};
use super::watch::{Atomic, AtomicWatch, ClockStats, Observer};
use crate::clock::Clock;
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::layout::Layout;

#[cfg(all(feature = "alloc", not(loom)))]
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
    /// `tick << sequence_bits | sequence`, or `EMPTY` before the first ID;
    /// alone on its cache lines (see [`OwnLine`]).
    state: OwnLine<AtomicU64>,
    /// The lease's fence word ([`NO_FENCE`] without a lease): one load per ID.
    fence: AtomicU64,
    /// The lease's epoch, for messages.
    epoch: AtomicU64,
    clock: C,
    /// Clock events: the open episode, the counts, the observer.
    watch: Atomic,
    /// Where the last state goes when this generator is dropped (the
    /// registry's memory of the node, so a successor starts above it).
    #[cfg(all(feature = "alloc", not(loom)))]
    retired: Option<alloc::sync::Arc<AtomicU64>>,
}

const EMPTY: u64 = u64::MAX;

/// A value alone on its cache lines (128 bytes: x86 fetches lines in
/// adjacent pairs). The state word is the one word every thread writes; on
/// its own lines, the read-mostly words the fast path also loads (the
/// layout's limits, the node, the fence) stay shared in every core's cache
/// instead of moving with each compare-and-set. Where they shared a line, the
/// 2-thread rows measured where the allocator put the generator, not its code
/// (the same code 5 % apart, fenced against unfenced).
#[repr(align(128))]
#[derive(Debug)]
struct OwnLine<T>(T);

impl<T> core::ops::Deref for OwnLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> core::ops::DerefMut for OwnLine<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Raise a state word to `word` if it is behind (`EMPTY` is below every word).
pub(crate) fn raise_word(state: &AtomicU64, word: u64) {
    if word != EMPTY {
        let _ = state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
            (cur == EMPTY || cur < word).then_some(word)
        });
    }
}

impl<C: Clock> SharedSnowflake<C> {
    /// As [`Snowflake::new`](super::Snowflake::new).
    pub fn new(layout: Layout, node: u64, policy: Policy, clock: C) -> Result<Self> {
        layout.check_epoch(clock.now_ms())?;
        Ok(SharedSnowflake {
            rules: Rules::new(layout, node, policy)?,
            node: AtomicU64::new(node),
            state: OwnLine(AtomicU64::new(EMPTY)),
            fence: AtomicU64::new(NO_FENCE),
            epoch: AtomicU64::new(0),
            clock,
            watch: Atomic::default(),
            #[cfg(all(feature = "alloc", not(loom)))]
            retired: None,
        })
    }

    /// Hand every clock event (a step back absorbed, waited out or refused;
    /// borrowing started or ended) to `observer`, on the minting thread.
    /// Set before sharing the generator.
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.watch.observer = Some(observer);
        self
    }

    /// The clock events counted so far (every thread's).
    pub fn stats(&self) -> ClockStats {
        self.watch.stats()
    }

    /// Mint under a lease from now on (see
    /// [`Generator::set_lease`](super::Generator::set_lease)): the state is
    /// raised to `start_ms`, the fence replaced. Lock-free; threads minting
    /// meanwhile see the new fence on their next ID.
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

    /// The store refused a renewal (see [`Generator::lose_lease`](super::Generator::lose_lease)).
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
    #[cfg(all(feature = "alloc", not(loom)))]
    pub(crate) fn retired_sink(&self) -> Option<alloc::sync::Arc<AtomicU64>> {
        self.retired.clone()
    }

    /// On drop, raise `sink` to this generator's last state (see `registry`).
    #[cfg(all(feature = "alloc", not(loom)))]
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

    /// Change the node ID, keeping the time state (see [`Generator::set_node`](super::Generator::set_node)).
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
        self.rules.hot.compose(tick, self.node.load(Ordering::Acquire), seq)
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

    /// A batch at an explicit time, without waiting; as [`Generator::fill_at`](super::Generator::fill_at).
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
        let mut watch = AtomicWatch {
            state: &self.watch,
            node: &self.node,
        };
        self.rules.step_fenced(
            self.unpack(word),
            now_ms,
            &mut watch,
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
    #[inline]
    pub fn try_next_id(&self) -> Result<Next> {
        if let Some(id) = self.next_fast() {
            return Ok(Next::Id(id));
        }
        Ok(match self.attempt(1)? {
            Ok((id, _)) => Next::Id(id),
            Err(target) => Next::RetryAt(target),
        })
    }

    /// The next ID.
    #[inline(always)]
    pub fn next_id(&self) -> Result<u64> {
        match self.next_fast() {
            Some(id) => Ok(id),
            None => self.next_slow(u64::MAX),
        }
    }

    /// The next ID, refusing with `would_block` any policy wait longer than
    /// `max_wait_ms` (hosts whose thread must not block: a JS event loop).
    #[inline(always)]
    pub fn next_id_within(&self, max_wait_ms: u64) -> Result<u64> {
        match self.next_fast() {
            Some(id) => Ok(id),
            None => self.next_slow(max_wait_ms),
        }
    }

    #[inline(never)]
    fn next_slow(&self, max_wait_ms: u64) -> Result<u64> {
        self.reserve(1, max_wait_ms).map(|(id, _)| id)
    }

    /// The common case: the clock inside the tick of the state word, its
    /// sequence below the limit, the tick below the fence. Then every rule
    /// answers "the next sequence of this tick" (the policy and the clock
    /// events are consulted only off this case), so the word is bumped by
    /// one in a compare-and-set; `None`: take the slow path, which decides
    /// afresh. As in `attempt`, the word is loaded before the clock is read,
    /// and a lost race is retried here (after a spin-loop hint) only while
    /// the winner's word is still of the clock's tick (a later tick: the slow
    /// path reads the clock again). The fence is loaded on every try: a fence
    /// lowered meanwhile (`set_lease`, `stop_lease`) is seen by the next ID.
    #[inline(always)]
    fn next_fast(&self) -> Option<u64> {
        let hot = self.rules.hot;
        let epoch_ms = self.rules.layout.epoch_ms();
        let max_seq = hot.max_sequence;
        let mut word = self.state.load(Ordering::Acquire);
        let now = self.clock.now_ms();
        loop {
            let tick = word >> hot.sequence_bits;
            // `EMPTY` has every sequence bit set: it never passes the first test.
            // A tick start that wraps (only `EMPTY`'s could) fails the second.
            if word & max_seq >= max_seq
                || now.wrapping_sub(epoch_ms.wrapping_add(tick.wrapping_mul(hot.tick_ms))) >= hot.tick_ms
                || tick >= self.fence.load(Ordering::Acquire) & NO_FENCE
            {
                return None;
            }
            match self
                .state
                .compare_exchange_weak(word, word + 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(self.compose(tick, (word & max_seq) + 1)),
                Err(current) => {
                    // Another thread won: let it have the cache line a moment
                    // (fewer lost races when both threads mint flat out).
                    core::hint::spin_loop();
                    word = current;
                }
            }
        }
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
