//! The node registry's memory: a node dropped and acquired again continues
//! above its last ID (the fork half is in `registry_fork.rs`, a binary of its
//! own because it bumps the process-wide fork generation).

use idloom::{registry, Layout, OnBackwards, OnExhausted, Policy, SequenceStart, SharedSnowflake};
use std::sync::Arc;

#[path = "support/pinned.rs"]
mod pinned;
use pinned::{pinned, Pinned, T0};

fn strict() -> Policy {
    Policy {
        on_backwards: OnBackwards::Fail,
        on_exhausted: OnExhausted::Fail,
        sequence_start: SequenceStart::Reset,
    }
}

/// `node` acquired under the default policy, and the `n` IDs it drew first.
fn acquire_and_draw(layout: Layout, node: u64, n: usize, clock: Pinned) -> (Arc<SharedSnowflake<Pinned>>, Vec<u64>) {
    let generator = registry::acquire(layout, node, Policy::default(), clock).unwrap();
    let ids = (0..n).map(|_| generator.next_id().unwrap()).collect();
    (generator, ids)
}

#[test]
fn a_node_acquired_again_continues_above_its_last_id() {
    let layout = Layout::new(41, 10, 12, T0 - 1_000, 1).unwrap();
    let clock = pinned();
    let (first, before) = acquire_and_draw(layout, 3, 5, clock);
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
    let (a, on_one) = acquire_and_draw(layout, 1, 3, clock);
    let (b, on_two) = acquire_and_draw(layout, 2, 10, clock);
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
