//! The scenarios on the real Redis (127.0.0.1:6379; `IDLOOM_REDIS` overrides).

mod engines;
mod support;

use idloom_stores::redis::RedisStore;

fn url() -> String {
    std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

async fn store() -> RedisStore {
    RedisStore::from_url(&url()).await.expect("Redis at 127.0.0.1:6379 (IDLOOM_REDIS)")
}

support::scenarios!(segments_unique);

engines::every_engine!();

engines::faults!(
    a_refused_renewal_stops_at_the_fence => async |ns: String| {
        let mut conn = raw(&url()).await;
        // The record and the index the acquire script reads (see core/stores/redis/acquire.lua).
        let base = format!("{{idloom:{ns}}}:");
        redis::cmd("HSET")
            .arg(format!("{base}node:0"))
            .arg("expires_ms")
            .arg(0)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        redis::cmd("ZADD")
            .arg(format!("{base}expiry"))
            .arg(0)
            .arg(0)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    },
    guarded_counters => async |tag: String| {
        let mut conn = raw(&url()).await;
        set(&mut conn, &idloom::stores::redis::guard_key(&tag), "elsewhere").await;
    },
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_store_unavailable() {
    let e = RedisStore::from_url("redis://127.0.0.1:1/").await.unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::StoreUnavailable, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_checked() {
    support::arguments(store().await).await;
    let e = idloom_stores::Store::init_segment(&store().await, "big", 1 << 53, 10)
        .await
        .unwrap_err();
    assert_eq!(e.code(), idloom::ErrorCode::InvalidRange, "{e}");
}

// ---- moved from the core's tests/store_redis.rs (sync adapters) ----

use idloom::ErrorCode;
use idloom_stores::Store;
use std::time::Duration;

/// A connection of its own for the edits a fault leaves behind.
async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

/// A script's answer as text: an array's head (`ok`, `state_lost`, `invalid_range`…), else the value.
fn head(v: &redis::Value) -> String {
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        redis::Value::Int(i) => i.to_string(),
        _ => String::new(),
    };
    match v {
        redis::Value::Array(a) => a.first().map(text).unwrap_or_default(),
        v => text(v),
    }
}

/// `SET key value`.
async fn set(conn: &mut redis::aio::MultiplexedConnection, key: &str, value: &str) {
    redis::cmd("SET").arg(key).arg(value).query_async::<()>(conn).await.unwrap();
}

/// A counter's value, `None` if missing.
async fn counter_value(conn: &mut redis::aio::MultiplexedConnection, tag: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(idloom::stores::redis::counter_key(tag))
        .query_async(conn)
        .await
        .unwrap()
}

/// The counter of `tag` reads `want` (`why` says what the test expects of it).
async fn assert_counter(conn: &mut redis::aio::MultiplexedConnection, tag: &str, want: &str, why: &str) {
    assert_eq!(counter_value(conn, tag).await.as_deref(), Some(want), "{why}");
}

/// The INCRBY script's answer to a peek (step 0), which the crate refuses before sending.
async fn peek(conn: &mut redis::aio::MultiplexedConnection, tag: &str) -> redis::Value {
    redis::cmd("EVAL")
        .arg(idloom::stores::redis::INCRBY)
        .arg(1)
        .arg(idloom::stores::redis::counter_key(tag))
        .arg(0)
        .query_async(conn)
        .await
        .unwrap()
}

fn pair(r: idloom_stores::Range) -> (u64, u64) {
    (r.start, r.end)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_renewal_release_and_a_new_run_id() {
    let db = store().await;
    support::expiry_on_the_stores_clock(&db).await;
    // Another run_id (a restart without persistence, a failover): the floor rises first.
    engines::a_forgetful_store_raises_the_floor_first(&db, async |ns| {
        redis::cmd("HSET")
            .arg(idloom::stores::redis::namespace_key(&ns))
            .arg("run_id")
            .arg("old")
            .query_async::<()>(&mut raw(&url()).await)
            .await
            .unwrap()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incrby_ranges_never_overlap_and_a_missing_counter_is_refused() {
    let db = store().await;
    let e = db.fetch(&support::unique("seg"), 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "never a silent restart from 0: {e}");
    // Never lowered: segments_unique. Eight fetchers from 1,000, contiguous.
    support::eight_fetchers_on_one_counter(&db, 1_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposed_fence_is_clamped_to_one_lease_ahead_of_the_stores_clock() {
    let db = store().await;
    // Renewing with a proposal Lua holds exactly (ten years ahead); 2^60 it refuses, not rounds.
    let years = support::now_ms() + 10 * 365 * 86_400_000;
    let (ns, _, _, b) = support::proposed_fences_are_clamped(&db, years, |ns, r| {
        let db = db.clone();
        async move {
            let e = db.renew(&ns, r.node, r.epoch, r.start_ms, "a", 1 << 60).await.unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRange, "{e}");
        }
    })
    .await;
    let e = db.release(&ns, b.node, b.epoch, b.start_ms, "b", 1 << 60).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRange, "{e}");
    db.release(&ns, b.node, b.epoch, b.start_ms, "b", b.start_ms).await.unwrap();
    let e = db.acquire(&ns, "c", 1 << 60).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRange, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_near_2_pow_53_never_overlaps_and_is_refused_at_the_edge() {
    use idloom::stores::redis::{check_counter_floor, counter_key, MAX_INT, SEGMENT_INIT};
    let (db, tag) = (store().await, support::unique("edge"));
    let mut conn = raw(&url()).await;
    // init_segment in every binding asks the core first: a floor the first
    // fetch of `step` could not serve is invalid_range, naming the bound.
    let e = db.init_segment(&tag, 1 << 60, 1_000).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRange, "{e}");
    let e = check_counter_floor(1 << 60, 1_000).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("floor must be in 0..={}, got {}", MAX_INT - 1_001, 1u64 << 60)
    );
    assert_eq!(check_counter_floor(MAX_INT - 1_001, 1_000).unwrap(), MAX_INT - 1_001);
    assert_eq!(check_counter_floor(0, 0).unwrap_err().code(), ErrorCode::InvalidArgument);
    // The script refuses such a floor by itself too.
    let v: redis::Value = redis::cmd("EVAL")
        .arg(SEGMENT_INIT)
        .arg(1)
        .arg(counter_key(&tag))
        .arg(1u64 << 60)
        .arg("0")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(head(&v), "invalid_range", "{v:?}");
    // Four fetchers draw an odd step from 4.5 steps below the edge: four
    // ranges, contiguous, below 2^53 - 1; then every fetch is refused.
    let step = 1_001;
    let floor = MAX_INT - 4 * step - 500;
    db.init_segment(&tag, floor, step).await.unwrap();
    assert_eq!(counter_value(&mut conn, &tag).await, Some(floor.to_string()));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (db, tag) = (db.clone(), tag.clone());
            tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..8 {
                    match db.fetch(&tag, step).await {
                        Ok(r) => got.push(pair(r)),
                        Err(e) => {
                            assert_eq!(e.code(), ErrorCode::InvalidRange, "{e}");
                            return (got, 1);
                        }
                    }
                }
                (got, 0)
            })
        })
        .collect();
    let (mut ranges, mut refusals) = (Vec::new(), 0);
    for t in tasks {
        let (r, k) = t.await.unwrap();
        ranges.extend(r);
        refusals += k;
    }
    assert_eq!(refusals, 4, "every drawer reached the edge and was refused: {ranges:?}");
    ranges.sort_unstable();
    assert_eq!(ranges.len(), 4, "{ranges:?}");
    assert_eq!(ranges[0].0, floor);
    for w in ranges.windows(2) {
        assert_eq!(w[0].1, w[1].0, "contiguous, no overlap: {ranges:?}");
    }
    assert!(ranges.iter().all(|r| r.1 - r.0 == step && r.1 < MAX_INT), "{ranges:?}");
    assert_eq!(
        counter_value(&mut conn, &tag).await,
        Some((floor + 4 * step).to_string()),
        "a refused fetch moves nothing"
    );
    // A smaller step still fits below the edge; then that is refused as well.
    assert_eq!(pair(db.fetch(&tag, 100).await.unwrap()), (floor + 4 * step, floor + 4 * step + 100));
    // A counter already past the edge (an old script, a SET) stays refused, unchanged.
    redis::cmd("SET")
        .arg(counter_key(&tag))
        .arg(1u64 << 60)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(db.fetch(&tag, step).await.unwrap_err().code(), ErrorCode::InvalidRange);
    }
    // Even a peek (step 0, which the crate refuses before sending: the script's own answer).
    let v = peek(&mut conn, &tag).await;
    assert_eq!(head(&v), "invalid_range", "even a peek: {v:?}");
    assert_eq!(counter_value(&mut conn, &tag).await, Some((1u64 << 60).to_string()));
}

