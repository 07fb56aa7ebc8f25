//! Benchmarks: idloom against the crates a user would otherwise pick, in one
//! run, with a ratio table at the end (read back from criterion's estimates).
//!
//! Run: `cargo bench -p idloom --bench generators` (add `-- --quick` for a
//! shorter run). Fixed inputs; honest system clock where time matters.

use criterion::{BenchmarkId, Criterion, Throughput};
use ferroid::generator::{AtomicSnowflakeGenerator, BasicSnowflakeGenerator};
use ferroid::id::SnowflakeTwitterId;
use ferroid::time::{MonotonicClock, TWITTER_EPOCH};
use idloom::nanoid::NanoId;
use idloom::segment::{MemorySource, Segment, SegmentConfig, StepSize};
use idloom::uuid::V7Generator;
use idloom::{
    Clock, Layout, OnBackwards, OnExhausted, Policy, SecureRng, SequenceStart, SharedSnowflake, Snowflake, SystemClock, TickerClock, Uuid,
};
use rand::RngCore;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A layout with 22 sequence bits (4M IDs per ms): the ceiling is never the limit,
/// so what is measured is the per-ID cost.
fn wide() -> Layout {
    Layout::new(39, 2, 22, 1_600_000_000_000, 1).unwrap()
}

ferroid::define_snowflake_id!(WideId, u64, reserved: 1, timestamp: 39, machine_id: 2, sequence: 22);

fn policy(b: OnBackwards, x: OnExhausted, s: SequenceStart) -> Policy {
    Policy {
        on_backwards: b,
        on_exhausted: x,
        sequence_start: s,
    }
}

fn snowflake(c: &mut Criterion) {
    let mut g = c.benchmark_group("snowflake_ceiling");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3));
    let mut ours = Snowflake::new(Layout::TWITTER, 1, Policy::default(), SystemClock).unwrap();
    g.bench_function("idloom_twitter", |b| b.iter(|| ours.next_id().unwrap()));
    let mut ours = Snowflake::new(Layout::TWITTER, 1, Policy::default(), TickerClock::global()).unwrap();
    g.bench_function("idloom_twitter_ticker_clock", |b| b.iter(|| ours.next_id().unwrap()));
    let peer = BasicSnowflakeGenerator::<SnowflakeTwitterId, _>::new(1, MonotonicClock::<1>::with_epoch(TWITTER_EPOCH));
    g.bench_function("ferroid_twitter", |b| b.iter(|| peer.next_id(|_| core::hint::spin_loop())));
    g.finish();

    let mut g = c.benchmark_group("snowflake_per_id");
    g.throughput(Throughput::Elements(1));
    let policies = [
        ("wait_reset", policy(OnBackwards::Fail, OnExhausted::Wait, SequenceStart::Reset)),
        ("logical_wait", Policy::default()),
        (
            "borrow_continuous",
            policy(
                OnBackwards::Fail,
                OnExhausted::Borrow { max_lead_ms: 1000 },
                SequenceStart::Continuous,
            ),
        ),
        (
            "fail_random",
            policy(OnBackwards::Fail, OnExhausted::Fail, SequenceStart::Random { seed: 7 }),
        ),
    ];
    for (name, p) in policies {
        let mut ours = Snowflake::new(wide(), 1, p, SystemClock).unwrap();
        g.bench_function(BenchmarkId::new("idloom", name), |b| b.iter(|| ours.next_id().unwrap()));
    }
    let mut ours = Snowflake::new(wide(), 1, Policy::default(), TickerClock::global()).unwrap();
    g.bench_function("idloom_ticker_clock", |b| b.iter(|| ours.next_id().unwrap()));
    let peer = BasicSnowflakeGenerator::<WideId, _>::new(1, MonotonicClock::<1>::with_epoch(Duration::from_millis(1_600_000_000_000)));
    g.bench_function("ferroid_wide", |b| b.iter(|| peer.next_id(|_| core::hint::spin_loop())));
    // The floor under every system-clock row: one bare clock read (clock_gettime).
    g.bench_function("clock_gettime_floor", |b| b.iter(|| SystemClock.now_ms()));
    let mut ours = Snowflake::new(wide(), 1, Policy::default(), SystemClock).unwrap();
    let mut buf = vec![0u64; 1024];
    g.throughput(Throughput::Elements(1024));
    g.bench_function("idloom_fill_1024", |b| b.iter(|| ours.fill(&mut buf).unwrap()));
    g.finish();

    let mut g = c.benchmark_group("snowflake_shared_2_threads");
    g.throughput(Throughput::Elements(1));
    let ours = SharedSnowflake::new(wide(), 1, Policy::default(), SystemClock).unwrap();
    g.bench_function("idloom_wide", |b| {
        b.iter_custom(|n| {
            two_threads(n, || {
                black_box(ours.next_id().unwrap());
            })
        })
    });
    let peer = AtomicSnowflakeGenerator::<WideId, _>::new(1, MonotonicClock::<1>::with_epoch(Duration::from_millis(1_600_000_000_000)));
    g.bench_function("ferroid_wide", |b| {
        b.iter_custom(|n| {
            two_threads(n, || {
                black_box(peer.next_id(|_| core::hint::spin_loop()));
            })
        })
    });
    // The fenced and unfenced rows through the same code (see `mint_shared`).
    let ours = SharedSnowflake::new(wide(), 1, Policy::default(), TickerClock::global()).unwrap();
    g.bench_function("idloom_wide_ticker_clock", |b| {
        b.iter_custom(|n| {
            two_threads(n, || {
                black_box(mint_shared(&ours));
            })
        })
    });
    let ours = SharedSnowflake::new(wide(), 1, Policy::default(), TickerClock::global()).unwrap();
    ours.set_lease(0, 4_000_000_000_000, 1);
    g.bench_function("idloom_wide_ticker_clock_fenced", |b| {
        b.iter_custom(|n| {
            two_threads(n, || {
                black_box(mint_shared(&ours));
            })
        })
    });
    let ours = SharedSnowflake::new(Layout::TWITTER, 1, Policy::default(), SystemClock).unwrap();
    g.bench_function("idloom_twitter", |b| {
        b.iter_custom(|n| {
            two_threads(n, || {
                black_box(ours.next_id().unwrap());
            })
        })
    });
    g.finish();
}

