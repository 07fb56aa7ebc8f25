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

    /// Sleep until about the start of the wall clock's next millisecond if
    /// this clock's host can (the last stretch of a wait for the next tick),
    /// and return `true`; `false` when it cannot (the default: the wait then
    /// polls with [`Clock::pause`]). A bounded wait sleeps this way once,
    /// then polls: sleeping hands the core to other work and wakes on time,
    /// where a yielding poll on a busy machine waits behind every runnable
    /// thread and misses ticks.
    fn sleep_to_next_ms(&self) -> bool {
        false
    }

    /// One poll's pause of a bounded wait shorter than a millisecond. The
    /// default spins; a host with threads yields, so that the thread that
    /// moves the clock (the ticker) runs even when every core is busy waiting.
    fn pause(&self) {
        core::hint::spin_loop();
    }
}

#[cfg(feature = "std")]
fn yield_thread() {
    std::thread::yield_now();
}

/// Sleep to the wall clock's next millisecond boundary.
#[cfg(feature = "std")]
fn sleep_to_wall_ms_boundary() -> bool {
    let into_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() % 1_000_000)
        .unwrap_or(0);
    std::thread::sleep(std::time::Duration::from_nanos(u64::from(1_000_000 - into_ms)));
    true
}

impl<F: Fn() -> u64> Clock for F {
    fn now_ms(&self) -> u64 {
        self()
    }
}

/// The wall clock in Unix milliseconds (0 before 1970): `clock_gettime`
/// straight from libc where there is one. That is the call behind
/// `SystemTime::now`, without `duration_since`'s out-of-line subtraction and
/// checks (about 55 of the ~80 instructions a read took, counted by callgrind).
#[cfg(all(feature = "std", unix))]
#[inline]
fn wall_clock_ms() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `clock_gettime` writes one `timespec` through a pointer to a
    // live, writable, properly aligned local, and reads nothing else;
    // CLOCK_REALTIME exists on every unix, so the only failure is EFAULT,
    // which a valid pointer rules out (rc is checked all the same).
    #[allow(unsafe_code)]
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    match (rc, u64::try_from(ts.tv_sec), u64::try_from(ts.tv_nsec)) {
        (0, Ok(secs), Ok(nanos)) => secs * 1000 + nanos / 1_000_000,
        _ => 0,
    }
}

/// The wall clock in Unix milliseconds (0 before 1970), through std.
#[cfg(all(feature = "std", not(unix)))]
#[inline]
fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        // secs * 1000 + millis avoids the u128 division of `as_millis`.
        .map(|d| d.as_secs() * 1000 + u64::from(d.subsec_millis()))
        .unwrap_or(0)
}

