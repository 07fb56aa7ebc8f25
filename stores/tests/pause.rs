//! The zombie test: a holder in another process is SIGSTOPped past its TTL
//! while it mints, another holder takes its node, and the first is
//! SIGCONTed. It must mint nothing past its fence (no ID in common with the
//! new holder, every tick of its IDs before the new holder's start) and end
//! in `lease_lost`. Real processes (this test binary re-executed as the
//! child, `zombie_child`), real servers, one test per engine.

mod support;

use idloom_stores::mysql::MyStore;
use idloom_stores::postgres::PgStore;
use idloom_stores::redis::RedisStore;
use idloom_stores::{LeaseConfig, LeaseOptions, NodeLease, Store};
use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

const CHILD: &str = "IDLOOM_ZOMBIE_CHILD";
const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 1_500,
    max_skew_ms: 500,
};

fn pg() -> PgStore {
    let url = std::env::var("IDLOOM_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5".into());
    PgStore::from_url(&url).unwrap()
}
fn my() -> MyStore {
    MyStore::from_url(&std::env::var("IDLOOM_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())).unwrap()
}
async fn rd() -> RedisStore {
    RedisStore::from_url(&std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into()))
        .await
        .expect("Redis at 127.0.0.1:6379")
}

/// The child: lease the namespace's node, print every ID minted, end with
/// one line `end CODE` when the lease stops it. At a fence it waits
/// (bounded) for the renewal in flight, as an application would.
async fn mint<S: Store>(store: S, ns: &str, holder: &str) {
    let options = LeaseOptions {
        holder: Some(holder.into()),
        ..LeaseOptions::default()
    };
    let lease = NodeLease::acquire_with(store, ns, support::LAYOUT, options).await.unwrap();
    let mut out = std::io::stdout().lock();
    // On a line of its own: the test harness has printed "test zombie_child ... " before.
    writeln!(
        out,
        "\nlease {} {} {} {}",
        lease.node(),
        lease.epoch(),
        lease.start_ms(),
        lease.fence_ms()
    )
    .unwrap();
    out.flush().unwrap();
    let began = Instant::now();
    let mut expired_since: Option<Instant> = None;
    let end = loop {
        if began.elapsed() > Duration::from_secs(60) {
            break "timeout".to_string();
        }
        match lease.next_id() {
            Ok(id) => {
                writeln!(out, "id {id}").unwrap();
                expired_since = None;
            }
            Err(e) if e.code() == idloom::ErrorCode::LeaseExpired => {
                out.flush().unwrap();
                if expired_since.get_or_insert_with(Instant::now).elapsed() > Duration::from_secs(5) {
                    break "lease_expired".to_string();
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            Err(e) => break e.code().as_str().to_string(),
        }
        out.flush().unwrap();
        tokio::time::sleep(Duration::from_micros(500)).await;
    };
    writeln!(out, "end {end}").unwrap();
    out.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zombie_child() {
    let Ok(spec) = std::env::var(CHILD) else { return }; // only as the re-executed child
    let parts: Vec<&str> = spec.split(' ').collect();
    let (engine, ns, holder) = (parts[0], parts[1], parts[2]);
    match engine {
        "postgres" => mint(pg(), ns, holder).await,
        "mysql" => mint(my(), ns, holder).await,
        #[cfg(feature = "zookeeper")]
        "zookeeper" => mint(idloom_stores::zookeeper::ZkStore::from_url(parts[3]).unwrap(), ns, holder).await,
        #[cfg(feature = "etcd")]
        "etcd" => mint(idloom_stores::etcd::EtcdStore::from_url(parts[3]).unwrap(), ns, holder).await,
        _ => mint(rd().await, ns, holder).await,
    }
}

#[derive(Default)]
struct Seen {
    lease: Vec<u64>,
    ids: Vec<u64>,
    end: Option<String>,
}

async fn wait(what: &str, seconds: u64, seen: &Mutex<Seen>, done: impl Fn(&Seen) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if done(&seen.lock().unwrap()) {
            return;
        }
        let s = seen.lock().unwrap();
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {} IDs, end {:?}",
            s.ids.len(),
            s.end
        );
        drop(s);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `engine` is the engine's name, and for ZooKeeper its URL after a space.
async fn zombie<S: Store>(engine: &str, store: S) {
    let ns = support::unique("zombie");
    store.init_namespace(&ns, support::LAYOUT, Some(1), CONFIG, true).await.unwrap();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "zombie_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, {
            let (name, url) = engine.split_once(' ').unwrap_or((engine, ""));
            format!("{name} {ns} a {url}")
        })
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let reader = {
        let seen = seen.clone();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut s = seen.lock().unwrap();
                if let Some(rest) = line.strip_prefix("lease ") {
                    s.lease = rest.split(' ').map(|x| x.parse().unwrap()).collect();
                } else if let Some(id) = line.strip_prefix("id ") {
                    s.ids.push(id.parse().unwrap());
                } else if let Some(end) = line.strip_prefix("end ") {
                    s.end = Some(end.to_string());
                }
            }
        })
    };
    wait("the child's first IDs", 60, &seen, |s| s.ids.len() >= 2_000).await;

    // SIGSTOP: a GC pause, a VM migration; past the TTL on the store's clock.
    assert!(signal(pid, "STOP"));
    tokio::time::sleep(Duration::from_millis(CONFIG.ttl_ms * 5 / 2)).await;
    let b_options = LeaseOptions {
        holder: Some("b".into()),
        ..LeaseOptions::default()
    };
    let b = NodeLease::acquire_with(store.clone(), &ns, support::LAYOUT, b_options).await;
    let cont = signal(pid, "CONT"); // whatever happened, let it go on
    let b = b.expect("b takes the paused holder's node");
    assert!(cont);
    let a_lease = seen.lock().unwrap().lease.clone();
    assert_eq!([b.node(), b.epoch()], [a_lease[0], a_lease[1] + 1], "{a_lease:?}");
    let now = idloom::Clock::now_ms(&idloom_stores::SystemClock);
    tokio::time::sleep(Duration::from_millis(b.start_ms().saturating_sub(now) + 5)).await;
    let mut b_ids: Vec<u64> = (0..2_000).map(|_| b.next_id().unwrap()).collect();

    // The zombie wakes: its renewal is refused; it ends in lease_lost.
    wait("the paused holder's end", 60, &seen, |s| s.end.is_some()).await;
    b_ids.extend((0..1_000).map(|_| b.next_id().unwrap()));
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the child exits")
        .unwrap();
    assert!(status.success(), "{status}");
    reader.await.unwrap();
    let s = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(s.end.as_deref(), Some("lease_lost"));
    assert!(s.ids.len() >= 2_000);
    let a: HashSet<u64> = s.ids.iter().copied().collect();
    assert!(
        b_ids.iter().all(|id| !a.contains(id)),
        "an ID in common between the zombie and the new holder"
    );
    let time = |id: &u64| support::LAYOUT.decompose(*id).unwrap().timestamp_ms;
    assert!(
        s.ids.iter().map(time).max().unwrap() < b.start_ms(),
        "the zombie minted past its fence"
    );
    assert!(b_ids.iter().all(|id| time(id) >= b.start_ms()));
    let rows = store.nodes(&ns).await.unwrap();
    assert_eq!(rows[0].holder, "b");
    b.release().await.unwrap();
}

