//! The core's Lua texts on the machine's real Redis (never a mock): leases
//! under racing holders, expiry on Redis's clock, refused renewals,
//! releases, a floor raised by a new run_id, INCRBY ranges that never
//! overlap and a missing counter refused. Keys are unique to the run.

#![cfg(feature = "std")]

#[path = "support/race.rs"]
mod race;
#[path = "support/redis_store.rs"]
mod redis_store;

impl race::Leases for RedisStore {
    fn acquire(&mut self, ns: &str, holder: &str, proposed_fence_ms: u64) -> idloom::Result<Grant> {
        RedisStore::acquire(self, ns, holder, proposed_fence_ms)
    }
    fn renew(&mut self, ns: &str, g: &Grant, holder: &str, proposed_fence_ms: u64) -> idloom::Result<Grant> {
        RedisStore::renew(self, ns, g, holder, proposed_fence_ms)
    }
    fn release(&mut self, ns: &str, g: &Grant, holder: &str, high_water_ms: u64) -> idloom::Result<u64> {
        RedisStore::release(self, ns, g, holder, high_water_ms)
    }
}

use idloom::lease::{Grant, LeaseConfig};
use idloom::{Clock, ErrorCode, Layout, SystemClock};
use redis_store::RedisStore;

fn store() -> RedisStore {
    RedisStore::connect(&redis_store::url())
        .unwrap_or_else(|e| panic!("Redis at {}: {e} (the tests need the server; they never skip)", redis_store::url()))
}

fn unique(tag: &str) -> String {
    format!("t{tag}-{}-{}", std::process::id(), SystemClock.now_ms())
}

const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 300,
    max_skew_ms: 100,
};

#[test]
fn sixteen_holders_racing_for_eight_nodes_never_share_an_epoch() {
    let ns = unique("race");
    store().init_namespace(&ns, &Layout::TWITTER, 8, CONFIG, true).unwrap();
    let n = race::sixteen_holders_on_eight_nodes(store, &ns, CONFIG.ttl_ms);
    eprintln!("{n} grants to 16 holders on 8 nodes");
}

#[test]
fn expiry_renewal_release_and_a_new_run_id() {
    let ns = unique("lease");
    let mut db = store();
    assert_eq!(db.acquire(&ns, "a", 0).unwrap_err().code(), ErrorCode::StoreStateLost);
    assert_eq!(db.init_namespace(&ns, &Layout::TWITTER, 1, CONFIG, true).unwrap(), 0);
    assert_eq!(
        db.init_namespace(&ns, &Layout::BAIDU, 1, CONFIG, true).unwrap_err().code(),
        ErrorCode::StoreSchema
    );
    let a = db.acquire(&ns, "a", SystemClock.now_ms() + 300).unwrap();
    assert!(a.store_now_ms.abs_diff(SystemClock.now_ms()) < 1_000, "the store's clock (TIME)");
    assert_eq!(db.acquire(&ns, "b", 0).unwrap_err().code(), ErrorCode::NoFreeNode);
    let r = db.renew(&ns, &a, "a", a.fence_ms + 50).unwrap();
    assert_eq!(r.fence_ms, a.fence_ms + 50);
    std::thread::sleep(std::time::Duration::from_millis(CONFIG.ttl_ms + 50));
    let b = db.acquire(&ns, "b", 0).unwrap();
    assert_eq!((b.epoch, b.start_ms), (a.epoch + 1, a.fence_ms + 50));
    assert_eq!(db.renew(&ns, &a, "a", u64::MAX >> 12).unwrap_err().code(), ErrorCode::LeaseLost);
    assert_eq!(db.release(&ns, &b, "b", b.start_ms + 3).unwrap(), b.start_ms);
    // Another run_id (a restart without persistence, a failover): the floor rises first.
    redis::cmd("HSET")
        .arg(idloom::stores::redis::namespace_key(&ns))
        .arg("run_id")
        .arg("old")
        .query::<()>(&mut db.conn)
        .unwrap();
    let before = SystemClock.now_ms();
    let c = db.acquire(&ns, "c", 0).unwrap();
    assert!(
        c.start_ms + 5 >= before + CONFIG.ttl_ms + CONFIG.max_skew_ms,
        "start {} above the new floor",
        c.start_ms
    );
}

