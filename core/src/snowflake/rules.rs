//! The rules every generator flavour shares: one step of the state machine
//! from the last issued (tick, sequence), and the lease fence around it.

use super::policy::{OnBackwards, OnExhausted, Policy, SequenceStart};
use super::watch::{Back, Sight, Watch};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::layout::Layout;

/// Internal outcome: the (tick, sequence) to issue, or a retry time.
pub(super) enum Step {
    Issue(u64, u64),
    RetryAt(u64),
}

/// The rules, shared by every generator flavour: layout, node, policy.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    pub(super) layout: Layout,
    pub(super) node: u64,
    pub(super) policy: Policy,
    tolerated_ms: u64,
    /// The layout's numbers the fast paths use, as plain words (the layout
    /// keeps bytes and a field order: recomputing shifts costs instructions
    /// on every ID).
    pub(super) hot: Hot,
}

/// See [`Rules::hot`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Hot {
    pub(super) tick_ms: u64,
    pub(super) max_sequence: u64,
    pub(super) sequence_bits: u32,
    pub(super) time_shift: u32,
    pub(super) node_shift: u32,
    pub(super) sequence_shift: u32,
}

impl Hot {
    fn of(layout: &Layout) -> Self {
        Hot {
            tick_ms: layout.tick_ms(),
            max_sequence: layout.max_sequence(),
            sequence_bits: layout.sequence_bits(),
            time_shift: layout.time_shift(),
            node_shift: layout.node_shift(),
            sequence_shift: layout.sequence_shift(),
        }
    }

    /// The ID of (tick, node, sequence); each already fits the layout.
    #[inline(always)]
    pub(super) fn compose(&self, tick: u64, node: u64, seq: u64) -> u64 {
        (tick << self.time_shift) | (node << self.node_shift) | (seq << self.sequence_shift)
    }
}

impl Rules {
    pub(super) fn new(layout: Layout, node: u64, policy: Policy) -> Result<Self> {
        layout.check_node(node)?;
        policy.validate()?;
        Ok(Rules {
            layout,
            node,
            policy,
            tolerated_ms: policy.tolerated_lead_ms(),
            hot: Hot::of(&layout),
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
    /// `watch` hears what only the slow paths see (the clock behind the last
    /// tick, a tick borrowed ahead, the clock past such ticks again); the
    /// hot path (the clock in the last tick, the sequence below its limit)
    /// never touches it.
    pub(super) fn step(&self, last: Option<(u64, u64)>, now_ms: u64, watch: &mut impl Watch) -> Result<Step> {
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
            if watch.open() {
                watch.saw(Sight::CaughtUp);
            }
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
                        watch.saw(Sight::Back(Back::Waited, lead_ms));
                        Ok(Step::RetryAt(layout.tick_start_ms(tick) - self.tolerated_ms))
                    }
                    _ => {
                        watch.saw(Sight::Back(Back::Refused, lead_ms));
                        Err(backwards)
                    }
                };
            }
            watch.saw(Sight::Back(Back::Absorbed, lead_ms));
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
                watch.saw(Sight::Borrowing(lead_ms));
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
    pub(super) fn compose(&self, tick: u64, seq: u64) -> u64 {
        self.hot.compose(tick, self.node, seq)
    }

    /// How many more IDs fit in `tick` after `seq`.
    #[inline]
    pub(super) fn room_after(&self, seq: u64) -> u64 {
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
pub(super) const LOST: u64 = 1 << 63;

impl Rules {
    /// Refuse to issue in `tick` unless it lies wholly below the fence.
    #[inline]
    pub(super) fn fenced(&self, tick: u64, fence: u64, epoch: impl FnOnce() -> u64) -> Result<()> {
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
    pub(super) fn step_fenced(
        &self,
        last: Option<(u64, u64)>,
        now_ms: u64,
        watch: &mut impl Watch,
        fence: impl FnOnce() -> u64,
        epoch: impl FnOnce() -> u64,
    ) -> Result<Step> {
        self.step(last, now_ms, watch).or_else(|e| {
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
    pub(super) fn retry_unless_lost(&self, at_ms: u64, fence: u64, epoch: impl FnOnce() -> u64) -> Result<u64> {
        if fence & LOST != 0 {
            let tick = at_ms.saturating_sub(self.layout.epoch_ms()) / self.layout.tick_ms();
            self.fenced(tick, fence, epoch)?;
        }
        Ok(at_ms)
    }

    /// The fence word for a lease's `fence_ms` (ID time): the first tick that
    /// does not end by `fence_ms`.
    pub(super) fn fence_word(&self, fence_ms: u64) -> u64 {
        (fence_ms.saturating_sub(self.layout.epoch_ms()) / self.layout.tick_ms()).min(NO_FENCE)
    }

    /// The first tick that starts at or after `start_ms`.
    pub(super) fn first_tick(&self, start_ms: u64) -> u64 {
        start_ms.saturating_sub(self.layout.epoch_ms()).div_ceil(self.layout.tick_ms())
    }

    /// The state word just below `tick` (its predecessor's last sequence), so
    /// that the next ID is issued at `tick` or later.
    pub(super) fn floor_word(&self, tick: u64) -> Option<(u64, u64)> {
        tick.checked_sub(1).map(|t| (t, self.layout.max_sequence()))
    }
}
