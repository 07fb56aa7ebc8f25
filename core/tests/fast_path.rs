//! The fast paths (`Generator::next_at` / `Snowflake::next_id` and
//! `SharedSnowflake::next_id` / `try_next_id`) may answer only what every rule would: each
//! test first mints a few IDs in one tick, so the next call is a fast-path
//! step, then makes that step one where a rule must speak — the fence is
//! crossed or lowered, the clock steps back, the sequence runs out — and
//! checks the rule's answer. A property test replays random scripts on the
//! fast paths and on `SharedSnowflake::next_at` (the rules alone, no fast
//! path) and wants the same answers.

use idloom::{
    ErrorCode, Generator, Layout, ManualClock, Next, OnBackwards, OnExhausted, Policy, SequenceStart, SharedSnowflake, Snowflake,
};
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

fn layout() -> Layout {
    Layout::new(41, 10, 12, T0 - 10_000, 1).unwrap()
}

/// 2 sequence bits: 4 IDs per tick.
fn tiny() -> Layout {
    Layout::new(41, 10, 2, T0 - 10_000, 1).unwrap()
}

#[test]
fn the_clock_crossing_the_fence_on_a_fast_step_is_lease_expired() {
    let mut g = Generator::new(layout(), 1, Policy::default()).unwrap();
    g.set_lease(T0, T0 + 100, 3);
    for _ in 0..5 {
        id(g.next_at(T0 + 99).unwrap()); // the last tick below the fence, fast from the 2nd on
    }
    assert_eq!(g.next_at(T0 + 100).unwrap_err().code(), ErrorCode::LeaseExpired);

    let clock = ManualClock::new(T0 + 99);
    let s = SharedSnowflake::new(layout(), 2, Policy::default(), &clock).unwrap();
    s.set_lease(T0, T0 + 100, 3);
    for _ in 0..5 {
        s.next_id().unwrap();
    }
    clock.set(T0 + 100);
    assert_eq!(s.next_id().unwrap_err().code(), ErrorCode::LeaseExpired);
    assert_eq!(s.next_id_within(0).unwrap_err().code(), ErrorCode::LeaseExpired);
}

#[test]
fn a_fence_lowered_under_the_current_tick_stops_the_next_fast_step() {
    // A new lease whose fence is the tick being minted in: the tick is no longer usable.
    let mut g = Generator::new(layout(), 1, Policy::default()).unwrap();
    for _ in 0..5 {
        id(g.next_at(T0 + 5).unwrap());
    }
    g.set_lease(0, T0 + 5, 9);
    assert_eq!(g.next_at(T0 + 5).unwrap_err().code(), ErrorCode::LeaseExpired);

    let clock = ManualClock::new(T0 + 5);
    let s = SharedSnowflake::new(layout(), 2, Policy::default(), &clock).unwrap();
    for _ in 0..5 {
        s.next_id().unwrap();
    }
    s.set_lease(0, T0 + 5, 9);
    assert_eq!(s.next_id().unwrap_err().code(), ErrorCode::LeaseExpired);

    // A clean stop: from the call on, every ID is lease_lost.
    let s = SharedSnowflake::new(layout(), 3, Policy::default(), &clock).unwrap();
    for _ in 0..5 {
        s.next_id().unwrap();
    }
    assert_eq!(s.stop_lease(), Some(T0 + 6));
    assert_eq!(s.next_id().unwrap_err().code(), ErrorCode::LeaseLost);
}

#[test]
fn a_lost_lease_keeps_the_ticks_below_its_fence_on_the_fast_path_too() {
    let mut g = Generator::new(layout(), 1, Policy::default()).unwrap();
    g.set_lease(T0, T0 + 100, 3);
    let a = id(g.next_at(T0 + 50).unwrap());
    g.lose_lease();
    let b = id(g.next_at(T0 + 50).unwrap());
    assert!(b > a);
    assert_eq!(g.next_at(T0 + 100).unwrap_err().code(), ErrorCode::LeaseLost);
}