/// Time `n` calls split over two threads; returns the wall time for all of them.
fn two_threads(n: u64, f: impl Fn() + Sync) -> Duration {
    halves(n, |k| {
        for _ in 0..k {
            f();
        }
    })
}

/// Time `run(n / 2)` on each of two threads at once; the wall time for both.
fn halves(n: u64, run: impl Fn(u64) + Sync) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| run(n / 2));
        }
    });
    start.elapsed()
}

fn segment(c: &mut Criterion) {
    let mut g = c.benchmark_group("segment_next");
    g.throughput(Throughput::Elements(1));
    let source = MemorySource::new(0);
    let cfg = SegmentConfig {
        step: StepSize::Fixed(1 << 20),
        ..SegmentConfig::default()
    };
    let mut seg = Segment::new(cfg, &source, SystemClock).unwrap();
    g.bench_function("idloom_segment", |b| b.iter(|| seg.next_id().unwrap()));
    let counter = AtomicU64::new(0);
    g.bench_function("atomic_fetch_add", |b| {
        b.iter(|| black_box(&counter).fetch_add(1, Ordering::Relaxed))
    });
    g.finish();
}

fn uuids(c: &mut Criterion) {
    let mut g = c.benchmark_group("uuid_v4");
    g.throughput(Throughput::Elements(1));
    let mut rng = SecureRng::from_os().unwrap();
    g.bench_function("idloom", |b| b.iter(|| Uuid::v4(&mut rng).unwrap()));
    g.bench_function("uuid_crate", |b| b.iter(uuid::Uuid::new_v4));
    g.finish();

    let mut g = c.benchmark_group("uuid_v7");
    g.throughput(Throughput::Elements(1));
    let mut v7 = V7Generator::new();
    g.bench_function("idloom", |b| b.iter(|| v7.next(SystemClock.now_ms(), &mut rng).unwrap()));
    g.bench_function("uuid_crate", |b| b.iter(uuid::Uuid::now_v7));
    let mut ulid_gen = ulid::Generator::new();
    g.bench_function("ulid_monotonic", |b| b.iter(|| ulid_gen.generate().unwrap()));
    g.bench_function("ulid_new", |b| b.iter(ulid::Ulid::new));
    g.finish();
}

fn thread_rng_bytes(size: usize) -> Vec<u8> {
    let mut v = vec![0u8; size];
    rand::rng().fill_bytes(&mut v);
    v
}