/// A private redis-server (own port, own dir): fault tests never touch the shared one.
struct Private {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Private {
    async fn start(port: u16, dir: &std::path::Path) -> Private {
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
            if RedisStore::from_url(&p.url()).await.is_ok() {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("private redis-server on {port} did not start");
    }
    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
    async fn store(&self) -> RedisStore {
        RedisStore::from_url(&self.url()).await.unwrap()
    }
    /// A new server on a free port (tests of this binary run at once:
    /// never a port derived from the pid), in a directory of its own.
    async fn fresh(tag: &str) -> Private {
        let dir = std::env::temp_dir().join(support::unique(tag));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Private::start(port, &dir).await
    }
    /// A fresh server with the one-node namespace `orders` ([`support::SHORT`]), its node held by `a`.
    async fn holding(tag: &str) -> (Private, RedisStore, idloom_stores::Grant) {
        let redis = Private::fresh(tag).await;
        let db = redis.store().await;
        db.init_namespace("orders", support::LAYOUT, Some(1), support::SHORT, true)
            .await
            .unwrap();
        let a = db.acquire("orders", "a", support::now_ms() + support::SHORT.ttl_ms).await.unwrap();
        (redis, db, a)
    }
    fn stop(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
    /// Killed, then started again from the RDB file `snapshot` of its directory (a restore).
    async fn restart_from(mut self, snapshot: &str) -> Private {
        self.stop();
        std::fs::copy(self.dir.join(snapshot), self.dir.join("dump.rdb")).unwrap();
        Private::start(self.port, &self.dir.clone()).await
    }
    async fn restart_empty(mut self) -> Private {
        self.stop();
        Private::start(self.port, &self.dir.clone()).await
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_empty_forgets_nothing_that_matters() {
    let (layout, config) = (support::LAYOUT, support::SHORT);
    let (redis, db, a) = Private::holding("redis").await;
    let dir = redis.dir.clone();
    let a = db
        .renew("orders", a.node, a.epoch, a.start_ms, "a", support::now_ms() + config.ttl_ms)
        .await
        .unwrap()
        .unwrap();
    db.init_segment("order", 1_000, 100).await.unwrap();
    let before = db.fetch("order", 100).await.unwrap();
    // Restarted without persistence: a new run_id, nothing kept.
    drop(db);
    let redis = redis.restart_empty().await;
    let db = redis.store().await;
    let e = db.acquire("orders", "b", 0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "no silent fresh namespace: {e}");
    let e = db.fetch("order", 100).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "no silent restart of the counter from 0: {e}");
    // Re-created, not fresh: the floor is above every fence a live holder could use.
    let floor = db.init_namespace("orders", layout, Some(1), config, false).await.unwrap().floor_ms;
    assert!(floor > a.fence_ms, "floor {floor} above a's fence {}", a.fence_ms);
    let b = db.acquire("orders", "b", support::now_ms() + config.ttl_ms).await.unwrap();
    assert!(b.start_ms >= floor);
    assert_eq!(
        db.renew("orders", a.node, a.epoch, a.start_ms, "a", 0).await.unwrap(),
        None,
        "the old holder learns it lost"
    );
    // The counter is re-created above the old ranges by the operator (init with a floor).
    db.init_segment("order", before.end + 1_000_000, 100).await.unwrap();
    assert!(db.fetch("order", 100).await.unwrap().start > before.end);
    drop(redis);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restored_from_an_older_snapshot_raises_the_floor_before_serving() {
    let config = support::SHORT;
    let (redis, db, a) = Private::holding("rdb").await;
    let dir = redis.dir.clone();
    redis::cmd("SAVE").query_async::<()>(&mut raw(&redis.url()).await).await.unwrap(); // the snapshot a backup would take
    std::fs::copy(dir.join("dump.rdb"), dir.join("old.rdb")).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Past the snapshot.
    let a = db
        .renew("orders", a.node, a.epoch, a.start_ms, "a", support::now_ms() + config.ttl_ms)
        .await
        .unwrap()
        .unwrap();
    // Restore the older snapshot: the store hands back state older than what a saw.
    drop(db);
    let redis = redis.restart_from("old.rdb").await;
    let db = redis.store().await;
    // The snapshot's lease runs out on the store's clock; b takes the node.
    tokio::time::sleep(Duration::from_millis(config.ttl_ms + 50)).await;
    let b = db.acquire("orders", "b", support::now_ms() + config.ttl_ms).await.unwrap();
    assert!(
        b.start_ms > a.fence_ms,
        "b starts at {} — above a's latest fence {}, which the restored store never saw",
        b.start_ms,
        a.fence_ms
    );
    assert_eq!(db.renew("orders", a.node, a.epoch, a.start_ms, "a", 0).await.unwrap(), None);
    drop(redis);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_and_status_show_the_record_and_every_node() {
    support::lookup_and_status(&store().await).await;
    // Redis answers a status of a missing namespace with store_state_lost.
    let e = store().await.nodes(&support::unique("none")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost, "{e}");
}

/// The hashes scripts read so far (`HMGET` and `HGET` calls, from `INFO commandstats`).
async fn hash_reads(conn: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await.unwrap();
    let calls = |command: &str| {
        let head = format!("cmdstat_{command}:calls=");
        info.lines()
            .find_map(|l| l.strip_prefix(&head))
            .map_or(0, |rest| rest.split(',').next().unwrap().parse::<u64>().unwrap())
    };
    calls("hmget") + calls("hget")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acquire_touches_a_handful_of_keys_whatever_the_node_count() {
    // A private server: nobody else's commands in its counters.
    let redis = Private::fresh("redis-scale").await;
    let dir = redis.dir.clone();
    let db = redis.store().await;
    let mut conn = raw(&redis.url()).await;
    let ns = engines::new_namespace(&db, "scale", idloom::Layout::SONYFLAKE, 65_536).await;
    let mut last = None;
    for i in 0..20 {
        let before = hash_reads(&mut conn).await;
        let g = db.acquire(&ns, &format!("h{i}"), support::now_ms() + 300).await.unwrap();
        let spent = hash_reads(&mut conn).await - before;
        // The old script read every node (65,536 HMGETs per acquire); now a few keys.
        assert!(spent <= 8, "acquire {i} read {spent} hashes");
        assert_eq!(g.node, i, "a fresh namespace hands out its nodes in order");
        last = Some(g);
    }
    // Sticky and a released node back at once, still by the index.
    let g = last.unwrap();
    db.release(&ns, g.node, g.epoch, g.start_ms, "h19", g.start_ms).await.unwrap();
    let before = hash_reads(&mut conn).await;
    assert_eq!(db.acquire(&ns, "h19", 0).await.unwrap().node, 19, "sticky");
    assert!(hash_reads(&mut conn).await - before <= 8);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_made_by_an_older_idloom_is_indexed_as_it_goes() {
    // An older acquire.lua kept no index: node records only, no `next`.
    // Nodes 0 and 2 are held by live holders of that time; node 1 expired.
    let db = store().await;
    let mut conn = raw(&url()).await;
    let ns = engines::new_namespace(&db, "oldns", support::LAYOUT, 4).await;
    let key = idloom::stores::redis::namespace_key(&ns);
    let node_key = |k: u64| format!("{}node:{k}", &key[..key.len() - 2]);
    redis::cmd("HDEL").arg(&key).arg("next").query_async::<()>(&mut conn).await.unwrap();
    let now = support::now_ms();
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
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    }
    let a = db.acquire(&ns, "a", now + 300).await.unwrap();
    assert_eq!(
        (a.node, a.epoch, a.start_ms),
        (1, 4, now + 500),
        "the expired node, above its old fence"
    );
    let b = db.acquire(&ns, "b", now + 300).await.unwrap();
    assert_eq!((b.node, b.epoch), (3, 1), "the live ones of the older idloom are skipped");
    assert_eq!(db.acquire(&ns, "c", 0).await.unwrap_err().code(), ErrorCode::NoFreeNode);
    // The old holder of node 1 came back: its node is taken, and it was never
    // in the holder map; the new holders' are.
    let status = db.nodes(&ns).await.unwrap();
    let holders: Vec<&str> = status.iter().map(|r| r.holder.as_str()).collect();
    assert_eq!(holders, ["old0", "a", "old2", "b"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_pages_through_every_node() {
    let db = store().await;
    let ns = engines::new_namespace(&db, "pages", support::LAYOUT, 1_024).await;
    let ns2 = engines::new_namespace(&db, "pages2", idloom::Layout::SONYFLAKE, 2_500).await;
    for i in 0..3 {
        db.acquire(&ns2, &format!("h{i}"), support::now_ms() + 300).await.unwrap();
    }
    let rows = db.nodes(&ns2).await.unwrap();
    assert_eq!(rows.len(), 2_500);
    assert!(rows.iter().enumerate().all(|(k, r)| r.node == k as u64));
    assert_eq!((rows[2].holder.as_str(), rows[3].holder.as_str()), ("h2", ""));
    assert_eq!(db.nodes(&ns).await.unwrap().len(), 1_024);
    // One script call answers at most 1,024 nodes.
    let v: Vec<redis::Value> = redis::cmd("EVAL")
        .arg(idloom::stores::redis::NODES)
        .arg(1)
        .arg(idloom::stores::redis::namespace_key(&ns2))
        .arg(2_000)
        .query_async(&mut raw(&url()).await)
        .await
        .unwrap();
    assert_eq!(v.len(), 1 + 500 * 6);
}

/// The guard on a Redis counter, simulated: the run_id it recorded changed
/// behind its back (as after a restart, a restore or a failover). Fetches
/// (and a peek, step 0) are store_state_lost and move nothing until a
/// guarded re-init raises the counter to max(counter, floor).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_counter_refuses_another_run_id_until_reinitialised_above_a_floor() {
    let db = store().await;
    let mut conn = raw(&url()).await;
    let (tag, plain) = (support::unique("guard"), support::unique("plain"));
    db.init_segment_guarded(&tag, 100, 10).await.unwrap();
    assert_counter(&mut conn, &tag, "100", "initialised at its start").await;
    db.init_segment(&plain, 100, 10).await.unwrap();
    assert_eq!(pair(db.fetch(&tag, 10).await.unwrap()), (100, 110));
    db.init_segment_guarded(&tag, 5_000, 10).await.unwrap();
    assert_counter(&mut conn, &tag, "110", "same run_id: unchanged").await;
    let guard = idloom::stores::redis::guard_key(&tag);
    set(&mut conn, &guard, "another").await; // another run_id recorded: a restore, a failover
    let e = db.fetch(&tag, 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreStateLost);
    assert!(e.to_string().contains("store identity changed"), "{e}");
    // A peek (step 0: the crate refuses it before sending; the script's own answer).
    let v = peek(&mut conn, &tag).await;
    assert_eq!(head(&v), "state_lost", "{v:?}");
    assert_counter(&mut conn, &tag, "110", "nothing moved").await;
    db.init_segment(&tag, 9_000, 10).await.unwrap();
    assert_counter(&mut conn, &tag, "110", "an unguarded init changes nothing").await;
    assert_eq!(db.fetch(&tag, 10).await.unwrap_err().code(), ErrorCode::StoreStateLost);
    assert_eq!(
        pair(db.fetch(&plain, 10).await.unwrap()),
        (100, 110),
        "an unguarded counter is unaffected"
    );
    db.init_segment_guarded(&tag, 9_000, 10).await.unwrap();
    assert_eq!(pair(db.fetch(&tag, 10).await.unwrap()), (9_000, 9_010));
    set(&mut conn, &guard, "another").await; // another run_id recorded: a restore, a failover
    db.init_segment_guarded(&tag, 5, 10).await.unwrap();
    assert_counter(&mut conn, &tag, "9010", "never lowered").await;
    assert_eq!(pair(db.fetch(&tag, 10).await.unwrap()), (9_010, 9_020));
    db.init_segment_guarded(&plain, 700, 10).await.unwrap();
    assert_counter(&mut conn, &plain, "700", "guarding an unguarded counter raises it").await;
    assert_eq!(idloom::stores::check_guard("mysql").unwrap_err().code(), ErrorCode::InvalidArgument);
}

/// The real fault: a private redis-server restored from an older RDB
/// snapshot (a new run_id, the counter rolled back). The guarded counter
/// refuses to fetch (no ID handed out twice) until it is re-initialised above
/// the highest ID seen; an unguarded counter in the same snapshot shows the
/// duplicates the guard prevents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_counter_restored_from_an_older_rdb_refuses_until_reinitialised() {
    let redis = Private::fresh("guard-rdb").await;
    let dir = redis.dir.clone();
    let db = redis.store().await;
    db.init_segment_guarded("order", 1_000, 100).await.unwrap();
    db.init_segment("plain", 1_000, 100).await.unwrap();
    let mut seen = vec![pair(db.fetch("order", 100).await.unwrap())];
    let plain_before = pair(db.fetch("plain", 100).await.unwrap());
    redis::cmd("SAVE").query_async::<()>(&mut raw(&redis.url()).await).await.unwrap(); // the backup
    std::fs::copy(dir.join("dump.rdb"), dir.join("old.rdb")).unwrap();
    seen.push(pair(db.fetch("order", 100).await.unwrap()));
    seen.push(pair(db.fetch("order", 100).await.unwrap()));
    let plain_after = pair(db.fetch("plain", 100).await.unwrap());
    let highest = seen.iter().map(|r| r.1).max().unwrap();
    drop(db);
    let redis = redis.restart_from("old.rdb").await;
    let db = redis.store().await;
    let mut conn = raw(&redis.url()).await;
    let restored: u64 = counter_value(&mut conn, "order").await.unwrap().parse().unwrap();
    assert!(restored < highest, "the snapshot is older: {restored} < {highest}");
    // Unguarded: the restored counter re-issues IDs already handed out.
    let plain_again = pair(db.fetch("plain", 100).await.unwrap());
    assert_eq!(plain_again, plain_after, "the duplicate the guard exists for");
    assert!(plain_again.0 >= plain_before.1);
    // Guarded: refused, nothing moved.
    assert_eq!(db.fetch("order", 100).await.unwrap_err().code(), ErrorCode::StoreStateLost);
    assert_eq!(counter_value(&mut conn, "order").await.unwrap().parse::<u64>().unwrap(), restored);
    // Re-initialised above the highest ID seen: fetching resumes without overlap.
    db.init_segment_guarded("order", highest, 100).await.unwrap();
    for _ in 0..3 {
        let r = pair(db.fetch("order", 100).await.unwrap());
        assert!(seen.iter().all(|s| r.0 >= s.1 || r.1 <= s.0), "{r:?} overlaps {seen:?}");
        seen.push(r);
    }
    assert_eq!(seen[3].0, highest);
    drop(redis);
    std::fs::remove_dir_all(dir).ok();
}