#[test]
fn a_step_back_on_a_fast_step_meets_the_backwards_policy() {
    // Fail: refused, even one millisecond back.
    let mut g = Generator::new(layout(), 1, policy(OnBackwards::Fail, OnExhausted::Wait)).unwrap();
    for _ in 0..5 {
        id(g.next_at(T0 + 5).unwrap());
    }
    assert_eq!(g.next_at(T0 + 4).unwrap_err().code(), ErrorCode::ClockMovedBackwards);
    assert_eq!(g.stats().refused, 1);

    // Logical: issued on from the last tick, and the step back is counted.
    let mut g = Generator::new(layout(), 1, Policy::default()).unwrap();
    let first = id(g.next_at(T0 + 5).unwrap());
    id(g.next_at(T0 + 5).unwrap());
    let back = id(g.next_at(T0 + 4).unwrap());
    assert_eq!(layout().decompose(back).unwrap().timestamp_ms, T0 + 5);
    assert!(back > first);
    assert_eq!(g.stats().absorbed, 1);

    let clock = ManualClock::new(T0 + 5);
    let s = SharedSnowflake::new(layout(), 2, policy(OnBackwards::Fail, OnExhausted::Wait), &clock).unwrap();
    for _ in 0..5 {
        s.next_id().unwrap();
    }
    clock.set(T0 + 4);
    assert_eq!(s.next_id().unwrap_err().code(), ErrorCode::ClockMovedBackwards);
    assert_eq!(s.stats().refused, 1);
    let s = SharedSnowflake::new(layout(), 3, Policy::default(), &clock).unwrap();
    clock.set(T0 + 5);
    s.next_id().unwrap();
    s.next_id().unwrap();
    clock.set(T0 + 4);
    s.next_id().unwrap();
    assert_eq!(s.stats().absorbed, 1);
}

#[test]
fn the_last_sequence_of_a_tick_leaves_the_fast_path_to_the_exhausted_policy() {
    let mut g = Generator::new(tiny(), 1, policy(OnBackwards::Fail, OnExhausted::Fail)).unwrap();
    for _ in 0..4 {
        id(g.next_at(T0).unwrap());
    }
    assert_eq!(g.next_at(T0).unwrap_err().code(), ErrorCode::SequenceExhausted);
    let mut g = Generator::new(tiny(), 1, policy(OnBackwards::Fail, OnExhausted::Wait)).unwrap();
    for _ in 0..4 {
        id(g.next_at(T0).unwrap());
    }
    assert_eq!(g.next_at(T0).unwrap(), Next::RetryAt(T0 + 1));
    let mut g = Generator::new(tiny(), 1, policy(OnBackwards::Fail, OnExhausted::Borrow { max_lead_ms: 10 })).unwrap();
    for _ in 0..4 {
        id(g.next_at(T0).unwrap());
    }
    let borrowed = id(g.next_at(T0).unwrap());
    assert_eq!(tiny().decompose(borrowed).unwrap().timestamp_ms, T0 + 1);
    assert_eq!(g.stats().borrowing_started, 1);

    let clock = ManualClock::new(T0);
    let s = SharedSnowflake::new(tiny(), 2, policy(OnBackwards::Fail, OnExhausted::Fail), &clock).unwrap();
    for _ in 0..4 {
        s.next_id().unwrap();
    }
    assert_eq!(s.next_id().unwrap_err().code(), ErrorCode::SequenceExhausted);
    let s = SharedSnowflake::new(tiny(), 3, policy(OnBackwards::Fail, OnExhausted::Wait), &clock).unwrap();
    for _ in 0..4 {
        s.next_id().unwrap();
    }
    assert_eq!(s.next_id_within(0).unwrap_err().code(), ErrorCode::WouldBlock);
}

