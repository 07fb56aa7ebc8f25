//! Snowflake generators under a fake clock: every policy path, the bounded
//! waits, batches and the lock-free shared generator.

use idloom::snowflake::{Next, POLLS_PER_MS};
use idloom::{ErrorCode, Generator, Layout, ManualClock, OnBackwards, OnExhausted, Policy, SequenceStart, SharedSnowflake, Snowflake};

#[path = "support/policy.rs"]
mod support;
use support::{policy, T0};

/// A tiny layout: 2 sequence bits (4 IDs per 1 ms tick), 3 node bits.
fn tiny() -> Layout {
    Layout::new(40, 3, 2, T0 - 1000, 1).unwrap()
}

fn id(g: &mut Generator, now: u64) -> u64 {
    match g.next_at(now).unwrap() {
        Next::Id(id) => id,
        other => panic!("expected an ID at {now}, got {other:?}"),
    }
}

fn err(g: &mut Generator, now: u64) -> ErrorCode {
    g.next_at(now).unwrap_err().code()
}

#[cfg(not(feature = "std"))]
use host::HostClock as WallClock;
/// The wall clock of these tests: `SystemClock` with std; without std (the
/// wasm build's configuration) a clock the host brings, as `Date.now` there,
/// which cannot sleep, so bounded waits poll it.
#[cfg(feature = "std")]
use idloom::SystemClock as WallClock;
#[cfg(not(feature = "std"))]
mod host {
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct HostClock;
    impl idloom::Clock for HostClock {
        fn now_ms(&self) -> u64 {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        }
    }
}

#[test]
fn ids_carry_time_node_and_sequence() {
    let mut g = Generator::new(Layout::TWITTER, 7, Policy::default()).unwrap();
    let a = id(&mut g, T0);
    let b = id(&mut g, T0);
    let c = id(&mut g, T0 + 5);
    let l = Layout::TWITTER;
    assert_eq!(l.decompose(a).unwrap().timestamp_ms, T0);
    assert_eq!((l.decompose(a).unwrap().node, l.decompose(a).unwrap().sequence), (7, 0));
    assert_eq!(l.decompose(b).unwrap().sequence, 1);
    let pc = l.decompose(c).unwrap();
    assert_eq!((pc.timestamp_ms, pc.sequence), (T0 + 5, 0));
    assert!(a < b && b < c);
}

#[test]
fn node_must_fit_the_layout() {
    let e = Generator::new(Layout::TWITTER, 1024, Policy::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NodeOutOfRange);
    assert_eq!(e.to_string(), "node must be in 0..=1023, got 1024");
    assert!(Generator::new(Layout::TWITTER, 1023, Policy::default()).is_ok());
}

#[test]
fn policy_bounds_are_checked() {
    let p = policy(OnBackwards::Wait { max_ms: 3_600_001 }, OnExhausted::Wait);
    let e = Generator::new(Layout::TWITTER, 1, p).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert_eq!(e.param(), Some("max_wait_ms"));
    let p = policy(OnBackwards::Fail, OnExhausted::Borrow { max_lead_ms: u64::MAX });
    assert_eq!(Generator::new(Layout::TWITTER, 1, p).unwrap_err().param(), Some("max_borrow_ms"));
}

#[test]
fn epoch_in_the_future_is_refused() {
    let clock = ManualClock::new(T0);
    let layout = Layout::new(41, 10, 12, T0 + 1, 1).unwrap();
    let e = Snowflake::new(layout, 1, Policy::default(), &clock).unwrap_err();
    assert_eq!(e.code(), ErrorCode::EpochInFuture);
    let mut g = Generator::new(layout, 1, Policy::default()).unwrap();
    assert_eq!(err(&mut g, T0), ErrorCode::EpochInFuture);
}

