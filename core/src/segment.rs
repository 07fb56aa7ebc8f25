//! Leaf-style number segments: ranges handed out by a central store,
//! served from memory.
//!
//! A [`SegmentBuffer`] holds the current range plus prefetched ones (Leaf's
//! double buffer, CosId's segment chain). It never talks to the store itself:
//! it says *when* and *how much* to fetch ([`SegmentBuffer::begin_fetch`]),
//! accepts what the host fetched ([`SegmentBuffer::supply`]) and hands out
//! IDs from memory ([`SegmentBuffer::next_id`]). [`Segment`] wires a buffer to a
//! synchronous [`SegmentSource`] for single-process use.
//!
//! **The source contract**: every range a source returns must never be
//! returned to any other caller — e.g. a compare-and-set
//! `UPDATE alloc SET max_id = max_id + step WHERE biz_tag = ? AND max_id = ?`,
//! a Redis `INCRBY`, or a MySQL ticket table. Ranges from one source must
//! increase; a range that overlaps or goes back is rejected (`invalid_range`).
//!
//! **Interleaving** (N database sequences with step N, N Redis nodes):
//! ranges are counters, and the buffer maps counter `c` to the ID
//! `c * stride + offset`, so N buffers with offsets `0..N` and stride `N`
//! never meet.

use crate::clock::Clock;
use crate::error::{Error, ErrorCode, Result};
use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicU64, Ordering};

/// A half-open range of counters `[start, end)` that the host fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Range {
    /// First counter.
    pub start: u64,
    /// One past the last counter.
    pub end: u64,
}

impl Range {
    /// `[start, end)`.
    pub const fn new(start: u64, end: u64) -> Self {
        Range { start, end }
    }
    /// How many counters it holds.
    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    /// Whether it holds none.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How big each fetch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[allow(missing_docs)]
pub enum StepSize {
    /// Always the same step (Leaf's `step` column).
    Fixed(u64),
    /// Sized to the rate of use so that one range lasts about `target_ms`,
    /// within `min..=max`, at most doubling or halving per fetch (Leaf's
    /// dynamic step, which aims at 15 minutes).
    Adaptive { min: u64, max: u64, target_ms: u64 },
}

/// How a buffer prefetches and maps counters to IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentConfig {
    /// Fetch size.
    pub step: StepSize,
    /// Ask for the next range once this percentage of the current one is
    /// used (Leaf: 10). 0 asks at once; 100 only when the current one is empty.
    pub threshold_percent: u8,
    /// Ranges held beyond the current one (Leaf's double buffer: 1).
    pub max_prefetched: usize,
    /// ID = counter × stride + offset.
    pub stride: u64,
    /// See `stride`; must be below it.
    pub offset: u64,
}

impl Default for SegmentConfig {
    /// Leaf's defaults: step 1000, prefetch at 10 % used, one range prefetched.
    fn default() -> Self {
        SegmentConfig {
            step: StepSize::Fixed(1000),
            threshold_percent: 10,
            max_prefetched: 1,
            stride: 1,
            offset: 0,
        }
    }
}

/// Largest step accepted: 2^40 counters in one fetch.
pub const MAX_STEP: u64 = crate::limits::MAX_STEP;