fn nanoids(c: &mut Criterion) {
    let mut g = c.benchmark_group("nanoid_21");
    g.throughput(Throughput::Elements(1));
    let mut rng = SecureRng::from_os().unwrap();
    g.bench_function("idloom", |b| b.iter(|| idloom::nanoid::nanoid(&mut rng).unwrap()));
    let custom = NanoId::default_url();
    g.bench_function("idloom_generator", |b| b.iter(|| custom.generate(&mut rng).unwrap()));
    g.bench_function("nanoid_crate_thread_rng", |b| {
        b.iter(|| nanoid::format(thread_rng_bytes, &nanoid::alphabet::SAFE, 21))
    });
    g.bench_function("nanoid_crate_default", |b| b.iter(|| nanoid::nanoid!()));
    g.finish();
}

/// Mean ns per iteration of a finished benchmark, from criterion's estimates.
fn mean_ns(group: &str, bench: &str) -> Option<f64> {
    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into());
    let path = format!("{dir}/criterion/{group}/{bench}/new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn summary(extra: Vec<serde_json::Value>) {
    println!("\n=== idloom ratios (peer time / idloom time; > 1 means idloom is faster) ===");
    let pairs = [
        ("snowflake_ceiling", "idloom_twitter", "ferroid_twitter"),
        ("snowflake_per_id", "idloom/wait_reset", "ferroid_wide"),
        ("snowflake_per_id", "idloom_ticker_clock", "ferroid_wide"),
        ("snowflake_per_id", "idloom/wait_reset", "clock_gettime_floor"),
        ("snowflake_fence", "single_fenced", "single_unfenced"),
        ("snowflake_fence", "shared_fenced", "shared_unfenced"),
        (
            "snowflake_shared_2_threads",
            "idloom_wide_ticker_clock_fenced",
            "idloom_wide_ticker_clock",
        ),
        ("snowflake_shared_2_threads", "idloom_wide", "ferroid_wide"),
        ("snowflake_shared_2_threads", "idloom_wide_ticker_clock", "ferroid_wide"),
        ("snowflake_shared_2_threads", "idloom_wide_ticker_clock_fenced", "ferroid_wide"),
        ("segment_next", "idloom_segment", "atomic_fetch_add"),
        ("uuid_v4", "idloom", "uuid_crate"),
        ("uuid_v7", "idloom", "uuid_crate"),
        ("uuid_v7", "idloom", "ulid_monotonic"),
        ("nanoid_21", "idloom", "nanoid_crate_thread_rng"),
        ("nanoid_21", "idloom", "nanoid_crate_default"),
    ];
    println!(
        "{:<28} {:>22} {:>10} {:>26} {:>10} {:>7}",
        "group", "ours", "ns", "peer", "ns", "ratio"
    );
    let mut rows = Vec::new();
    for (group, ours, peer) in pairs {
        if let (Some(a), Some(b)) = (mean_ns(group, ours), mean_ns(group, peer)) {
            println!("{group:<28} {ours:>22} {a:>10.2} {peer:>26} {b:>10.2} {:>7.2}", b / a);
            let what = format!("{group} ({ours})");
            rows.push(serde_json::json!({ "what": what, "peer": peer, "ours_ns": a, "peer_ns": b, "ratio": b / a }));
        }
    }
    let ceiling_ns = 1e6 / 4096.0;
    for (group, bench) in [
        ("snowflake_ceiling", "idloom_twitter"),
        ("snowflake_ceiling", "idloom_twitter_ticker_clock"),
        ("snowflake_ceiling", "ferroid_twitter"),
        ("snowflake_shared_2_threads", "idloom_twitter"),
    ] {
        if let Some(ns) = mean_ns(group, bench) {
            println!(
                "{group}/{bench}: {ns:.2} ns/ID = {:.2} % of the Twitter ceiling (4,096,000 IDs/s per node)",
                100.0 * ceiling_ns / ns
            );
            let row = serde_json::json!({ "what": "snowflake at the Twitter ceiling", "peer": format!("{group}/{bench}"), "percent_of_ceiling": 100.0 * ceiling_ns / ns });
            rows.push(row);
        }
    }
    if let Some(ns) = mean_ns("snowflake_per_id", "idloom_fill_1024") {
        println!(
            "snowflake_per_id/idloom_fill_1024: {:.2} ns/ID ({:.0} M IDs/s)",
            ns / 1024.0,
            1024.0 / ns * 1e3
        );
    }
    rows.extend(extra);
    // For scripts/bench, which plots every runtime's rows.
    if let Ok(path) = std::env::var("IDLOOM_BENCH_JSON") {
        let text = serde_json::to_string_pretty(&rows).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("could not write {path}: {e}");
        }
    }
}

