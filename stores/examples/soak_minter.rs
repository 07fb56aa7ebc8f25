//! The Rust minter of the soak (tests/e2e/soak): leases a node from a real
//! store with the core's lease `Holder`, mints on it with the fenced
//! `Generator`, renews inline, draws segment IDs from one Leaf row (a Redis
//! counter on Redis), and writes everything it did to disk. The same
//! protocol as tests/e2e/soak/minter.py and minter.mjs:
//!
//!   soak_minter ENGINE LEASE_URL SEG_URL NS TAG NODES,TTL,SKEW OUT HOLDER
//!
//! ENGINE: postgres | mysql | redis | zookeeper | etcd (both stores are of that engine).
//! OUT.log   one line per event: "MS grant K NODE EPOCH START FENCE",
//!           "MS end K CODE", "MS released K HIGH_WATER", "MS error WHERE CODE",
//!           "MS exit"
//! OUT.gK    the IDs minted under grant K (u64 little endian, appended)
//! OUT.seg   the segment IDs drawn
//! OUT.stop  (made by the soak) asks for a clean shutdown: release, exit 0
//! OUT.clock (made by the soak) holds a clock offset in ms (a step back)
//!
//! And the cross-runtime segment test's command (tests/e2e/segments.test.mjs):
//!
//!   soak_minter segment ENGINE URL TAG OUT COUNT THREADS
//!
//! COUNT IDs per thread from one Segment over the store's counter TAG (step
//! 1000), each thread's IDs to OUT.tK, the ranges received to OUT.ranges.
//!
//! Built in the dev profile (`cargo build -p idloom-stores --example
//! soak_minter`): every store call goes through the idloom-stores `Store` of
//! the engine, run to completion on a one-worker tokio runtime, while the
//! lease and the generator are the core's, driven inline on the injectable
//! clock (a `NodeLease` runs on the system clock and cannot take a step back).
use idloom::lease::{Grant, Holder, LeaseConfig, Renewal};
use idloom::segment::{Range, Segment, SegmentConfig, StepSize};
use idloom::{Clock, Error, ErrorCode, Generator, Layout, Next, OnBackwards, OnExhausted, Policy, SequenceStart, SystemClock};
use idloom_stores::etcd::EtcdStore;
use idloom_stores::mysql::MyStore;
use idloom_stores::postgres::PgStore;
use idloom_stores::redis::RedisStore;
use idloom_stores::zookeeper::ZkStore;
use idloom_stores::Store;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const LAYOUT: Layout = Layout::TWITTER;

/// One engine's store (the segment table is the crate's default, `idloom_alloc`).
#[derive(Clone)]
enum AnyStore {
    Pg(PgStore),
    My(MyStore),
    Redis(RedisStore),
    Zk(ZkStore),
    Etcd(EtcdStore),
}

/// Run `call` on whichever engine the store is.
macro_rules! on {
    ($store:expr, $s:ident => $call:expr) => {
        match $store {
            AnyStore::Pg($s) => $call.await,
            AnyStore::My($s) => $call.await,
            AnyStore::Redis($s) => $call.await,
            AnyStore::Zk($s) => $call.await,
            AnyStore::Etcd($s) => $call.await,
        }
    };
}

/// One engine's store, made again after a call got no answer (a store that
/// restarted: a new pool, a new Redis connection), on a runtime of its own.
struct Conn {
    engine: String,
    url: String,
    store: Option<AnyStore>,
    rt: tokio::runtime::Runtime,
}

impl Conn {
    fn new(engine: String, url: String) -> Conn {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| fail(format!("tokio runtime: {e}")));
        Conn {
            engine,
            url,
            store: None,
            rt,
        }
    }

    fn with<T, F: Future<Output = idloom::Result<T>>>(&mut self, f: impl FnOnce(AnyStore) -> F) -> idloom::Result<T> {
        if self.store.is_none() {
            let url = self.url.as_str();
            self.store = Some(match self.engine.as_str() {
                "postgres" => AnyStore::Pg(PgStore::from_url(url)?),
                "mysql" => AnyStore::My(MyStore::from_url(url)?),
                "zookeeper" => AnyStore::Zk(ZkStore::from_url(url)?),
                "etcd" => AnyStore::Etcd(EtcdStore::from_url(url)?),
                _ => AnyStore::Redis(self.rt.block_on(RedisStore::from_url(url))?),
            });
        }
        let store = self.store.clone().unwrap_or_else(|| unreachable!());
        let r = self.rt.block_on(f(store));
        if matches!(&r, Err(e) if e.code() == ErrorCode::StoreUnavailable) {
            self.store = None;
        }
        r
    }
}