impl SegmentConfig {
    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        let arg = |p, v: u64, lo: u64, hi: u64| Error::range(ErrorCode::InvalidArgument, p, v, lo, hi);
        match self.step {
            StepSize::Fixed(n) if !(1..=MAX_STEP).contains(&n) => return Err(arg("step", n, 1, MAX_STEP)),
            StepSize::Adaptive { min, max, target_ms } => {
                if !(1..=MAX_STEP).contains(&min) {
                    return Err(arg("min_step", min, 1, MAX_STEP));
                }
                if !(min..=MAX_STEP).contains(&max) {
                    return Err(arg("max_step", max, min, MAX_STEP));
                }
                if !(1..=86_400_000).contains(&target_ms) {
                    return Err(arg("target_ms", target_ms, 1, 86_400_000));
                }
            }
            StepSize::Fixed(_) => {}
        }
        if self.threshold_percent > 100 {
            return Err(arg("threshold_percent", self.threshold_percent.into(), 0, 100));
        }
        if !(1..=16).contains(&self.max_prefetched) {
            return Err(arg("max_prefetched", self.max_prefetched as u64, 1, 16));
        }
        if self.stride == 0 {
            return Err(arg("stride", 0, 1, u64::MAX));
        }
        if self.offset >= self.stride {
            return Err(arg("offset", self.offset, 0, self.stride - 1));
        }
        Ok(())
    }
}

/// A request to fetch: ask the source for `step` counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FetchRequest {
    /// How many counters to fetch.
    pub step: u64,
}

/// The buffer of ranges; see the module docs.
#[derive(Debug, Clone)]
pub struct SegmentBuffer {
    config: SegmentConfig,
    cur: u64,
    end: u64,
    fetch_mark: u64,
    queue: VecDeque<Range>,
    highest_end: Option<u64>,
    in_flight: bool,
    step: u64,
    /// Counters consumed from ranges before the current one.
    consumed_before: u64,
    current_start: u64,
    /// (time, consumed) at the previous fetch, for the adaptive step.
    last_fetch: Option<(u64, u64)>,
}