#[test]
fn backwards_fail_reports_the_jump() {
    let mut g = Generator::new(tiny(), 1, policy(OnBackwards::Fail, OnExhausted::Fail)).unwrap();
    id(&mut g, T0 + 100);
    let e = g.next_at(T0 + 95).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ClockMovedBackwards);
    assert_eq!(e.to_string(), "clock moved backwards by 5 ms (the policy tolerates 0 ms)");
    // Once the clock is back, issuing resumes in the same tick.
    let next = id(&mut g, T0 + 100);
    assert_eq!(tiny().decompose(next).unwrap().sequence, 1);
}

#[test]
fn backwards_wait_within_bound_asks_to_retry() {
    let mut g = Generator::new(tiny(), 1, policy(OnBackwards::Wait { max_ms: 10 }, OnExhausted::Fail)).unwrap();
    id(&mut g, T0 + 100);
    assert_eq!(g.next_at(T0 + 92).unwrap(), Next::RetryAt(T0 + 100));
    assert_eq!(err(&mut g, T0 + 89), ErrorCode::ClockMovedBackwards);
}

#[test]
fn backwards_logical_keeps_issuing_within_lead() {
    let p = policy(OnBackwards::Logical { max_lead_ms: 50 }, OnExhausted::Borrow { max_lead_ms: 50 });
    let mut g = Generator::new(tiny(), 1, p).unwrap();
    let first = id(&mut g, T0 + 100);
    let mut last = first;
    // The clock jumps back 30 ms: IDs keep increasing from the last tick.
    for _ in 0..20 {
        let next = id(&mut g, T0 + 70);
        assert!(next > last);
        last = next;
    }
    // 20 IDs at 4 per tick moved the logical clock 4-5 ticks ahead of T0+100.
    let lead_tick = tiny().decompose(last).unwrap().timestamp_ms;
    assert!(lead_tick > T0 + 100 && lead_tick <= T0 + 120, "{lead_tick}");
    // A jump beyond the tolerated lead fails.
    let e = g.next_at(T0 + 20).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ClockMovedBackwards);
}

#[test]
fn exhaustion_fail_wait_and_borrow() {
    let mut fail = Generator::new(tiny(), 0, policy(OnBackwards::Fail, OnExhausted::Fail)).unwrap();
    for _ in 0..4 {
        id(&mut fail, T0);
    }
    assert_eq!(err(&mut fail, T0), ErrorCode::SequenceExhausted);
    assert_eq!(tiny().decompose(id(&mut fail, T0 + 1)).unwrap().sequence, 0);

    let mut wait = Generator::new(tiny(), 0, policy(OnBackwards::Fail, OnExhausted::Wait)).unwrap();
    for _ in 0..4 {
        id(&mut wait, T0);
    }
    assert_eq!(wait.next_at(T0).unwrap(), Next::RetryAt(T0 + 1));

    let mut borrow = Generator::new(tiny(), 0, policy(OnBackwards::Fail, OnExhausted::Borrow { max_lead_ms: 2 })).unwrap();
    let ids: Vec<u64> = (0..12).map(|_| id(&mut borrow, T0)).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(tiny().decompose(ids[11]).unwrap().timestamp_ms, T0 + 2);
    let e = borrow.next_at(T0).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LeadExceeded);
    assert_eq!(e.to_string(), "issuing would lead the clock by 3 ms, over the bound of 2 ms");
    // Borrowed ticks are not mistaken for a backwards clock.
    assert!(borrow.next_at(T0 + 1).is_ok());
}