fn acquire(c: &mut Conn, ns: &str, holder: &str, fence: u64) -> idloom::Result<Grant> {
    c.with(|s| async move { on!(&s, s => s.acquire(ns, holder, fence)) })
}

fn renew(c: &mut Conn, ns: &str, g: &Grant, holder: &str, fence: u64) -> idloom::Result<Grant> {
    let (node, epoch, start) = (g.node, g.epoch, g.start_ms);
    let renewed = c.with(|s| async move { on!(&s, s => s.renew(ns, node, epoch, start, holder, fence)) })?;
    renewed.ok_or_else(|| Error::store(ErrorCode::LeaseLost, format!("lease on node {node} epoch {epoch} was taken")))
}

fn release(c: &mut Conn, ns: &str, g: &Grant, holder: &str, high_water: u64) -> idloom::Result<()> {
    let (node, epoch, start) = (g.node, g.epoch, g.start_ms);
    c.with(|s| async move { on!(&s, s => s.release(ns, node, epoch, start, holder, high_water)) })
}

/// A store that lost the namespace: create it again above every old fence (not fresh).
fn init_namespace(c: &mut Conn, ns: &str, nodes: u64, config: LeaseConfig) -> idloom::Result<()> {
    c.with(|s| async move { on!(&s, s => s.init_namespace(ns, LAYOUT, Some(nodes), config, false)).map(drop) })
}

fn fetch(c: &mut Conn, tag: &str, step: u64) -> idloom::Result<Range> {
    c.with(|s| async move { on!(&s, s => s.fetch(tag, step)) })
}

/// The system clock plus the offset the soak writes to OUT.clock.
#[derive(Clone)]
struct StepClock(Arc<AtomicI64>);

impl Clock for StepClock {
    fn now_ms(&self) -> u64 {
        (SystemClock.now_ms() as i64 + self.0.load(Ordering::Relaxed)) as u64
    }
    fn sleep_ms(&self, ms: u64) -> bool {
        std::thread::sleep(Duration::from_millis(ms));
        true
    }
}

struct Log(std::fs::File);

impl Log {
    fn line(&mut self, what: std::fmt::Arguments) {
        // Stamped with the real clock: the soak orders events by it.
        let _ = writeln!(self.0, "{} {what}", SystemClock.now_ms());
    }
}

/// The lease in hand: grant K, the holder's machine, the fenced generator and its ID file.
struct Held {
    k: u64,
    grant: Grant,
    holder: Holder,
    gen: Generator,
    file: std::fs::File,
    renewing: bool,
    expired_since: Option<u64>,
}

fn fail(message: String) -> ! {
    eprintln!("soak_minter: {message}");
    std::process::exit(2)
}