impl SegmentBuffer {
    /// An empty buffer; its first [`begin_fetch`](Self::begin_fetch) asks for a range.
    pub fn new(config: SegmentConfig) -> Result<Self> {
        config.validate()?;
        let step = match config.step {
            StepSize::Fixed(n) => n,
            StepSize::Adaptive { min, .. } => min,
        };
        Ok(SegmentBuffer {
            config,
            cur: 0,
            end: 0,
            fetch_mark: 0,
            queue: VecDeque::new(),
            highest_end: None,
            in_flight: false,
            step,
            consumed_before: 0,
            current_start: 0,
            last_fetch: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SegmentConfig {
        &self.config
    }

    /// The next ID from memory, or `segment_exhausted` when every range is used.
    #[inline]
    pub fn next_id(&mut self) -> Result<u64> {
        if self.cur < self.end {
            let c = self.cur;
            self.cur += 1;
            return Ok(c * self.config.stride + self.config.offset);
        }
        self.advance()?;
        self.next_id()
    }

    #[cold]
    fn advance(&mut self) -> Result<()> {
        let Some(range) = self.queue.pop_front() else {
            return Err(Error::reason(
                ErrorCode::SegmentExhausted,
                "segment",
                "every fetched range is used; supply a new range from the source",
            ));
        };
        self.activate(range);
        Ok(())
    }

    fn activate(&mut self, range: Range) {
        self.consumed_before += self.cur - self.current_start;
        self.current_start = range.start;
        self.cur = range.start;
        self.end = range.end;
        let used = range.len() as u128 * u128::from(self.config.threshold_percent) / 100;
        self.fetch_mark = range.start + used as u64;
    }

    /// IDs left in memory (current plus prefetched ranges).
    pub fn remaining(&self) -> u64 {
        (self.end - self.cur) + self.queue.iter().map(Range::len).sum::<u64>()
    }

    /// Whether a fetch should start now (no fetch in flight, room for a
    /// range, and the current range is past the threshold or empty).
    #[inline]
    pub fn wants_fetch(&self) -> bool {
        !self.in_flight && self.queue.len() < self.config.max_prefetched && (self.cur >= self.fetch_mark || self.cur >= self.end)
    }

    /// How far a host may count down before it asks [`wants_fetch`](Self::wants_fetch)
    /// again: after each of the next `n - 1` calls of [`next_id`](Self::next_id)
    /// — with no other call in between — `wants_fetch` stays false and
    /// `next_id` serves from the current range. `0` or `1`: ask after the
    /// next call. Hosts that pay per call across a boundary (JavaScript
    /// over napi or wasm) ask this after each fetch decision and take the
    /// IDs in between without a check; `supply`, `fetch_failed` and
    /// `begin_fetch` make them ask again.
    pub fn ids_before_check(&self) -> u64 {
        if self.wants_fetch() || self.cur >= self.end {
            0
        } else if self.cur < self.fetch_mark {
            // wanted once the mark is reached (or the range ends, whichever is first)
            self.fetch_mark.min(self.end) - self.cur
        } else {
            // past the mark but a fetch is in flight or the queue is full: only
            // the end of the range (a range taken from the queue) changes that
            self.end - self.cur
        }
    }

    /// The counters left in the current range, `[next, end)` (empty when dry).
    pub fn current(&self) -> Range {
        Range::new(self.cur, self.end)
    }

    /// The ranges fetched ahead, in the order they will be served.
    pub fn prefetched(&self) -> impl Iterator<Item = &Range> {
        self.queue.iter()
    }

    /// Whether a fetch is in flight.
    pub fn fetch_in_flight(&self) -> bool {
        self.in_flight
    }

    /// Start a fetch if one is wanted: marks it in flight and says how much
    /// to ask for. `now_ms` feeds the adaptive step size.
    pub fn begin_fetch(&mut self, now_ms: u64) -> Option<FetchRequest> {
        if !self.wants_fetch() {
            return None;
        }
        self.in_flight = true;
        let consumed = self.consumed_before + (self.cur - self.current_start);
        if let StepSize::Adaptive { min, max, target_ms } = self.config.step {
            if let Some((then, consumed_then)) = self.last_fetch {
                let elapsed = now_ms.saturating_sub(then).max(1);
                let used = consumed - consumed_then;
                let wanted = (u128::from(used) * u128::from(target_ms) / u128::from(elapsed)).min(u128::from(u64::MAX)) as u64;
                let lo = (self.step / 2).max(min);
                let hi = self.step.saturating_mul(2).min(max);
                self.step = wanted.clamp(lo, hi);
            }
            self.last_fetch = Some((now_ms, consumed));
        }
        Some(FetchRequest { step: self.step })
    }

    /// The fetch failed. The next attempt is wanted once another tenth of
    /// what is left in the current range is used (at least one ID), so a
    /// failing store is not called on every ID; a dry buffer asks at once.
    pub fn fetch_failed(&mut self) {
        self.in_flight = false;
        self.fetch_mark = self.cur + ((self.end - self.cur) / 10).max(1);
    }

    /// Drop every range in memory and any fetch in flight, keeping the
    /// configuration, the step and the overlap check: the buffer asks for a
    /// fresh range next. A forked child calls this, so that it never serves
    /// the ranges its parent goes on serving (the parent's in-flight fetch
    /// belongs to a thread the child does not have).
    pub fn discard(&mut self) {
        self.consumed_before += self.cur - self.current_start;
        self.cur = 0;
        self.end = 0;
        self.current_start = 0;
        self.fetch_mark = 0;
        self.queue.clear();
        self.in_flight = false;
    }

    /// Accept a range the host fetched. It must be non-empty, start at or
    /// after every earlier range's end, and map to IDs that fit in 64 bits.
    pub fn supply(&mut self, range: Range) -> Result<()> {
        if range.start >= range.end {
            return Err(Error::range(
                ErrorCode::InvalidRange,
                "range.end",
                range.end,
                range.start.saturating_add(1),
                u64::MAX,
            ));
        }
        if let Some(h) = self.highest_end {
            if range.start < h {
                return Err(Error::range(ErrorCode::InvalidRange, "range.start", range.start, h, u64::MAX));
            }
        }
        let max_counter = (u64::MAX - self.config.offset) / self.config.stride;
        if range.end - 1 > max_counter {
            return Err(Error::range(
                ErrorCode::InvalidRange,
                "range.end",
                range.end,
                range.start + 1,
                max_counter + 1,
            ));
        }
        self.in_flight = false;
        self.highest_end = Some(range.end);
        if self.cur >= self.end && self.queue.is_empty() {
            self.activate(range);
        } else {
            self.queue.push_back(range);
        }
        Ok(())
    }
}

/// A source of ranges: the host's store. See the module docs for its contract.
pub trait SegmentSource {
    /// What a failed fetch reports. [`Error`] for Rust sources; a binding
    /// carries its host's own error (a Python exception) through [`Segment`]
    /// with a type of its own that also holds the core's errors.
    type Error: From<Error>;
    /// Return a fresh range of `step` counters (or another size, if the
    /// store decides) that no other caller will ever receive.
    fn fetch(&mut self, step: u64) -> Result<Range, Self::Error>;
}

impl<F: FnMut(u64) -> Result<Range, E>, E: From<Error>> SegmentSource for F {
    type Error = E;
    fn fetch(&mut self, step: u64) -> Result<Range, E> {
        self(step)
    }
}

/// An in-memory store: one counter, advanced atomically. Share it by
/// reference between buffers and threads of one process.
#[derive(Debug, Default)]
pub struct MemorySource {
    next: AtomicU64,
}

impl MemorySource {
    /// A store whose first range starts at `start`.
    pub const fn new(start: u64) -> Self {
        MemorySource {
            next: AtomicU64::new(start),
        }
    }
    /// Take `step` counters.
    pub fn take(&self, step: u64) -> Result<Range> {
        let start = self
            .next
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_add(step))
            .map_err(|n| Error::range(ErrorCode::InvalidRange, "step", step, 1, u64::MAX - n))?;
        Ok(Range::new(start, start + step))
    }
}

impl SegmentSource for &MemorySource {
    type Error = Error;
    fn fetch(&mut self, step: u64) -> Result<Range> {
        self.take(step)
    }
}

impl SegmentSource for MemorySource {
    type Error = Error;
    fn fetch(&mut self, step: u64) -> Result<Range> {
        self.take(step)
    }
}

/// A buffer wired to a synchronous source and a clock: fetches inline when
/// the buffer asks, serves from memory otherwise.
#[derive(Debug)]
pub struct Segment<S: SegmentSource, C: Clock> {
    buffer: SegmentBuffer,
    source: S,
    clock: C,
}

impl<S: SegmentSource, C: Clock> Segment<S, C> {
    /// A segment over `source`.
    pub fn new(config: SegmentConfig, source: S, clock: C) -> Result<Self> {
        Ok(Segment {
            buffer: SegmentBuffer::new(config)?,
            source,
            clock,
        })
    }

    /// The buffer.
    pub fn buffer(&self) -> &SegmentBuffer {
        &self.buffer
    }

    /// The source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Forget every range in memory (see [`SegmentBuffer::discard`]): a
    /// forked child fetches its own.
    pub fn discard(&mut self) {
        self.buffer.discard();
    }

    /// The next ID; fetches from the source first when the buffer asks.
    /// A failed fetch is reported only when memory is dry (then the fetch
    /// is tried again on that call, and its failure is the answer).
    #[inline]
    pub fn next_id(&mut self) -> Result<u64, S::Error> {
        if self.buffer.wants_fetch() {
            self.refill()?;
        }
        Ok(self.buffer.next_id()?)
    }

    #[cold]
    fn refill(&mut self) -> Result<(), S::Error> {
        let Some(req) = self.buffer.begin_fetch(self.clock.now_ms()) else {
            return Ok(());
        };
        let fetched = self.source.fetch(req.step);
        match fetched.and_then(|r| self.buffer.supply(r).map_err(S::Error::from)) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.buffer.fetch_failed();
                if self.buffer.remaining() == 0 {
                    Err(e)
                } else {
                    Ok(())
                }
            }
        }
    }
}