/// The operating system's wall clock (`std` only); waits sleep the thread.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    #[inline]
    fn now_ms(&self) -> u64 {
        wall_clock_ms()
    }
    fn sleep_ms(&self, ms: u64) -> bool {
        std::thread::sleep(std::time::Duration::from_millis(ms));
        true
    }
    fn sleep_to_next_ms(&self) -> bool {
        sleep_to_wall_ms_boundary()
    }
    fn pause(&self) {
        yield_thread()
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
        ManualClock {
            now: core::sync::atomic::AtomicU64::new(now_ms),
        }
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

/// A clock read from memory: a background thread stores the wall-clock
/// millisecond into an atomic at every millisecond boundary, so a read costs
/// an atomic load instead of a `clock_gettime` (~45-60 ns on some VMs).
///
/// Trade-offs, chosen on purpose: a reading may lag the wall clock by up to
/// about a millisecond (the thread's sleep overshoot), longer when the
/// thread wakes late. A generator waiting for the next millisecond does not
/// count on the thread: it reads the wall clock itself and moves the ticker
/// forward (never back; see `advance`), so a late thread costs no ticks. A forked child
/// inherits no thread: the fork handler (see [`crate::fork`]) marks the
/// ticker stale, and the child's first read starts a new thread — the only
/// cost on the hot path is the comparison with the stale mark, a value the
/// ticker never holds. Where forks go unnoticed and nobody calls
/// [`crate::process::after_fork_in_child`], the child's ticker stands
/// still: a standing clock is one the generators already survive (they
/// borrow within their bound, then return `lead_exceeded` or
/// `clock_stalled`), never a source of duplicates.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy)]
pub struct TickerClock {
    now: &'static core::sync::atomic::AtomicU64,
}

#[cfg(feature = "std")]
static TICKER_NOW: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
#[cfg(feature = "std")]
static TICKER_GENERATION: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
#[cfg(feature = "std")]
static TICKER_STARTED: std::sync::Once = std::sync::Once::new();
/// Set by the first read that finds the ticker stale after a fork; cleared by the fork.
#[cfg(feature = "std")]
static TICKER_RESTARTING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
/// The value of a stale ticker (no thread stores it: it is before 1970 + 1 ms).
#[cfg(feature = "std")]
const TICKER_STALE: u64 = 0;

#[cfg(feature = "std")]
impl TickerClock {
    /// The process-wide ticker, started on first use.
    pub fn global() -> Self {
        TICKER_STARTED.call_once(TickerClock::spawn);
        TickerClock { now: &TICKER_NOW }
    }

    /// Start a fresh ticker thread (call in a child after `fork()`); the
    /// previous thread, if it still runs, stops at its next tick.
    pub fn restart() {
        TickerClock::spawn();
    }

    /// In a forked child (async-signal-safe: two atomic stores): the ticker
    /// thread did not survive, so the next read starts a new one.
    pub(crate) fn mark_forked() {
        use core::sync::atomic::Ordering;
        TICKER_RESTARTING.store(false, Ordering::SeqCst);
        TICKER_NOW.store(TICKER_STALE, Ordering::SeqCst);
    }

    /// A read that found the ticker stale: one reader starts the thread (which
    /// stores the wall clock first); readers meanwhile take the wall clock.
    #[cold]
    #[inline(never)]
    fn restart_stale() -> u64 {
        use core::sync::atomic::Ordering;
        if TICKER_RESTARTING
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            TickerClock::spawn();
        }
        match TICKER_NOW.load(Ordering::Acquire) {
            TICKER_STALE => SystemClock.now_ms(),
            now => now,
        }
    }

    fn spawn() {
        use core::sync::atomic::Ordering;
        #[cfg(unix)]
        crate::fork::watch();
        let generation = TICKER_GENERATION.fetch_add(1, Ordering::SeqCst) + 1;
        TICKER_NOW.store(SystemClock.now_ms(), Ordering::SeqCst);
        std::thread::Builder::new()
            .name("idloom-ticker".into())
            .spawn(move || {
                while TICKER_GENERATION.load(Ordering::Relaxed) == generation {
                    let _ = advance(&TICKER_NOW, Advance::Follow);
                    // Sleep to the next millisecond boundary of the wall clock, so the
                    // ticks average one per millisecond whatever the sleep overshoot.
                    sleep_to_wall_ms_boundary();
                }
            })
            .map(drop)
            .unwrap_or_else(|_| {
                // No threads (e.g. a restricted sandbox): the clock stands still,
                // which generators turn into typed errors rather than duplicates.
            });
    }
}

/// Every `TickerClock` reads the one process-wide ticker.
#[cfg(feature = "std")]
impl PartialEq for TickerClock {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self.now, other.now)
    }
}

#[cfg(feature = "std")]
impl Eq for TickerClock {}

