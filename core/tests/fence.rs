//! Tick fences: a generator under a lease issues IDs only in ticks wholly
//! inside `[start_ms, fence_ms)` of ID time, whatever its clock says; a fence
//! reached is `lease_expired`, a lost lease `lease_lost`; two holders of one
//! node with adjacent intervals never meet.

use idloom::{ErrorCode, Generator, Layout, ManualClock, Next, OnBackwards, OnExhausted, Policy, SharedSnowflake};
use proptest::prelude::*;

#[path = "support/policy.rs"]
mod support;
use support::{policy, T0};

fn id(n: Next) -> u64 {
    match n {
        Next::Id(id) => id,
        other => panic!("expected an ID, got {other:?}"),
    }
}

#[test]
fn ids_stay_inside_the_interval_and_the_fence_is_lease_expired() {
    let layout = Layout::new(41, 10, 12, T0 - 10_000, 1).unwrap();
    let mut g = Generator::new(layout, 4, Policy::default()).unwrap();
    g.set_lease(T0, T0 + 100, 7);
    assert_eq!(g.fence_ms(), Some(T0 + 100));
    let first = id(g.next_at(T0 + 5).unwrap());
    assert_eq!(layout.decompose(first).unwrap().timestamp_ms, T0 + 5);
    id(g.next_at(T0 + 99).unwrap()); // the last tick wholly below the fence
    let e = g.next_at(T0 + 100).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LeaseExpired);
    assert_eq!(
        e.to_string(),
        "node 4, epoch 7: the tick at 1700000000100 ms is not wholly below the lease's fence at 1700000000100 ms (ID time); renew the lease"
    );
    assert_eq!(g.high_water_ms(), Some(T0 + 100));
    // A renewal moves the fence on; an older one never moves it back.
    g.extend_fence(T0 + 200);
    g.extend_fence(T0 + 150);
    assert_eq!(g.fence_ms(), Some(T0 + 200));
    id(g.next_at(T0 + 150).unwrap());
}

#[test]
fn a_fence_or_a_start_inside_a_tick_makes_that_tick_unusable() {
    // 10 ms ticks: a fence at +105 ms cuts the tick [100, 110): it is not usable.
    let layout = Layout::new(39, 8, 16, T0, 10).unwrap();
    let mut g = Generator::new(layout, 1, policy(OnBackwards::Fail, OnExhausted::Fail)).unwrap();
    g.set_lease(T0 + 3, T0 + 105, 1);
    // The tick [0, 10) starts before the interval: it reads as used up (exhausted policy: fail).
    assert_eq!(g.next_at(T0 + 5).unwrap_err().code(), ErrorCode::SequenceExhausted);
    // Further back, the backwards policy answers.
    let mut early = Generator::new(layout, 2, policy(OnBackwards::Fail, OnExhausted::Fail)).unwrap();
    early.set_lease(T0 + 50, T0 + 105, 1);
    assert_eq!(early.next_at(T0 + 5).unwrap_err().code(), ErrorCode::ClockMovedBackwards);
    assert_eq!(layout.decompose(id(g.next_at(T0 + 10).unwrap())).unwrap().timestamp_ms, T0 + 10);
    id(g.next_at(T0 + 99).unwrap());
    assert_eq!(g.next_at(T0 + 100).unwrap_err().code(), ErrorCode::LeaseExpired);
}

#[test]
fn borrowing_and_the_logical_clock_stop_at_the_fence() {
    let layout = Layout::new(41, 10, 2, T0 - 10_000, 1).unwrap(); // 4 IDs a tick
    let borrow = policy(
        OnBackwards::Logical { max_lead_ms: 1000 },
        OnExhausted::Borrow { max_lead_ms: 1000 },
    );
    let mut g = Generator::new(layout, 2, borrow).unwrap();
    g.set_lease(T0, T0 + 3, 1);
    let ids: Vec<u64> = (0..12).map(|_| id(g.next_at(T0).unwrap())).collect(); // 3 ticks × 4, borrowed
    assert_eq!(layout.decompose(ids[11]).unwrap().timestamp_ms, T0 + 2);
    assert_eq!(
        g.next_at(T0).unwrap_err().code(),
        ErrorCode::LeaseExpired,
        "borrowing stops at the fence"
    );
    // A clock below start: the logical clock issues from the start (leading), still inside the interval.
    let mut h = Generator::new(layout, 3, borrow).unwrap();
    h.set_lease(T0 + 500, T0 + 600, 2);
    let first = id(h.next_at(T0 + 100).unwrap());
    assert_eq!(layout.decompose(first).unwrap().timestamp_ms, T0 + 500);
}

