//! The scenarios on private ZooKeeper servers (Debian's `zookeeper` 3.8 on
//! Java; the test command installs it): one shared by the scenarios, and one
//! of its own for each fault (a restore from an older data dir, a server
//! that hangs). Each listens on a free port with its own data dir and is
//! killed when this test binary ends.

mod engines;
mod support;

use idloom::lease::Grant;
use idloom::ErrorCode;
use idloom_stores::zookeeper::ZkStore;
use idloom_stores::{NodeLease, Store};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::zk::{free_port, Zk};
use tokio::sync::OnceCell;

static SHARED: OnceCell<Zk> = OnceCell::const_new();

async fn store() -> ZkStore {
    SHARED.get_or_init(|| async { Zk::start(&tempdir("shared")).await }).await.store()
}

fn tempdir(what: &str) -> PathBuf {
    let d = std::env::temp_dir().join(support::unique(&format!("idloom-zk-{what}")));
    std::fs::create_dir_all(&d).unwrap();
    d
}

// The engines' shared scenarios (engines::every_engine! less the outage,
// which ends differently here: see an_outage_longer_than_a_ttl_ends_the_lease_at_its_fence).
support::scenarios!(
    segments_unique,
    lease_mint_renew_release,
    two_holders_two_nodes,
    a_failed_refill_is_reported_then_recovers,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_holders_racing_for_eight_nodes_never_share_an_epoch_and_start_above_the_fences() {
    let n = support::sixteen_holders_on_eight_nodes(&store().await).await;
    eprintln!("{n} grants to 16 holders on 8 nodes");
}

/// An outage longer than a TTL with no other writer leaves the clock znode
/// silent: once the store answers, the silence reads as a possible restore
/// and the renewal is refused (`lease_lost`) — where the SQL stores renew.
/// Meanwhile the generator stopped at its fence, and the next lease starts
/// above everything minted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_longer_than_a_ttl_ends_the_lease_at_its_fence() {
    let config = idloom_stores::LeaseConfig {
        ttl_ms: 1_500,
        max_skew_ms: 500,
    };
    let store = support::Flaky::new(store().await);
    let ns = support::unique("outage");
    store.init_namespace(&ns, support::LAYOUT, Some(1), config, true).await.unwrap();
    let lease = NodeLease::acquire(store.clone(), &ns, support::LAYOUT).await.unwrap();
    let mut ids: Vec<u64> = (0..100).map(|_| lease.next_id().unwrap()).collect();
    store.set_down(true);
    let deadline = Instant::now() + Duration::from_secs(20);
    let stopped = loop {
        assert!(Instant::now() < deadline, "the generator never stopped");
        match lease.next_id() {
            Ok(id) => ids.push(id),
            Err(e) => break e,
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    assert_eq!(stopped.code(), ErrorCode::LeaseExpired, "{stopped}");
    let fence = lease.fence_ms();
    let tick = |id: u64| support::LAYOUT.decompose(id).unwrap().timestamp_ms;
    assert!(ids.iter().all(|&id| tick(id) < fence), "nothing at or past the fence");
    support::eventually("retried renewals", 20, || lease.renewal_failures() >= 2).await;
    store.set_down(false);
    support::eventually("the refusal", 20, || !lease.status().is_active()).await;
    let idloom_stores::LeaseStatus::Lost(e) = lease.status() else {
        panic!("{:?}", lease.status())
    };
    assert_eq!(e.code(), ErrorCode::LeaseLost, "{e}");
    let next = NodeLease::acquire(store.clone(), &ns, support::LAYOUT).await.unwrap();
    assert!(next.start_ms() >= fence, "the next lease starts above the old fence");
    next.release().await.unwrap();
}

engines::faults!(
    a_refused_renewal_stops_at_the_fence => async |ns: String| {
        // Node 0's record expired behind the library's back (its text edited in place).
        let zk = SHARED.get().expect("started by store()");
        let raw = zookeeper_client::Client::connect(&format!("127.0.0.1:{}", zk.port)).await.unwrap();
        let path = format!("/idloom/{ns}/nodes/0000000000");
        let (data, stat) = raw.get_data(&path).await.unwrap();
        let text: String = String::from_utf8(data)
            .unwrap()
            .lines()
            .map(|l| if l.starts_with("expires_ms=") { "expires_ms=0\n".to_string() } else { format!("{l}\n") })
            .collect();
        raw.set_data(&path, text.as_bytes(), Some(stat.version)).await.unwrap();
    },
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_and_status_show_the_record_and_every_node() {
    support::lookup_and_status(&store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_store_unavailable() {
    let port = free_port();
    support::refused(ZkStore::from_url(&format!("zookeeper://127.0.0.1:{port}?call_timeout_ms=1000")).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_fetchers_on_one_counter_never_overlap() {
    support::eight_fetchers_on_one_counter(&store().await, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_created_not_fresh_starts_at_its_floor() {
    support::a_namespace_created_not_fresh_starts_at_its_floor(&store().await).await;
}

/// Fences are clamped to one lease ahead of the server's clock (a znode's
/// `mtime`), as on the SQL stores; the skew a holder measures against it is
/// near zero on one machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fences_are_clamped_to_the_servers_clock() {
    let db = store().await;
    let (ns, config) = (support::unique("clamp"), support::CONFIG);
    db.init_namespace(&ns, support::LAYOUT, Some(1), config, true).await.unwrap();
    let before = support::now_ms();
    let years = before + 10 * 365 * 86_400_000;
    let a = db.acquire(&ns, "a", years).await.unwrap();
    let after = support::now_ms();
    let bound = |g: &Grant| g.store_now_ms + config.ttl_ms + config.max_skew_ms;
    assert_eq!(a.fence_ms, bound(&a));
    assert!(
        a.store_now_ms + 50 >= before && a.store_now_ms <= after + 50,
        "the server's clock is this machine's"
    );
    let r = db.renew(&ns, 0, a.epoch, a.start_ms, "a", years).await.unwrap().expect("renewed");
    assert_eq!(r.fence_ms, bound(&r));
    assert!(r.fence_ms >= a.fence_ms);
    db.release(&ns, 0, a.epoch, a.start_ms, "a", a.start_ms + 1).await.unwrap();
    let b = db.acquire(&ns, "b", 0).await.unwrap();
    assert_eq!(
        b.start_ms,
        a.start_ms + 1,
        "released with its high-water: the next start is there, at once"
    );
    assert_eq!(b.epoch, a.epoch + 1);
    let refused = db.renew(&ns, 0, a.epoch, a.start_ms, "a", 0).await.unwrap();
    assert!(refused.is_none(), "a's lease is over");
    assert_eq!(
        db.release(&ns, 0, a.epoch, a.start_ms, "a", 0).await.unwrap_err().code(),
        ErrorCode::LeaseLost
    );
}

/// Expiry is on the server's clock: a lease not renewed for a TTL goes to
/// the next holder at its last fence while the namespace stays busy (b
/// renews its node); once every record sat silent for longer than a TTL,
/// the next call raises the floor first (`store_identity_changed`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_is_taken_and_a_silent_namespace_raises_its_floor() {
    let db = store().await;
    let (ns, short) = (support::unique("expiry"), support::SHORT);
    db.init_namespace(&ns, support::LAYOUT, Some(2), short, true).await.unwrap();
    let a = db.acquire(&ns, "a", support::now_ms() + short.ttl_ms).await.unwrap();
    let b = db.acquire(&ns, "b", support::now_ms() + short.ttl_ms).await.unwrap();
    assert_eq!((a.node, b.node), (0, 1));
    assert_eq!(db.acquire(&ns, "c", 0).await.unwrap_err().code(), ErrorCode::NoFreeNode);
    let keep = {
        let (db, ns) = (db.clone(), ns.clone());
        tokio::spawn(async move {
            loop {
                db.renew(&ns, b.node, b.epoch, b.start_ms, "b", support::now_ms() + short.ttl_ms)
                    .await
                    .unwrap()
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(short.ttl_ms + 100)).await;
    let c = db.acquire(&ns, "c", 0).await.unwrap();
    keep.abort();
    let _ = keep.await;
    assert_eq!(
        (c.node, c.start_ms),
        (0, a.fence_ms),
        "a's expired node, at a's last fence (b kept the namespace busy)"
    );
    assert!(db.renew(&ns, 0, a.epoch, a.start_ms, "a", 0).await.unwrap().is_none());
    // Silent for longer than a TTL: the next call raises the floor first.
    tokio::time::sleep(Duration::from_millis(short.ttl_ms * 2)).await;
    assert!(
        db.renew(&ns, 1, b.epoch, b.start_ms, "b", 0).await.unwrap().is_none(),
        "a renewal after the silence is refused"
    );
    let before = support::now_ms();
    let (g, changed) = db.acquire_noting(&ns, "d", 0).await.unwrap();
    assert!(changed, "a silence longer than a TTL reads as a new store identity");
    assert!(
        g.start_ms + 5 >= before + short.ttl_ms + short.max_skew_ms,
        "start {} above the raised floor",
        g.start_ms
    );
    assert_eq!(db.namespace(&ns).await.unwrap().unwrap().floor_ms, g.start_ms);
}

/// A sequential znode's suffix as an ID source: strictly increasing for
/// every caller, never repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_znodes_give_strictly_increasing_ids() {
    let db = store().await;
    let tag = support::unique("seq");
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (db, tag) = (db.clone(), tag.clone());
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..25 {
                got.push(db.next_sequential(&tag).await.unwrap());
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let got = t.await.unwrap();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "each caller's IDs increase: {got:?}");
        all.extend(got);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 100, "no ID twice");
    assert_eq!(db.next_sequential("bad/tag").await.unwrap_err().code(), ErrorCode::InvalidArgument);
}

/// Records that are not idloom's are `store_schema`, never read as empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_record_is_store_schema() {
    let zk = SHARED.get_or_init(|| async { Zk::start(&tempdir("shared")).await }).await;
    let db = zk.store();
    let ns = support::unique("foreign");
    db.init_namespace(&ns, support::LAYOUT, Some(2), support::SHORT, true)
        .await
        .unwrap();
    let raw = zookeeper_client::Client::connect(&format!("127.0.0.1:{}", zk.port)).await.unwrap();
    raw.set_data(&format!("/idloom/{ns}"), b"hello", None).await.unwrap();
    assert_eq!(db.acquire(&ns, "a", 0).await.unwrap_err().code(), ErrorCode::StoreSchema);
    assert_eq!(db.namespace(&ns).await.unwrap_err().code(), ErrorCode::StoreSchema);
    let e = db
        .init_namespace(&ns, idloom::Layout::SONYFLAKE, Some(2), support::SHORT, true)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreSchema, "{e}");
}

/// A server that hangs (SIGSTOP) answers nothing: every call comes back
/// `store_unavailable` within its deadline, and works again after SIGCONT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_server_is_store_unavailable_within_the_call_timeout() {
    let zk = Zk::start(&tempdir("hang")).await;
    let db = zk.store();
    let ns = support::unique("hang");
    db.init_namespace(&ns, support::LAYOUT, Some(2), support::CONFIG, true)
        .await
        .unwrap();
    zk.signal("STOP");
    let began = Instant::now();
    let e = db.acquire(&ns, "a", 0).await.unwrap_err();
    let took = began.elapsed();
    zk.signal("CONT");
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    assert!(took < Duration::from_secs(8), "bounded: {took:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match db.acquire(&ns, "a", 0).await {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}"),
            Err(e) => panic!("no recovery after SIGCONT: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `call` once the session is back (the client reconnects after a restart):
/// `store_unavailable` meanwhile, for at most 30 s.
async fn again<T, F, Fut>(call: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = idloom::Result<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match call().await {
            Ok(v) => return v,
            Err(e) if e.code() == ErrorCode::StoreUnavailable && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    assert!(Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap().success());
}

/// A restore: the data dir copied while the server was stopped, leases go
/// on (fences move up), the server is stopped and started on the copy a TTL
/// later. The first acquire sees the clock znode silent since the backup:
/// the floor rises above every fence granted before, and the lease from
/// before the restore never renews although its record came back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_from_an_older_data_dir_raises_the_floor() {
    let dir = tempdir("restore");
    let mut zk = Zk::start(&dir).await;
    let port = zk.port;
    let db = zk.store();
    let ns = support::unique("restore");
    let config = support::CONFIG;
    db.init_namespace(&ns, support::LAYOUT, Some(2), config, true).await.unwrap();
    let a = db.acquire(&ns, "a", support::now_ms() + config.ttl_ms).await.unwrap();
    zk.kill();
    copy_dir(&dir.join("data"), &dir.join("backup"));
    let backup_taken = support::now_ms();
    let mut zk = Zk::start_on(&dir, port).await;
    // After the backup: a renews (its fence moves on) and b leases the other node.
    let r = again(|| db.renew(&ns, a.node, a.epoch, a.start_ms, "a", support::now_ms() + config.ttl_ms))
        .await
        .unwrap();
    let b = again(|| db.acquire(&ns, "b", support::now_ms() + config.ttl_ms)).await;
    let highest = r.fence_ms.max(b.fence_ms);
    zk.kill();
    std::fs::remove_dir_all(dir.join("data")).unwrap();
    std::fs::rename(dir.join("backup"), dir.join("data")).unwrap();
    // The operator's restore takes longer than a TTL after the backup.
    let wait = (backup_taken + config.ttl_ms + 100).saturating_sub(support::now_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let zk2 = Zk::start_on(&dir, port).await;
    drop(zk);
    assert!(
        again(|| db.renew(&ns, a.node, a.epoch, a.start_ms, "a", 0)).await.is_none(),
        "the lease from before the restore (its record came back with it) never renews"
    );
    let (c, changed) = again(|| db.acquire_noting(&ns, "c", 0)).await;
    assert!(changed, "the restore reads as a new identity (the refused renewal wrote nothing)");
    let record = db.namespace(&ns).await.unwrap().unwrap();
    assert_eq!(record.floor_ms, c.start_ms, "the acquire raised the floor before its grant");
    assert!(
        c.start_ms > highest,
        "start {} above every fence granted before ({highest})",
        c.start_ms
    );
    drop(zk2);
}

/// A lease through the library on ZooKeeper: minted IDs carry its node, the
/// release frees the node at once for the next holder above the high-water.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_lease_mints_and_hands_over() {
    let db = store().await;
    let ns = support::unique("lease");
    db.init_namespace(&ns, support::LAYOUT, Some(1), support::CONFIG, true)
        .await
        .unwrap();
    let lease = NodeLease::acquire(db.clone(), &ns, support::LAYOUT).await.unwrap();
    let ids: Vec<u64> = (0..1000).map(|_| lease.next_id().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let last = *ids.last().unwrap();
    lease.release().await.unwrap();
    let next = NodeLease::acquire(db, &ns, support::LAYOUT).await.unwrap();
    let id = next.next_id().unwrap();
    assert!(id > last, "the next holder mints above the high-water");
    next.release().await.unwrap();
}

/// A three-server ensemble, its leader SIGKILLed while two holders mint and
/// renew: no ID twice, no call waits past its deadline, and minting goes on
/// after the election (renewed through the new leader, or leased again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_killed_mid_run_no_id_twice_nothing_hung() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let mut ensemble = support::zk::Ensemble::start(&tempdir("ensemble")).await;
    let db = ensemble.store();
    let ns = support::unique("leader");
    db.init_namespace(&ns, support::LAYOUT, Some(4), support::CONFIG, true)
        .await
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut minters = Vec::new();
    for _ in 0..2 {
        let (db, ns, stop) = (db.clone(), ns.clone(), stop.clone());
        minters.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let Ok(lease) = NodeLease::acquire(db.clone(), &ns, support::LAYOUT).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                'mint: while !stop.load(Ordering::Relaxed) {
                    for _ in 0..50 {
                        match lease.next_id() {
                            Ok(id) => ids.push(id),
                            // At the fence while renewals retry: wait for one.
                            Err(e) if e.code() == ErrorCode::LeaseExpired && lease.status().is_active() => break,
                            Err(_) => break 'mint,
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                let _ = lease.release().await;
            }
            ids
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let leader = ensemble.leader().expect("a leader");
    ensemble.kill(leader);
    let killed = support::now_ms();
    // Nothing hung: a call during the election comes back within its deadline (3 s).
    let began = Instant::now();
    let _ = db.nodes(&ns).await;
    assert!(began.elapsed() < Duration::from_secs(8), "a call waited {:?}", began.elapsed());
    tokio::time::sleep(Duration::from_secs(8)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for m in minters {
        all.extend(m.await.unwrap());
    }
    let after = all
        .iter()
        .filter(|&&id| support::LAYOUT.decompose(id).unwrap().timestamp_ms > killed + 1_000)
        .count();
    assert!(after > 0, "minting went on after the election ({} IDs in all)", all.len());
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "no ID twice");
    eprintln!("{n} IDs, {after} minted after the leader ({leader}) was killed");
}