/// One shared-generator ID through one copy of the machine code, whatever
/// the generator: the fenced and unfenced rows run the same instructions
/// (callgrind counts them equal: a fence is data, not a branch), so the same
/// function keeps code placement from passing for a cost of the fence.
#[inline(never)]
fn mint_shared(g: &SharedSnowflake<TickerClock>) -> u64 {
    g.next_id().unwrap()
}

/// As [`mint_shared`], for the single-owner generator.
#[inline(never)]
fn mint_single(g: &mut Snowflake<TickerClock>) -> u64 {
    g.next_id().unwrap()
}

/// Fenced (a lease's interval set) against unfenced generators, same run:
/// the fence is one atomic load and a compare per ID on both (unfenced, the
/// word says "no fence"), through the same code.
fn fenced(c: &mut Criterion) {
    let mut g = c.benchmark_group("snowflake_fence");
    g.throughput(Throughput::Elements(1));
    let far = 4_000_000_000_000; // a fence well past the bench
    let shared = SharedSnowflake::new(wide(), 1, Policy::default(), TickerClock::global()).unwrap();
    g.bench_function("shared_unfenced", |b| b.iter(|| mint_shared(&shared)));
    let shared = SharedSnowflake::new(wide(), 2, Policy::default(), TickerClock::global()).unwrap();
    shared.set_lease(0, far, 1);
    g.bench_function("shared_fenced", |b| b.iter(|| mint_shared(&shared)));
    let mut single = Snowflake::new(wide(), 1, Policy::default(), TickerClock::global()).unwrap();
    g.bench_function("single_unfenced", |b| b.iter(|| mint_single(&mut single)));
    let mut single = Snowflake::new(wide(), 2, Policy::default(), TickerClock::global()).unwrap();
    single.set_lease(0, far, 1);
    g.bench_function("single_fenced", |b| b.iter(|| mint_single(&mut single)));
    g.finish();
}

