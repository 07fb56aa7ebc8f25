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

impl Named for crate::layout::FieldOrder {
    const ALL: &'static [(&'static str, Self)] = &[
        ("time_node_sequence", crate::layout::FieldOrder::TimeNodeSequence),
        ("time_sequence_node", crate::layout::FieldOrder::TimeSequenceNode),
    ];
    const PARAM: &'static str = "order";
    const EXPECTED: &'static str = "must be one of time_node_sequence, time_sequence_node";
}

impl Named for crate::uuid::UuidFormat {
    const ALL: &'static [(&'static str, Self)] = &[
        ("hyphenated", crate::uuid::UuidFormat::Hyphenated),
        ("simple", crate::uuid::UuidFormat::Simple),
        ("urn", crate::uuid::UuidFormat::Urn),
        ("braced", crate::uuid::UuidFormat::Braced),
    ];
    const PARAM: &'static str = "form";
    const EXPECTED: &'static str = "must be one of hyphenated, simple, urn, braced";
}

/// The clock-backwards policy by name (its bound is passed separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Backwards {
    Logical,
    Wait,
    Fail,
}

impl Named for Backwards {
    const ALL: &'static [(&'static str, Self)] = &[
        ("logical", Backwards::Logical),
        ("wait", Backwards::Wait),
        ("fail", Backwards::Fail),
    ];
    const PARAM: &'static str = "backwards";
    const EXPECTED: &'static str = "must be one of logical, wait, fail";
}

/// The sequence-exhausted policy by name (its bound is passed separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Exhausted {
    Wait,
    Borrow,
    Fail,
}

impl Named for Exhausted {
    const ALL: &'static [(&'static str, Self)] = &[("wait", Exhausted::Wait), ("borrow", Exhausted::Borrow), ("fail", Exhausted::Fail)];
    const PARAM: &'static str = "exhausted";
    const EXPECTED: &'static str = "must be one of wait, borrow, fail";
}

/// The sequence start by name (the random start's seed is passed separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Start {
    Reset,
    Continuous,
    Random,
}

impl Named for Start {
    const ALL: &'static [(&'static str, Self)] = &[
        ("reset", Start::Reset),
        ("continuous", Start::Continuous),
        ("random", Start::Random),
    ];
    const PARAM: &'static str = "sequence_start";
    const EXPECTED: &'static str = "must be one of reset, continuous, random";
}

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