#[test]
fn a_rekeyed_generator_mints_for_its_new_node_from_the_next_id() {
    let clock = ManualClock::new(T0);
    let mut g = Snowflake::new(layout(), 1, Policy::default(), &clock).unwrap();
    g.next_id().unwrap();
    g.set_node(7).unwrap();
    assert_eq!(layout().decompose(g.next_id().unwrap()).unwrap().node, 7);
    let s = SharedSnowflake::new(layout(), 1, Policy::default(), &clock).unwrap();
    s.next_id().unwrap();
    s.set_node(7).unwrap();
    assert_eq!(layout().decompose(s.next_id().unwrap()).unwrap().node, 7);
}

/// One step of a script: the clock moves by `delta` ms, then one of
/// mint / set a lease / extend it / lose it.
#[derive(Debug, Clone)]
enum Op {
    Mint(i64),
    Lease(u64, u64),
    Extend(u64),
    Lose,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (-3i64..=3).prop_map(Op::Mint),
        1 => (0u64..20, 0u64..40).prop_map(|(s, f)| Op::Lease(s, f)),
        1 => (0u64..60).prop_map(Op::Extend),
        1 => Just(Op::Lose),
    ]
}

fn answer(r: idloom::Result<Next>) -> Result<Next, ErrorCode> {
    r.map_err(|e| e.code())
}

proptest! {
    #[test]
    fn the_fast_paths_answer_what_the_rules_answer(
        ops in proptest::collection::vec(op(), 1..200),
        exhausted in 0usize..3,
        backwards in 0usize..3,
        continuous in any::<bool>(),
    ) {
        let p = Policy {
            on_backwards: [OnBackwards::Fail, OnBackwards::Wait { max_ms: 5 }, OnBackwards::Logical { max_lead_ms: 4 }][backwards],
            on_exhausted: [OnExhausted::Fail, OnExhausted::Wait, OnExhausted::Borrow { max_lead_ms: 3 }][exhausted],
            sequence_start: if continuous { SequenceStart::Continuous } else { SequenceStart::Reset },
        };
        let clock = ManualClock::new(T0);
        let mut single = Generator::new(tiny(), 1, p).unwrap();
        let shared = SharedSnowflake::new(tiny(), 1, p, &clock).unwrap();
        let trying = SharedSnowflake::new(tiny(), 1, p, &clock).unwrap();
        let rules = SharedSnowflake::new(tiny(), 1, p, &clock).unwrap();
        let mut now = T0;
        for op in ops {
            match op {
                Op::Mint(delta) => {
                    now = now.saturating_add_signed(delta).max(T0 - 5_000);
                    clock.set(now);
                    let want = answer(rules.next_at(now));
                    prop_assert_eq!(answer(single.next_at(now)), want);
                    prop_assert_eq!(answer(trying.try_next_id()), want);
                    let got = shared.next_id_within(0).map_err(|e| e.code());
                    match want {
                        Ok(Next::Id(id)) => prop_assert_eq!(got, Ok(id)),
                        Ok(Next::RetryAt(_)) => prop_assert_eq!(got, Err(ErrorCode::WouldBlock)),
                        Err(code) => prop_assert_eq!(got, Err(code)),
                    }
                }
                Op::Lease(start, fence) => {
                    single.set_lease(T0 + start, T0 + fence, 1);
                    shared.set_lease(T0 + start, T0 + fence, 1);
                    trying.set_lease(T0 + start, T0 + fence, 1);
                    rules.set_lease(T0 + start, T0 + fence, 1);
                }
                Op::Extend(fence) => {
                    single.extend_fence(T0 + fence);
                    shared.extend_fence(T0 + fence);
                    trying.extend_fence(T0 + fence);
                    rules.extend_fence(T0 + fence);
                }
                Op::Lose => {
                    single.lose_lease();
                    shared.lose_lease();
                    trying.lose_lease();
                    rules.lose_lease();
                }
            }
        }
        prop_assert_eq!(single.stats(), rules.stats());
        prop_assert_eq!(shared.stats(), rules.stats());
        prop_assert_eq!(trying.stats(), rules.stats());
    }
}