#[test]
fn a_lost_lease_serves_below_its_confirmed_fence_then_refuses_for_good() {
    let layout = Layout::new(41, 10, 12, T0 - 10_000, 1).unwrap();
    let clock = ManualClock::new(T0);
    let shared = SharedSnowflake::new(layout, 9, Policy::default(), &clock).unwrap();
    shared.set_lease(T0, T0 + 50, 3);
    id(shared.next_at(T0 + 10).unwrap());
    shared.lose_lease();
    id(shared.next_at(T0 + 49).unwrap()); // still this holder's alone
    let e = shared.next_at(T0 + 50).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LeaseLost);
    assert!(e.to_string().contains("node 9, epoch 3: the lease was lost"), "{e}");
    shared.extend_fence(T0 + 500); // a late renewal answer cannot revive it
    assert_eq!(shared.next_at(T0 + 60).unwrap_err().code(), ErrorCode::LeaseLost);
    let mut out = [0u64; 8];
    assert_eq!(shared.fill_at(T0 + 60, &mut out).unwrap_err().code(), ErrorCode::LeaseLost);
    // next_id (the clock-reading path) stops too, and a logical lead stops at the fence.
    clock.set(T0 + 60);
    assert_eq!(shared.next_id().unwrap_err().code(), ErrorCode::LeaseLost);
}

#[test]
fn shared_generator_threads_never_pass_a_fence_that_moves_under_them() {
    let layout = Layout::new(41, 10, 12, T0 - 10_000, 1).unwrap();
    let clock = ManualClock::new(T0);
    let shared = SharedSnowflake::new(
        layout,
        11,
        policy(OnBackwards::Logical { max_lead_ms: 0 }, OnExhausted::Fail),
        &clock,
    )
    .unwrap();
    shared.set_lease(T0, T0 + 1, 1);
    let ids: Vec<u64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    for _ in 0..20_000 {
                        match shared.next_id() {
                            Ok(id) => mine.push(id),
                            Err(e) => assert!(matches!(e.code(), ErrorCode::LeaseExpired | ErrorCode::SequenceExhausted), "{e}"),
                        }
                    }
                    mine
                })
            })
            .collect();
        for k in 1..=50u64 {
            clock.set(T0 + k); // the clock runs ahead of the fence, and the fence follows
            shared.extend_fence(T0 + k);
            std::thread::yield_now();
        }
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "no duplicate");
    assert!(
        ids.iter().all(|&i| layout.decompose(i).unwrap().timestamp_ms < T0 + 50),
        "every ID below the last fence"
    );
}

