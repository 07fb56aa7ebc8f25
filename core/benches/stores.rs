//! Store benchmarks on the machine's real servers (PostgreSQL, MariaDB,
//! Redis): lease acquire and renew latency (median and p99), and segment
//! fetches per second with 1, 4 and 8 concurrent fetchers, atomic vs
//! compare-and-set. Not a test: nothing asserts a time.
//!
//! And acquire latency against the node count (1,024 and 65,536 nodes per
//! engine): a flat line is the point (O(1) or O(log n) per acquire).
//!
//! Run: `cargo bench -p idloom --bench stores` (the servers must answer;
//! IDLOOM_PG / IDLOOM_MYSQL / IDLOOM_REDIS override the addresses).
//! `-- --quick`: fewer samples; `-- --scale` (with or without `--quick`):
//! only the node-count table.

#[path = "../tests/support/my.rs"]
mod my;
#[path = "../tests/support/pg.rs"]
mod pg;
#[path = "../tests/support/redis_store.rs"]
mod redis_store;

use idloom::lease::LeaseConfig;
use idloom::{Clock, Layout, SystemClock};
use std::time::{Duration, Instant};

const CONFIG: LeaseConfig = LeaseConfig {
    ttl_ms: 60_000,
    max_skew_ms: 1_000,
};

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

/// Fetches per second by `threads` fetchers for ~1 s.
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

/// Acquire latency against the node count: a namespace of `nodes` nodes
/// made fresh, then `samples` acquisitions by new holders (each leases one
/// more node for a minute, as a fleet starting up does). Prints the time
/// the namespace took to create and the acquire median and p99.
fn scale(run: &str, samples: usize) {
    println!("\nacquire latency against the node count ({samples} acquisitions by new holders)");
    println!("{:<12} {:>8} {:>12} {:>20}", "store", "nodes", "init", "acquire p50/p99");
    let fence = || SystemClock.now_ms() + 60_000;
    for nodes in [1024u64, 65_536] {
        {
            let mut db = pg::PgStore::connect(&pg::url()).expect("PostgreSQL");
            db.init().unwrap();
            let ns = format!("{run}_pgs{nodes}");
            let t = Instant::now();
            db.init_namespace(&ns, &Layout::TWITTER, nodes as i32, CONFIG, true).unwrap();
            let init = t.elapsed().as_secs_f64();
            let (p50, p99) = percentiles(time(samples, |i| db.acquire(&ns, &format!("h{i}"), fence()).unwrap()));
            println!("{:<12} {nodes:>8} {init:>10.2} s {p50:>9.0} / {p99:>6.0} us", "postgres");
            for t in ["idloom_node", "idloom_namespace"] {
                db.client.execute(&format!("DELETE FROM {t} WHERE namespace = $1"), &[&ns]).unwrap();
            }
        }
        {
            let mut db = my::MyStore::connect(&my::url()).expect("MariaDB");
            db.init().unwrap();
            let ns = format!("{run}_mys{nodes}");
            let t = Instant::now();
            db.init_namespace(&ns, &Layout::TWITTER, nodes as i64, CONFIG, true).unwrap();
            let init = t.elapsed().as_secs_f64();
            let (p50, p99) = percentiles(time(samples, |i| db.acquire(&ns, &format!("h{i}"), fence()).unwrap()));
            println!("{:<12} {nodes:>8} {init:>10.2} s {p50:>9.0} / {p99:>6.0} us", "mariadb");
            for t in ["idloom_node", "idloom_namespace"] {
                mysql::prelude::Queryable::exec_drop(&mut db.conn, format!("DELETE FROM {t} WHERE namespace = ?"), (&ns,)).unwrap();
            }
        }
        {
            let mut db = redis_store::RedisStore::connect(&redis_store::url()).expect("Redis");
            let ns = format!("{run}_rds{nodes}");
            let t = Instant::now();
            db.init_namespace(&ns, &Layout::TWITTER, nodes, CONFIG, true).unwrap();
            let init = t.elapsed().as_secs_f64();
            let (p50, p99) = percentiles(time(samples, |i| db.acquire(&ns, &format!("h{i}"), fence()).unwrap()));
            println!("{:<12} {nodes:>8} {init:>10.2} s {p50:>9.0} / {p99:>6.0} us", "redis");
            let key = idloom::stores::redis::namespace_key(&ns);
            let base = &key[..key.len() - 2];
            let mut del = redis::cmd("DEL");
            del.arg(&key).arg(format!("{base}expiry")).arg(format!("{base}holders"));
            for k in 0..samples {
                del.arg(format!("{base}node:{k}"));
            }
            del.query::<()>(&mut db.conn).unwrap();
        }
    }
}

