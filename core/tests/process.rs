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
    // Copy this thread's CSPRNG state as a forked child would inherit it.
    let inherited = with_thread_rng(|rng| Ok(rng.clone())).unwrap();
    let before = fork_generation();
    after_fork_in_child();
    assert_eq!(fork_generation(), before + 1);
    let mut parent_next = [0u8; 16];
    let mut parent = inherited;
    parent.fill_bytes(&mut parent_next).unwrap();
    let child_next = with_thread_rng(|rng| {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b)?;
        Ok(b)
    })
    .unwrap();
    assert_ne!(
        parent_next, child_next,
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
