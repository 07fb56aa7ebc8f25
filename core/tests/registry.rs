//! The node registry's memory: a node dropped and acquired again continues
//! above its last ID (the fork half is in `registry_fork.rs`, a binary of its
//! own because it bumps the process-wide fork generation).

use idloom::{registry, Layout, OnBackwards, OnExhausted, Policy, SequenceStart};

#[path = "support/pinned.rs"]
mod pinned;
use pinned::{pinned, T0};

fn strict() -> Policy {
    Policy {
        on_backwards: OnBackwards::Fail,
        on_exhausted: OnExhausted::Fail,
        sequence_start: SequenceStart::Reset,
    }
}

#[test]
fn a_node_acquired_again_continues_above_its_last_id() {
    let layout = Layout::new(41, 10, 12, T0 - 1_000, 1).unwrap();
    let clock = pinned();
    let first = registry::acquire(layout, 3, Policy::default(), clock).unwrap();
    let before: Vec<u64> = (0..5).map(|_| first.next_id().unwrap()).collect();
    drop(first);
    // Same tick, fresh generator: it must not start again at sequence 0.
    let second = registry::acquire(layout, 3, Policy::default(), clock).unwrap();
    assert!(second.next_id().unwrap() > *before.last().unwrap());
    drop(second);
    // Even under another policy: it continues (or refuses), it never repeats.
    let third = registry::acquire(layout, 3, strict(), clock).unwrap();
    let next = third.next_id().unwrap();
    assert_eq!(layout.decompose(next).unwrap().sequence, 6);
}

#[test]
fn rekey_carries_each_nodes_history() {
    let layout = Layout::new(41, 10, 12, T0 - 2_000, 1).unwrap();
    let clock = pinned();
    let a = registry::acquire(layout, 1, Policy::default(), clock).unwrap();
    let on_one: Vec<u64> = (0..3).map(|_| a.next_id().unwrap()).collect();
    let b = registry::acquire(layout, 2, Policy::default(), clock).unwrap();
    let on_two: Vec<u64> = (0..10).map(|_| b.next_id().unwrap()).collect();
    drop(b);
    // a moves onto node 2, whose dead generator reached sequence 9: a starts above it.
    registry::rekey(&a, 2).unwrap();
    let moved = a.next_id().unwrap();
    assert!(moved > *on_two.last().unwrap());
    // node 1 remembers where a stopped on it.
    let again = registry::acquire(layout, 1, Policy::default(), clock).unwrap();
    let parts = layout.decompose(again.next_id().unwrap()).unwrap();
    assert!(parts.sequence > layout.decompose(*on_one.last().unwrap()).unwrap().sequence);
    drop(again);
    // a drops on node 2: node 2 remembers a's last ID, not node 1's.
    drop(a);
    let c = registry::acquire(layout, 2, Policy::default(), clock).unwrap();
    assert!(c.next_id().unwrap() > moved);
}
