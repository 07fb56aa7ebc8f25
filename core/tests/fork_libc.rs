//! A child of a plain libc `fork()` — no hook called, as from a C extension
//! or uWSGI's prefork master — never repeats its parent's IDs: the core's own
//! fork handler moves the fork generation, so the thread CSPRNG, the v7
//! sequence and ObjectId's process bytes start afresh, nodes the parent held
//! are refused, and the ticker clock runs again. In a binary of its own (one
//! test): the fork copies this process, and the generation moves for good.
#![cfg(all(unix, feature = "std", feature = "getrandom"))]

use idloom::process::{fork_generation, object_id_at, uuid_v4, uuid_v7_at, with_thread_rng};
use idloom::{nanoid, registry, Clock, ErrorCode, Layout, Policy, TickerClock};
use std::io::{Read, Write};
use std::os::fd::FromRawFd;

#[path = "support/pinned.rs"]
mod pinned;
use pinned::{pinned, T0};

/// What a process draws next from every per-process generator, as text.
fn draws(at_ms: u64) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..5 {
        out.push(uuid_v4().unwrap().to_string());
        out.push(uuid_v7_at(at_ms).unwrap().to_string());
        out.push(format!("{:?}", object_id_at(at_ms).unwrap().as_bytes()));
        out.push(with_thread_rng(nanoid::nanoid).unwrap());
    }
    out
}

#[test]
fn a_child_of_a_libc_fork_repeats_nothing_of_its_parent() {
    assert!(idloom::fork::watching(), "the core registers its fork handler under std on unix");
    let layout = Layout::new(41, 10, 12, T0 - 3_000, 1).unwrap();
    let clock = pinned();
    let held = registry::acquire(layout, 5, Policy::default(), clock).unwrap();
    held.next_id().unwrap();
    let ticker = TickerClock::global();
    let at = T0 + 10;
    draws(at); // every generator has state the child inherits
    let before = fork_generation();

    let mut fds = [0; 2];
    // SAFETY: `pipe` writes two descriptors into the array it is given.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the child only runs this test's code and leaves with `_exit`
    // (no destructor or atexit handler of the parent's runs twice).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // Whatever happens, the child leaves with `_exit` (a panic must not
        // unwind into a copy of the test harness).
        let report = std::panic::catch_unwind(|| {
            let refused = match registry::acquire(layout, 5, Policy::default(), clock) {
                Ok(_) => "acquired".to_string(),
                Err(e) => e.code().as_str().to_string(),
            };
            let t0 = ticker.now_ms();
            std::thread::sleep(std::time::Duration::from_millis(30));
            serde_json::json!({
                "generation": fork_generation(),
                "draws": draws(at),
                "refused": refused,
                "ticker_moved_ms": ticker.now_ms().saturating_sub(t0),
            })
            .to_string()
        });
        // SAFETY: the write end, owned here alone.
        let mut w = unsafe { std::fs::File::from_raw_fd(fds[1]) };
        let ok = report.as_ref().is_ok_and(|text| w.write_all(text.as_bytes()).is_ok());
        drop(w);
        // SAFETY: ends the child at once, as a forked child of a test harness must.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    // SAFETY: the parent's copy of the write end, closed so that the read sees EOF.
    unsafe { libc::close(fds[1]) };
    // SAFETY: the read end, owned here alone.
    let mut r = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    let mut text = String::new();
    r.read_to_string(&mut text).unwrap();
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child failed: {text}");
    let child: serde_json::Value = serde_json::from_str(&text).unwrap();

    assert_ne!(child["generation"].as_u64().unwrap(), before, "the child's fork generation moved");
    assert_eq!(fork_generation(), before, "the parent's did not");
    let parent = draws(at);
    let child_draws: Vec<String> = serde_json::from_value(child["draws"].clone()).unwrap();
    let same: Vec<_> = child_draws.iter().filter(|d| parent.contains(d)).collect();
    assert!(same.is_empty(), "the child drew what the parent drew: {same:?}");
    assert_eq!(child["refused"], ErrorCode::Forked.as_str(), "a node the parent holds");
    assert!(
        child["ticker_moved_ms"].as_u64().unwrap() >= 10,
        "the child's ticker clock runs: {}",
        child["ticker_moved_ms"]
    );
    held.next_id().unwrap(); // the parent goes on
}
