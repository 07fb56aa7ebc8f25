//! Restarts without a store: the state file is written ahead and survives a
//! SIGKILL; host-local slots are exclusive and freed by the kernel when the
//! holder dies.

#![cfg(feature = "std")]

use idloom::state::{Slot, StateFile};
use idloom::{Clock, ErrorCode, Generator, Layout, Next, Policy, SystemClock};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Tests here that spawn processes and tests that check a dropped lock is free
/// take turns: a child forked by another test thread holds a copy of every
/// open lock file until its `exec` closes it (O_CLOEXEC), which for that
/// moment keeps a dropped slot locked (seen once on a loaded CI machine).
static SPAWN_OR_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SPAWN_OR_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("idloom-{tag}-{}-{}", std::process::id(), SystemClock.now_ms()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_state_file_round_trips_and_refuses_what_it_cannot_read() {
    let dir = temp_dir("state");
    let (mut f, start) = StateFile::open(&dir, "orders", 3).unwrap();
    assert_eq!(start, 0, "first run");
    f.advance(5_000).unwrap();
    f.advance(4_000).unwrap(); // never back
    assert_eq!(f.fence_ms(), 5_000);
    let (_, start) = StateFile::open(&dir, "orders", 3).unwrap();
    assert_eq!(start, 5_000, "a restart starts at the fence written");
    let (_, other) = StateFile::open(&dir, "orders", 4).unwrap();
    assert_eq!(other, 0, "one file per node");
    std::fs::write(dir.join("orders.node-3.state"), "garbage").unwrap();
    assert_eq!(StateFile::open(&dir, "orders", 3).unwrap_err().code(), ErrorCode::StoreSchema);
    std::fs::write(
        dir.join("orders.node-3.state"),
        "idloom-state 1\nnamespace=orders\nnode=9\nfence_ms=1\n",
    )
    .unwrap();
    assert_eq!(StateFile::open(&dir, "orders", 3).unwrap_err().code(), ErrorCode::StoreSchema);
    for bad in ["", "../x", ".hidden", "a/b", &"x".repeat(65)] {
        assert_eq!(
            StateFile::open(&dir, bad, 1).unwrap_err().code(),
            ErrorCode::InvalidArgument,
            "{bad:?}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Mint under a state file until killed (run by the next test in a child process).
#[test]
#[ignore = "helper: the child process of state_file_survives_sigkill"]
fn state_helper_process() {
    let Ok(dir) = std::env::var("IDLOOM_STATE_DIR") else { return };
    let (mut file, start) = StateFile::open(std::path::Path::new(&dir), "kill", 1).unwrap();
    let mut gen = Generator::new(Layout::TWITTER, 1, Policy::default()).unwrap();
    let out = std::io::stdout();
    let mut out = out.lock();
    let lead = 50;
    file.advance(SystemClock.now_ms().max(start) + lead).unwrap();
    gen.set_lease(start, file.fence_ms(), 0);
    loop {
        let now = SystemClock.now_ms();
        if now + lead / 2 >= file.fence_ms() {
            file.advance(now + lead).unwrap(); // written ahead, then used
            gen.extend_fence(file.fence_ms());
        }
        match gen.next_at(now) {
            Ok(Next::Id(id)) => writeln!(out, "{id}").unwrap(),
            Ok(Next::RetryAt(_)) | Err(_) => {}
        }
    }
}

#[test]
fn state_file_survives_sigkill() {
    let _serial = serial();
    let dir = temp_dir("kill");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "state_helper_process", "--ignored", "--nocapture", "--test-threads=1"])
        .env("IDLOOM_STATE_DIR", &dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut before: Vec<u64> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while before.len() < 50_000 && Instant::now() < deadline {
        match lines.next() {
            Some(Ok(l)) => {
                if let Ok(id) = l.trim().parse() {
                    before.push(id);
                }
            }
            _ => break,
        }
    }
    child.kill().unwrap(); // SIGKILL: no cleanup, no last write
    child.wait().unwrap();
    before.extend(lines.map_while(Result::ok).filter_map(|l| l.trim().parse::<u64>().ok()));
    assert!(before.len() >= 50_000, "the helper minted {} IDs", before.len());
    // Restart on the same node: starts at the fence the killed run wrote.
    let (mut file, start) = StateFile::open(&dir, "kill", 1).unwrap();
    let last_ms = before
        .iter()
        .map(|&i| Layout::TWITTER.decompose(i).unwrap().timestamp_ms)
        .max()
        .unwrap();
    assert!(start > last_ms, "start {start} must be past the last tick used ({last_ms})");
    let mut gen = Generator::new(Layout::TWITTER, 1, Policy::default()).unwrap();
    file.advance(SystemClock.now_ms().max(start) + 1_000).unwrap();
    gen.set_lease(start, file.fence_ms(), 0);
    let max_before = *before.iter().max().unwrap();
    let mut after = Vec::new();
    let mut now = SystemClock.now_ms().max(start);
    while after.len() < 10_000 {
        match gen.next_at(now) {
            Ok(Next::Id(id)) => after.push(id),
            _ => now += 1,
        }
    }
    assert!(after.iter().all(|&id| id > max_before), "the restart never repeats the killed run");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_slot_is_held_by_one_holder_and_freed_on_drop() {
    let _serial = serial();
    let dir = temp_dir("slots");
    let a = Slot::claim(&dir, "web", 2, 8, 1023).unwrap();
    let b = Slot::claim(&dir, "web", 2, 8, 1023).unwrap();
    assert_eq!((a.index(), a.node(), b.index(), b.node()), (0, 8, 1, 9));
    assert_eq!(Slot::claim(&dir, "web", 2, 8, 1023).unwrap_err().code(), ErrorCode::NoFreeNode);
    drop(a);
    assert_eq!(Slot::claim(&dir, "web", 2, 8, 1023).unwrap().index(), 0, "free again");
    // The slot keeps its state file beside the lock.
    let (mut f, start) = b.state_file().unwrap();
    assert_eq!(start, 0);
    f.advance(777).unwrap();
    assert!(f.path().ends_with("web/slot-1.state"));
    assert_eq!(b.state_file().unwrap().1, 777);
    // Node range checks: host_base + count must fit the layout.
    assert_eq!(
        Slot::claim(&dir, "web", 4, 1021, 1023).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(Slot::claim(&dir, "web", 0, 0, 1023).unwrap_err().code(), ErrorCode::InvalidArgument);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_killed_holders_slot_is_free_at_once() {
    let _serial = serial();
    let dir = temp_dir("slotkill");
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    let lock = dir.join("jobs/slot-0.lock");
    // Another process takes slot 0 with flock(1) — the same flock(2) lock; -o:
    // only flock itself holds it (its `sleep` child does not inherit the fd).
    let mut holder = Command::new("flock")
        .args(["-n", "-o"])
        .arg(&lock)
        .args(["sleep", "20"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Slot::claim(&dir, "jobs", 1, 0, 1023) {
            Err(e) if e.code() == ErrorCode::NoFreeNode => break,
            Ok(slot) => {
                drop(slot); // the child has not taken it yet
                assert!(Instant::now() < deadline, "flock never took the slot");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    assert_eq!(Slot::claim(&dir, "jobs", 1, 0, 1023).unwrap().node(), 0, "the kernel freed it");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_file_fence_is_one_per_node_in_a_process_and_written_ahead() {
    use idloom::state::node_fence;
    use idloom::{ManualClock, SharedSnowflake};
    let dir = temp_dir("filefence");
    let layout = Layout::new(41, 10, 12, 1_000_000_000_000, 1).unwrap();
    let clock = ManualClock::new(1_700_000_000_000);
    let a = node_fence(&dir.join("a"), "orders", &layout, 5).unwrap();
    let again = node_fence(&dir.join("a"), "orders", &layout, 5).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &again), "one FileFence per file in the process");
    assert_eq!(
        node_fence(&dir.join("b"), "orders", &layout, 5).unwrap_err().code(),
        ErrorCode::NodeInUse,
        "a second file for the node would mix fences"
    );
    let gen = SharedSnowflake::new(layout, 5, Policy::default(), &clock).unwrap();
    assert!(a.advance(&gen, 100, true).unwrap());
    let on_disk = std::fs::read_to_string(a.path()).unwrap();
    assert!(on_disk.contains("fence_ms=1700000000100"), "{on_disk}");
    assert_eq!(gen.fence_ms(), Some(1_700_000_000_100));
    assert!(!a.advance(&gen, 100, false).unwrap(), "the clock has not moved: the fence stays");
    clock.set(1_700_000_000_090);
    assert!(a.advance(&gen, 100, false).unwrap());
    assert_eq!(gen.fence_ms(), Some(1_700_000_000_190));
    drop((a, again));
    // Dropped everywhere: the node may keep its fence in another file now.
    assert!(node_fence(&dir.join("b"), "orders", &layout, 5).is_ok());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_slots_generator_keeps_the_slot_after_the_slot_value_is_dropped() {
    let _serial = serial();
    let dir = temp_dir("slotkeep");
    let layout = Layout::TWITTER;
    let slot = Slot::claim(&dir, "keep", 1, 0, 1023).unwrap();
    let fence = slot.fence(&layout).unwrap();
    drop(slot); // the user let go of the Slot, but a generator still mints on node 0
    assert_eq!(
        Slot::claim(&dir, "keep", 1, 0, 1023).unwrap_err().code(),
        ErrorCode::NoFreeNode,
        "the node stays held while its fence (its generator) lives"
    );
    drop(fence);
    assert_eq!(
        Slot::claim(&dir, "keep", 1, 0, 1023).unwrap().node(),
        0,
        "free once nothing mints on it"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn statefulset_ordinals_are_read_strictly_from_the_pods_name() {
    use idloom::state::statefulset_base;
    assert_eq!(statefulset_base(Some("web-3"), 0, 1, 1023).unwrap(), 3);
    assert_eq!(statefulset_base(Some("web-0"), 0, 1, 1023).unwrap(), 0);
    assert_eq!(
        statefulset_base(Some("orders-api-12"), 100, 4, 1023).unwrap(),
        148,
        "base + ordinal × slots"
    );
    assert_eq!(
        statefulset_base(Some("web-255"), 0, 4, 1023).unwrap(),
        1020,
        "the pod's last node is 1023"
    );
    for bad in [
        "web",
        "web-",
        "-3",
        "web-03",
        "web-3a",
        "web-x",
        "web-+3",
        "web-3 ",
        "",
        "web-99999999999999999999",
    ] {
        let e = statefulset_base(Some(bad), 0, 1, 1023).unwrap_err();
        assert_eq!(
            (e.code(), e.param()),
            (ErrorCode::InvalidArgument, Some("hostname")),
            "{bad:?}: {e}"
        );
        assert!(e.to_string().contains("-ORDINAL"), "{e}");
    }
    let long = format!("{}-1", "a".repeat(252));
    let e = statefulset_base(Some(&long), 0, 1, 1023).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, Some("hostname")), "{e}");
    assert!(e.to_string().contains("253"), "{e}");
    let e = statefulset_base(Some("web-256"), 0, 4, 1023).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::NodeOutOfRange, Some("node")), "{e}");
    assert!(
        e.to_string().contains("1027") && e.to_string().contains("1023"),
        "names the node and the range: {e}"
    );
    let e = statefulset_base(Some("web-1"), 1024, 1, 1023).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::NodeOutOfRange, Some("base")), "{e}");
    let e = statefulset_base(Some("web-1"), 0, 0, 1023).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, Some("slots")), "{e}");
    let e = statefulset_base(Some(&format!("web-{}", u64::MAX)), 0, 2, 1023).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NodeOutOfRange, "no overflow: {e}");
}

/// Print the StatefulSet base read from `$HOSTNAME` (run by the next test in a child process).
#[test]
#[ignore = "helper: the child process of statefulset_reads_hostname_from_the_environment"]
fn statefulset_env_helper() {
    match idloom::state::statefulset_base(None, 10, 1, 1023) {
        Ok(base) => println!("base={base}"),
        Err(e) => println!("error={} {}", e.code(), e),
    }
}

#[test]
fn statefulset_reads_hostname_from_the_environment() {
    let run = |hostname: Option<&str>| {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", "statefulset_env_helper", "--ignored", "--nocapture", "--test-threads=1"]);
        match hostname {
            Some(h) => cmd.env("HOSTNAME", h),
            None => cmd.env_remove("HOSTNAME"),
        };
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert!(run(Some("ids-7")).contains("base=17"));
    let missing = run(None);
    assert!(
        missing.contains("error=invalid_argument") && missing.contains("$HOSTNAME is not set"),
        "{missing}"
    );
}

#[test]
fn a_statefulset_pod_restarted_with_its_clock_set_back_starts_above_its_predecessor() {
    use idloom::{ManualClock, SharedSnowflake};
    let _serial = serial();
    let dir = temp_dir("statefulset");
    let layout = Layout::TWITTER;
    let clock = ManualClock::new(1_700_000_000_000);
    let mut before = Vec::new();
    {
        // Pod web-2's process: node 2, its fence on the pod's volume.
        let slot = Slot::statefulset(&dir, "orders", Some("web-2"), 0, 1, layout.max_node()).unwrap();
        assert_eq!(slot.node(), 2);
        assert_eq!(
            Slot::statefulset(&dir, "orders", Some("web-2"), 0, 1, layout.max_node())
                .unwrap_err()
                .code(),
            ErrorCode::NoFreeNode,
            "a second process in the pod never shares the node"
        );
        let fence = slot.fence(&layout).unwrap();
        let gen = SharedSnowflake::new(layout, slot.node(), Policy::default(), &clock).unwrap();
        fence.advance(&gen, 200, true).unwrap();
        for _ in 0..5 {
            for _ in 0..100 {
                match gen.try_next_id().unwrap() {
                    Next::Id(id) => before.push(id),
                    Next::RetryAt(t) => panic!("4,096 IDs per ms: no wait for 100 (retry at {t})"),
                }
            }
            clock.advance(100);
            fence.advance(&gen, 200, false).unwrap();
        }
    } // the pod is deleted: its lock goes, its volume (the state file) stays
      // The pod comes back (same ordinal, same volume) on a machine whose clock is 500 ms
      // behind the last tick its predecessor used: without the state file it would mint them again.
    clock.set(1_700_000_000_000);
    let slot = Slot::statefulset(&dir, "orders", Some("web-2"), 0, 1, layout.max_node()).unwrap();
    let fence = slot.fence(&layout).unwrap();
    let gen = SharedSnowflake::new(layout, slot.node(), Policy::default(), &clock).unwrap();
    fence.advance(&gen, 200, true).unwrap();
    let max_before = *before.iter().max().unwrap();
    let mut after = Vec::new();
    while after.len() < 500 {
        match gen.try_next_id().unwrap() {
            Next::Id(id) => after.push(id),
            Next::RetryAt(t) => {
                // The generator waits for its start (the clock is behind it): time passes.
                clock.set(t.max(clock.now_ms() + 1));
                fence.advance(&gen, 200, false).unwrap();
            }
        }
    }
    assert!(
        after.iter().all(|&id| id > max_before),
        "the restarted pod never repeats its predecessor"
    );
    std::fs::remove_dir_all(dir).ok();
}
