//! The scenarios on private etcd servers (`/usr/bin/etcd`, 3.4): one
//! started by this binary for the shared scenarios (free ports, a temp data
//! dir), and servers of their own for the restore, the 3-member failover
//! and the hanging-server tests. Each is killed by PID when its test ends
//! (the shared one by a watchdog once this process exits).
//!
//! Adapted to etcd: liveness is an etcd lease of whole seconds (at least
//! 1 s here: the servers run with a 50 ms heartbeat so that etcd's minimum
//! TTL is below 1 s), so a node held under `SHORT` (300 ms) stays held for
//! about a second, not 300 ms. The scenarios that wait one `SHORT` TTL for
//! a lease to run out on the store's clock (`expiry_on_the_stores_clock`,
//! `expired_first_then_sticky`) have no etcd form; their etcd forms below
//! make the lease run out for real (a holder cut off past its etcd lease)
//! or revoke it behind the library's back.

mod engines;
mod support;

use idloom::ErrorCode;
use idloom_stores::etcd::EtcdStore;
use idloom_stores::{Kind, LeaseConfig, LeaseOptions, LeaseStatus, NodeLease, Store};
use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use support::etcd::{signal, watchdog, Cluster};

/// The shared server of this binary.
fn shared() -> &'static str {
    static SHARED: OnceLock<(Cluster, String)> = OnceLock::new();
    &SHARED
        .get_or_init(|| {
            // A runtime of its own: the first test to come here may be on any runtime.
            let c = std::thread::spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(Cluster::start(1))
            })
            .join()
            .unwrap();
            for m in &c.members {
                watchdog(m.pid(), Some(&m.dir));
            }
            let url = c.url("");
            (c, url)
        })
        .1
}

async fn store() -> EtcdStore {
    EtcdStore::from_url(shared()).expect("the shared etcd")
}

/// A raw client on the shared server, for edits behind the library's back.
async fn raw(url: &str) -> etcd_client::Client {
    let hosts: Vec<String> = url
        .trim_start_matches("etcd://")
        .split('?')
        .next()
        .unwrap()
        .split(',')
        .map(|h| format!("http://{h}"))
        .collect();
    etcd_client::Client::connect(hosts, None).await.unwrap()
}

/// Revoke the etcd lease node `node`'s liveness key is under (as if it ran
/// out): the node reads as free. Answers whether there was one.
async fn revoke_liveness(url: &str, ns: &str, node: u64) -> bool {
    let mut c = raw(url).await;
    let key = format!("/idloom/{ns}/live/{node:010}");
    let got = c.get(key.as_str(), None).await.unwrap();
    let Some(kv) = got.kvs().first() else { return false };
    assert_ne!(kv.lease(), 0, "a liveness key is under an etcd lease");
    c.lease_revoke(kv.lease()).await.unwrap();
    true
}

fn holder(name: &str) -> LeaseOptions {
    LeaseOptions {
        holder: Some(name.to_string()),
        ..LeaseOptions::default()
    }
}

fn time_of(id: u64) -> u64 {
    support::LAYOUT.decompose(id).unwrap().timestamp_ms
}

support::scenarios!(segments_unique);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_and_status_show_the_record_and_every_node() {
    support::lookup_and_status(&store().await).await;
}

engines::every_engine!();

engines::faults!(
    // The holder's etcd lease revoked behind its back: the node is free, b takes it.
    a_refused_renewal_stops_at_the_fence => async |ns: String| {
        revoke_liveness(shared(), &ns, 0).await;
    },
);

