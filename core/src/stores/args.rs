//! One set of argument specs for every store call: the bindings check a
//! caller's number here (after converting its type) instead of bounding it
//! by hand, so a limit is written once and every language refuses the same
//! value with the same message (`invalid_argument`, naming the parameter
//! and the range). Bounds that depend on another argument stay with the
//! call that knows both: [`super::namespace_nodes`] (an engine's and a
//! layout's node count), [`crate::lease::LeaseConfig::validate`] (the skew
//! below the TTL), [`super::sequence_numbers`] (an index below the count),
//! [`super::redis::check_counter_floor`] (a Redis floor below 2^53 − 1 − step).

use crate::error::{Error, ErrorCode, Result};

/// One argument: the key bindings pass, the parameter its errors name, its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// What bindings pass to [`check`].
    pub key: &'static str,
    /// The parameter named in the error.
    pub param: &'static str,
    /// The least value.
    pub min: u64,
    /// The greatest value.
    pub max: u64,
}

const fn spec(key: &'static str, param: &'static str, min: u64, max: u64) -> Spec {
    Spec { key, param, min, max }
}

/// Every spec. `step` is what a segment fetches at once (the core's
/// [`crate::limits::MAX_STEP`], the same bound a `Segment` has);
/// `counter_step` is Leaf's `step` column and a sequence's step (SQL `int`).
pub const SPECS: &[Spec] = &[
    spec("nodes", "nodes", 1, 1 << 22),
    spec("ttl_ms", "ttl_ms", 1, crate::lease::MAX_TTL_MS),
    spec("max_skew_ms", "max_skew_ms", 0, crate::lease::MAX_TTL_MS - 1),
    spec("step", "step", 1, crate::limits::MAX_STEP),
    spec("counter_step", "step", 1, (1 << 31) - 1),
    spec("floor", "floor", 0, i64::MAX as u64),
    spec("count", "count", 1, 1024),
    spec("servers", "servers", 1, 65_535),
    spec("timeout_ms", "timeout_ms", 1, crate::lease::MAX_TTL_MS),
    spec("connect_timeout", "connect_timeout", 1, 3_600),
    spec("read_timeout", "read_timeout", 1, 3_600),
    spec("write_timeout", "write_timeout", 1, 3_600),
];

/// The spec of `key`, if there is one.
pub fn spec_of(key: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.key == key)
}

/// `value` checked against the spec of `key`: the value, or
/// `invalid_argument` naming the parameter and its range. An unknown key is
/// `invalid_argument` naming `key`.
pub fn check(key: &str, value: i128) -> Result<u64> {
    let s = spec_of(key).ok_or(Error::reason(ErrorCode::InvalidArgument, "key", "not an argument of a store call"))?;
    if value >= i128::from(s.min) && value <= i128::from(s.max) {
        Ok(value as u64)
    } else {
        Err(Error::range(ErrorCode::InvalidArgument, s.param, value, s.min, s.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn bounds() {
        assert_eq!(check("step", 1).unwrap(), 1);
        assert_eq!(
            check("step", 0).unwrap_err().to_string(),
            "step must be in 1..=1099511627776, got 0"
        );
        assert_eq!(check("counter_step", 1 << 31).unwrap_err().param(), Some("step"));
        assert!(check("floor", -1).is_err());
        assert!(check("nope", 1).is_err());
    }
}