#[test]
fn sequence_start_modes() {
    let cont = Policy {
        sequence_start: SequenceStart::Continuous,
        ..policy(OnBackwards::Fail, OnExhausted::Fail)
    };
    let mut g = Generator::new(tiny(), 0, cont).unwrap();
    let seqs: Vec<u64> = [T0, T0, T0 + 1, T0 + 2, T0 + 3, T0 + 3]
        .iter()
        .map(|&t| tiny().decompose(id(&mut g, t)).unwrap().sequence)
        .collect();
    assert_eq!(seqs, [0, 1, 2, 3, 0, 1]);

    let random = Policy {
        sequence_start: SequenceStart::Random { seed: 42 },
        ..policy(OnBackwards::Fail, OnExhausted::Fail)
    };
    let layout = Layout::TWITTER;
    let mut g = Generator::new(layout, 0, random).unwrap();
    let starts: Vec<u64> = (0..64).map(|i| layout.decompose(id(&mut g, T0 + i)).unwrap().sequence).collect();
    assert!(starts.iter().all(|&s| s < 2048), "random starts stay in the lower half");
    assert!(
        starts.iter().collect::<std::collections::BTreeSet<_>>().len() > 50,
        "starts vary: {starts:?}"
    );
    // Deterministic for a seed.
    let mut again = Generator::new(layout, 0, random).unwrap();
    assert_eq!(layout.decompose(id(&mut again, T0)).unwrap().sequence, starts[0]);
}

#[test]
fn layout_end_is_a_typed_error() {
    let layout = Layout::new(4, 1, 1, T0, 1).unwrap(); // 16 ticks
    let mut g = Generator::new(layout, 0, policy(OnBackwards::Fail, OnExhausted::Borrow { max_lead_ms: 5 })).unwrap();
    id(&mut g, T0 + 15);
    id(&mut g, T0 + 15);
    assert_eq!(err(&mut g, T0 + 15), ErrorCode::LayoutExhausted);
    assert_eq!(err(&mut g, T0 + 16), ErrorCode::LayoutExhausted);
}

#[test]
fn frozen_clock_borrows_then_fails_never_hangs() {
    let clock = ManualClock::new(T0);
    let p = policy(OnBackwards::Fail, OnExhausted::Borrow { max_lead_ms: 100 });
    let mut g = Snowflake::new(Layout::TWITTER, 1, p, &clock).unwrap();
    let mut ok = 0u64;
    let mut first_err = None;
    for _ in 0..1_000_000 {
        match g.next_id() {
            Ok(_) => ok += 1,
            Err(e) => {
                first_err.get_or_insert(e.code());
            }
        }
    }
    // 101 ticks (T0 .. T0+100) of 4096 IDs, then lead_exceeded.
    assert_eq!(ok, 101 * 4096);
    assert_eq!(first_err, Some(ErrorCode::LeadExceeded));
}

#[test]
fn frozen_clock_with_wait_policy_stalls_with_a_bounded_wait() {
    let clock = ManualClock::new(T0);
    let mut g = Snowflake::new(tiny(), 1, policy(OnBackwards::Fail, OnExhausted::Wait), &clock).unwrap();
    for _ in 0..4 {
        g.next_id().unwrap();
    }
    let started = std::time::Instant::now();
    let e = g.next_id().unwrap_err();
    assert_eq!(e.code(), ErrorCode::ClockStalled);
    // The budget is (wait + 2) ms × POLLS_PER_MS polls of the clock.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?} for {} polls",
        started.elapsed(),
        3 * POLLS_PER_MS
    );
}

