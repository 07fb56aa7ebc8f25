//! After a fork every node an ancestor process held is refused, in a binary
//! of its own: it bumps the process-wide fork generation, which would refuse
//! the nodes of any test running beside it.

use idloom::{registry, ErrorCode, Layout, Policy};

#[path = "support/pinned.rs"]
mod pinned;
use pinned::{pinned, T0};

#[test]
fn after_fork_every_node_an_ancestor_held_is_refused() {
    let layout = Layout::new(41, 10, 12, T0 - 3_000, 1).unwrap();
    let clock = pinned();
    let live = registry::acquire(layout, 5, Policy::default(), clock).unwrap();
    live.next_id().unwrap();
    let gone = registry::acquire(layout, 6, Policy::default(), clock).unwrap();
    drop(gone);
    idloom::fork::bump(); // as after_fork_in_child does in the child
    for node in [5, 6] {
        let e = registry::acquire(layout, node, Policy::default(), clock).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forked, "node {node}");
        assert!(e.to_string().contains("parent"), "{e}");
    }
    // The inherited generator may not stay on its node, nor move onto another inherited one.
    assert_eq!(registry::rekey(&live, 5).unwrap_err().code(), ErrorCode::Forked);
    assert_eq!(registry::rekey(&live, 6).unwrap_err().code(), ErrorCode::Forked);
    // A node no ancestor held mints, by re-key or by a new generator.
    registry::rekey(&live, 7).unwrap();
    assert_eq!(layout.decompose(live.next_id().unwrap()).unwrap().node, 7);
    let fresh = registry::acquire(layout, 8, Policy::default(), clock).unwrap();
    assert_eq!(layout.decompose(fresh.next_id().unwrap()).unwrap().node, 8);
    // And what the child holds, the child shares.
    let same = registry::acquire(layout, 7, Policy::default(), clock).unwrap();
    assert!(std::sync::Arc::ptr_eq(&same, &live));
}
