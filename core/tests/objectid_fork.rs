//! ObjectIds of the process generator, in a binary of their own: the test
//! bumps the process-wide fork generation, which would re-draw the bytes of
//! any test running beside it.

#![cfg(feature = "getrandom")]

use idloom::process::after_fork_in_child;

#[test]
fn object_ids_count_up_within_a_process_and_draw_new_bytes_after_a_fork() {
    use idloom::process::object_id_at;
    let a = object_id_at(1_700_000_000_123).unwrap();
    let b = object_id_at(1_700_000_000_999).unwrap();
    assert_eq!(a.seconds(), 1_700_000_000);
    assert_eq!(a.process(), b.process(), "5 random bytes per process");
    assert_eq!(b.counter(), (a.counter() + 1) & idloom::objectid::COUNTER_MASK);
    after_fork_in_child();
    let c = object_id_at(1_700_000_001_000).unwrap();
    assert_ne!(c.process(), a.process(), "a forked child draws its own bytes");
}