#[cfg(feature = "std")]
impl Clock for TickerClock {
    #[inline]
    fn now_ms(&self) -> u64 {
        match self.now.load(core::sync::atomic::Ordering::Acquire) {
            TICKER_STALE => TickerClock::restart_stale(),
            now => now,
        }
    }
    fn sleep_ms(&self, ms: u64) -> bool {
        SystemClock.sleep_ms(ms)
    }
    /// The ticker stores each millisecond just after its boundary; a waiter
    /// does not count on it: it reads the wall clock itself after the sleep
    /// and moves the ticker forward if the thread is late (see [`advance`]).
    fn sleep_to_next_ms(&self) -> bool {
        // A late thread: the wall clock is already past the word, so this
        // millisecond has begun. Sleeping to the wall's next boundary would
        // skip it whole; catch the word up instead, and the caller reads it.
        if !advance(self.now, Advance::Forward) {
            sleep_to_wall_ms_boundary();
            advance(self.now, Advance::Forward);
        }
        true
    }
    fn pause(&self) {
        yield_thread();
        advance(self.now, Advance::Forward);
    }
}

/// Who moves a ticker word, and how far.
#[cfg(feature = "std")]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Advance {
    /// The ticker thread: the wall clock's millisecond, a step back included.
    Follow,
    /// A waiter: only forward, and never a stale (forked) word, which the
    /// next read restarts a thread for.
    Forward,
}

/// Store the wall clock's millisecond into a ticker word. The word is loaded
/// *before* the wall clock is read, and the store is a compare-and-set from
/// that load: a reading below the word is then a real step back of the wall
/// clock (the word came from an earlier reading), never a late writer
/// overwriting a newer value. So the ticker thread and waiters moving the
/// word forward (a waiter whose ticker thread is late: on a VM, a sleeping
/// thread's core may wake milliseconds late, and a waiter polling a word
/// nobody moves loses whole ticks) never take it back between them; only
/// the ticker thread stores a step back, as the wall clock made it.
/// Returns whether it stored.
#[cfg(feature = "std")]
fn advance(word: &core::sync::atomic::AtomicU64, how: Advance) -> bool {
    use core::sync::atomic::Ordering;
    let mut seen = word.load(Ordering::Acquire);
    loop {
        if how == Advance::Forward && seen == TICKER_STALE {
            return false;
        }
        let wall = SystemClock.now_ms();
        if wall == seen || (how == Advance::Forward && wall < seen) {
            return false;
        }
        match word.compare_exchange(seen, wall, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return true,
            Err(now) => seen = now,
        }
    }
}

/// The clocks a binding's user picks by name: the process's ticker (the
/// default), the OS clock on every read, or a clock the host moves by hand.
/// Equal when they read the same source (manual clocks: the same object),
/// which is what the node registry compares.
#[cfg(feature = "std")]
#[derive(Clone, Debug)]
pub enum HostClock {
    /// A background thread's millisecond, read from memory (~1 ns).
    Ticker(TickerClock),
    /// The OS wall clock on every read.
    System,
    /// A clock moved by the host (tests, simulations); it never sleeps.
    Manual(std::sync::Arc<ManualClock>),
}

