//! The Rust hot paths and their peers, one call at a time, for counting
//! instructions under callgrind (`scripts/bench callgrind`, driven by
//! `scripts/callgrind.py`): instruction counts do not move with the load of a
//! shared machine the way times do.
//!
//!   instructions PATH N    N calls of PATH (`list` names every path)
//!
//! The driver runs each path twice (N and 2N calls) and divides the
//! difference by N, so start-up and set-up cancel out. Time is fixed and read
//! from an atomic (as `TickerClock` and ferroid's clock thread do), so every
//! call takes its path's common case: the same tick, 22 sequence bits (4M IDs
//! per tick: N stays far below), no fence in reach. idloom's randomness is
//! seeded from the OS and reseeds itself (as the bindings' process-wide
//! generators do; instruction counts do not depend on the seed), the peers'
//! StdRng is seeded.
//! The `*_system_clock` / `ulid_generate` pair reads the OS clock instead,
//! as the criterion bench does (the clock's own instructions count too).
use ferroid::generator::{AtomicSnowflakeGenerator, BasicSnowflakeGenerator};
use ferroid::time::TimeSource;
use idloom::uuid::V7Generator;
use idloom::{Clock, Layout, Policy, SecureRng, SharedSnowflake, Snowflake, SystemClock, Uuid};
use rand::SeedableRng;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

/// The fixed time (Unix ms), in an atomic like a clock thread's.
static NOW_MS: AtomicU64 = AtomicU64::new(1_700_000_000_000);
const EPOCH_MS: u64 = 1_600_000_000_000;

fn wide() -> Layout {
    Layout::new(39, 2, 22, EPOCH_MS, 1).expect("a valid layout")
}

ferroid::define_snowflake_id!(WideId, u64, reserved: 1, timestamp: 39, machine_id: 2, sequence: 22);

/// ferroid's clock over the same atomic (its `MonotonicClock` reads a clock
/// thread's atomic the same way).
#[derive(Clone, Copy)]
struct FixedClock;

impl TimeSource<u64> for FixedClock {
    fn current_millis(&self) -> u64 {
        NOW_MS.load(Ordering::Relaxed) - EPOCH_MS
    }
}

fn clock() -> impl idloom::Clock + Copy {
    || NOW_MS.load(Ordering::Relaxed)
}

const PATHS: [&str; 14] = [
    "snowflake",
    "snowflake_fenced",
    "shared",
    "shared_fenced",
    "ferroid_basic",
    "ferroid_atomic",
    "uuid_v7",
    "ulid_monotonic",
    "uuid_v7_system_clock",
    "ulid_generate",
    "uuid_v4",
    "uuid_crate_v4",
    "uuid_v4_text",
    "uuid_crate_v4_text",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map(String::as_str).unwrap_or("list");
    if path == "list" {
        println!("{}", PATHS.join("\n"));
        return;
    }
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).expect("usage: instructions PATH N");
    let far_fence = 4_000_000_000_000;
    match path {
        "snowflake" | "snowflake_fenced" => {
            let mut g = Snowflake::new(wide(), 1, Policy::default(), clock()).expect("a generator");
            if path == "snowflake_fenced" {
                g.set_lease(0, far_fence, 1);
            }
            for _ in 0..n {
                black_box(g.next_id().expect("an ID"));
            }
        }
        "shared" | "shared_fenced" => {
            let g = SharedSnowflake::new(wide(), 1, Policy::default(), clock()).expect("a generator");
            if path == "shared_fenced" {
                g.set_lease(0, far_fence, 1);
            }
            for _ in 0..n {
                black_box(g.next_id().expect("an ID"));
            }
        }
        "ferroid_basic" => {
            let g = BasicSnowflakeGenerator::<WideId, _>::new(1, FixedClock);
            for _ in 0..n {
                black_box(g.next_id(|_| core::hint::spin_loop()));
            }
        }
        "ferroid_atomic" => {
            let g = AtomicSnowflakeGenerator::<WideId, _>::new(1, FixedClock);
            for _ in 0..n {
                black_box(g.next_id(|_| core::hint::spin_loop()));
            }
        }
        "uuid_v7" => {
            let mut rng = SecureRng::from_os().expect("an OS seed");
            let mut g = V7Generator::new();
            for _ in 0..n {
                black_box(g.next(NOW_MS.load(Ordering::Relaxed), &mut rng).expect("a UUID"));
            }
        }
        "ulid_monotonic" => {
            let mut rng = rand::rngs::StdRng::seed_from_u64(7);
            let mut g = ulid::Generator::new();
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(NOW_MS.load(Ordering::Relaxed));
            for _ in 0..n {
                black_box(g.generate_from_datetime_with_source(black_box(at), &mut rng).expect("a ULID"));
            }
        }
        // The pair criterion times (core/benches/generators.rs, group uuid_v7):
        // both read the OS clock on every call, ulid's generate() with its
        // thread-local rng.
        "uuid_v7_system_clock" => {
            let mut rng = SecureRng::from_os().expect("an OS seed");
            let mut g = V7Generator::new();
            for _ in 0..n {
                black_box(g.next(SystemClock.now_ms(), &mut rng).expect("a UUID"));
            }
        }
        "ulid_generate" => {
            let mut g = ulid::Generator::new();
            for _ in 0..n {
                black_box(g.generate().expect("a ULID"));
            }
        }
        "uuid_v4" => {
            let mut rng = SecureRng::from_os().expect("an OS seed");
            for _ in 0..n {
                black_box(Uuid::v4(&mut rng).expect("a UUID"));
            }
        }
        "uuid_crate_v4" => {
            let mut rng = rand::rngs::StdRng::seed_from_u64(7);
            for _ in 0..n {
                black_box(uuid::Builder::from_random_bytes(rand::Rng::random(&mut rng)).into_uuid());
            }
        }
        "uuid_v4_text" => {
            let mut rng = SecureRng::from_os().expect("an OS seed");
            for _ in 0..n {
                black_box(Uuid::v4(&mut rng).expect("a UUID").hyphenated_bytes());
            }
        }
        "uuid_crate_v4_text" => {
            let mut rng = rand::rngs::StdRng::seed_from_u64(7);
            for _ in 0..n {
                let mut buf = [0u8; 36];
                let u = uuid::Builder::from_random_bytes(rand::Rng::random(&mut rng)).into_uuid();
                black_box(u.hyphenated().encode_lower(&mut buf).len());
            }
        }
        other => panic!("unknown path {other} (instructions list)"),
    }
}
