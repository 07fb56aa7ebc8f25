//! The atomics of the lock-free generator ([`super::SharedSnowflake`] and
//! its clock-event counters): `core`'s, or loom's under `--cfg loom`, so
//! that `core/tests/loom.rs` explores every interleaving of the very code
//! that ships (`scripts/loom`). `Ordering` is the same type in both.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicU8};

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicU64, AtomicU8};

pub(crate) use core::sync::atomic::Ordering;
