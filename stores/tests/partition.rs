//! Real partitions: a holder in a network namespace of its own (a veth pair
//! this test creates and removes, also on a panic) is cut off from its store
//! while it mints; a holder on the other side takes its node after the TTL
//! and mints; the partition heals. The first holder must stop at its fence
//! (`lease_expired`) and mint nothing past it, end in `lease_lost` when its
//! renewal reaches the store again, and share no ID with the second (every
//! one of its IDs before the second's start). Two cuts, on each engine:
//!
//! - **both ways**: the host side of the veth goes down;
//! - **answers lost** (asymmetric): a blackhole route on the host for the
//!   namespace's address drops what goes back to the holder, while its
//!   requests still arrive. On Redis (a renewal is one request) the store
//!   applies a renewal the holder never hears of (checked: the second
//!   holder starts above the last fence the first one was told); on the SQL
//!   engines a renewal takes several round trips and stalls at the first.
//!
//! The shared servers listen on 127.0.0.1, which a namespace cannot reach:
//! a small TCP forwarder of this test, bound to the host's veth address,
//! carries the holder's connections to them, and the partition lies between
//! the namespace and the forwarder. The cut-off holder is a child process
//! (this test binary re-executed with `ip netns exec`, printing its lease,
//! fences and IDs on stdout), as in `pause.rs`. Needs root and `ip`
//! (iproute2); no qdisc or firewall module.

mod support;

use idloom::ErrorCode;
use idloom_stores::mysql::MyStore;
use idloom_stores::postgres::PgStore;
use idloom_stores::redis::RedisStore;
use idloom_stores::{LeaseConfig, LeaseOptions, NodeLease, Store};
use std::collections::HashSet;
use std::io::Write;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const CHILD: &str = "IDLOOM_PARTITION_CHILD";
const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 1_500,
    max_skew_ms: 500,
};

