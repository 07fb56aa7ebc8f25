//! Options that every binding spells by name (`"logical"`, `"base62"`,
//! `"time_sequence_node"` …): one table per option, so the bindings convert
//! strings and never keep lists of their own.

use crate::error::{Error, ErrorCode, Result};

/// An option chosen by name.
pub trait Named: Sized + Copy + PartialEq + 'static {
    /// Every value with its name, in documentation order.
    const ALL: &'static [(&'static str, Self)];
    /// The parameter it is passed as (snake_case; JS spells it in camelCase).
    const PARAM: &'static str;
    /// The allowed names, for messages: `"must be one of a, b, c"`.
    const EXPECTED: &'static str;

    /// The value called `name`, or `invalid_argument` naming the parameter and the allowed names.
    fn from_name(name: &str) -> Result<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).ok_or(Error::reason(
            ErrorCode::InvalidArgument,
            Self::PARAM,
            Self::EXPECTED,
        ))
    }

    /// The name of this value.
    fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, v)| *v == self).map_or("", |(n, _)| n)
    }
}

impl Named for crate::encoding::Encoding {
    const ALL: &'static [(&'static str, Self)] = &crate::encoding::Encoding::ALL;
    const PARAM: &'static str = "encoding";
    const EXPECTED: &'static str = "must be one of base62, base36, base32, hex";
}

/// `Named` for an enum from its names, written once: the table, the
/// parameter and the message listing the names (so the two cannot drift).
/// The `enum` form also declares the enum.
macro_rules! named {
    (impl $ty:path as $param:literal { $first:ident = $first_name:literal $(, $variant:ident = $name:literal)* $(,)? }) => {
        impl Named for $ty {
            const ALL: &'static [(&'static str, Self)] = {
                use $ty as This;
                &[($first_name, This::$first) $(, ($name, This::$variant))*]
            };
            const PARAM: &'static str = $param;
            const EXPECTED: &'static str = concat!("must be one of ", $first_name $(, ", ", $name)*);
        }
    };
    ($(#[$doc:meta])* pub enum $ty:ident as $param:literal { $($variant:ident = $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum $ty {
            $($variant),+
        }
        named!(impl $ty as $param { $($variant = $name),+ });
    };
}

named!(impl crate::layout::FieldOrder as "order" {
    TimeNodeSequence = "time_node_sequence",
    TimeSequenceNode = "time_sequence_node",
});

named!(impl crate::uuid::UuidFormat as "form" {
    Hyphenated = "hyphenated",
    Simple = "simple",
    Urn = "urn",
    Braced = "braced",
});

named!(
    /// The clock-backwards policy by name (its bound is passed separately).
    pub enum Backwards as "backwards" { Logical = "logical", Wait = "wait", Fail = "fail" }
);

named!(
    /// The sequence-exhausted policy by name (its bound is passed separately).
    pub enum Exhausted as "exhausted" { Wait = "wait", Borrow = "borrow", Fail = "fail" }
);

named!(
    /// The sequence start by name (the random start's seed is passed separately).
    pub enum Start as "sequence_start" { Reset = "reset", Continuous = "continuous", Random = "random" }
);

/// A policy as the bindings take it: three names and their numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyChoice {
    /// When the clock reads behind the last tick.
    pub backwards: Backwards,
    /// The logical clock's lead or the wait's bound, in ms (default 1000).
    pub max_backwards_ms: Option<u64>,
    /// When a tick's sequence is used up.
    pub exhausted: Exhausted,
    /// The borrowing bound, in ms (default 1000).
    pub max_borrow_ms: Option<u64>,
    /// Where each tick's sequence starts.
    pub sequence_start: Start,
    /// The random start's seed (the host draws one when `None`).
    pub seed: Option<u64>,
}

/// Default bound of the logical clock, the backwards wait and borrowing: 1 s.
pub const DEFAULT_POLICY_MS: u64 = 1000;

impl PolicyChoice {
    /// The policy. Every number is checked, also those the named policy does
    /// not use (`max_borrow_ms` under `exhausted = "wait"`): an option given is
    /// an option validated. `draw_seed` is called only for a random start
    /// without a seed.
    pub fn policy(&self, draw_seed: impl FnOnce() -> Result<u64>) -> Result<crate::snowflake::Policy> {
        use crate::snowflake::{OnBackwards, OnExhausted, Policy, SequenceStart, MAX_POLICY_MS};
        let bound = |param, v: Option<u64>| match v {
            Some(v) if v > MAX_POLICY_MS => Err(Error::range(ErrorCode::InvalidArgument, param, v, 0, MAX_POLICY_MS)),
            v => Ok(v.unwrap_or(DEFAULT_POLICY_MS)),
        };
        let back_ms = bound("max_backwards_ms", self.max_backwards_ms)?;
        let borrow_ms = bound("max_borrow_ms", self.max_borrow_ms)?;
        let on_backwards = match self.backwards {
            Backwards::Logical => OnBackwards::Logical { max_lead_ms: back_ms },
            Backwards::Wait => OnBackwards::Wait { max_ms: back_ms },
            Backwards::Fail => OnBackwards::Fail,
        };
        let on_exhausted = match self.exhausted {
            Exhausted::Wait => OnExhausted::Wait,
            Exhausted::Borrow => OnExhausted::Borrow { max_lead_ms: borrow_ms },
            Exhausted::Fail => OnExhausted::Fail,
        };
        let sequence_start = match (self.sequence_start, self.seed) {
            (Start::Reset, _) => SequenceStart::Reset,
            (Start::Continuous, _) => SequenceStart::Continuous,
            (Start::Random, Some(seed)) => SequenceStart::Random { seed },
            (Start::Random, None) => SequenceStart::Random { seed: draw_seed()? },
        };
        Ok(Policy {
            on_backwards,
            on_exhausted,
            sequence_start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::FieldOrder;
    use crate::uuid::UuidFormat;

    /// What a binding's user reads: the parameter and every allowed name, in table order.
    fn refusal<T: Named + core::fmt::Debug>() -> (&'static str, &'static str) {
        let e = T::from_name("nope").unwrap_err();
        assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, Some(T::PARAM)));
        (T::PARAM, T::EXPECTED)
    }

    #[test]
    fn each_option_lists_its_names_in_its_message() {
        assert_eq!(
            refusal::<FieldOrder>(),
            ("order", "must be one of time_node_sequence, time_sequence_node")
        );
        assert_eq!(refusal::<UuidFormat>(), ("form", "must be one of hyphenated, simple, urn, braced"));
        assert_eq!(refusal::<Backwards>(), ("backwards", "must be one of logical, wait, fail"));
        assert_eq!(refusal::<Exhausted>(), ("exhausted", "must be one of wait, borrow, fail"));
        assert_eq!(refusal::<Start>(), ("sequence_start", "must be one of reset, continuous, random"));
        assert_eq!(Start::from_name("continuous").unwrap(), Start::Continuous);
        assert_eq!(FieldOrder::TimeSequenceNode.name(), "time_sequence_node");
    }
}
