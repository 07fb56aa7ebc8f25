//! Fork safety. `idloom/__init__.py` registers `_after_fork_in_child` with
//! `os.register_at_fork`: in the child it bumps a generation counter (each
//! snowflake then refuses with `forked` until `rekey()`), restarts the ticker
//! clock thread (threads do not survive `fork`), and marks random state for
//! reseeding.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The current fork generation (0 in the process that imported idloom).
#[inline]
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// Called in a child process right after `fork()`.
#[pyfunction]
pub fn _after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    idloom::TickerClock::restart();
}
