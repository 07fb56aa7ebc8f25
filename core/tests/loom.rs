//! Every interleaving of the lock-free generator's atomics, by loom: the
//! one-word state (tick and sequence, one compare-and-swap per ID), the
//! fence load on every ID, `stop_lease` against concurrent minters, and
//! `extend_fence` / `lose_lease` racing `next_at`. Two or three threads per
//! model, each a few steps; loom runs each model under every schedule its
//! memory model allows (preemptions bounded by `LOOM_MAX_PREEMPTIONS`,
//! scripts/loom sets 3). The properties: no ID twice; no ID at or past the
//! fence in force (the highest confirmed, never one a lost or stopped lease
//! could no longer reach); after `stop_lease`, every ID issued before it is
//! below the high-water it answered and nothing is issued after it.
//!
//! Only under `--cfg loom` (the generator's atomics become loom's):
//! `scripts/loom`, run by `scripts/test --only rust`.
#![cfg(loom)]

use idloom::{Layout, ManualClock, Next, Policy, SharedSnowflake};
use loom::sync::Arc;
use loom::thread;

const L: Layout = Layout::TWITTER;
/// A tick's start (ms) well after the layout's epoch.
const T: u64 = 1_700_000_000_000;

fn generator(start_ms: u64, fence_ms: u64) -> Arc<SharedSnowflake<ManualClock>> {
    let g = SharedSnowflake::new(L, 7, Policy::default(), ManualClock::new(T)).unwrap();
    g.set_lease(start_ms, fence_ms, 1);
    Arc::new(g)
}

/// Mint at `now` (ms) `n` times; the IDs issued (a refusal or a retry issues nothing).
fn mint(g: &SharedSnowflake<ManualClock>, now: u64, n: usize) -> Vec<u64> {
    (0..n)
        .filter_map(|_| match g.next_at(now) {
            Ok(Next::Id(id)) => Some(id),
            _ => None,
        })
        .collect()
}

fn tick_start(id: u64) -> u64 {
    L.decompose(id).unwrap().timestamp_ms
}

fn all_unique(ids: &[u64]) {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "an ID issued twice: {ids:?}");
}

/// Two minters on one word, in one tick and across two: no ID twice, every
/// one below the fence.
#[test]
fn two_minters_never_issue_one_id_twice() {
    loom::model(|| {
        let g = generator(T, T + 2);
        let other = g.clone();
        let b = thread::spawn(move || {
            let mut ids = mint(&other, T, 1);
            ids.extend(mint(&other, T + 1, 1));
            ids
        });
        let mut ids = mint(&g, T, 2);
        ids.extend(b.join().unwrap());
        assert_eq!(ids.len(), 4, "nothing refused below the fence");
        all_unique(&ids);
        assert!(ids.iter().all(|&id| tick_start(id) < T + 2));
    });
}

/// `stop_lease` while a thread mints: every ID issued is below the
/// high-water it answers (so a release with it frees nothing minted), and
/// the generator issues nothing after it, whatever the interleaving.
#[test]
fn stop_lease_bounds_every_id_issued_before_it_and_ends_minting() {
    loom::model(|| {
        let g = generator(T, T + 10);
        let minter = g.clone();
        let a = thread::spawn(move || {
            let mut ids = mint(&minter, T, 1);
            ids.extend(mint(&minter, T + 1, 1));
            ids
        });
        let high_water = g.stop_lease();
        let ids = a.join().unwrap();
        all_unique(&ids);
        match high_water {
            None => assert!(ids.is_empty(), "an ID issued though stop_lease saw none: {ids:?}"),
            Some(hw) => assert!(ids.iter().all(|&id| tick_start(id) < hw), "{ids:?} not below the high-water {hw}"),
        }
        assert!(
            mint(&g, T + 1, 1).is_empty() && mint(&g, T + 5, 1).is_empty(),
            "minted after stop_lease"
        );
    });
}

/// Two minters and `stop_lease`: the same, with the compare-and-swap
/// contended from both sides.
#[test]
fn stop_lease_against_two_minters() {
    loom::model(|| {
        let g = generator(T, T + 10);
        let (m1, m2) = (g.clone(), g.clone());
        let a = thread::spawn(move || mint(&m1, T, 1));
        let b = thread::spawn(move || mint(&m2, T + 1, 1));
        let high_water = g.stop_lease();
        let mut ids = a.join().unwrap();
        ids.extend(b.join().unwrap());
        all_unique(&ids);
        for &id in &ids {
            assert!(
                high_water.is_some_and(|hw| tick_start(id) < hw),
                "{id} issued past the high-water {high_water:?}"
            );
        }
    });
}

/// A renewal's `extend_fence` and a refusal's `lose_lease` racing a minter
/// at the fence: an ID at or past the first fence only if the extension
/// came first; never one at or past the extended fence; a lost lease keeps
/// the fence it had (an extension after the loss is ignored) and mints only
/// below it.
#[test]
fn extend_and_lose_racing_a_minter_never_pass_the_fence_in_force() {
    loom::model(|| {
        let g = generator(T, T + 1);
        let (m, e) = (g.clone(), g.clone());
        let minter = thread::spawn(move || {
            let mut ids = mint(&m, T, 1);
            ids.extend(mint(&m, T + 1, 1));
            ids
        });
        let extender = thread::spawn(move || e.extend_fence(T + 3));
        g.lose_lease();
        let at_loss = g.fence_ms().unwrap();
        let mut ids = minter.join().unwrap();
        extender.join().unwrap();
        let fence = g.fence_ms().unwrap();
        assert_eq!(fence, at_loss, "the fence rose after the lease was lost");
        assert!(fence == T + 1 || fence == T + 3, "fence {fence}");
        ids.extend(mint(&g, T + 2, 1));
        all_unique(&ids);
        for &id in &ids {
            assert!(tick_start(id) < fence, "ID at {} past the fence in force {fence}", tick_start(id));
        }
    });
}

/// A batch (`fill_at`: one compare-and-swap per run of a tick) against
/// single IDs on the same word: no ID twice, all below the fence.
#[test]
fn a_batch_and_single_ids_share_the_word_without_overlap() {
    loom::model(|| {
        let g = generator(T, T + 2);
        let other = g.clone();
        let b = thread::spawn(move || mint(&other, T, 2));
        let mut out = [0u64; 3];
        let (written, _) = g.fill_at(T, &mut out).unwrap();
        let mut ids = out[..written].to_vec();
        ids.extend(b.join().unwrap());
        all_unique(&ids);
        assert!(ids.iter().all(|&id| tick_start(id) < T + 2));
    });
}