/// Send `SIG{name}` to our child through the `kill` program (no `unsafe` here).
fn signal(pid: u32, name: &str) -> bool {
    std::process::Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_holder_mints_nothing_past_its_fence_postgres() {
    zombie("postgres", pg()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_holder_mints_nothing_past_its_fence_mysql() {
    zombie("mysql", my()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_holder_mints_nothing_past_its_fence_redis() {
    zombie("redis", rd().await).await;
}

/// On a private ZooKeeper: the zombie's renewals come back refused after
/// SIGCONT (its record has another epoch), whatever its session did.
#[cfg(feature = "zookeeper")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_holder_mints_nothing_past_its_fence_zookeeper() {
    let dir = std::env::temp_dir().join(support::unique("idloom-zk-zombie"));
    let zk = support::zk::Zk::start(&dir).await;
    zombie(&format!("zookeeper {}", zk.url()), zk.store()).await;
}

/// On a private etcd: while the zombie sleeps its liveness key's etcd lease
/// runs out, another holder takes the node; after SIGCONT its renewals are
/// refused (its record has another epoch).
#[cfg(feature = "etcd")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_holder_mints_nothing_past_its_fence_etcd() {
    let cluster = support::etcd::Cluster::start(1).await;
    let url = cluster.url("?call_timeout_ms=2000");
    zombie(&format!("etcd {url}"), idloom_stores::etcd::EtcdStore::from_url(&url).unwrap()).await;
}
