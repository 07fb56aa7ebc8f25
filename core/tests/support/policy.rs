//! What the generator tests share: the fake clock's start and a policy
//! built from its two choices.

use idloom::{OnBackwards, OnExhausted, Policy, SequenceStart};

/// Where the fake clocks start (Unix ms).
pub const T0: u64 = 1_700_000_000_000;

/// A policy of these two choices, the sequence reset every tick.
pub fn policy(on_backwards: OnBackwards, on_exhausted: OnExhausted) -> Policy {
    Policy {
        on_backwards,
        on_exhausted,
        sequence_start: SequenceStart::Reset,
    }
}
