//! Leaf's compare-and-set fetch as a state machine: read the counter, swap
//! it for `old + step` only if nobody moved it first, and on a lost swap
//! pause (jittered, doubling) and try again — at most [`CAS_TRIES`] rounds,
//! then `store_unavailable`. The binding runs the statements and sleeps;
//! the decisions, the bounds and the count of rounds lost live here.

use super::answer::{refuse, Refusal, Subject};
use super::{cas_pause_us, CAS_TRIES};
use crate::error::{Error, ErrorCode, Result};
use alloc::format;

/// What the binding does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasStep {
    /// Run the compare-and-set: `max_id = new` where `max_id = old`.
    Swap {
        /// The value read.
        old: u64,
        /// The value to write.
        new: u64,
    },
    /// Sleep this long, then read again.
    Pause {
        /// Microseconds.
        us: u64,
    },
    /// The range is ours: `start..end` (Leaf's: IDs `start + 1 ..= end`).
    Done {
        /// The counter before.
        start: u64,
        /// The counter after.
        end: u64,
    },
}

/// One compare-and-set fetch of `step`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasLoop {
    step: u64,
    attempt: u32,
    retries: u32,
    pending: Option<(u64, u64)>,
}

impl CasLoop {
    /// A fetch of `step` (checked against the `step` spec, [`super::args`]).
    pub fn new(step: u64) -> Result<Self> {
        super::args::check("step", i128::from(step))?;
        Ok(CasLoop {
            step,
            attempt: 0,
            retries: 0,
            pending: None,
        })
    }

    /// Rounds lost so far (a source's `retries` adds these up).
    pub const fn retries(&self) -> u32 {
        self.retries
    }

    /// The counter read `current` (`None`: no such counter, a refusal about
    /// `subject`): the swap to run. A counter within `step` of the largest
    /// SQL `bigint` is `invalid_range`, never a wrapped value.
    pub fn read(&mut self, current: Option<u64>, subject: &Subject<'_>) -> Result<CasStep> {
        let Some(old) = current else {
            return Err(refuse(Refusal::CounterMissing, subject));
        };
        let new = old
            .checked_add(self.step)
            .filter(|&n| n <= i64::MAX as u64)
            .ok_or_else(|| Error::range(ErrorCode::InvalidRange, "max_id", old, 0, i64::MAX as u64 - self.step))?;
        self.pending = Some((old, new));
        Ok(CasStep::Swap { old, new })
    }

    /// The swap's outcome: `Done` when it changed the row, else a pause
    /// before the next read (`unit` a uniform draw in `[0, 1)` from the
    /// host), or `store_unavailable` after [`CAS_TRIES`] lost rounds.
    pub fn swapped(&mut self, won: bool, unit: f64, subject: &Subject<'_>) -> Result<CasStep> {
        let Some((old, new)) = self.pending.take() else {
            return Err(Error::reason(ErrorCode::InvalidArgument, "swapped", "without a read"));
        };
        if won {
            return Ok(CasStep::Done { start: old, end: new });
        }
        self.retries += 1;
        self.attempt += 1;
        if self.attempt >= CAS_TRIES {
            return Err(Error::store(
                ErrorCode::StoreUnavailable,
                format!("{subject}: compare-and-set lost {CAS_TRIES} times in a row"),
            ));
        }
        Ok(CasStep::Pause {
            us: cas_pause_us(self.attempt - 1, unit),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wins_loses_and_gives_up() {
        let tag = Subject {
            biz_tag: Some("t"),
            ..Subject::default()
        };
        let mut cas = CasLoop::new(10).unwrap();
        assert_eq!(cas.read(Some(5), &tag).unwrap(), CasStep::Swap { old: 5, new: 15 });
        assert!(matches!(cas.swapped(false, 0.5, &tag).unwrap(), CasStep::Pause { .. }));
        cas.read(Some(15), &tag).unwrap();
        assert_eq!(cas.swapped(true, 0.5, &tag).unwrap(), CasStep::Done { start: 15, end: 25 });
        assert_eq!(cas.retries(), 1);
        let mut cas = CasLoop::new(1).unwrap();
        for _ in 0..CAS_TRIES - 1 {
            cas.read(Some(1), &tag).unwrap();
            cas.swapped(false, 0.0, &tag).unwrap();
        }
        cas.read(Some(1), &tag).unwrap();
        assert_eq!(cas.swapped(false, 0.0, &tag).unwrap_err().code(), ErrorCode::StoreUnavailable);
        assert_eq!(cas.read(None, &tag).unwrap_err().code(), ErrorCode::StoreStateLost);
        assert_eq!(
            CasLoop::new(1).unwrap().read(Some(i64::MAX as u64), &tag).unwrap_err().code(),
            ErrorCode::InvalidRange
        );
    }
}