#[test]
fn incrby_ranges_never_overlap_and_a_missing_counter_is_refused() {
    let tag = unique("seg");
    let mut db = store();
    assert_eq!(
        db.fetch(&tag, 10).unwrap_err().code(),
        ErrorCode::StoreStateLost,
        "never a silent restart from 0"
    );
    assert_eq!(db.init_counter(&tag, 1_000).unwrap(), 1_000);
    assert_eq!(db.init_counter(&tag, 0).unwrap(), 1_000, "never lowered");
    let ranges: Vec<(u64, u64)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let tag = tag.clone();
                s.spawn(move || {
                    let mut db = store();
                    (0..100).map(|_| db.fetch(&tag, 50).unwrap()).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let mut sorted = ranges.clone();
    sorted.sort_unstable();
    assert_eq!(sorted[0].0, 1_000);
    for w in sorted.windows(2) {
        assert_eq!(w[0].1, w[1].0, "contiguous, no overlap");
    }
    assert!(RedisStore::connect("redis://127.0.0.1:1/").err().unwrap().code() == ErrorCode::StoreUnavailable);
}

#[test]
fn a_proposed_fence_is_clamped_to_one_lease_ahead_of_the_stores_clock() {
    let ns = unique("clamp");
    let mut db = store();
    db.init_namespace(&ns, &Layout::TWITTER, 1, CONFIG, true).unwrap();
    // Renewing with a proposal Lua holds exactly (ten years ahead); 2^60 it refuses, not rounds.
    let years = SystemClock.now_ms() + 10 * 365 * 86_400_000;
    let (_, _, b) = race::proposed_fences_are_clamped(&mut db, &ns, CONFIG, years, |db, r| {
        assert_eq!(db.renew(&ns, r, "a", 1 << 60).unwrap_err().code(), ErrorCode::InvalidRange);
    });
    assert_eq!(db.release(&ns, &b, "b", 1 << 60).unwrap_err().code(), ErrorCode::InvalidRange);
    assert_eq!(db.release(&ns, &b, "b", b.start_ms).unwrap(), b.start_ms);
    assert_eq!(db.acquire(&ns, "c", 1 << 60).unwrap_err().code(), ErrorCode::InvalidRange);
}

#[test]
fn a_counter_near_2_pow_53_never_overlaps_and_is_refused_at_the_edge() {
    use idloom::stores::redis::{check_counter_floor, counter_key, MAX_INT};
    let tag = unique("edge");
    let mut db = store();
    // init_segment in every binding asks the core first: a floor the first
    // fetch of `step` could not serve is invalid_range, naming the bound.
    let e = db.init_counter_for(&tag, 1 << 60, 1_000).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRange);
    assert_eq!(
        e.to_string(),
        format!("floor must be in 0..={}, got {}", MAX_INT - 1_001, 1u64 << 60)
    );
    assert_eq!(check_counter_floor(MAX_INT - 1_001, 1_000).unwrap(), MAX_INT - 1_001);
    assert_eq!(check_counter_floor(0, 0).unwrap_err().code(), ErrorCode::InvalidArgument);
    // The script refuses such a floor by itself too.
    assert_eq!(db.init_counter(&tag, 1 << 60).unwrap_err().code(), ErrorCode::InvalidRange);
    // Four processes draw an odd step from 4.5 steps below the edge: four
    // ranges, contiguous, below 2^53 - 1; then every fetch is refused.
    let step = 1_001;
    let floor = MAX_INT - 4 * step - 500;
    assert_eq!(db.init_counter_for(&tag, floor, step).unwrap(), floor);
    let (ranges, refusals): (Vec<(u64, u64)>, usize) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let tag = tag.clone();
                s.spawn(move || {
                    let mut db = store();
                    let mut got = Vec::new();
                    for _ in 0..8 {
                        match db.fetch(&tag, step) {
                            Ok(r) => got.push(r),
                            Err(e) => {
                                assert_eq!(e.code(), ErrorCode::InvalidRange);
                                return (got, 1);
                            }
                        }
                    }
                    (got, 0)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .fold((Vec::new(), 0), |(mut a, n), (r, k)| {
                a.extend(r);
                (a, n + k)
            })
    });
    assert_eq!(refusals, 4, "every drawer reached the edge and was refused: {ranges:?}");
    let mut sorted = ranges.clone();
    sorted.sort_unstable();
    assert_eq!(sorted.len(), 4, "{sorted:?}");
    assert_eq!(sorted[0].0, floor);
    for w in sorted.windows(2) {
        assert_eq!(w[0].1, w[1].0, "contiguous, no overlap: {sorted:?}");
    }
    assert!(sorted.iter().all(|r| r.1 - r.0 == step && r.1 < MAX_INT), "{sorted:?}");
    let value = |db: &mut RedisStore| -> String { redis::cmd("GET").arg(counter_key(&tag)).query(&mut db.conn).unwrap() };
    assert_eq!(value(&mut db), (floor + 4 * step).to_string(), "a refused fetch moves nothing");
    // A smaller step still fits below the edge; then that is refused as well.
    assert_eq!(db.fetch(&tag, 100).unwrap(), (floor + 4 * step, floor + 4 * step + 100));
    // A counter already past the edge (an old script, a SET) stays refused, unchanged.
    redis::cmd("SET")
        .arg(counter_key(&tag))
        .arg(1u64 << 60)
        .query::<()>(&mut db.conn)
        .unwrap();
    for _ in 0..2 {
        assert_eq!(db.fetch(&tag, step).unwrap_err().code(), ErrorCode::InvalidRange);
    }
    assert_eq!(db.fetch(&tag, 0).unwrap_err().code(), ErrorCode::InvalidRange, "even a peek");
    assert_eq!(value(&mut db), (1u64 << 60).to_string());
}

/// A private redis-server (own port, own dir): fault tests never touch the shared one.
struct Private {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Private {
    fn start(port: u16, dir: &std::path::Path) -> Private {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (the test command installs it)");
        let p = Private {
            child,
            port,
            dir: dir.to_path_buf(),
        };
        for _ in 0..100 {
            if RedisStore::connect(&p.url()).is_ok() {
                return p;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("private redis-server on {port} did not start");
    }
    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
    /// A new server on a free port (two tests of this binary run at once:
    /// never a port derived from the pid), in a directory of its own.
    fn fresh(tag: &str) -> Private {
        let dir = std::env::temp_dir().join(unique(tag));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Private::start(port, &dir)
    }
    /// Killed, then started again from the RDB file `snapshot` of its directory (a restore).
    fn restart_from(mut self, snapshot: &str) -> Private {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::fs::copy(self.dir.join(snapshot), self.dir.join("dump.rdb")).unwrap();
        Private::start(self.port, &self.dir.clone())
    }
    fn restart_empty(mut self) -> Private {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        Private::start(self.port, &self.dir.clone())
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_redis_restarted_empty_forgets_nothing_that_matters() {
    let redis = Private::fresh("redis");
    let dir = redis.dir.clone();
    let mut db = RedisStore::connect(&redis.url()).unwrap();
    db.init_namespace("orders", &Layout::TWITTER, 1, CONFIG, true).unwrap();
    let a = db.acquire("orders", "a", SystemClock.now_ms() + CONFIG.ttl_ms).unwrap();
    let a = db.renew("orders", &a, "a", SystemClock.now_ms() + CONFIG.ttl_ms).unwrap();
    db.init_counter("order", 1_000).unwrap();
    let before = db.fetch("order", 100).unwrap();
    // Restarted without persistence: a new run_id, nothing kept.
    let redis = redis.restart_empty();
    let mut db = RedisStore::connect(&redis.url()).unwrap();
    assert_eq!(
        db.acquire("orders", "b", 0).unwrap_err().code(),
        ErrorCode::StoreStateLost,
        "no silent fresh namespace"
    );
    assert_eq!(
        db.fetch("order", 100).unwrap_err().code(),
        ErrorCode::StoreStateLost,
        "no silent restart of the counter from 0"
    );
    // Re-created, not fresh: the floor is above every fence a live holder could use.
    let floor = db.init_namespace("orders", &Layout::TWITTER, 1, CONFIG, false).unwrap();
    assert!(floor > a.fence_ms, "floor {floor} above a's fence {}", a.fence_ms);
    let b = db.acquire("orders", "b", SystemClock.now_ms() + CONFIG.ttl_ms).unwrap();
    assert!(b.start_ms >= floor);
    assert_eq!(
        db.renew("orders", &a, "a", 0).unwrap_err().code(),
        ErrorCode::LeaseLost,
        "the old holder learns it lost"
    );
    // The counter is re-created above the old ranges by the operator (init with a floor).
    db.init_counter("order", before.1 + 1_000_000).unwrap();
    assert!(db.fetch("order", 100).unwrap().0 > before.1);
    drop(redis);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_redis_restored_from_an_older_snapshot_raises_the_floor_before_serving() {
    let redis = Private::fresh("rdb");
    let dir = redis.dir.clone();
    let mut db = RedisStore::connect(&redis.url()).unwrap();
    db.init_namespace("orders", &Layout::TWITTER, 1, CONFIG, true).unwrap();
    let a = db.acquire("orders", "a", SystemClock.now_ms() + CONFIG.ttl_ms).unwrap();
    redis::cmd("SAVE").query::<()>(&mut db.conn).unwrap(); // the snapshot a backup would take
    std::fs::copy(dir.join("dump.rdb"), dir.join("old.rdb")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let a = db.renew("orders", &a, "a", SystemClock.now_ms() + CONFIG.ttl_ms).unwrap(); // past the snapshot
                                                                                        // Restore the older snapshot: the store hands back state older than what a saw.
    drop(db);
    let redis = redis.restart_from("old.rdb");
    let mut db = RedisStore::connect(&redis.url()).unwrap();
    // The snapshot's lease runs out on the store's clock; b takes the node.
    std::thread::sleep(std::time::Duration::from_millis(CONFIG.ttl_ms + 50));
    let b = db.acquire("orders", "b", SystemClock.now_ms() + CONFIG.ttl_ms).unwrap();
    assert!(
        b.start_ms > a.fence_ms,
        "b starts at {} — above a's latest fence {}, which the restored store never saw",
        b.start_ms,
        a.fence_ms
    );
    assert_eq!(db.renew("orders", &a, "a", 0).unwrap_err().code(), ErrorCode::LeaseLost);
    drop(redis);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn lookup_and_status_show_the_record_and_every_node() {
    let ns = unique("status");
    let mut db = store();
    assert_eq!(db.namespace_get(&ns).unwrap_err().code(), ErrorCode::StoreStateLost);
    db.init_namespace(&ns, &Layout::TWITTER, 3, CONFIG, true).unwrap();
    let (layout, nodes, ttl, skew, floor) = db.namespace_get(&ns).unwrap();
    assert_eq!(layout, idloom::stores::layout_record(&Layout::TWITTER));
    assert_eq!((nodes, ttl, skew, floor), (3, CONFIG.ttl_ms, CONFIG.max_skew_ms, 0));
    let g = db.acquire(&ns, "h", 1_000).unwrap();
    race::check_status(&db.nodes(&ns).unwrap(), &g, "h");
}

/// The calls a script made of one Redis command, from `INFO commandstats`.
fn calls(db: &mut RedisStore, command: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query(&mut db.conn).unwrap();
    let head = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(&head))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

#[test]
fn acquire_touches_a_handful_of_keys_whatever_the_node_count() {
    // A private server: nobody else's commands in its counters.
    let redis = Private::fresh("redis-scale");
    let dir = redis.dir.clone();
    let mut db = RedisStore::connect(&redis.url()).unwrap();
    let ns = unique("scale");
    db.init_namespace(&ns, &Layout::SONYFLAKE, 65_536, CONFIG, true).unwrap();
    let reads = |db: &mut RedisStore| calls(db, "hmget") + calls(db, "hget");
    let mut last = None;
    for i in 0..20 {
        let before = reads(&mut db);
        let g = db.acquire(&ns, &format!("h{i}"), SystemClock.now_ms() + 300).unwrap();
        let spent = reads(&mut db) - before;
        // The old script read every node (65,536 HMGETs per acquire); now a few keys.
        assert!(spent <= 8, "acquire {i} read {spent} hashes");
        assert_eq!(g.node, i, "a fresh namespace hands out its nodes in order");
        last = Some(g);
    }
    // Sticky and a released node back at once, still by the index.
    let g = last.unwrap();
    assert_eq!(db.release(&ns, &g, "h19", g.start_ms).unwrap(), g.start_ms);
    let before = reads(&mut db);
    assert_eq!(db.acquire(&ns, "h19", 0).unwrap().node, 19, "sticky");
    assert!(reads(&mut db) - before <= 8);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_namespace_made_by_an_older_idloom_is_indexed_as_it_goes() {
    // An older acquire.lua kept no index: node records only, no `next`.
    // Nodes 0 and 2 are held by live holders of that time; node 1 expired.
    let ns = unique("oldns");
    let mut db = store();
    db.init_namespace(&ns, &Layout::TWITTER, 4, CONFIG, true).unwrap();
    let key = idloom::stores::redis::namespace_key(&ns);
    let node_key = |k: u64| format!("{}node:{k}", &key[..key.len() - 2]);
    redis::cmd("HDEL").arg(&key).arg("next").query::<()>(&mut db.conn).unwrap();
    let now = SystemClock.now_ms();
    for (k, expires) in [(0, now + 60_000), (1, 0), (2, now + 60_000)] {
        redis::cmd("HSET")
            .arg(node_key(k))
            .arg("holder")
            .arg(format!("old{k}"))
            .arg("epoch")
            .arg(3)
            .arg("expires_ms")
            .arg(expires)
            .arg("start_ms")
            .arg(now - 1_000)
            .arg("fence_ms")
            .arg(now + 500)
            .query::<()>(&mut db.conn)
            .unwrap();
    }
    let a = db.acquire(&ns, "a", now + 300).unwrap();
    assert_eq!(
        (a.node, a.epoch, a.start_ms),
        (1, 4, now + 500),
        "the expired node, above its old fence"
    );
    let b = db.acquire(&ns, "b", now + 300).unwrap();
    assert_eq!((b.node, b.epoch), (3, 1), "the live ones of the older idloom are skipped");
    assert_eq!(db.acquire(&ns, "c", 0).unwrap_err().code(), ErrorCode::NoFreeNode);
    // The old holder of node 1 came back: its node is taken, and it was never
    // in the holder map; the new holders' are.
    let status = db.nodes(&ns).unwrap();
    let holders: Vec<&str> = status.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(holders, ["old0", "a", "old2", "b"]);
}

#[test]
fn a_status_pages_through_every_node() {
    let ns = unique("pages");
    let mut db = store();
    db.init_namespace(&ns, &Layout::TWITTER, 1_024, CONFIG, true).unwrap();
    let ns2 = unique("pages2");
    db.init_namespace(&ns2, &Layout::SONYFLAKE, 2_500, CONFIG, true).unwrap();
    for i in 0..3 {
        db.acquire(&ns2, &format!("h{i}"), SystemClock.now_ms() + 300).unwrap();
    }
    let rows = db.nodes(&ns2).unwrap();
    assert_eq!(rows.len(), 2_500);
    assert!(rows.iter().enumerate().all(|(k, r)| r.0 == k as u64));
    assert_eq!((rows[2].1.as_str(), rows[3].1.as_str()), ("h2", ""));
    assert_eq!(db.nodes(&ns).unwrap().len(), 1_024);
    // One script call answers at most 1,024 nodes.
    let v: Vec<redis::Value> = redis::cmd("EVAL")
        .arg(idloom::stores::redis::NODES)
        .arg(1)
        .arg(idloom::stores::redis::namespace_key(&ns2))
        .arg(2_000)
        .query(&mut db.conn)
        .unwrap();
    assert_eq!(v.len(), 1 + 500 * 6);
}

fn counter_value(db: &mut RedisStore, tag: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(idloom::stores::redis::counter_key(tag))
        .query(&mut db.conn)
        .unwrap()
}

/// The guard on a Redis counter, simulated: the run_id it recorded changed
/// behind its back (as after a restart, a restore or a failover). Fetches
/// (and a peek, step 0) are store_state_lost and move nothing until a
/// guarded re-init raises the counter to max(counter, floor).
#[test]
fn a_guarded_counter_refuses_another_run_id_until_reinitialised_above_a_floor() {
    let mut db = store();
    let (tag, plain) = (unique("guard"), unique("plain"));
    assert_eq!(db.init_counter_with(&tag, 100, true).unwrap(), 100);
    db.init_counter(&plain, 100).unwrap();
    assert_eq!(db.fetch(&tag, 10).unwrap(), (100, 110));
    assert_eq!(db.init_counter_with(&tag, 5_000, true).unwrap(), 110, "same run_id: unchanged");
    let guard = idloom::stores::redis::guard_key(&tag);
    redis::cmd("SET").arg(&guard).arg("another").query::<()>(&mut db.conn).unwrap();
    for step in [10, 0] {
        let e = db.fetch(&tag, step).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StoreStateLost);
        assert!(e.to_string().contains("store identity changed"), "{e}");
    }
    assert_eq!(counter_value(&mut db, &tag).as_deref(), Some("110"), "nothing moved");
    assert_eq!(db.init_counter(&tag, 9_000).unwrap(), 110, "an unguarded init changes nothing");
    assert_eq!(db.fetch(&tag, 10).unwrap_err().code(), ErrorCode::StoreStateLost);
    assert_eq!(db.fetch(&plain, 10).unwrap(), (100, 110), "an unguarded counter is unaffected");
    assert_eq!(db.init_counter_with(&tag, 9_000, true).unwrap(), 9_000);
    assert_eq!(db.fetch(&tag, 10).unwrap(), (9_000, 9_010));
    redis::cmd("SET").arg(&guard).arg("another").query::<()>(&mut db.conn).unwrap();
    assert_eq!(db.init_counter_with(&tag, 5, true).unwrap(), 9_010, "never lowered");
    assert_eq!(db.fetch(&tag, 10).unwrap(), (9_010, 9_020));
    assert_eq!(
        db.init_counter_with(&plain, 700, true).unwrap(),
        700,
        "guarding an unguarded counter raises it"
    );
    assert_eq!(idloom::stores::check_guard("mysql").unwrap_err().code(), ErrorCode::InvalidArgument);
}

/// The real fault: a private redis-server restored from an older RDB
/// snapshot (a new run_id, the counter rolled back). The guarded counter
/// refuses to fetch (no ID handed out twice) until it is re-initialised above
/// the highest ID seen; an unguarded counter in the same snapshot shows the
/// duplicates the guard prevents.
#[test]
fn a_guarded_counter_restored_from_an_older_rdb_refuses_until_reinitialised() {
    let redis = Private::fresh("guard-rdb");
    let dir = redis.dir.clone();
    let mut db = RedisStore::connect(&redis.url()).unwrap();
    db.init_counter_with("order", 1_000, true).unwrap();
    db.init_counter("plain", 1_000).unwrap();
    let mut seen = vec![db.fetch("order", 100).unwrap()];
    let plain_before = db.fetch("plain", 100).unwrap();
    redis::cmd("SAVE").query::<()>(&mut db.conn).unwrap(); // the backup
    std::fs::copy(dir.join("dump.rdb"), dir.join("old.rdb")).unwrap();
    seen.push(db.fetch("order", 100).unwrap());
    seen.push(db.fetch("order", 100).unwrap());
    let plain_after = db.fetch("plain", 100).unwrap();
    let highest = seen.iter().map(|r| r.1).max().unwrap();
    drop(db);
    let redis = redis.restart_from("old.rdb");
    let mut db = RedisStore::connect(&redis.url()).unwrap();
    let restored: u64 = counter_value(&mut db, "order").unwrap().parse().unwrap();
    assert!(restored < highest, "the snapshot is older: {restored} < {highest}");
    // Unguarded: the restored counter re-issues IDs already handed out.
    let plain_again = db.fetch("plain", 100).unwrap();
    assert_eq!(plain_again, plain_after, "the duplicate the guard exists for");
    assert!(plain_again.0 >= plain_before.1);
    // Guarded: refused, nothing moved.
    assert_eq!(db.fetch("order", 100).unwrap_err().code(), ErrorCode::StoreStateLost);
    assert_eq!(counter_value(&mut db, "order").unwrap().parse::<u64>().unwrap(), restored);
    // Re-initialised above the highest ID seen: fetching resumes without overlap.
    db.init_counter_with("order", highest, true).unwrap();
    for _ in 0..3 {
        let r = db.fetch("order", 100).unwrap();
        assert!(seen.iter().all(|s| r.0 >= s.1 || r.1 <= s.0), "{r:?} overlaps {seen:?}");
        seen.push(r);
    }
    assert_eq!(seen[3].0, highest);
    drop(redis);
    std::fs::remove_dir_all(dir).ok();
}
