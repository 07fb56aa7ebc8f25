//! Process-wide state: thread CSPRNGs, the shared v7 sequence, fork reseeding.
//! (Its own test binary: it bumps the process's fork generation.)

use idloom::process::{after_fork_in_child, fork_generation, uuid_v4, uuid_v7_at, with_thread_rng};
use idloom::{RandomSource, Uuid};
use std::sync::Mutex;

/// The simulated fork restarts the shared v7 sequence, which would break the
/// other tests' monotonicity checks if it ran between their calls.
static SERIAL: Mutex<()> = Mutex::new(());

/// The process's v7 now: the ticker clock with std; without std (the wasm
/// build's configuration) at the host's time, as the binding passes Date.now.
fn uuid_v7() -> idloom::Result<Uuid> {
    #[cfg(feature = "std")]
    return idloom::process::uuid_v7();
    #[cfg(not(feature = "std"))]
    uuid_v7_at(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
    )
}

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn v7_is_monotonic_across_threads_and_v4_is_random() {
    let _serial = serial();
    let per_thread: Vec<Vec<Uuid>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| (0..50_000).map(|_| uuid_v7().unwrap()).collect::<Vec<_>>()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ids in &per_thread {
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "each thread sees increasing v7s");
    }
    let mut all: Vec<Uuid> = per_thread.into_iter().flatten().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 200_000);
    let a = uuid_v4().unwrap();
    assert_eq!(a.version(), 4);
    assert_ne!(a, uuid_v4().unwrap());
}

#[test]
fn a_simulated_fork_reseeds_thread_rngs_and_restarts_v7() {
    let _serial = serial();
    // This thread's CSPRNG has handed out 1,000 bytes of its budget; after a
    // fork (the generation moves) the next draw comes from a fresh OS seed.
    with_thread_rng(|rng| rng.fill_bytes(&mut [0u8; 1000])).unwrap();
    let spent = with_thread_rng(|rng| Ok(rng.until_reseed())).unwrap().unwrap();
    assert!(spent <= idloom::rng::RESEED_BYTES - 1000);
    let before = fork_generation();
    after_fork_in_child();
    assert_eq!(fork_generation(), before + 1);
    let fresh = with_thread_rng(|rng| {
        rng.fill_bytes(&mut [0u8; 16])?;
        Ok(rng.until_reseed())
    })
    .unwrap();
    assert_eq!(
        fresh,
        Some(idloom::rng::RESEED_BYTES - 16),
        "the child reseeded instead of continuing the parent's stream"
    );
    assert_eq!(uuid_v7().unwrap().version(), 7);
}

#[test]
fn v7_at_a_host_time_shares_the_sequence_and_survives_a_clock_step_back() {
    let _serial = serial();
    // A host clock (Date.now in the wasm build) 10 s ahead, then 10 s back,
    // then stalled: every UUID still sorts after the one before, also
    // interleaved with the ticker-clock v7 of the same process.
    let now = uuid_v7().unwrap().timestamp_ms().unwrap();
    let times = [now + 10_000, now + 10_000, now, now - 10_000, now - 10_000, now + 10_001];
    let mut last = uuid_v7().unwrap();
    for (i, &t) in times.iter().cycle().take(6_000).enumerate() {
        let next = if i % 4 == 3 { uuid_v7().unwrap() } else { uuid_v7_at(t).unwrap() };
        assert!(next > last, "v7 #{i} at {t} went backwards");
        assert_eq!(next.version(), 7);
        last = next;
    }
    assert!(last.timestamp_ms().unwrap() >= now + 10_001);
    let e = uuid_v7_at(idloom::uuid::MAX_V7_MS + 1).unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::TimestampOutOfRange);
}

#[test]
fn an_os_seeded_rng_reseeds_every_64_kib_and_a_host_seed_never() {
    use idloom::rng::{SecureRng, RESEED_BYTES};
    let mut os = SecureRng::from_os().unwrap();
    assert_eq!(os.until_reseed(), Some(RESEED_BYTES));
    let mut buf = vec![0u8; 1024];
    let mut seen = std::collections::HashSet::new();
    for _ in 0..(RESEED_BYTES / 1024) - 1 {
        os.fill_bytes(&mut buf).unwrap();
        seen.insert(buf.clone());
    }
    assert_eq!(os.until_reseed(), Some(1024));
    os.fill_bytes(&mut buf).unwrap(); // the budget reaches 0: a new OS seed first
    assert_eq!(os.until_reseed(), Some(RESEED_BYTES));
    // A host seed gives the host's stream for ever: two generators of one seed agree past 64 KiB.
    let (mut a, mut b) = (SecureRng::from_seed([7; 32]), SecureRng::from_seed([7; 32]));
    assert_eq!(a.until_reseed(), None);
    let (mut x, mut y) = (vec![0u8; 200_000], vec![0u8; 200_000]);
    a.fill_bytes(&mut x).unwrap();
    b.fill_bytes(&mut y).unwrap();
    assert_eq!(x, y);
}
