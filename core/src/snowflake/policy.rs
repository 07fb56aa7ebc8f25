//! The policy choices: what a generator does when the clock steps back, when
//! a tick's sequence is used up, and where each tick's sequence starts.

use crate::error::{Error, ErrorCode, Result};

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
    pub(super) fn tolerated_lead_ms(&self) -> u64 {
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