#[test]
fn wait_policy_with_a_moving_clock_waits_for_the_next_tick() {
    // A clock that advances 1 ms every 1000 reads.
    let reads = std::cell::Cell::new(0u64);
    let clock = || {
        reads.set(reads.get() + 1);
        T0 + reads.get() / 1000
    };
    let mut g = Snowflake::new(tiny(), 1, policy(OnBackwards::Fail, OnExhausted::Wait), clock).unwrap();
    let ids: Vec<u64> = (0..40).map(|_| g.next_id().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let ticks: std::collections::BTreeSet<u64> = ids.iter().map(|&i| tiny().decompose(i).unwrap().tick).collect();
    assert!(ticks.len() >= 10, "40 IDs at 4 per tick span at least 10 ticks");
}

#[test]
fn fill_matches_one_by_one() {
    let clock = ManualClock::new(T0);
    let p = policy(OnBackwards::Fail, OnExhausted::Borrow { max_lead_ms: 1000 });
    let mut a = Snowflake::new(Layout::TWITTER, 9, p, &clock).unwrap();
    let mut b = Snowflake::new(Layout::TWITTER, 9, p, &clock).unwrap();
    let mut batch = vec![0u64; 10_000];
    a.fill(&mut batch).unwrap();
    let single: Vec<u64> = (0..10_000).map(|_| b.next_id().unwrap()).collect();
    assert_eq!(batch, single);
}

#[test]
fn fill_reports_an_error_when_nothing_more_can_be_issued() {
    let clock = ManualClock::new(T0);
    let mut g = Snowflake::new(tiny(), 1, policy(OnBackwards::Fail, OnExhausted::Fail), &clock).unwrap();
    let mut out = [0u64; 6];
    assert_eq!(g.fill(&mut out).unwrap_err().code(), ErrorCode::SequenceExhausted);
    // The 4 IDs of the tick were spent: the next tick starts fresh, never repeats.
    clock.advance(1);
    let next = g.next_id().unwrap();
    assert_eq!(tiny().decompose(next).unwrap().sequence, 0);
    assert!(next > out[3]);
}

#[test]
fn sonyflake_order_puts_the_node_lowest() {
    let l = Layout::SONYFLAKE;
    let id = l.compose(1_409_529_600_000 + 10 * 5, 0x1234, 3).unwrap();
    assert_eq!(id, (5 << 24) | (3 << 16) | 0x1234);
    let mut g = Generator::new(l, 0x1234, Policy::default()).unwrap();
    let mut out = [0u64; 3];
    let (n, _) = g.fill_at(1_409_529_600_000 + 50, &mut out).unwrap();
    assert_eq!(n, 3);
    assert_eq!(out, [id - (3 << 16), id - (2 << 16), id - (1 << 16)]);
}

#[test]
fn shared_generator_matches_single_owner_rules() {
    let clock = ManualClock::new(T0);
    let p = policy(OnBackwards::Fail, OnExhausted::Borrow { max_lead_ms: 3 });
    let shared = SharedSnowflake::new(tiny(), 2, p, &clock).unwrap();
    let mut single = Generator::new(tiny(), 2, p).unwrap();
    for _ in 0..16 {
        assert_eq!(shared.next_id().unwrap(), id(&mut single, T0));
    }
    assert_eq!(shared.next_id().unwrap_err().code(), ErrorCode::LeadExceeded);
    clock.set(T0 - 10);
    assert_eq!(shared.next_id().unwrap_err().code(), ErrorCode::ClockMovedBackwards);
}

#[test]
fn shared_generator_eight_threads_no_duplicate() {
    let clock = WallClock;
    let p = policy(OnBackwards::Logical { max_lead_ms: 1000 }, OnExhausted::Wait);
    let shared = SharedSnowflake::new(Layout::TWITTER, 5, p, clock).unwrap();
    const PER_THREAD: usize = 1_000_000;
    let mut all: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let shared = &shared;
                s.spawn(move || {
                    let mut v = Vec::with_capacity(PER_THREAD);
                    if t % 2 == 0 {
                        for _ in 0..PER_THREAD {
                            v.push(shared.next_id().unwrap());
                        }
                    } else {
                        v.resize(PER_THREAD, 0);
                        for chunk in v.chunks_mut(1000) {
                            shared.fill(chunk).unwrap();
                        }
                    }
                    assert!(v.windows(2).all(|w| w[0] < w[1]), "each thread sees increasing IDs");
                    v
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "duplicates among {n} IDs");
}

#[test]
fn set_node_rekeys() {
    let mut g = Generator::new(Layout::TWITTER, 1, Policy::default()).unwrap();
    let a = id(&mut g, T0);
    g.set_node(2).unwrap();
    let b = id(&mut g, T0);
    assert_eq!(Layout::TWITTER.decompose(b).unwrap().node, 2);
    assert_ne!(a, b);
    assert_eq!(g.set_node(4096).unwrap_err().code(), ErrorCode::NodeOutOfRange);
}

#[test]
fn an_expired_layout_is_refused_up_front() {
    let june_2025 = 1_750_000_000_000;
    let clock = ManualClock::new(june_2025);
    let e = Snowflake::new(Layout::BAIDU, 1, Policy::default(), &clock).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LayoutExhausted);
    let fresh = Layout::BAIDU.with_epoch(june_2025 - 1000).unwrap();
    let mut g = Snowflake::new(fresh, 1, Policy::default(), &clock).unwrap();
    assert_eq!(fresh.decompose(g.next_id().unwrap()).unwrap().timestamp_ms, june_2025);
}

/// Threads racing across tick boundaries with the strictest policy: a thread
/// must never see another thread's newer tick as its own clock going back.
#[test]
fn shared_generator_strict_policy_has_no_spurious_errors() {
    let p = policy(OnBackwards::Fail, OnExhausted::Wait);
    let shared = SharedSnowflake::new(Layout::new(41, 2, 20, 1_600_000_000_000, 1).unwrap(), 1, p, WallClock).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..300_000 {
                    shared.next_id().unwrap();
                }
            });
        }
    });
}

