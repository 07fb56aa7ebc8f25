//! The fork generation: how many `fork()`s separate this process from the
//! one that loaded idloom. Everything that must not survive into a child
//! (CSPRNG state, the v7 sequence, snowflake nodes, segment ranges) compares
//! the generation it was made in with the current one.
//!
//! [`crate::process::after_fork_in_child`] bumps it (and restarts the ticker
//! clock); without `getrandom` a host calls [`bump`] itself.

use core::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The current fork generation (0 in the process that loaded idloom).
#[inline]
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// Record a fork: call in the child, right after `fork()`.
pub fn bump() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}
