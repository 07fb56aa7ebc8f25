//! Process-wide state the host bindings share (getrandom): the fork
//! generation, a CSPRNG per thread, and one monotonic UUID v7 sequence.
//!
//! After `fork()` the child must never repeat its parent's IDs. The core
//! notices a fork by itself (see [`crate::fork`]: a `pthread_atfork` handler
//! under `std` on unix, so a `fork()` from C counts as much as Python's
//! `os.fork`); elsewhere a binding calls [`after_fork_in_child`] in the child.
//! Either way the fork generation moves, so every thread's CSPRNG reseeds
//! from the OS and the v7 sequence and ObjectId's process bytes start afresh
//! on next use, the ticker clock thread restarts, and bindings compare
//! [`fork_generation`] to refuse snowflakes created before the fork until
//! they are re-keyed.
//!
//! Without `std` (the wasm build: one thread per instance) there are no
//! thread-locals: one CSPRNG serves the program, behind a spin lock.

use crate::error::Result;
use crate::rng::SecureRng;
use crate::sync::Lock;
use crate::uuid::{Uuid, V7Generator};

/// How many forks separate this process from the one that loaded idloom
/// (see [`crate::fork`]).
#[inline]
pub fn fork_generation() -> u64 {
    crate::fork::generation()
}

/// Call in a child process right after `fork()` where the core does not
/// notice forks by itself ([`crate::fork::watching`] is false: no `std`, or
/// not unix): bumps the fork generation and marks the ticker clock stale (its
/// thread did not survive; the next read starts one). Where the core
/// watches, calling it anyway is harmless.
pub fn after_fork_in_child() {
    crate::fork::bump();
}

/// The generator in `slot`, (re)seeded from the OS if it is missing or
/// belongs to an earlier fork generation.
fn seeded(slot: &mut Option<(u64, SecureRng)>) -> Result<&mut SecureRng> {
    let generation = fork_generation();
    if !matches!(slot, Some((g, _)) if *g == generation) {
        *slot = Some((generation, SecureRng::from_os()?));
    }
    Ok(&mut slot.as_mut().expect("seeded just above").1)
}

#[cfg(feature = "std")]
std::thread_local! {
    /// This thread's generator and the fork generation it was seeded in.
    static THREAD_RNG: core::cell::RefCell<Option<(u64, SecureRng)>> = const { core::cell::RefCell::new(None) };
}

/// Run `f` with this thread's CSPRNG (ChaCha12), seeded from the OS on first
/// use and again after a fork. `f` must not call back into this module.
#[cfg(feature = "std")]
pub fn with_thread_rng<T>(f: impl FnOnce(&mut SecureRng) -> Result<T>) -> Result<T> {
    THREAD_RNG.with(|cell| f(seeded(&mut cell.borrow_mut())?))
}

/// Without std: the program's one generator.
#[cfg(not(feature = "std"))]
static PROGRAM_RNG: Lock<Option<(u64, SecureRng)>> = Lock::new(None);

/// Run `f` with the program's CSPRNG (ChaCha12), seeded from the OS on first
/// use and again after a fork. `f` must not call back into this module.
#[cfg(not(feature = "std"))]
pub fn with_thread_rng<T>(f: impl FnOnce(&mut SecureRng) -> Result<T>) -> Result<T> {
    f(seeded(&mut PROGRAM_RNG.lock())?)
}

/// A random (v4) UUID from this thread's CSPRNG.
pub fn uuid_v4() -> Result<Uuid> {
    with_thread_rng(Uuid::v4)
}

/// The process's v7 sequence and the fork generation it belongs to.
static V7: Lock<(u64, V7Generator)> = Lock::new((0, V7Generator::new()));

/// A time-ordered (v7) UUID, monotonic across every thread of the process
/// (ticker clock; the sequence restarts in a forked child).
#[cfg(feature = "std")]
pub fn uuid_v7() -> Result<Uuid> {
    uuid_v7_at(crate::clock::Clock::now_ms(&crate::clock::TickerClock::global()))
}

/// A time-ordered (v7) UUID at the host's time `now_ms` (Unix ms), monotonic
/// with every other v7 of the process: when the clock steps back or stalls,
/// the UUID continues from the last one's time and counter.
pub fn uuid_v7_at(now_ms: u64) -> Result<Uuid> {
    let mut state = V7.lock();
    let generation = fork_generation();
    if state.0 != generation {
        *state = (generation, V7Generator::new());
    }
    // Drawn under the lock: within a millisecond the generator takes only the
    // 4 bytes it uses (`V7Generator::next`).
    with_thread_rng(|rng| state.1.next(now_ms, rng))
}

/// The process's ObjectId generator and the fork generation it belongs to:
/// its 5 random bytes are drawn again in a forked child.
static OBJECT_ID: Lock<(u64, Option<crate::objectid::ObjectIdGenerator>)> = Lock::new((0, None));

/// A MongoDB ObjectId at the host's time `now_ms`, from the process's
/// generator (5 random bytes per process, re-drawn after a fork; a counter
/// with a random start).
pub fn object_id_at(now_ms: u64) -> Result<crate::objectid::ObjectId> {
    let mut seed = [0u8; 8];
    with_thread_rng(|rng| crate::rng::RandomSource::fill_bytes(rng, &mut seed))?;
    let generation = fork_generation();
    let mut state = OBJECT_ID.lock();
    if state.0 != generation {
        *state = (generation, None);
    }
    let generator = state.1.get_or_insert_with(|| {
        let process = [seed[0], seed[1], seed[2], seed[3], seed[4]];
        crate::objectid::ObjectIdGenerator::new(process, u32::from_be_bytes([0, seed[5], seed[6], seed[7]]))
    });
    generator.next_at(now_ms)
}

/// A MongoDB ObjectId now (wall clock).
#[cfg(feature = "std")]
pub fn object_id() -> Result<crate::objectid::ObjectId> {
    object_id_at(crate::clock::Clock::now_ms(&crate::clock::SystemClock))
}
