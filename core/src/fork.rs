//! The fork generation: how many `fork()`s separate this process from the
//! one that loaded idloom. Everything that must not survive into a child
//! (CSPRNG state, the v7 sequence, ObjectId's process bytes, snowflake
//! nodes, leases, segment ranges) compares the generation it was made in
//! with the current one.
//!
//! The core notices a fork by itself: under `std` on unix, the first read of
//! [`generation`] registers a `pthread_atfork` child handler, which libc runs
//! in every child of `fork()` — whoever calls it: Python's `os.fork`, a C
//! extension, uWSGI's prefork master, `multiprocessing`. The handler only
//! bumps an atomic counter and marks the ticker clock stale (atomic stores,
//! async-signal-safe); the ticker thread restarts on its next read. State is
//! only ever made after a read of [`generation`], so no state predates the
//! handler. Hosts without `pthread_atfork` (or without `std`) call [`bump`]
//! — or [`crate::process::after_fork_in_child`] — in the child themselves.

use core::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The current fork generation (0 in the process that loaded idloom).
#[inline]
pub fn generation() -> u64 {
    #[cfg(all(feature = "std", unix))]
    watch();
    GENERATION.load(Ordering::Relaxed)
}

/// Record a fork: call in the child, right after `fork()`, where the core
/// cannot notice forks itself (see [`watching`]). A second bump for one fork
/// is harmless: generations are only compared for equality.
pub fn bump() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    #[cfg(feature = "std")]
    crate::clock::TickerClock::mark_forked();
}

/// Whether the core notices forks by itself here (a `pthread_atfork`
/// handler is registered): `std` on unix, after the first [`generation`].
pub fn watching() -> bool {
    #[cfg(all(feature = "std", unix))]
    {
        watch();
        WATCHING.load(Ordering::Relaxed)
    }
    #[cfg(not(all(feature = "std", unix)))]
    {
        false
    }
}

#[cfg(all(feature = "std", unix))]
static WATCHING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Register the child handler once (an atomic load once registered).
#[cfg(all(feature = "std", unix))]
#[inline]
pub(crate) fn watch() {
    if !WATCHING.load(Ordering::Relaxed) {
        register();
    }
}

#[cfg(all(feature = "std", unix))]
#[cold]
fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `pthread_atfork` only stores the three function pointers in
        // libc's list; the prepare and parent slots are null (allowed), and
        // `in_child` is an `extern "C" fn()` with static lifetime that touches
        // nothing but atomics — async-signal-safe, as a handler that runs in
        // the child of a multi-threaded process must be. It never unwinds.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        // ENOMEM is the only failure: then forks go unnoticed, as before, and
        // hosts still call `bump` (Python's os.register_at_fork does).
        WATCHING.store(rc == 0, Ordering::SeqCst);
    });
}

/// libc runs this in the child of every `fork()`.
#[cfg(all(feature = "std", unix))]
extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    crate::clock::TickerClock::mark_forked();
}