#[cfg(feature = "std")]
impl HostClock {
    /// The names a binding accepts for the clocks it can build from a name.
    pub const NAMES: [&'static str; 2] = ["ticker", "system"];

    /// The clock called `name` (`ticker` or `system`).
    pub fn named(name: &str) -> crate::error::Result<Self> {
        match name {
            "ticker" => Ok(HostClock::Ticker(TickerClock::global())),
            "system" => Ok(HostClock::System),
            _ => Err(crate::error::Error::reason(
                crate::error::ErrorCode::InvalidArgument,
                "clock",
                "must be \"ticker\" or \"system\"",
            )),
        }
    }
}

#[cfg(feature = "std")]
impl PartialEq for HostClock {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HostClock::Ticker(_), HostClock::Ticker(_)) | (HostClock::System, HostClock::System) => true,
            (HostClock::Manual(a), HostClock::Manual(b)) => std::sync::Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

#[cfg(feature = "std")]
impl Clock for HostClock {
    #[inline]
    fn now_ms(&self) -> u64 {
        match self {
            HostClock::Ticker(t) => t.now_ms(),
            HostClock::System => SystemClock.now_ms(),
            HostClock::Manual(m) => m.now_ms(),
        }
    }
    fn sleep_ms(&self, ms: u64) -> bool {
        match self {
            HostClock::Manual(_) => false,
            _ => SystemClock.sleep_ms(ms),
        }
    }
    fn sleep_to_next_ms(&self) -> bool {
        match self {
            HostClock::Ticker(t) => t.sleep_to_next_ms(),
            HostClock::System => SystemClock.sleep_to_next_ms(),
            HostClock::Manual(_) => false,
        }
    }
    fn pause(&self) {
        match self {
            HostClock::Ticker(t) => t.pause(),
            HostClock::System => SystemClock.pause(),
            HostClock::Manual(m) => m.pause(),
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod ticker_tests {
    use super::*;
    use crate::{Layout, Policy, Snowflake};
    use core::sync::atomic::{AtomicU64, Ordering};

    /// A ticker whose thread never wakes: a word nothing but waiters moves.
    fn late_ticker(at: u64) -> TickerClock {
        TickerClock {
            now: Box::leak(Box::new(AtomicU64::new(at))),
        }
    }

    #[test]
    fn a_waiter_catches_a_late_ticker_up_without_sleeping_past_the_millisecond() {
        // Sleeping to the wall's next boundary would skip the millisecond the
        // wall is already in: the word must land on it. A call can straddle a
        // boundary by chance, so over a few tries at least one stays within one.
        let caught_up_in_place = (0..20).any(|_| {
            let w0 = SystemClock.now_ms();
            let t = late_ticker(w0 - 5);
            assert!(t.sleep_to_next_ms());
            let (word, w1) = (t.now.load(Ordering::SeqCst), SystemClock.now_ms());
            assert!((w0..=w1).contains(&word));
            word == w0 && w1 == w0
        });
        assert!(caught_up_in_place, "a late ticker's waiter slept past the current millisecond");
    }

    #[test]
    fn a_waiter_on_a_punctual_ticker_sleeps_to_the_next_millisecond_and_moves_it_there() {
        let before = SystemClock.now_ms();
        let t = late_ticker(before);
        assert!(t.sleep_to_next_ms());
        assert!(t.now_ms() > before, "slept to the next millisecond: the ticker reads past {before}");
        let at = t.now_ms();
        t.pause();
        assert!(t.now_ms() >= at);
    }

    #[test]
    fn a_generator_at_exhaustion_mints_on_through_a_ticker_thread_that_never_wakes() {
        // One sequence bit: two IDs a millisecond, so 40 IDs wait for 19 ticks.
        let layout = Layout::new(41, 21, 1, 1_600_000_000_000, 1).unwrap();
        let clock = late_ticker(SystemClock.now_ms());
        let mut g = Snowflake::new(layout, 1, Policy::default(), clock).unwrap();
        let mut last = 0;
        for _ in 0..40 {
            let id = g.next_id().expect("a waiter moves the ticker itself");
            assert!(id > last);
            last = id;
        }
        assert!(clock.now_ms() >= layout.decompose(last).unwrap().timestamp_ms);
    }

    #[test]
    fn a_waiter_never_moves_a_ticker_back_nor_revives_a_stale_one() {
        let ahead = SystemClock.now_ms() + 60_000;
        let t = late_ticker(ahead);
        t.pause();
        assert_eq!(t.now.load(Ordering::SeqCst), ahead, "only the ticker thread follows a step back");
        let stale = late_ticker(TICKER_STALE);
        stale.pause();
        assert_eq!(
            stale.now.load(Ordering::SeqCst),
            TICKER_STALE,
            "a forked child's word waits for its new thread"
        );
        // The ticker thread itself follows the wall clock back.
        assert!(advance(t.now, Advance::Follow));
        assert!(t.now.load(Ordering::SeqCst) < ahead);
    }
}