/// The namespace's record names another store identity (as a restore
/// with another cluster ID leaves it), edited behind the library's back.
async fn forget(ns: String) {
    let mut c = raw(shared()).await;
    let key = format!("/idloom/{ns}");
    let text = c.get(key.as_str(), None).await.unwrap().kvs()[0].value_str().unwrap().to_string();
    let edited: String = text
        .lines()
        .map(|l| {
            if l.starts_with("identity=") {
                "identity=etcd/0000000000000bad".to_string()
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    assert_ne!(edited, text);
    c.put(key, edited, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_identity_changed() {
    support::store_identity_changed(store().await, true, forget).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_identity_changed_on_renewal() {
    support::store_identity_changed_on_renewal(store().await, true, forget).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_checked() {
    support::arguments(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_store_unavailable() {
    support::refused(EtcdStore::from_url("etcd://127.0.0.1:1?call_timeout_ms=2000").unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_are_checked() {
    for bad in [
        "http://127.0.0.1:2379",
        "etcd://",
        "etcd://127.0.0.1",
        "etcd://127.0.0.1:x",
        "etcd://127.0.0.1:2379?timeout=5",
        "etcd://127.0.0.1:2379?call_timeout_ms=0",
    ] {
        let e = EtcdStore::from_url(bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "{bad}: {e}");
    }
    EtcdStore::from_url("etcd://a:1,b:2?call_timeout_ms=300").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_fetchers_on_one_counter_never_overlap() {
    let db = store().await;
    let e = db.fetch(&support::unique("seg"), 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "never a silent restart from 0: {e}");
    support::eight_fetchers_on_one_counter(&db, 1).await;
    let e = db.init_segment_guarded("guarded", 0, 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument, "no guarded counters on etcd: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposed_fence_is_clamped_to_one_lease_ahead_of_the_callers_clock() {
    let db = store().await;
    let url = shared();
    // a's etcd lease revoked once it renewed (SHORT's 300 ms is a 1 s etcd lease): b takes the node at a's last fence.
    support::proposed_fences_are_clamped(&db, 1 << 60, |ns, r| async move {
        assert!(revoke_liveness(url, &ns, r.node).await);
    })
    .await;
}

/// A node is held while its liveness key lives, whatever its record's
/// expiry says; a release deletes the key and frees it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_is_the_etcd_lease_not_the_records_expiry() {
    let db = store().await;
    let ns = engines::new_namespace(&db, "live", support::LAYOUT, 1).await;
    let a = db.acquire(&ns, "a", 0).await.unwrap();
    let mut c = raw(shared()).await;
    let key = format!("/idloom/{ns}/live/0000000000");
    let kv = c.get(key.as_str(), None).await.unwrap().kvs()[0].clone();
    let ttl = c.lease_time_to_live(kv.lease(), None).await.unwrap();
    assert_eq!(ttl.granted_ttl(), 1, "300 ms rounds up to one second");
    // Past the record's expiry (300 ms, the caller's clock) but not the etcd lease: still held.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let e = db.acquire(&ns, "b", 0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoFreeNode, "{e}");
    // A renewal moves the key to a new etcd lease and revokes the one before.
    let r = db.renew(&ns, 0, a.epoch, a.start_ms, "a", 0).await.unwrap().expect("renewed");
    let moved = c.get(key.as_str(), None).await.unwrap().kvs()[0].lease();
    assert_ne!(moved, kv.lease());
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.lease_time_to_live(kv.lease(), None).await.unwrap().ttl() != -1 {
        assert!(Instant::now() < deadline, "the replaced etcd lease is revoked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Once the etcd lease runs out (about a second), the node is free.
    let deadline = Instant::now() + Duration::from_secs(10);
    let b = loop {
        match db.acquire(&ns, "b", 0).await {
            Ok(b) => break b,
            Err(e) if e.code() == ErrorCode::NoFreeNode && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!((b.epoch, b.start_ms), (a.epoch + 1, r.fence_ms), "b starts at a's last fence");
    assert_eq!(db.renew(&ns, 0, a.epoch, a.start_ms, "a", 0).await.unwrap(), None, "a: refused");
    db.release(&ns, 0, b.epoch, b.start_ms, "b", b.start_ms).await.unwrap();
    assert!(
        c.get(key.as_str(), None).await.unwrap().kvs().is_empty(),
        "released: the key is gone"
    );
    let c2 = db.acquire(&ns, "c", 0).await.unwrap();
    assert_eq!(c2.epoch, b.epoch + 1, "free at once");
}

/// etcd (1): a holder cut off from etcd past its etcd lease (a paused
/// process, a partition) while another takes its node: the lease really
/// runs out on the server; no ID time in common; the first ends `lease_lost`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_cut_off_past_its_etcd_lease_loses_the_node_without_overlap() {
    let config = LeaseConfig {
        ttl_ms: 1_000,
        max_skew_ms: 200,
    };
    let db = store().await;
    let ns = support::unique("cutoff");
    db.init_namespace(&ns, support::LAYOUT, Some(1), config, true).await.unwrap();
    let flaky = support::Flaky::new(db.clone());
    let a = NodeLease::acquire_with(flaky.clone(), &ns, support::LAYOUT, holder("a"))
        .await
        .unwrap();
    let mut status = a.subscribe();
    flaky.set_down(true);
    let mut a_ids = Vec::new();
    let started = Instant::now();
    let b = loop {
        if let Ok(id) = a.next_id() {
            a_ids.push(id);
        }
        match NodeLease::acquire_with(db.clone(), &ns, support::LAYOUT, holder("b")).await {
            Ok(b) => break b,
            Err(e) if e.code() == ErrorCode::NoFreeNode && started.elapsed() < Duration::from_secs(15) => {}
            Err(e) => panic!("{e}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(started.elapsed() >= Duration::from_millis(900), "held until its etcd lease ran out");
    assert_eq!((b.node(), b.epoch()), (a.node(), a.epoch() + 1));
    assert!(b.start_ms() >= a.fence_ms(), "b starts at or above a's fence");
    // a mints on while its fence allows (its clock; not past it).
    while let Ok(id) = a.next_id() {
        a_ids.push(id);
    }
    flaky.set_down(false);
    let s = tokio::time::timeout(Duration::from_secs(20), status.wait_for(|s| !s.is_active()))
        .await
        .expect("a's renewal ended")
        .unwrap()
        .clone();
    let LeaseStatus::Lost(e) = s else { panic!("{s:?}") };
    assert_eq!(e.code(), ErrorCode::LeaseLost, "{e}");
    assert_eq!(a.stats().get(Kind::LeaseLost), 1);
    let now = support::now_ms();
    tokio::time::sleep(Duration::from_millis(b.start_ms().saturating_sub(now) + 5)).await;
    let b_ids: Vec<u64> = (0..1_000).map(|_| b.next_id().unwrap()).collect();
    assert!(!a_ids.is_empty());
    assert!(a_ids.iter().all(|&id| time_of(id) < b.start_ms()), "no overlap of ID time");
    let all: HashSet<u64> = a_ids.iter().chain(&b_ids).copied().collect();
    assert_eq!(all.len(), a_ids.len() + b_ids.len());
    b.release().await.unwrap();
}

/// etcd (2): snapshot, more leases, stop, restore with a NEW
/// `--initial-cluster-token`, start: the next acquire reports the identity
/// changed and starts above every fence granted before; a lease from
/// before the restore never renews.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_with_a_new_token_raises_the_floor_and_old_leases_never_renew() {
    restore(true).await;
}

/// The same restore keeping the token (so the cluster ID): a handle that
/// saw revisions from after the snapshot sees the store go back in time —
/// the same answers. (A process started after such a restore sees nothing:
/// the documented procedure gives a new token.) Without the revision check
/// the lease from before renews on its restored record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_keeping_the_token_is_seen_by_a_handle_that_saw_later_revisions() {
    restore(false).await;
}

/// A snapshot, more leases, the member stopped, restored from the snapshot
/// (with a new token or the old one) and started again; then the lease from
/// before must never renew and the next acquire must start above every fence.
async fn restore(new_token: bool) {
    let mut cluster = Cluster::start(1).await;
    let db = EtcdStore::from_url(&cluster.url("?call_timeout_ms=2000")).unwrap();
    let ns = support::unique("restore");
    let config = LeaseConfig {
        ttl_ms: 1_000,
        max_skew_ms: 200,
    };
    db.init_namespace(&ns, support::LAYOUT, Some(4), config, true).await.unwrap();
    let a = db.acquire(&ns, "a", support::now_ms() + 1_000).await.unwrap();
    let snapshot = cluster.members[0].dir.join("snap.db");
    cluster.etcdctl(&["snapshot", "save", snapshot.to_str().unwrap()]);
    // More leases after the snapshot: fences the restored store never saw.
    let b = db.acquire(&ns, "b", support::now_ms() + 1_000).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ra = db
        .renew(&ns, a.node, a.epoch, a.start_ms, "a", support::now_ms() + 1_200)
        .await
        .unwrap()
        .unwrap();
    let highest = [a.fence_ms, b.fence_ms, ra.fence_ms].into_iter().max().unwrap();
    // Stop, restore (with a new token, or the one it ran with), start on the same ports.
    cluster.members[0].kill();
    let token = if new_token {
        support::unique("idloom-restore")
    } else {
        cluster.token.clone()
    };
    let m = &cluster.members[0];
    let restored = m.dir.join("restored");
    let out = std::process::Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["snapshot", "restore", snapshot.to_str().unwrap()])
        .args(["--name", &m.name, "--data-dir", restored.to_str().unwrap()])
        .args([
            "--initial-cluster",
            &cluster.initial(),
            "--initial-advertise-peer-urls",
            &m.peer_url(),
        ])
        .args(["--initial-cluster-token", &token])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(m.data()).unwrap();
    std::fs::rename(&restored, m.data()).unwrap();
    let initial = cluster.initial();
    cluster.members[0].start(&initial, &token);
    cluster.ready().await;
    // The lease from before the restore (renewed after the snapshot): refused, the floor left to the next acquire.
    assert_eq!(
        db.renew(&ns, a.node, a.epoch, a.start_ms, "a", 0).await.unwrap(),
        None,
        "lease_lost"
    );
    let (c, changed) = db.acquire_noting(&ns, "c", support::now_ms() + 1_000).await.unwrap();
    assert!(changed, "the acquire reports store_identity_changed");
    let floor = db.namespace(&ns).await.unwrap().unwrap().floor_ms;
    assert!(floor > highest, "floor {floor} above every fence granted before ({highest})");
    assert!(c.start_ms >= floor && c.start_ms > highest);
    assert_ne!(
        c.node, a.node,
        "a's liveness key came back with the snapshot: held for one etcd TTL"
    );
    assert_eq!(
        db.renew(&ns, a.node, a.epoch, a.start_ms, "a", 0).await.unwrap(),
        None,
        "never renews"
    );
    let e = db.release(&ns, a.node, a.epoch, a.start_ms, "a", a.start_ms).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::LeaseLost, "{e}");
    let (_, again) = db.acquire_noting(&ns, "d", 0).await.unwrap();
    assert!(!again, "reported once");
}

/// etcd (3): a 3-member cluster whose leader is killed while holders renew:
/// no (node, epoch) granted twice, every epoch starts at or above the last
/// fence before it, every call comes back within its deadlines, and
/// minting resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_killed_mid_run_grants_nothing_twice_and_minting_resumes() {
    let mut cluster = Cluster::start(3).await;
    let call_ms = 2_000;
    let db = EtcdStore::from_url(&cluster.url(&format!("?call_timeout_ms={call_ms}"))).unwrap();
    let ns = support::unique("leader");
    let config = LeaseConfig {
        ttl_ms: 1_500,
        max_skew_ms: 300,
    };
    db.init_namespace(&ns, support::LAYOUT, Some(4), config, true).await.unwrap();
    // Two long-lived holders renewing all along.
    let l1 = NodeLease::acquire_with(db.clone(), &ns, support::LAYOUT, holder("long1"))
        .await
        .unwrap();
    let l2 = NodeLease::acquire_with(db.clone(), &ns, support::LAYOUT, holder("long2"))
        .await
        .unwrap();
    // Four racers on the other nodes, through the raw calls, timed.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let racers: Vec<_> = (0..4)
        .map(|t| {
            let (db, ns, stop) = (db.clone(), ns.clone(), stop.clone());
            tokio::spawn(async move {
                let who = format!("r{t}");
                let (mut mine, mut slowest) = (Vec::new(), Duration::ZERO);
                let mut round = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t0 = Instant::now();
                    let got = db.acquire(&ns, &who, support::now_ms() + 1_500).await;
                    slowest = slowest.max(t0.elapsed());
                    match got {
                        Ok(g) => {
                            let t0 = Instant::now();
                            let released = db.release(&ns, g.node, g.epoch, g.start_ms, &who, g.start_ms).await;
                            slowest = slowest.max(t0.elapsed());
                            // What the next epoch may start at: the high-water released (the start:
                            // nothing minted); after a release that got no answer, that (it landed)
                            // or the grant's fence (it did not), nothing between.
                            mine.push((g, released.is_ok()));
                        }
                        Err(e) => assert!(matches!(e.code(), ErrorCode::NoFreeNode | ErrorCode::StoreUnavailable), "{e}"),
                    }
                    round += 1;
                    tokio::time::sleep(Duration::from_millis(20 + (round % 3) * 10)).await;
                }
                (mine, slowest)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // Kill the leader.
    let leader = leader_of(&cluster).await;
    let killed_ms = support::now_ms();
    cluster.members[leader].kill();
    eprintln!("killed the leader {}", cluster.members[leader].name);
    tokio::time::sleep(Duration::from_millis(4_000)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut grants = Vec::new();
    let mut slowest = Duration::ZERO;
    for r in racers {
        let (g, s) = r.await.unwrap();
        grants.extend(g);
        slowest = slowest.max(s);
    }
    // One acquire is at most six round trips (identity, namespace, records,
    // liveness, lease grant, txn), each under the call deadline.
    assert!(slowest < Duration::from_millis(6 * call_ms + 500), "a call took {slowest:?}");
    let mut seen = HashSet::new();
    let mut by_node: std::collections::BTreeMap<u64, Vec<_>> = Default::default();
    for (g, released) in &grants {
        assert!(seen.insert((g.node, g.epoch)), "(node {}, epoch {}) granted twice", g.node, g.epoch);
        by_node.entry(g.node).or_default().push((*g, *released));
    }
    for list in by_node.values_mut() {
        list.sort_by_key(|(g, _)| g.epoch);
        for w in list.windows(2) {
            let ((next, _), (prev, released)) = (w[1], w[0]);
            let ok = if released {
                next.start_ms >= prev.start_ms
            } else {
                next.start_ms == prev.start_ms || next.start_ms >= prev.fence_ms
            };
            assert!(
                ok,
                "epoch {} starts at {}: below epoch {}'s fence {} and not at its released high-water {} (release answered: {released})",
                next.epoch, next.start_ms, prev.epoch, prev.fence_ms, prev.start_ms
            );
        }
    }
    let after = grants.iter().filter(|(g, _)| g.store_now_ms > killed_ms).count();
    assert!(after > 0, "grants resumed after the failover ({} in all)", grants.len());
    eprintln!("{after} of {} grants after the kill", grants.len());
    // The long holders renewed through it (or, had one lost its node, a new lease mints).
    for l in [&l1, &l2] {
        let renewed = l.renewals();
        support::eventually("a renewal after the failover", 20, || {
            l.renewals() > renewed || !l.status().is_active()
        })
        .await;
        if l.status().is_active() {
            l.next_id_async().await.unwrap();
        }
    }
    let fresh = NodeLease::acquire_with(db.clone(), &ns, support::LAYOUT, holder("after"))
        .await
        .unwrap();
    fresh.next_id_async().await.unwrap();
    eprintln!("{} grants, slowest call {slowest:?}", grants.len());
    fresh.release().await.unwrap();
    let _ = l1.release().await;
    let _ = l2.release().await;
}

/// The member that leads (an index into `cluster.members`).
async fn leader_of(cluster: &Cluster) -> usize {
    for _ in 0..50 {
        for m in &cluster.members {
            let Ok(mut c) = etcd_client::Client::connect([format!("http://{}", m.endpoint())], None).await else {
                continue;
            };
            let Ok(s) = c.status().await else { continue };
            let me = s.header().map(|h| h.member_id());
            if Some(s.leader()) == me {
                return cluster.members.iter().position(|x| x.name == m.name).unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no leader")
}

/// etcd (4): a server that hangs (SIGSTOPped): a call is `store_unavailable`
/// within the call timeout; once it runs again, calls answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_server_is_store_unavailable_within_the_call_timeout() {
    let cluster = Cluster::start(1).await;
    let db = EtcdStore::from_url(&cluster.url("?call_timeout_ms=1000")).unwrap();
    let ns = support::unique("hang");
    db.init_namespace(&ns, support::LAYOUT, Some(2), support::CONFIG, true)
        .await
        .unwrap();
    let pid = cluster.members[0].pid();
    assert!(signal(pid, "STOP"));
    let t0 = Instant::now();
    let e = db.namespace(&ns).await.unwrap_err();
    let took = t0.elapsed();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    assert!(took < Duration::from_millis(1_500), "within the call timeout: {took:?}");
    let t0 = Instant::now();
    let e = db.acquire(&ns, "a", 0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    assert!(t0.elapsed() < Duration::from_millis(1_500), "{:?}", t0.elapsed());
    let e = db.fetch("hang", 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreUnavailable, "{e}");
    assert!(signal(pid, "CONT"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match db.acquire(&ns, "a", 0).await {
            Ok(_) => break,
            Err(e) => assert!(Instant::now() < deadline, "never answered again: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