#[cfg(feature = "std")]
#[test]
fn stop_lease_gives_a_high_water_no_thread_minting_meanwhile_passes() {
    // Four threads mint with a real clock while the main thread stops the
    // lease; every ID any thread got ends by the high-water, and after the
    // stop every thread gets lease_lost at once (no wait until the fence).
    let layout = Layout::new(41, 10, 12, T0 - 10_000, 1).unwrap();
    for round in 0..20 {
        let now = idloom::Clock::now_ms(&idloom::SystemClock);
        let shared = SharedSnowflake::new(layout, 5, Policy::default(), idloom::SystemClock).unwrap();
        shared.set_lease(now, now + 60_000, round);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let minted = std::sync::atomic::AtomicUsize::new(0);
        let (ids, high_water) = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            match shared.next_id() {
                                Ok(id) => {
                                    mine.push(id);
                                    minted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                }
                                Err(e) => {
                                    assert_eq!(e.code(), ErrorCode::LeaseLost, "{e}");
                                    assert!(stop.load(std::sync::atomic::Ordering::Acquire));
                                    return mine;
                                }
                            }
                        }
                    })
                })
                .collect();
            // Stop while they mint: after 3 ms and at least one ID (a loaded
            // machine may not have scheduled a worker within 3 ms).
            std::thread::sleep(std::time::Duration::from_millis(3));
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while minted.load(std::sync::atomic::Ordering::Relaxed) == 0 && std::time::Instant::now() < deadline {
                std::thread::yield_now();
            }
            stop.store(true, std::sync::atomic::Ordering::Release);
            let hw = shared.stop_lease();
            let ids: Vec<u64> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
            (ids, hw)
        });
        let hw = high_water.expect("IDs were minted");
        assert!(!ids.is_empty());
        let last_end = ids.iter().map(|&i| layout.decompose(i).unwrap().timestamp_ms + 1).max().unwrap();
        assert!(last_end <= hw, "round {round}: an ID ends at {last_end}, after the high-water {hw}");
        assert!(hw >= now);
        // Stopped for good, without waiting, on every path.
        let t = std::time::Instant::now();
        assert_eq!(shared.next_id().unwrap_err().code(), ErrorCode::LeaseLost);
        let mut out = [0u64; 4];
        assert_eq!(shared.fill(&mut out).unwrap_err().code(), ErrorCode::LeaseLost);
        assert_eq!(shared.next_at(hw + 10_000).unwrap_err().code(), ErrorCode::LeaseLost);
        // A clock behind the last tick is not a clock error once stopped: still lease_lost.
        assert_eq!(shared.next_at(hw - 5_000).unwrap_err().code(), ErrorCode::LeaseLost);
        assert!(t.elapsed() < std::time::Duration::from_secs(1), "no wait after a stop");
        assert!(
            shared.stop_lease().is_some_and(|again| again >= hw),
            "a second stop never reports less"
        );
    }
}

#[test]
fn a_lost_lease_does_not_wait_for_a_tick_at_its_fence() {
    // Sequence exhausted in the last tick below a lost fence: the wait policy
    // would sleep until the fence; a lost lease says lease_lost at once.
    let layout = Layout::new(41, 10, 1, T0 - 10_000, 1).unwrap();
    let mut g = Generator::new(layout, 1, Policy::default()).unwrap();
    g.set_lease(T0, T0 + 10, 2);
    id(g.next_at(T0 + 9).unwrap());
    id(g.next_at(T0 + 9).unwrap());
    assert_eq!(
        g.next_at(T0 + 9).unwrap(),
        Next::RetryAt(T0 + 10),
        "expired, not lost: the policy waits for a renewal"
    );
    g.lose_lease();
    assert_eq!(g.next_at(T0 + 9).unwrap_err().code(), ErrorCode::LeaseLost);
    let mut out = [0u64; 2];
    assert_eq!(g.fill_at(T0 + 9, &mut out).unwrap_err().code(), ErrorCode::LeaseLost);
}

proptest! {
    /// Two holders of one node, one after the other ([s1, f) then [f, f2)),
    /// with clocks that read anything at all: never the same ID.
    #[test]
    fn adjacent_leases_on_one_node_never_meet(
        f in 1u64..200,
        tick_ms in prop::sample::select(vec![1u64, 10, 1000]),
        reads_a in prop::collection::vec(0u64..400, 1..60),
        reads_b in prop::collection::vec(0u64..400, 1..60),
        paused in any::<bool>(),
    ) {
        let layout = Layout::new(39, 8, 3, T0 - 100_000, tick_ms).unwrap();
        let p = policy(OnBackwards::Logical { max_lead_ms: 5000 }, OnExhausted::Borrow { max_lead_ms: 5000 });
        let mut a = Generator::new(layout, 5, p).unwrap();
        let mut b = Generator::new(layout, 5, p).unwrap();
        let fence = T0 + f * tick_ms / 2 + 1; // often inside a tick
        a.set_lease(T0, fence, 1);
        b.set_lease(fence, T0 + 100_000, 2); // the next holder starts at the fence
        if paused {
            a.lose_lease(); // paused past its TTL, told so late: changes nothing below the fence
        }
        let mut seen = std::collections::HashSet::new();
        for (g, reads) in [(&mut a, &reads_a), (&mut b, &reads_b)] {
            for &r in reads {
                if let Ok(Next::Id(id)) = g.next_at(T0 + r * tick_ms / 3) {
                    prop_assert!(seen.insert(id), "duplicate {}", id);
                }
            }
        }
    }
}
