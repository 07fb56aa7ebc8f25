//! A namespace's lease parameters and their bounds.

use crate::error::{Error, ErrorCode, Result};

/// Longest TTL a lease may have: one day.
pub const MAX_TTL_MS: u64 = 86_400_000;

/// A namespace's lease parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LeaseConfig {
    /// How long a lease lives without a renewal, on the store's clock.
    pub ttl_ms: u64,
    /// The largest clock difference between a holder and the store that a
    /// holder accepts; beyond it, `clock_skew`.
    pub max_skew_ms: u64,
}

impl LeaseConfig {
    /// Check the bounds: `ttl_ms` in 1..=86,400,000, `max_skew_ms` below it.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_TTL_MS).contains(&self.ttl_ms) {
            return Err(Error::range(ErrorCode::InvalidArgument, "ttl_ms", self.ttl_ms, 1, MAX_TTL_MS));
        }
        if self.max_skew_ms >= self.ttl_ms {
            return Err(Error::range(
                ErrorCode::InvalidArgument,
                "max_skew_ms",
                self.max_skew_ms,
                0,
                self.ttl_ms - 1,
            ));
        }
        Ok(())
    }

    /// How often a holder renews: every third of the TTL (at least 1 ms), so
    /// two renewals can fail before the lease runs out.
    pub const fn renew_every_ms(&self) -> u64 {
        if self.ttl_ms / 3 == 0 {
            1
        } else {
            self.ttl_ms / 3
        }
    }

    /// The floor of a namespace (re)created on a store that has no record of
    /// it, or whose identity changed: above every fence a holder from before
    /// could still use (`store_now + ttl + max_skew`).
    pub const fn floor_after_loss(&self, store_now_ms: u64) -> u64 {
        store_now_ms.saturating_add(self.ttl_ms).saturating_add(self.max_skew_ms)
    }
}