fn main() {
    let run = format!("b{}_{}", std::process::id(), SystemClock.now_ms() % 1_000_000_000);
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    if args.iter().any(|a| a == "--scale") {
        scale(&run, if quick { 100 } else { 300 });
        return;
    }
    println!("store benchmarks — {} lease calls each, segment step 1000", 500);
    println!(
        "{:<12} {:>16} {:>16} {:>16} {:>16}",
        "store", "acquire p50/p99", "renew p50/p99", "", ""
    );

    // Leases: acquire (a namespace of 1024 nodes) and renew.
    {
        let mut db = pg::PgStore::connect(&pg::url()).expect("PostgreSQL");
        db.init().unwrap();
        let ns = format!("{run}_pg");
        db.init_namespace(&ns, &Layout::TWITTER, 1024, CONFIG, true).unwrap();
        let acq = time(500, |i| db.acquire(&ns, &format!("h{i}"), SystemClock.now_ms() + 60_000).unwrap());
        let g = db.acquire(&ns, "r", SystemClock.now_ms() + 60_000).unwrap();
        let ren = time(500, |_| db.renew(&ns, &g, "r", SystemClock.now_ms() + 60_000).unwrap());
        let ((a50, a99), (r50, r99)) = (percentiles(acq), percentiles(ren));
        println!("{:<12} {:>7.0} / {:>5.0} us {:>7.0} / {:>5.0} us", "postgres", a50, a99, r50, r99);
    }
    {
        let mut db = my::MyStore::connect(&my::url()).expect("MariaDB");
        db.init().unwrap();
        let ns = format!("{run}_my");
        db.init_namespace(&ns, &Layout::TWITTER, 1024, CONFIG, true).unwrap();
        let acq = time(500, |i| db.acquire(&ns, &format!("h{i}"), SystemClock.now_ms() + 60_000).unwrap());
        let g = db.acquire(&ns, "r", SystemClock.now_ms() + 60_000).unwrap();
        let ren = time(500, |_| db.renew(&ns, &g, "r", SystemClock.now_ms() + 60_000).unwrap());
        let ((a50, a99), (r50, r99)) = (percentiles(acq), percentiles(ren));
        println!("{:<12} {:>7.0} / {:>5.0} us {:>7.0} / {:>5.0} us", "mariadb", a50, a99, r50, r99);
    }
    {
        let mut db = redis_store::RedisStore::connect(&redis_store::url()).expect("Redis");
        let ns = format!("{run}_rd");
        db.init_namespace(&ns, &Layout::TWITTER, 1024, CONFIG, true).unwrap();
        let acq = time(500, |i| db.acquire(&ns, &format!("h{i}"), SystemClock.now_ms() + 60_000).unwrap());
        let g = db.acquire(&ns, "r", SystemClock.now_ms() + 60_000).unwrap();
        let ren = time(500, |_| db.renew(&ns, &g, "r", SystemClock.now_ms() + 60_000).unwrap());
        let ((a50, a99), (r50, r99)) = (percentiles(acq), percentiles(ren));
        println!("{:<12} {:>7.0} / {:>5.0} us {:>7.0} / {:>5.0} us", "redis", a50, a99, r50, r99);
    }

    // Segments: fetches per second, 1/4/8 fetchers on one row (or key).
    println!("\nsegment fetches per second (one row/key, step 1000)");
    println!("{:<22} {:>10} {:>10} {:>10}", "store / mode", "1", "4", "8");
    let table = format!("{run}_leaf");
    pg::PgStore::connect(&pg::url())
        .unwrap()
        .init_segment(&table, "bench", 1, 1000)
        .unwrap();
    my::MyStore::connect(&my::url())
        .unwrap()
        .init_segment(&table, "bench", 1, 1000)
        .unwrap();
    redis_store::RedisStore::connect(&redis_store::url())
        .unwrap()
        .init_counter(&format!("{run}_bench"), 1)
        .unwrap();
    type Maker<'a> = Box<dyn Fn() -> Box<dyn FnMut() + Send> + Sync + 'a>;
    let t = table.clone();
    let rows: Vec<(&str, Maker)> = vec![
        ("postgres atomic", {
            let t = t.clone();
            Box::new(move || {
                let (mut db, t) = (pg::PgStore::connect(&pg::url()).unwrap(), t.clone());
                Box::new(move || {
                    db.fetch(&t, "bench", 1000).unwrap();
                })
            })
        }),
        ("postgres cas", {
            let t = t.clone();
            Box::new(move || {
                let (mut db, t) = (pg::PgStore::connect(&pg::url()).unwrap(), t.clone());
                Box::new(move || {
                    db.fetch_cas(&t, "bench", 1000, 10_000).unwrap();
                })
            })
        }),
        ("mariadb atomic", {
            let t = t.clone();
            Box::new(move || {
                let (mut db, t) = (my::MyStore::connect(&my::url()).unwrap(), t.clone());
                Box::new(move || {
                    db.fetch(&t, "bench", 1000).unwrap();
                })
            })
        }),
        ("mariadb cas", {
            let t = t.clone();
            Box::new(move || {
                let (mut db, t) = (my::MyStore::connect(&my::url()).unwrap(), t.clone());
                Box::new(move || {
                    db.fetch_cas(&t, "bench", 1000, 10_000).unwrap();
                })
            })
        }),
        ("redis incrby", {
            let key = format!("{run}_bench");
            Box::new(move || {
                let (mut db, key) = (redis_store::RedisStore::connect(&redis_store::url()).unwrap(), key.clone());
                Box::new(move || {
                    db.fetch(&key, 1000).unwrap();
                })
            })
        }),
    ];
    for (name, make) in &rows {
        let r: Vec<f64> = [1, 4, 8].iter().map(|&n| rate(n, make.as_ref())).collect();
        println!("{name:<22} {:>10.0} {:>10.0} {:>10.0}", r[0], r[1], r[2]);
    }
    scale(&run, if quick { 100 } else { 300 });
}