/// `segment ENGINE URL TAG OUT COUNT THREADS` (see the module docs).
fn segment(args: &[String]) {
    let [engine, url, tag, out, count, threads] = <[String; 6]>::try_from(args.to_vec())
        .unwrap_or_else(|_| fail("usage: soak_minter segment ENGINE URL TAG OUT COUNT THREADS".into()));
    let (count, threads): (usize, usize) = (
        count.parse().unwrap_or_else(|_| fail(format!("bad COUNT {count}"))),
        threads.parse().unwrap_or_else(|_| fail(format!("bad THREADS {threads}"))),
    );
    let ranges = std::sync::Mutex::new(Vec::<(u64, u64)>::new());
    let mut conn = Conn::new(engine, url);
    let source = |step: u64| {
        let r = fetch(&mut conn, &tag, step)?;
        ranges.lock().unwrap_or_else(|e| e.into_inner()).push((r.start, r.end));
        Ok::<_, Error>(r)
    };
    let seg = std::sync::Mutex::new(Segment::new(SegmentConfig::default(), source, SystemClock).unwrap_or_else(|e| fail(e.to_string())));
    std::thread::scope(|s| {
        for t in 0..threads {
            let (seg, out) = (&seg, &out);
            s.spawn(move || {
                let ids: Vec<u8> = (0..count)
                    .flat_map(|_| {
                        let id = seg.lock().unwrap_or_else(|e| e.into_inner()).next_id();
                        id.unwrap_or_else(|e| fail(e.to_string())).to_le_bytes()
                    })
                    .collect();
                std::fs::write(format!("{out}.t{t}"), ids).unwrap_or_else(|e| fail(e.to_string()));
            });
        }
    });
    let lines: String = ranges
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(a, b)| format!("{a} {b}\n"))
        .collect();
    std::fs::write(format!("{out}.ranges"), lines).unwrap_or_else(|e| fail(e.to_string()));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("segment") {
        return segment(&args[1..]);
    }
    let [engine, lease_url, seg_url, ns, tag, conf, out, name] = <[String; 8]>::try_from(args)
        .unwrap_or_else(|_| fail("usage: soak_minter ENGINE LEASE_URL SEG_URL NS TAG NODES,TTL,SKEW OUT HOLDER".into()));
    let nums: Vec<u64> = conf
        .split(',')
        .map(|n| n.parse().unwrap_or_else(|_| fail(format!("bad {conf}"))))
        .collect();
    let (nodes, config) = (
        nums[0],
        LeaseConfig {
            ttl_ms: nums[1],
            max_skew_ms: nums[2],
        },
    );
    let open = |path: String| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| fail(format!("{path}: {e}")))
    };
    let mut log = Log(open(format!("{out}.log")));
    let mut seg_file = open(format!("{out}.seg"));
    let offset = Arc::new(AtomicI64::new(0));
    let clock = StepClock(offset.clone());
    // Leased generators go on from the last tick when the clock steps back
    // (within 10 s): the fence, not the clock, bounds them.
    let policy = Policy {
        on_backwards: OnBackwards::Logical { max_lead_ms: 10_000 },
        on_exhausted: OnExhausted::Wait,
        sequence_start: SequenceStart::Reset,
    };
    let mut leases = Conn::new(engine.clone(), lease_url);
    let mut seg_conn = Conn::new(engine, seg_url);
    let seg_tag = tag.clone();
    let seg_config = SegmentConfig {
        step: StepSize::Fixed(200),
        ..SegmentConfig::default()
    };
    let mut seg = Segment::new(seg_config, move |step: u64| fetch(&mut seg_conn, &seg_tag, step), SystemClock)
        .unwrap_or_else(|e| fail(e.to_string()));

    let mut held: Option<Held> = None;
    let mut grants = 0u64;
    let mut ids: Vec<u64> = Vec::with_capacity(64);
    let mut last_error: Option<(String, ErrorCode)> = None;
    let mut error = |log: &mut Log, where_: &str, e: &Error| {
        // One line per change of (where, code): a store down for a second is one line, not thousands.
        let key = (where_.to_string(), e.code());
        if last_error.as_ref() != Some(&key) {
            if std::env::var_os("SOAK_DEBUG").is_some() {
                eprintln!("{where_}: {e}");
            }
            log.line(format_args!("error {where_} {}", e.code().as_str()));
            last_error = Some(key);
        }
    };
    let stop_file = format!("{out}.stop");
    let clock_file = format!("{out}.clock");
    loop {
        if std::path::Path::new(&stop_file).exists() {
            break;
        }
        let step: i64 = std::fs::read_to_string(&clock_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        offset.store(step, Ordering::Relaxed);
        let now = clock.now_ms();
        match held.as_mut() {
            None => {
                let mut holder = Holder::new(config).unwrap_or_else(|e| fail(e.to_string()));
                let proposed = holder.begin_acquire(now);
                match acquire(&mut leases, &ns, &name, proposed) {
                    Ok(grant) => match holder.granted(&grant, clock.now_ms()) {
                        Ok(()) => {
                            grants += 1;
                            let mut gen = Generator::new(LAYOUT, grant.node, policy).unwrap_or_else(|e| fail(e.to_string()));
                            gen.set_lease(grant.start_ms, grant.fence_ms, grant.epoch);
                            log.line(format_args!(
                                "grant {grants} {} {} {} {}",
                                grant.node, grant.epoch, grant.start_ms, grant.fence_ms
                            ));
                            held = Some(Held {
                                k: grants,
                                grant,
                                holder,
                                gen,
                                file: open(format!("{out}.g{grants}")),
                                renewing: true,
                                expired_since: None,
                            });
                        }
                        Err(e) => {
                            // clock_skew: the node goes back at once, unused.
                            error(&mut log, "acquire", &e);
                            let r = grant.release_unused();
                            let _ = release(&mut leases, &ns, &grant, &name, r.high_water_ms);
                        }
                    },
                    Err(e) => {
                        error(&mut log, "acquire", &e);
                        if e.code() == ErrorCode::StoreStateLost {
                            if let Err(e) = init_namespace(&mut leases, &ns, nodes, config) {
                                error(&mut log, "init", &e);
                            }
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            }
            Some(h) => {
                if h.renewing {
                    if let Some(fence) = h.holder.begin_renew(now) {
                        let outcome = match renew(&mut leases, &ns, &h.grant, &name, fence) {
                            Ok(g) => h.holder.renewed(&g, clock.now_ms()),
                            Err(e) if e.code() == ErrorCode::LeaseLost => h.holder.refused(),
                            Err(e) => {
                                error(&mut log, "renew", &e);
                                h.holder.renew_failed(Some(e.code()))
                            }
                        };
                        match outcome {
                            Renewal::Renewed { fence_ms } => h.gen.extend_fence(fence_ms),
                            Renewal::Retry { .. } => {}
                            Renewal::Stop(e) => {
                                error(&mut log, "renew", &e);
                                if e.code() == ErrorCode::LeaseLost {
                                    h.gen.lose_lease();
                                }
                                h.renewing = false;
                            }
                        }
                    }
                }
                ids.clear();
                let mut ended: Option<Error> = None;
                for _ in 0..50 {
                    match h.gen.next_at(clock.now_ms()) {
                        Ok(Next::Id(id)) => ids.push(id),
                        Ok(Next::RetryAt(_)) => break,
                        Err(e) => {
                            error(&mut log, "mint", &e);
                            // At the fence: wait (bounded) for a renewal; a lost lease or
                            // one whose renewals ended has nothing to wait for.
                            let since = *h.expired_since.get_or_insert(now);
                            if e.code() != ErrorCode::LeaseExpired || !h.renewing || now.saturating_sub(since) > config.ttl_ms {
                                ended = Some(e);
                            }
                            break;
                        }
                    }
                }
                if !ids.is_empty() {
                    h.expired_since = None;
                    let bytes: Vec<u8> = ids.iter().flat_map(|id| id.to_le_bytes()).collect();
                    h.file.write_all(&bytes).unwrap_or_else(|e| fail(e.to_string()));
                }
                if let Some(e) = ended {
                    log.line(format_args!("end {} {}", h.k, e.code().as_str()));
                    if e.code() != ErrorCode::LeaseLost {
                        // Renewals ended (clock_skew) or the fence passed: give the node back.
                        if let Ok(r) = h.holder.release(h.gen.high_water_ms()) {
                            let _ = release(&mut leases, &ns, &h.grant, &name, r.high_water_ms);
                        }
                    }
                    held = None;
                }
            }
        }
        let mut drawn = Vec::with_capacity(5);
        for _ in 0..5 {
            match seg.next_id() {
                Ok(id) => drawn.push(id),
                Err(e) => {
                    error(&mut log, "segment", &e);
                    break;
                }
            }
        }
        let bytes: Vec<u8> = drawn.iter().flat_map(|id| id.to_le_bytes()).collect();
        seg_file.write_all(&bytes).unwrap_or_else(|e| fail(e.to_string()));
        std::thread::sleep(Duration::from_millis(2));
    }
    if let Some(mut h) = held.take() {
        match h.holder.release(h.gen.high_water_ms()) {
            Ok(r) => match release(&mut leases, &ns, &h.grant, &name, r.high_water_ms) {
                Ok(_) => log.line(format_args!("released {} {}", h.k, r.high_water_ms)),
                Err(e) => {
                    // The generator stopped before the store was asked: the lease ended
                    // here (the store gives the node away a TTL later).
                    error(&mut log, "release", &e);
                    log.line(format_args!("end {} {}", h.k, e.code().as_str()));
                }
            },
            Err(e) => {
                error(&mut log, "release", &e);
                log.line(format_args!("end {} {}", h.k, e.code().as_str()));
            }
        }
    }
    log.line(format_args!("exit"));
}
