//! Store benchmarks on the machine's real servers (PostgreSQL, MariaDB,
//! Redis; ZooKeeper and etcd as private servers started here) through idloom-stores' `Store`: lease acquire and renew latency (median and p99), and segment
//! fetches per second with 1, 4 and 8 concurrent fetchers, atomic vs
//! compare-and-set. Not a test: nothing asserts a time.
//!
//! And acquire latency against the node count (1,024 and 65,536 nodes per
//! engine): a flat line is the point (O(1) or O(log n) per acquire).
//!
//! Run: `cargo bench -p idloom-stores --bench stores` (the servers must answer;
//! IDLOOM_PG / IDLOOM_MYSQL / IDLOOM_REDIS override the addresses).
//! `-- --quick`: fewer samples; `-- --scale` (with or without `--quick`):
//! only the node-count table.

use idloom::lease::LeaseConfig;
use idloom::{Clock, Layout, SystemClock};
use idloom_stores::mysql::MyStore;
use idloom_stores::postgres::PgStore;
use idloom_stores::redis::RedisStore;
use idloom_stores::{FetchMode, Store};
use mysql_async::prelude::Queryable;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 60_000,
    max_skew_ms: 1_000,
};

fn pg_url() -> String {
    std::env::var("IDLOOM_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5".into())
}
fn my_url() -> String {
    std::env::var("IDLOOM_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}
fn redis_url() -> String {
    std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// A store of each engine (a pool of its own, or a Redis connection of its own).
fn pg() -> PgStore {
    PgStore::from_url(&pg_url()).expect("PostgreSQL URL")
}
fn my() -> MyStore {
    MyStore::from_url(&my_url()).expect("MariaDB URL")
}
fn redis(rt: &Runtime) -> RedisStore {
    rt.block_on(RedisStore::from_url(&redis_url())).expect("Redis")
}

fn percentiles(mut us: Vec<f64>) -> (f64, f64) {
    us.sort_by(|a, b| a.total_cmp(b));
    (us[us.len() / 2], us[(us.len() * 99 / 100).min(us.len() - 1)])
}

fn time<T>(n: usize, mut f: impl FnMut(usize) -> T) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(f(i));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect()
}

/// Fetches per second by `threads` fetchers for ~1 s (each on its own
/// thread, blocking on the runtime for every call, as the sync adapters did).
fn rate(threads: usize, fetch: impl Fn() -> Box<dyn FnMut() + Send> + Sync) -> f64 {
    let end = Instant::now() + Duration::from_millis(1000);
    let total: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let mut f = fetch();
                s.spawn(move || {
                    let mut n = 0;
                    while Instant::now() < end {
                        f();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    total as f64
}

/// Lease latency on one engine: a namespace of `nodes` made fresh (its
/// creation time), `samples` acquisitions by new holders, then `renewals`
/// renewals of one more lease. Answers (init s, acquire µs, renew µs).
fn leases<S: Store>(rt: &Runtime, db: &S, ns: &str, nodes: u64, samples: usize, renewals: usize) -> (f64, Vec<f64>, Vec<f64>) {
    // 65,536 nodes need Sonyflake's 16 node bits (Twitter's 10 hold 1,024): the
    // crate checks the count against the layout, as the old adapters did not.
    let layout = if nodes > 1024 { Layout::SONYFLAKE } else { Layout::TWITTER };
    let fence = || SystemClock.now_ms() + 60_000;
    let t = Instant::now();
    rt.block_on(db.init_namespace(ns, layout, Some(nodes), CONFIG, true)).unwrap();
    let init = t.elapsed().as_secs_f64();
    let acq = time(samples, |i| rt.block_on(db.acquire(ns, &format!("h{i}"), fence())).unwrap());
    let mut ren = Vec::new();
    if renewals > 0 {
        let g = rt.block_on(db.acquire(ns, "r", fence())).unwrap();
        ren = time(renewals, |_| {
            rt.block_on(db.renew(ns, g.node, g.epoch, g.start_ms, "r", fence()))
                .unwrap()
                .expect("renewed")
        });
    }
    (init, acq, ren)
}

/// Acquire latency against the node count: a namespace of `nodes` nodes
/// made fresh, then `samples` acquisitions by new holders (each leases one
/// more node for a minute, as a fleet starting up does). Prints the time
/// the namespace took to create and the acquire median and p99.
fn scale(rt: &Runtime, run: &str, samples: usize) {
    println!("\nacquire latency against the node count ({samples} acquisitions by new holders)");
    println!("{:<12} {:>8} {:>12} {:>20}", "store", "nodes", "init", "acquire p50/p99");
    for nodes in [1024u64, 65_536] {
        {
            let db = pg();
            let ns = format!("{run}_pgs{nodes}");
            scale_row(rt, &db, "postgres", &ns, nodes, samples);
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                for t in ["idloom_node", "idloom_namespace"] {
                    client
                        .execute(&format!("DELETE FROM {t} WHERE namespace = $1"), &[&ns])
                        .await
                        .unwrap();
                }
            });
        }
        {
            let db = my();
            let ns = format!("{run}_mys{nodes}");
            scale_row(rt, &db, "mariadb", &ns, nodes, samples);
            rt.block_on(async {
                let mut conn = db.pool().get_conn().await.unwrap();
                for t in ["idloom_node", "idloom_namespace"] {
                    conn.exec_drop(format!("DELETE FROM {t} WHERE namespace = ?"), (&ns,))
                        .await
                        .unwrap();
                }
            });
        }
        {
            let db = redis(rt);
            let ns = format!("{run}_rds{nodes}");
            scale_row(rt, &db, "redis", &ns, nodes, samples);
            let key = idloom::stores::redis::namespace_key(&ns);
            let base = &key[..key.len() - 2];
            let mut del = ::redis::cmd("DEL");
            del.arg(&key).arg(format!("{base}expiry")).arg(format!("{base}holders"));
            for k in 0..samples {
                del.arg(format!("{base}node:{k}"));
            }
            rt.block_on(async {
                let client = ::redis::Client::open(redis_url()).unwrap();
                let mut conn = client.get_multiplexed_async_connection().await.unwrap();
                del.query_async::<()>(&mut conn).await.unwrap();
            });
        }
    }
}

/// One row of `scale`'s table: `nodes` nodes made in `ns` on `db`, then
/// the acquisitions; the creation's time and the acquire median and p99.
fn scale_row<S: Store>(rt: &Runtime, db: &S, store: &str, ns: &str, nodes: u64, samples: usize) {
    let (init, acq, _) = leases(rt, db, ns, nodes, samples, 0);
    let (p50, p99) = percentiles(acq);
    println!("{store:<12} {nodes:>8} {init:>10.2} s {p50:>9.0} / {p99:>6.0} us");
}

#[path = "../tests/support/etcd.rs"]
mod etcd;
#[path = "../tests/support/zk.rs"]
mod zk;
/// What the tests' launchers take from their support module.
mod support {
    pub fn unique(prefix: &str) -> String {
        format!(
            "{prefix}_{}_{}",
            std::process::id(),
            idloom::Clock::now_ms(&idloom_stores::SystemClock)
        )
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let run = format!("b{}_{}", std::process::id(), SystemClock.now_ms() % 1_000_000_000);
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    if args.iter().any(|a| a == "--scale") {
        scale(&rt, &run, if quick { 100 } else { 300 });
        return;
    }
    println!("store benchmarks — {} lease calls each, segment step 1000", 500);
    println!(
        "{:<12} {:>16} {:>16} {:>16} {:>16}",
        "store", "acquire p50/p99", "renew p50/p99", "", ""
    );

    // A private ZooKeeper (the tests' launcher), killed at the end.
    let zk = rt.block_on(zk::Zk::start(&std::env::temp_dir().join(format!("idloom-bench-zk-{run}"))));
    let etcd = rt.block_on(etcd::Cluster::start(1));
    let etcd_store = || idloom_stores::etcd::EtcdStore::from_url(&etcd.url("")).unwrap();
    // Leases: acquire (a namespace of 1024 nodes) and renew.
    let rows = [
        ("postgres", leases(&rt, &pg(), &format!("{run}_pg"), 1024, 500, 500)),
        ("mariadb", leases(&rt, &my(), &format!("{run}_my"), 1024, 500, 500)),
        ("redis", leases(&rt, &redis(&rt), &format!("{run}_rd"), 1024, 500, 500)),
        ("zookeeper", leases(&rt, &zk.store(), &format!("{run}_zk"), 1024, 500, 500)),
        ("etcd", leases(&rt, &etcd_store(), &format!("{run}_et"), 1024, 500, 500)),
    ];
    for (name, (_, acq, ren)) in rows {
        let ((a50, a99), (r50, r99)) = (percentiles(acq), percentiles(ren));
        println!("{:<12} {:>7.0} / {:>5.0} us {:>7.0} / {:>5.0} us", name, a50, a99, r50, r99);
    }

    // Segments: fetches per second, 1/4/8 fetchers on one row (or key).
    println!("\nsegment fetches per second (one row/key, step 1000)");
    println!("{:<22} {:>10} {:>10} {:>10}", "store / mode", "1", "4", "8");
    let table = format!("{run}_leaf");
    let key = format!("{run}_bench");
    rt.block_on(async {
        pg().with_table(&table).unwrap().init_segment("bench", 1, 1000).await.unwrap();
        my().with_table(&table).unwrap().init_segment("bench", 1, 1000).await.unwrap();
    });
    let counter = redis(&rt);
    rt.block_on(counter.init_segment(&key, 1, 1000)).unwrap();
    rt.block_on(zk.store().init_segment(&key, 1, 1000)).unwrap();
    rt.block_on(etcd_store().init_segment(&key, 1, 1000)).unwrap();
    type Maker<'a> = Box<dyn Fn() -> Box<dyn FnMut() + Send> + Sync + 'a>;
    /// A fetcher: its own store (pool or connection) and `tag`, blocking on
    /// the runtime. A compare-and-set that lost the core's 16 rounds
    /// (`store_unavailable`) is fetched again, as the old adapters' loop of
    /// 10,000 rounds did: one fetch is one range received.
    fn fetcher<S: Store>(rt: &Runtime, db: S, tag: &str) -> Box<dyn FnMut() + Send> {
        let (handle, tag) = (rt.handle().clone(), tag.to_string());
        Box::new(move || loop {
            match handle.block_on(db.fetch(&tag, 1000)) {
                Ok(_) => break,
                Err(e) if e.code() == idloom::ErrorCode::StoreUnavailable && e.to_string().contains("compare-and-set") => {}
                Err(e) => panic!("{e}"),
            }
        })
    }
    let (rt, t) = (&rt, table.as_str());
    let rows: Vec<(&str, Maker)> = vec![
        (
            "postgres atomic",
            Box::new(move || fetcher(rt, pg().with_table(t).unwrap(), "bench")),
        ),
        (
            "postgres cas",
            Box::new(move || fetcher(rt, pg().with_table(t).unwrap().with_mode(FetchMode::Cas), "bench")),
        ),
        (
            "mariadb atomic",
            Box::new(move || fetcher(rt, my().with_table(t).unwrap(), "bench")),
        ),
        (
            "mariadb cas",
            Box::new(move || fetcher(rt, my().with_table(t).unwrap().with_mode(FetchMode::Cas), "bench")),
        ),
        ("redis incrby", Box::new(|| fetcher(rt, redis(rt), &key))),
        ("zookeeper cas", Box::new(|| fetcher(rt, zk.store(), &key))),
        ("etcd cas", Box::new(|| fetcher(rt, etcd_store(), &key))),
    ];
    for (name, make) in &rows {
        let r: Vec<f64> = [1, 4, 8].iter().map(|&n| rate(n, make.as_ref())).collect();
        println!("{name:<22} {:>10.0} {:>10.0} {:>10.0}", r[0], r[1], r[2]);
    }
    scale(rt, &run, if quick { 100 } else { 300 });
}
