//! Snowflake-family generators.
//!
//! Three layers, from pure to convenient:
//! - [`Generator`]: a pure state machine. [`Generator::next_at`] takes the
//!   time and answers an ID, a time to retry at, or a typed error. No clock,
//!   no waiting: this is what the vectors and fault scripts drive.
//! - [`Snowflake`]: a generator with an injected [`Clock`](crate::Clock); it
//!   performs the bounded waits its policy asks for. `&mut self`, one owner.
//! - [`SharedSnowflake`]: the same rules over one `AtomicU64`, lock-free, `&self`.
//!
//! Every path is bounded: a clock that never advances makes the generator
//! borrow ahead within its bound and then fail with `lead_exceeded`, or wait
//! a bounded number of polls and fail with `clock_stalled`. Nothing spins forever.

// One file per idea: `policy` (the choices and their bounds), `rules` (one
// step of the state machine and the lease fence, shared by every flavour),
// `generator` (the pure state machine), `clocked` (a clock and bounded
// waits), `shared` (the lock-free flavour over one atomic word), `watch`
// (clock events from the slow paths), `atomic` (core's atomics, or loom's).
mod atomic;
mod clocked;
mod generator;
mod policy;
mod rules;
mod shared;
mod watch;

pub use clocked::{Snowflake, POLLS_PER_MS};
pub use generator::{Generator, Next};
pub use policy::{OnBackwards, OnExhausted, Policy, SequenceStart, MAX_POLICY_MS};
pub use rules::NO_FENCE;
#[cfg(all(feature = "alloc", not(loom)))]
pub(crate) use shared::raise_word;
pub use shared::SharedSnowflake;
pub use watch::{Back, ClockStats, Observer};
