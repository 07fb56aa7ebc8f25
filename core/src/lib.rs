//! # idloom
//!
//! Unique IDs for distributed systems from one `no_std` core: snowflake-family
//! 64-bit IDs ([`snowflake`], over validated [`layout`]s), Leaf-style number
//! segments ([`segment`]), UUID v4/v7 ([`uuid`]), NanoID ([`nanoid`]),
//! order-preserving string [`encoding`]s and reversible [`mask`]ing.
//!
//! Time, randomness and node identity come from the host: generators take a
//! [`Clock`] and a [`RandomSource`], and nothing guesses a node ID from a MAC
//! address or a PID. Every failure is an [`Error`] with a stable
//! [`ErrorCode`] shared by the Python, Node and wasm bindings.
//!
//! ```
//! use idloom::{Layout, Policy, Snowflake, ManualClock};
//!
//! let clock = ManualClock::new(1_700_000_000_000);
//! let mut gen = Snowflake::new(Layout::TWITTER, 3, Policy::default(), &clock)?;
//! let id = gen.next_id()?;
//! let parts = Layout::TWITTER.decompose(id)?;
//! assert_eq!((parts.timestamp_ms, parts.node, parts.sequence), (1_700_000_000_000, 3, 0));
//! assert_eq!(Layout::TWITTER.friendly(id)?.to_string(), "20231114221320000-3-0");
//! # Ok::<(), idloom::Error>(())
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
// Four blocks need unsafe, each with its SAFETY note: registering the fork handler
// (`fork.rs`), zeroing the CSPRNG state on drop (`rng.rs`), reading the wall
// clock with `clock_gettime` (`clock.rs`) and lending a UUID's bytes (`uuid.rs`).
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod civil;
pub mod clock;
pub mod encoding;
pub mod error;
pub mod events;
pub mod fork;
pub mod inputs;
pub mod layout;
pub mod lease;
pub mod limits;
pub mod mask;
pub mod names;
#[cfg(feature = "alloc")]
pub mod nanoid;
pub mod objectid;
#[cfg(feature = "getrandom")]
pub mod process;
// Not under loom (core/tests/loom.rs): it keeps std atomics the generator's loom ones cannot meet.
#[cfg(all(feature = "alloc", not(loom)))]
pub mod registry;
pub mod rng;
#[cfg(feature = "alloc")]
pub mod secrets;
#[cfg(feature = "alloc")]
pub mod segment;
pub mod snowflake;
#[cfg(feature = "std")]
pub mod state;
#[cfg(feature = "alloc")]
pub mod stores;
#[cfg(any(feature = "alloc", feature = "getrandom"))]
mod sync;
#[cfg(feature = "alloc")]
pub mod tls;
pub mod uuid;

pub use clock::{Clock, ManualClock};
#[cfg(feature = "std")]
pub use clock::{HostClock, SystemClock, TickerClock};
pub use error::{Error, ErrorCode, Result};
pub use layout::{Capacity, FieldOrder, Layout, Parts};
#[cfg(feature = "getrandom")]
pub use rng::OsRandom;
pub use rng::{RandomSource, ReplayBytes, SecureRng};
pub use snowflake::{Generator, Next, OnBackwards, OnExhausted, Policy, SequenceStart, SharedSnowflake, Snowflake};
pub use uuid::Uuid;

/// The root README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The crate README's example (crates.io and docs.rs show it), compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
