//! The Rust minter of the cross-runtime test (tests/e2e): the same two
//! commands as tests/e2e/mint.py and mint.mjs.
//!
//!   mint OUT NODE COUNT THREADS   COUNT IDs per thread from one shared
//!                                 Twitter-layout generator for NODE, each
//!                                 thread's IDs to OUT.tK (u64 little endian)
//!   decode IN OUT                 one "timestamp_ms node sequence" line per ID
//!   run OUT NODE COUNT            one thread, IDs appended to OUT as they are
//!                                 minted (so a killed run leaves what it issued)
//!   fault OUT NODE COUNT POLICY AFTER
//!                                 one thread; after AFTER IDs the clock jumps
//!                                 back 5 s. POLICY: fail | wait (up to 10 s) |
//!                                 logical (10 s lead, borrowing on exhaustion).
//!                                 IDs to OUT, then OUT.result: "ok PAUSE_MS" or
//!                                 "error CODE PAUSE_MS" (longest single call)
//!
//! The segment command, on a real store, is soak_minter's (in
//! stores/examples: it runs on idloom-stores).
use idloom::{registry, Clock, Layout, OnBackwards, OnExhausted, Policy, SequenceStart, Snowflake, SystemClock, TickerClock};
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

/// The system clock plus an offset the fault script moves.
struct OffsetClock(AtomicI64);

impl Clock for &OffsetClock {
    fn now_ms(&self) -> u64 {
        (SystemClock.now_ms() as i64 + self.0.load(Ordering::Relaxed)) as u64
    }
    fn sleep_ms(&self, ms: u64) -> bool {
        std::thread::sleep(std::time::Duration::from_millis(ms));
        true
    }
}

/// The fault scripts' policies, the same in every minter.
fn policy(name: &str) -> Policy {
    let (on_backwards, on_exhausted) = match name {
        "fail" => (OnBackwards::Fail, OnExhausted::Wait),
        "wait" => (OnBackwards::Wait { max_ms: 10_000 }, OnExhausted::Wait),
        "logical" => (
            OnBackwards::Logical { max_lead_ms: 10_000 },
            OnExhausted::Borrow { max_lead_ms: 10_000 },
        ),
        _ => fail(format!("unknown policy {name}")),
    };
    Policy {
        on_backwards,
        on_exhausted,
        sequence_start: SequenceStart::Reset,
    }
}

fn write_ids(file: &mut impl Write, ids: &[u64]) {
    let bytes: Vec<u8> = ids.iter().flat_map(|id| id.to_le_bytes()).collect();
    file.write_all(&bytes).unwrap_or_else(|e| fail(e.to_string()));
}

/// One `GET` over HTTP/1.0 to the test's server (127.0.0.1, plain text body).
fn fail(message: String) -> ! {
    eprintln!("mint: {message}");
    std::process::exit(2)
}

fn num(s: Option<&String>, what: &str) -> u64 {
    s.and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fail(format!("{what} must be a non-negative integer")))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let layout = Layout::TWITTER;
    match args.first().map(String::as_str) {
        Some("mint") => {
            let out = args.get(1).unwrap_or_else(|| fail("mint OUT NODE COUNT THREADS".into())).clone();
            let (node, count, threads) = (num(args.get(2), "NODE"), num(args.get(3), "COUNT"), num(args.get(4), "THREADS"));
            let gen = registry::acquire(layout, node, Policy::default(), TickerClock::global()).unwrap_or_else(|e| fail(e.to_string()));
            std::thread::scope(|s| {
                for t in 0..threads {
                    let (gen, out) = (&gen, &out);
                    s.spawn(move || {
                        let mut ids = vec![0u64; count as usize];
                        for chunk in ids.chunks_mut(4096) {
                            gen.fill(chunk).unwrap_or_else(|e| fail(e.to_string()));
                        }
                        write_ids(
                            &mut std::fs::File::create(format!("{out}.t{t}")).unwrap_or_else(|e| fail(e.to_string())),
                            &ids,
                        );
                    });
                }
            });
        }
        Some("decode") => {
            let input = std::fs::read(args.get(1).unwrap_or_else(|| fail("decode IN OUT".into()))).unwrap_or_else(|e| fail(e.to_string()));
            let mut out = std::io::BufWriter::new(
                std::fs::File::create(args.get(2).unwrap_or_else(|| fail("decode IN OUT".into()))).unwrap_or_else(|e| fail(e.to_string())),
            );
            for chunk in input.chunks_exact(8) {
                let id = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
                let p = layout.decompose(id).unwrap_or_else(|e| fail(e.to_string()));
                writeln!(out, "{} {} {}", p.timestamp_ms, p.node, p.sequence).unwrap_or_else(|e| fail(e.to_string()));
            }
        }
        Some("run") => {
            let out = args.get(1).unwrap_or_else(|| fail("run OUT NODE COUNT".into())).clone();
            let (node, count) = (num(args.get(2), "NODE"), num(args.get(3), "COUNT"));
            let gen = registry::acquire(layout, node, Policy::default(), TickerClock::global()).unwrap_or_else(|e| fail(e.to_string()));
            let mut file = std::fs::File::create(out).unwrap_or_else(|e| fail(e.to_string()));
            let mut ids = [0u64; 4096];
            let mut done = 0;
            while done < count {
                let n = (count - done).min(4096) as usize;
                gen.fill(&mut ids[..n]).unwrap_or_else(|e| fail(e.to_string()));
                write_ids(&mut file, &ids[..n]);
                done += n as u64;
            }
        }
        Some("fault") => {
            let out = args
                .get(1)
                .unwrap_or_else(|| fail("fault OUT NODE COUNT POLICY AFTER".into()))
                .clone();
            let (node, count) = (num(args.get(2), "NODE"), num(args.get(3), "COUNT"));
            let policy = policy(args.get(4).map(String::as_str).unwrap_or_default());
            let after = num(args.get(5), "AFTER");
            let clock = OffsetClock(AtomicI64::new(0));
            let mut gen = Snowflake::new(layout, node, policy, &clock).unwrap_or_else(|e| fail(e.to_string()));
            let (mut ids, mut pause, mut result) = (Vec::with_capacity(count as usize), 0u128, String::from("ok"));
            for i in 0..count {
                if i == after {
                    clock.0.store(-5000, Ordering::Relaxed);
                }
                let t = Instant::now();
                match gen.next_id() {
                    Ok(id) => ids.push(id),
                    Err(e) => {
                        result = format!("error {}", e.code().as_str());
                        break;
                    }
                }
                pause = pause.max(t.elapsed().as_millis());
            }
            write_ids(&mut std::fs::File::create(&out).unwrap_or_else(|e| fail(e.to_string())), &ids);
            std::fs::write(format!("{out}.result"), format!("{result} {pause}\n")).unwrap_or_else(|e| fail(e.to_string()));
        }
        _ => fail("usage: mint OUT NODE COUNT THREADS | decode IN OUT | run OUT NODE COUNT | fault OUT NODE COUNT POLICY AFTER".into()),
    }
}
