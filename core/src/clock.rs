//! Injected time.
//!
//! Generators read time through [`Clock`]; hosts pass their own (`Date.now()`
//! in wasm, the std clock natively) and tests pass a fake one. Any
//! `Fn() -> u64` returning Unix milliseconds is a clock.

/// A source of Unix time in milliseconds.
pub trait Clock {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> u64;

    /// Sleep for about `ms` milliseconds if this clock's host can; return
    /// `false` when it cannot (then bounded waits spin on [`Clock::now_ms`]).
    fn sleep_ms(&self, ms: u64) -> bool {
        let _ = ms;
        false
    }
}

impl<F: Fn() -> u64> Clock for F {
    fn now_ms(&self) -> u64 {
        self()
    }
}


/// The operating system's wall clock (`std` only); waits sleep the thread.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
    fn sleep_ms(&self, ms: u64) -> bool {
        std::thread::sleep(std::time::Duration::from_millis(ms));
        true
    }
}

/// A clock that reads whatever it was last set to: for tests, scripts and
/// hosts that want to drive time themselves. Shareable between threads.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: core::sync::atomic::AtomicU64,
}

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub const fn new(now_ms: u64) -> Self {
        ManualClock { now: core::sync::atomic::AtomicU64::new(now_ms) }
    }
    /// Set the time (forwards or backwards).
    pub fn set(&self, now_ms: u64) {
        self.now.store(now_ms, core::sync::atomic::Ordering::SeqCst);
    }
    /// Move the time forwards by `ms`.
    pub fn advance(&self, ms: u64) {
        self.now.fetch_add(ms, core::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now.load(core::sync::atomic::Ordering::SeqCst)
    }
}

/// Borrow a manual clock so a test keeps a handle to move time. (A blanket
/// `&C` impl would collide with the closure impl, since `&F` is `Fn` too.)
impl Clock for &ManualClock {
    fn now_ms(&self) -> u64 {
        (**self).now_ms()
    }
}