#[test]
fn shared_set_node_rekeys_in_place() {
    let clock = ManualClock::new(T0);
    let shared = SharedSnowflake::new(Layout::TWITTER, 1, Policy::default(), &clock).unwrap();
    let a = shared.next_id().unwrap();
    shared.set_node(2).unwrap();
    let b = shared.next_id().unwrap();
    assert_eq!(Layout::TWITTER.decompose(b).unwrap().node, 2);
    assert!(b > a);
    assert_eq!(shared.set_node(1024).unwrap_err().code(), ErrorCode::NodeOutOfRange);
    assert_eq!(shared.node(), 2);
}

#[test]
fn shared_try_next_id_never_waits() {
    let clock = ManualClock::new(T0);
    let shared = SharedSnowflake::new(tiny(), 1, policy(OnBackwards::Fail, OnExhausted::Wait), &clock).unwrap();
    for _ in 0..4 {
        assert!(matches!(shared.try_next_id().unwrap(), Next::Id(_)));
    }
    assert_eq!(shared.try_next_id().unwrap(), Next::RetryAt(T0 + 1));
    clock.advance(1);
    assert!(matches!(shared.try_next_id().unwrap(), Next::Id(_)));
}

#[test]
fn registry_shares_one_generator_per_layout_and_node() {
    use idloom::registry;
    use std::sync::Arc;
    let layout = Layout::new(41, 10, 12, T0 - 10_000, 1).unwrap(); // a layout no other test uses
    let a = registry::acquire(layout, 9, Policy::default(), WallClock).unwrap();
    let b = registry::acquire(layout, 9, Policy::default(), WallClock).unwrap();
    assert!(Arc::ptr_eq(&a, &b), "same (layout, node): the same generator");
    let ids: Vec<u64> = (0..1000).flat_map(|_| [a.next_id().unwrap(), b.next_id().unwrap()]).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "one sequence across both handles");
    let strict = policy(OnBackwards::Fail, OnExhausted::Fail);
    let e = registry::acquire(layout, 9, strict, WallClock).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NodeInUse);
    assert_eq!(
        e.to_string(),
        "node: already has a generator in this process with a different policy"
    );
    let other = registry::acquire(layout, 10, strict, WallClock).unwrap();
    assert!(!Arc::ptr_eq(&a, &other));
    // Re-keying onto a live node is refused; onto a free one moves the registration.
    assert_eq!(registry::rekey(&a, 10).unwrap_err().code(), ErrorCode::NodeInUse);
    registry::rekey(&a, 11).unwrap();
    assert_eq!(b.node(), 11);
    let fresh = registry::acquire(layout, 9, strict, WallClock).unwrap();
    assert!(!Arc::ptr_eq(&fresh, &a), "node 9 is free again after the re-key");
    // Dropping every handle frees the node.
    drop((a, b));
    let again = registry::acquire(layout, 11, strict, WallClock).unwrap();
    assert_eq!(again.node(), 11);
}
