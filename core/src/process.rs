//! Process-wide state the host bindings share (std + getrandom): the fork
//! generation, a CSPRNG per thread, and one monotonic UUID v7 sequence.
//!
//! After `fork()` the child must never repeat its parent's IDs. A binding
//! calls [`after_fork_in_child`] in the child (Python: `os.register_at_fork`):
//! it bumps the fork generation, so every thread's CSPRNG reseeds from the OS
//! and the v7 sequence restarts on next use; it restarts the ticker clock
//! thread; and bindings compare [`fork_generation`] to refuse snowflakes
//! created before the fork until they are re-keyed.

use crate::clock::{Clock, TickerClock};
use crate::error::Result;
use crate::rng::SecureRng;
use crate::uuid::{Uuid, V7Generator};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// How many forks separate this process from the one that loaded idloom.
#[inline]
pub fn fork_generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// Call in a child process right after `fork()`.
pub fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    TickerClock::restart();
}

thread_local! {
    /// This thread's generator and the fork generation it was seeded in.
    static THREAD_RNG: RefCell<Option<(u64, SecureRng)>> = const { RefCell::new(None) };
}

/// Run `f` with this thread's CSPRNG (ChaCha12), seeded from the OS on first
/// use and again after a fork.
pub fn with_thread_rng<T>(f: impl FnOnce(&mut SecureRng) -> Result<T>) -> Result<T> {
    THREAD_RNG.with(|cell| {
        let mut slot = cell.borrow_mut();
        let generation = fork_generation();
        let rng = match &mut *slot {
            Some((g, rng)) if *g == generation => rng,
            _ => &mut slot.insert((generation, SecureRng::from_os()?)).1,
        };
        f(rng)
    })
}

/// A random (v4) UUID from this thread's CSPRNG.
pub fn uuid_v4() -> Result<Uuid> {
    with_thread_rng(Uuid::v4)
}

/// The process's v7 sequence and the fork generation it belongs to.
static V7: Mutex<(u64, V7Generator)> = Mutex::new((0, V7Generator::new()));

/// A time-ordered (v7) UUID, monotonic across every thread of the process
/// (ticker clock; the sequence restarts in a forked child).
pub fn uuid_v7() -> Result<Uuid> {
    let mut random = [0u8; 10];
    with_thread_rng(|rng| crate::rng::RandomSource::fill_bytes(rng, &mut random))?;
    let now = TickerClock::global().now_ms();
    let mut state = V7.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let generation = fork_generation();
    if state.0 != generation {
        *state = (generation, V7Generator::new());
    }
    state.1.next_from(now, &random)
}