/// Fenced against unfenced, interleaved: criterion times each row in its own
/// stretch of the run, so on a shared VM a pair of rows also measures the
/// machine's drift between them. Here both generators run through one
/// `#[inline(never)]` loop, alternately (A B B A …), ROUNDS times, and the
/// median of each side is compared: the same code, the same moments. An
/// unfenced/unfenced control shows the spread of a pair that differs in
/// nothing, and the shared generator meets ferroid's atomic one the same way.
fn interleaved() -> Vec<serde_json::Value> {
    const ROUNDS: usize = 201;
    const CALLS: u64 = 400_000;
    #[inline(never)]
    fn loop_single(g: &mut Snowflake<TickerClock>, n: u64) -> Duration {
        let t = Instant::now();
        for _ in 0..n {
            black_box(g.next_id().unwrap());
        }
        t.elapsed()
    }
    #[inline(never)]
    fn loop_shared(g: &SharedSnowflake<TickerClock>, n: u64) -> Duration {
        let t = Instant::now();
        for _ in 0..n {
            black_box(g.next_id().unwrap());
        }
        t.elapsed()
    }
    fn loop_shared_2(g: &SharedSnowflake<TickerClock>, n: u64) -> Duration {
        halves(n, |k| {
            loop_shared(g, k);
        })
    }
    fn loop_ferroid_2(g: &AtomicSnowflakeGenerator<WideId, MonotonicClock<1>>, n: u64) -> Duration {
        #[inline(never)]
        fn run(g: &AtomicSnowflakeGenerator<WideId, MonotonicClock<1>>, n: u64) {
            for _ in 0..n {
                black_box(g.next_id(|_| core::hint::spin_loop()));
            }
        }
        halves(n, |k| run(g, k))
    }
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
    /// Median ns per ID of `a` and of `b`, run alternately, and the median
    /// of each round's ratio (b / a: the two runs of a round are adjacent).
    fn pair(mut a: impl FnMut() -> Duration, mut b: impl FnMut() -> Duration) -> (f64, f64, f64) {
        let (mut xs, mut ys, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let ns = |d: Duration| d.as_nanos() as f64 / CALLS as f64;
        for round in 0..ROUNDS {
            let (x, y) = if round % 2 == 0 {
                let x = ns(a());
                (x, ns(b()))
            } else {
                let y = ns(b());
                (ns(a()), y)
            };
            xs.push(x);
            ys.push(y);
            ratios.push(y / x);
        }
        (median(xs), median(ys), median(ratios))
    }
    let far = 4_000_000_000_000;
    let clock = TickerClock::global;
    let mut single_fenced = Box::new(Snowflake::new(wide(), 1, Policy::default(), clock()).unwrap());
    single_fenced.set_lease(0, far, 1);
    let mut single_open = Box::new(Snowflake::new(wide(), 2, Policy::default(), clock()).unwrap());
    let shared_fenced = Box::new(SharedSnowflake::new(wide(), 1, Policy::default(), clock()).unwrap());
    shared_fenced.set_lease(0, far, 1);
    let shared_open = Box::new(SharedSnowflake::new(wide(), 2, Policy::default(), clock()).unwrap());
    // The control: two unfenced generators, to show the spread of a pair that
    // differs in nothing (on 2 cores, the 2-thread rows swing by several %).
    let shared_also_open = Box::new(SharedSnowflake::new(wide(), 3, Policy::default(), clock()).unwrap());
    let results = [
        (
            "single-owner",
            pair(|| loop_single(&mut single_fenced, CALLS), || loop_single(&mut single_open, CALLS)),
        ),
        (
            "shared, one thread",
            pair(|| loop_shared(&shared_fenced, CALLS), || loop_shared(&shared_open, CALLS)),
        ),
        (
            "shared, 2 threads",
            pair(|| loop_shared_2(&shared_fenced, CALLS), || loop_shared_2(&shared_open, CALLS)),
        ),
        (
            "shared, 2 threads, control: unfenced vs unfenced",
            pair(|| loop_shared_2(&shared_also_open, CALLS), || loop_shared_2(&shared_open, CALLS)),
        ),
    ];
    // The same interleaving against the peer: idloom's shared generator
    // (unfenced, TickerClock) against ferroid's atomic one, 2 threads each.
    let peer = Box::new(AtomicSnowflakeGenerator::<WideId, _>::new(
        1,
        MonotonicClock::<1>::with_epoch(Duration::from_millis(1_600_000_000_000)),
    ));
    let (ours, theirs, versus) = pair(|| loop_shared_2(&shared_open, CALLS), || loop_ferroid_2(&peer, CALLS));
    println!("\n=== interleaved pairs ({ROUNDS} rounds of {CALLS} IDs a side, TickerClock): fenced vs unfenced, and the peer ===");
    let mut rows = Vec::new();
    for (what, (fenced, open, ratio)) in results {
        println!("{what}: {fenced:.3} vs {open:.3} ns per ID, second/first (median of the rounds' ratios) {ratio:.3}");
        rows.push(serde_json::json!({
            "what": format!("snowflake fenced vs unfenced, interleaved ({what})"),
            "peer": "unfenced (the second)", "ours_ns": fenced, "peer_ns": open, "ratio": ratio,
        }));
    }
    println!("shared, 2 threads, idloom vs ferroid AtomicSnowflakeGenerator: {ours:.3} vs {theirs:.3} ns per ID, ferroid/idloom (median of the rounds' ratios) {versus:.3}");
    rows.push(serde_json::json!({
        "what": "snowflake shared, 2 threads, TickerClock, interleaved",
        "peer": "ferroid AtomicSnowflakeGenerator", "ours_ns": ours, "peer_ns": theirs, "ratio": versus,
    }));
    rows
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    fenced(&mut c);
    snowflake(&mut c);
    segment(&mut c);
    uuids(&mut c);
    nanoids(&mut c);
    c.final_summary();
    // Only under `cargo bench` (criterion's test mode, under `cargo test`, runs each
    // benchmark once; the pairs would add seconds there and measure nothing).
    let benching = std::env::args().any(|a| a == "--bench") && !std::env::args().any(|a| a == "--list");
    let pairs = if benching { interleaved() } else { Vec::new() };
    summary(pairs);
}
