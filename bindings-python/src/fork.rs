//! Fork safety: `idloom/__init__.py` registers `_after_fork_in_child` with
//! `os.register_at_fork`. The core then bumps its fork generation (thread
//! CSPRNGs reseed, the v7 sequence restarts, the ticker thread restarts) and
//! every snowflake created before the fork refuses with `forked` until
//! `rekey()`.

use pyo3::prelude::*;

/// The current fork generation (0 in the process that imported idloom).
#[inline]
pub fn generation() -> u64 {
    idloom::process::fork_generation()
}

/// Called in a child process right after `fork()`.
#[pyfunction]
pub fn _after_fork_in_child() {
    idloom::process::after_fork_in_child();
}
