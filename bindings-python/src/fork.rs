//! Fork safety. The core notices every `fork()` by itself (a
//! `pthread_atfork` handler: Python's `os.fork`, a C extension's `fork()`,
//! uWSGI's prefork master alike) and bumps its fork generation: thread
//! CSPRNGs reseed, the v7 sequence restarts, the ticker thread restarts, and
//! every snowflake created before the fork refuses with `forked` until
//! `rekey()`. State kept here (ranges, refill threads, leases) compares the
//! generation it was made in with the current one, so it needs no hook.
//! `idloom/__init__.py` still registers `_after_fork_in_child` with
//! `os.register_at_fork` where the core cannot watch (a second bump is
//! harmless).

use pyo3::prelude::*;

/// The current fork generation (0 in the process that imported idloom).
#[inline]
pub fn generation() -> u64 {
    idloom::process::fork_generation()
}

/// Called in a child process right after `fork()` (by `os.register_at_fork`).
#[pyfunction]
pub fn _after_fork_in_child() {
    idloom::process::after_fork_in_child();
}

/// The fork generation, for the Python side's own per-process state (leases).
#[pyfunction]
pub fn _fork_generation() -> u64 {
    generation()
}

/// The fork generation a value was made in: state that must not cross into
/// a forked child (ranges, an in-memory counter) checks it before use.
#[derive(Debug, Clone, Copy)]
pub struct Born(u64);

impl Born {
    /// Made now, in this process.
    pub fn now() -> Self {
        Born(generation())
    }
    /// Whether this process made it (no fork since).
    pub fn is_current(&self) -> bool {
        self.0 == generation()
    }
    /// Whether it came from an ancestor process; if so, it now belongs to this one.
    pub fn renew_if_forked(&mut self) -> bool {
        let now = generation();
        std::mem::replace(&mut self.0, now) != now
    }
}
