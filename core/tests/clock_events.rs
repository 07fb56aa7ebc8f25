//! Clock events from the generators' slow paths, on a fake clock: a step
//! back absorbed, waited out or refused, borrowing started and ended —
//! counted per generator (`stats()`) and handed to its observer once per
//! episode, with the core's messages; the hot path reports nothing.

#[path = "support/policy.rs"]
mod support;

use idloom::events::{Event, Kind};
use idloom::snowflake::ClockStats;
use idloom::{Generator, Layout, ManualClock, Next, OnBackwards, OnExhausted, SharedSnowflake, Snowflake};
use std::cell::RefCell;
use support::{policy, T0};

thread_local!(static HEARD: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) });

/// The observer: every event's message, on this (the minting) thread.
fn hear(e: &Event<'_>) {
    HEARD.with(|h| h.borrow_mut().push(e.message().to_string()));
}

fn heard() -> Vec<String> {
    HEARD.with(|h| h.borrow_mut().drain(..).collect())
}

/// Four IDs a tick: a sequence used up in a few calls.
fn small() -> Layout {
    Layout::new(41, 10, 2, 0, 1).unwrap()
}

fn generator(on_backwards: OnBackwards, on_exhausted: OnExhausted) -> Generator {
    let mut g = Generator::new(small(), 5, policy(on_backwards, on_exhausted)).unwrap();
    g.observe(Some(hear));
    heard();
    g
}

fn id(n: Next) -> u64 {
    match n {
        Next::Id(id) => id,
        Next::RetryAt(at) => panic!("a retry at {at}, not an ID"),
    }
}

#[test]
fn a_step_back_absorbed_is_reported_once_per_episode() {
    let mut g = generator(OnBackwards::Logical { max_lead_ms: 1000 }, OnExhausted::Wait);
    id(g.next_at(T0 + 100).unwrap());
    id(g.next_at(T0 + 100).unwrap()); // the hot path: nothing
    assert_eq!(heard(), Vec::<String>::new());
    id(g.next_at(T0 + 88).unwrap());
    id(g.next_at(T0 + 90).unwrap()); // the same episode
    assert_eq!(heard(), ["clock_stepped_back node=5 amount=12 detail=absorbed"]);
    id(g.next_at(T0 + 101).unwrap()); // caught up: the episode closes silently
    id(g.next_at(T0 + 99).unwrap());
    assert_eq!(heard(), ["clock_stepped_back node=5 amount=2 detail=absorbed"]);
    assert_eq!(
        g.stats(),
        ClockStats {
            absorbed: 2,
            ..ClockStats::default()
        }
    );
    assert_eq!(g.stats().counters().get(Kind::ClockSteppedBack), 2);
}

#[test]
fn a_step_back_waited_out_and_refused() {
    let mut g = generator(OnBackwards::Wait { max_ms: 50 }, OnExhausted::Wait);
    id(g.next_at(T0 + 100).unwrap());
    assert_eq!(g.next_at(T0 + 70).unwrap(), Next::RetryAt(T0 + 100));
    assert_eq!(g.next_at(T0 + 80).unwrap(), Next::RetryAt(T0 + 100));
    assert_eq!(heard(), ["clock_stepped_back node=5 amount=30 detail=waited"]);
    // The step grows past the wait: refused, reported once more.
    assert!(g.next_at(T0 + 10).is_err());
    assert!(g.next_at(T0 + 20).is_err());
    assert_eq!(heard(), ["clock_stepped_back node=5 amount=90 detail=refused"]);
    let s = g.stats();
    assert_eq!((s.waited, s.refused, s.absorbed), (1, 1, 0));
}

#[test]
fn borrowing_starts_and_ends() {
    let mut g = generator(OnBackwards::Fail, OnExhausted::Borrow { max_lead_ms: 10 });
    for _ in 0..4 {
        id(g.next_at(T0 + 100).unwrap());
    }
    assert_eq!(heard(), Vec::<String>::new());
    for _ in 0..8 {
        id(g.next_at(T0 + 100).unwrap()); // two ticks borrowed: one start, no step back
    }
    assert_eq!(heard(), ["borrowing_started node=5 amount=1"]);
    id(g.next_at(T0 + 101).unwrap()); // the clock in a borrowed tick: still borrowing
    assert_eq!(heard(), Vec::<String>::new());
    id(g.next_at(T0 + 104).unwrap()); // past the last borrowed tick
    assert_eq!(heard(), ["borrowing_ended node=5"]);
    assert_eq!(
        g.stats(),
        ClockStats {
            borrowing_started: 1,
            borrowing_ended: 1,
            ..ClockStats::default()
        }
    );
}

#[test]
fn the_clocked_and_the_shared_generators_report_the_same() {
    let clock = ManualClock::new(T0 + 100);
    let p = policy(OnBackwards::Logical { max_lead_ms: 1000 }, OnExhausted::Borrow { max_lead_ms: 10 });
    let mut sf = Snowflake::new(small(), 5, p, &clock).unwrap();
    sf.observe(Some(hear));
    let shared = SharedSnowflake::new(small(), 5, p, &clock).unwrap().with_observer(hear);
    heard();
    for _ in 0..5 {
        sf.next_id().unwrap();
        shared.next_id().unwrap();
    }
    clock.set(T0 + 200);
    sf.next_id().unwrap();
    shared.next_id().unwrap();
    clock.set(T0 + 150);
    sf.next_id().unwrap();
    shared.next_id().unwrap();
    let one = [
        "borrowing_started node=5 amount=1",
        "borrowing_ended node=5",
        "clock_stepped_back node=5 amount=50 detail=absorbed",
    ];
    let got = heard();
    let (a, b): (Vec<_>, Vec<_>) = got.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let a: Vec<&str> = a.into_iter().map(|(_, m)| m.as_str()).collect();
    let b: Vec<&str> = b.into_iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(a, one);
    assert_eq!(b, one);
    assert_eq!(sf.stats(), shared.stats());
    assert_eq!(shared.stats().counters().get(Kind::BorrowingEnded), 1);
}

#[test]
fn without_an_observer_events_are_counted_only() {
    let mut g = Generator::new(small(), 5, policy(OnBackwards::Fail, OnExhausted::Wait)).unwrap();
    id(g.next_at(T0 + 100).unwrap());
    assert!(g.next_at(T0 + 99).is_err());
    assert_eq!(g.stats().refused, 1);
    assert!(heard().is_empty());
}