fn pg_url() -> String {
    std::env::var("IDLOOM_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5".into())
}
fn my_url() -> String {
    std::env::var("IDLOOM_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}
fn rd_url() -> String {
    std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// The port of a shared server's URL (`port=N` for PostgreSQL's key-value
/// form, `…:N/…` for the others), where the forwarder sends its connections.
fn port_of(url: &str) -> u16 {
    if let Some(rest) = url.split_whitespace().find_map(|kv| kv.strip_prefix("port=")) {
        return rest.parse().expect("a port");
    }
    let authority = url.split("://").nth(1).expect("a URL").split('/').next().unwrap();
    authority.rsplit(':').next().unwrap().parse().expect("a port in the URL")
}

/// The same server as [`port_of`] read it, reached at `host:port` instead.
fn url_through(engine: &str, host: &str, port: u16) -> String {
    match engine {
        "postgres" => format!("host={host} port={port} user=postgres dbname=test connect_timeout=5"),
        "mysql" => {
            let url = my_url();
            let (user, rest) = url.split_once('@').unwrap();
            let db = rest.split_once('/').map_or("test", |(_, db)| db);
            // mysql_async moves a TCP connection to the server's Unix socket
            // when it can open it (prefer_socket), and sockets are not
            // namespaced: the holder would never be cut off.
            format!("{user}@{host}:{port}/{db}?prefer_socket=false")
        }
        _ => format!("redis://{host}:{port}/"),
    }
}

// ---- the child: the holder in the namespace ----

/// Lease the namespace's node, mint and print every ID; print each fence
/// the lease is told of (`fence F`), `expired` when the generator stops at
/// its fence, and end with one line `end CODE` when the lease is lost (or
/// `timeout`). At the fence it waits for a renewal, as an application would.
async fn mint<S: Store>(store: S, ns: &str) {
    let options = LeaseOptions {
        holder: Some("a".into()),
        ..LeaseOptions::default()
    };
    let lease = NodeLease::acquire_with(store, ns, support::LAYOUT, options).await.unwrap();
    let mut out = std::io::stdout().lock();
    // On a line of its own: the test harness has printed "test partition_child ... " before.
    writeln!(out, "\nlease {} {} {}", lease.node(), lease.epoch(), lease.start_ms()).unwrap();
    let began = Instant::now();
    let mut fence = 0;
    let mut expired = false;
    let end = loop {
        // Never below what the generator uses: the holder's fence is raised first.
        let f = lease.fence_ms();
        if f != fence {
            fence = f;
            writeln!(out, "fence {f}").unwrap();
        }
        if began.elapsed() > Duration::from_secs(60) {
            break "timeout".to_string();
        }
        match lease.next_id() {
            Ok(id) => {
                writeln!(out, "id {id}").unwrap();
                expired = false;
            }
            Err(e) if e.code() == ErrorCode::LeaseExpired => {
                if !expired {
                    writeln!(out, "expired").unwrap();
                    expired = true;
                }
                out.flush().unwrap();
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
async fn partition_child() {
    let Ok(spec) = std::env::var(CHILD) else { return }; // only as the re-executed child
    let (engine, rest) = spec.split_once(' ').unwrap();
    let (ns, url) = rest.split_once(' ').unwrap();
    match engine {
        "postgres" => mint(PgStore::from_url(url).unwrap(), ns).await,
        "mysql" => mint(MyStore::from_url(url).unwrap(), ns).await,
        _ => mint(RedisStore::from_url(url).await.unwrap(), ns).await,
    }
}

// ---- the network: a namespace, a veth pair, a forwarder ----

/// `ip ARGS`: whether it succeeded (its stderr is left to the test's output).
fn ip(args: &[&str]) -> bool {
    Command::new("ip").args(args).status().is_ok_and(|s| s.success())
}

/// `ip ARGS` for a removal that may find nothing to remove: quiet.
fn ip_quiet(args: &[&str]) {
    let _ = Command::new("ip").args(args).stderr(std::process::Stdio::null()).status();
}

fn must(args: &[&str]) {
    assert!(ip(args), "ip {} failed (the test needs root and iproute2)", args.join(" "));
}

/// A network namespace joined to the host by a veth pair, both named for
/// this process and test; removed on drop (a panic too), with the route the
/// asymmetric cut adds.
struct Net {
    ns: String,
    host_if: String,
    host_ip: String,
    ns_ip: String,
}

impl Net {
    fn new() -> Net {
        static N: AtomicU32 = AtomicU32::new(0);
        let k = N.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        // Interface names fit in 15 bytes; a /30 per test, from the pid and a counter.
        let net = Net {
            ns: format!("idloom-part-{pid}-{k}"),
            host_if: format!("ilh{pid:x}x{k}"),
            host_ip: format!("10.213.{}.{}", pid % 251, k * 4 + 1),
            ns_ip: format!("10.213.{}.{}", pid % 251, k * 4 + 2),
        };
        let ns_if = format!("iln{pid:x}x{k}");
        must(&["netns", "add", &net.ns]);
        must(&["link", "add", &net.host_if, "type", "veth", "peer", "name", &ns_if]);
        must(&["link", "set", &ns_if, "netns", &net.ns]);
        must(&["addr", "add", &format!("{}/30", net.host_ip), "dev", &net.host_if]);
        must(&["link", "set", &net.host_if, "up"]);
        must(&["-n", &net.ns, "addr", "add", &format!("{}/30", net.ns_ip), "dev", &ns_if]);
        must(&["-n", &net.ns, "link", "set", &ns_if, "up"]);
        must(&["-n", &net.ns, "link", "set", "lo", "up"]);
        net
    }

    /// Both ways: the host's end of the link goes down (the namespace's
    /// end loses its carrier; nothing crosses, nothing is refused).
    fn cut(&self) {
        must(&["link", "set", &self.host_if, "down"]);
    }

    /// One way: what the host sends to the namespace is dropped, what the
    /// namespace sends still arrives (a blackhole route for its address).
    fn lose_answers(&self) {
        must(&["route", "add", "blackhole", &format!("{}/32", self.ns_ip)]);
    }

    fn heal(&self) {
        must(&["link", "set", &self.host_if, "up"]);
        ip_quiet(&["route", "del", "blackhole", &format!("{}/32", self.ns_ip)]);
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        ip_quiet(&["route", "del", "blackhole", &format!("{}/32", self.ns_ip)]);
        ip_quiet(&["link", "del", &self.host_if]); // and its peer in the namespace
        ip_quiet(&["netns", "del", &self.ns]);
    }
}

/// Listen on `host:0` and carry every connection to `127.0.0.1:to`; the
/// port it listens on. The tasks end with the test's runtime.
async fn forwarder(host: &str, to: u16) -> u16 {
    let listener = TcpListener::bind((host, 0)).await.expect("bind on the veth address");
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", to)).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    port
}

// ---- the test ----

#[derive(Default)]
struct Seen {
    lease: Vec<u64>,
    ids: Vec<u64>,
    fence: u64,
    /// How many times the generator stopped at its fence, and the last fence it knew then.
    expired: Vec<u64>,
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
            "timed out waiting for {what}: {} IDs, fence {}, expired {:?}, end {:?}",
            s.ids.len(),
            s.fence,
            s.expired,
            s.end
        );
        drop(s);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Cut {
    BothWays,
    AnswersLost,
}

async fn partition<S: Store>(engine: &str, url: String, store: S, cut: Cut) {
    let ns = support::unique("partition");
    store.init_namespace(&ns, support::LAYOUT, Some(1), CONFIG, true).await.unwrap();
    let net = Net::new();
    let port = forwarder(&net.host_ip, port_of(&url)).await;
    let exe = std::env::current_exe().unwrap();
    let mut child = tokio::process::Command::new("ip")
        .args(["netns", "exec", &net.ns])
        .arg(exe)
        .args(["--exact", "partition_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{engine} {ns} {}", url_through(engine, &net.host_ip, port)))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
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
                } else if let Some(f) = line.strip_prefix("fence ") {
                    s.fence = f.parse().unwrap();
                } else if line == "expired" {
                    let f = s.fence;
                    s.expired.push(f);
                } else if let Some(end) = line.strip_prefix("end ") {
                    s.end = Some(end.to_string());
                }
            }
        })
    };
    // Past a few renewals through the forwarder, minting all along.
    wait("the holder's first IDs and renewals", 60, &seen, |s| {
        s.ids.len() >= 1_000 && s.lease.len() == 3 && s.fence > s.lease[2] + CONFIG.ttl_ms
    })
    .await;
    assert!(seen.lock().unwrap().expired.is_empty(), "the holder stopped before the cut");

    match cut {
        Cut::BothWays => net.cut(),
        Cut::AnswersLost => net.lose_answers(),
    }
    let cut_at = Instant::now();
    // The holder hears no renewal: it mints up to its fence and stops there.
    wait("the cut-off holder to stop at its fence", 10, &seen, |s| !s.expired.is_empty()).await;
    let stopped_after = cut_at.elapsed();

    // The other side takes the node once the store's TTL ran out.
    let b_options = LeaseOptions {
        holder: Some("b".into()),
        ..LeaseOptions::default()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let b = loop {
        match NodeLease::acquire_with(store.clone(), &ns, support::LAYOUT, b_options.clone()).await {
            Ok(b) => break b,
            Err(e) if e.code() == ErrorCode::NoFreeNode && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the other side takes the node: {e}"),
        }
    };
    let taken_after = cut_at.elapsed();
    let (a_lease, a_heard) = {
        let s = seen.lock().unwrap();
        (s.lease.clone(), s.fence)
    };
    assert_eq!([b.node(), b.epoch()], [a_lease[0], a_lease[1] + 1], "{a_lease:?}");
    assert!(b.start_ms() >= a_heard, "b starts below a fence the store confirmed");
    if cut == Cut::AnswersLost && engine == "redis" {
        // The record b's start comes from was raised by a renewal whose
        // answer was lost: on Redis a renewal is one request (EVALSHA). On
        // the SQL engines it is several round trips (tokio-postgres prepares
        // each text first; MariaDB's renewal is a transaction of four
        // statements), so with answers lost the statement that changes the
        // row is never sent, unless the cut falls right before its answer.
        assert!(
            b.start_ms() > a_heard,
            "no renewal reached the store unheard: b starts at {}, a heard {a_heard}",
            b.start_ms()
        );
    }
    let mut b_ids: Vec<u64> = (0..2_000).map(|_| b.next_id().unwrap()).collect();

    // The partition heals: the cut-off holder's renewal reaches the store and is refused.
    net.heal();
    let healed_at = Instant::now();
    wait("the cut-off holder's end", 40, &seen, |s| s.end.is_some()).await;
    let lost_after = healed_at.elapsed();
    b_ids.extend((0..1_000).map(|_| b.next_id().unwrap()));
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the child exits")
        .unwrap();
    assert!(status.success(), "{status}");
    reader.await.unwrap();

    let s = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(s.end.as_deref(), Some("lease_lost"));
    assert!(!s.expired.is_empty(), "the cut-off holder never stopped at its fence");
    let a: HashSet<u64> = s.ids.iter().copied().collect();
    assert_eq!(a.len(), s.ids.len(), "the cut-off holder minted an ID twice");
    assert!(b_ids.iter().all(|id| !a.contains(id)), "an ID in common between the two sides");
    let time = |id: &u64| support::LAYOUT.decompose(*id).unwrap().timestamp_ms;
    let a_last = s.ids.iter().map(time).max().unwrap();
    assert!(a_last < s.fence, "the cut-off holder minted past the last fence it was told");
    assert!(a_last < b.start_ms(), "the cut-off holder minted at or past the other's start");
    assert!(b_ids.iter().all(|id| time(id) >= b.start_ms()));
    let rows = store.nodes(&ns).await.unwrap();
    assert_eq!(rows[0].holder, "b");
    b.release().await.unwrap();
    eprintln!(
        "partition {engine} {}: {} IDs on the cut-off side, stopped {} ms after the cut, \
         node taken after {} ms (b starts {} ms past the fence a heard), lease_lost {} ms after the heal",
        if cut == Cut::BothWays { "both ways" } else { "answers lost" },
        s.ids.len(),
        stopped_after.as_millis(),
        taken_after.as_millis(),
        b.start_ms() - a_heard,
        lost_after.as_millis()
    );
    drop(net);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_holder_stops_at_its_fence_postgres() {
    partition("postgres", pg_url(), PgStore::from_url(&pg_url()).unwrap(), Cut::BothWays).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_answers_are_lost_stops_at_its_fence_postgres() {
    partition("postgres", pg_url(), PgStore::from_url(&pg_url()).unwrap(), Cut::AnswersLost).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_holder_stops_at_its_fence_mysql() {
    partition("mysql", my_url(), MyStore::from_url(&my_url()).unwrap(), Cut::BothWays).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_answers_are_lost_stops_at_its_fence_mysql() {
    partition("mysql", my_url(), MyStore::from_url(&my_url()).unwrap(), Cut::AnswersLost).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_holder_stops_at_its_fence_redis() {
    let store = RedisStore::from_url(&rd_url()).await.expect("Redis");
    partition("redis", rd_url(), store, Cut::BothWays).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_answers_are_lost_stops_at_its_fence_redis() {
    let store = RedisStore::from_url(&rd_url()).await.expect("Redis");
    partition("redis", rd_url(), store, Cut::AnswersLost).await;
}
