//! Process-wide state: thread CSPRNGs, the shared v7 sequence, fork reseeding.
//! (Its own test binary: it bumps the process's fork generation.)

use idloom::process::{after_fork_in_child, fork_generation, uuid_v4, uuid_v7, with_thread_rng};
use idloom::{RandomSource, Uuid};

#[test]
fn v7_is_monotonic_across_threads_and_v4_is_random() {
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
