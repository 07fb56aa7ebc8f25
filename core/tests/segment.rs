//! Segment buffers: prefetch thresholds, adaptive steps, interleaving,
//! exhaustion and the source contract.

use idloom::segment::{MemorySource, Range, Segment, SegmentBuffer, SegmentConfig, StepSize};
use idloom::{ErrorCode, ManualClock};

#[path = "support/refused.rs"]
mod refused;
use refused::assert_refused;

fn config(step: u64) -> SegmentConfig {
    SegmentConfig {
        step: StepSize::Fixed(step),
        ..SegmentConfig::default()
    }
}

#[test]
fn leaf_double_buffer_prefetches_at_ten_percent() {
    let mut b = SegmentBuffer::new(config(100)).unwrap();
    assert_eq!(b.next_id().unwrap_err().code(), ErrorCode::SegmentExhausted);
    let req = b.begin_fetch(0).unwrap();
    assert_eq!(req.step, 100);
    assert!(b.begin_fetch(0).is_none(), "one fetch in flight at a time");
    b.supply(Range::new(0, 100)).unwrap();
    for expected in 0..10 {
        assert!(!b.wants_fetch() || expected == 10);
        assert_eq!(b.next_id().unwrap(), expected);
    }
    assert!(b.wants_fetch(), "10 % used: fetch the next range");
    b.supply(Range::new(100, 200)).unwrap();
    assert!(!b.wants_fetch(), "double buffer full");
    for expected in 10..200 {
        assert_eq!(b.next_id().unwrap(), expected);
    }
    assert_eq!(b.next_id().unwrap_err().code(), ErrorCode::SegmentExhausted);
}

#[test]
fn ranges_must_be_fresh() {
    let mut b = SegmentBuffer::new(config(10)).unwrap();
    b.supply(Range::new(100, 110)).unwrap();
    let e = b.supply(Range::new(105, 115)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRange);
    assert_eq!(e.to_string(), "range.start must be in 110..=18446744073709551615, got 105");
    assert_eq!(b.supply(Range::new(120, 120)).unwrap_err().code(), ErrorCode::InvalidRange);
    // Gaps are fine (another process took 110..120).
    b.supply(Range::new(120, 130)).unwrap();
}

#[test]
fn interleaved_buffers_never_meet() {
    let clock = ManualClock::new(0);
    let mut seen = std::collections::BTreeSet::new();
    for offset in 0..3 {
        // Three "database sequences": each its own counter, stride 3.
        let own = MemorySource::new(0);
        let cfg = SegmentConfig {
            stride: 3,
            offset,
            ..config(7)
        };
        let mut s = Segment::new(cfg, &own, &clock).unwrap();
        for _ in 0..100 {
            let id = s.next_id().unwrap();
            assert_eq!(id % 3, offset);
            assert!(seen.insert(id), "duplicate {id}");
        }
    }
    let e = SegmentBuffer::new(SegmentConfig {
        stride: 3,
        offset: 3,
        ..config(7)
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "offset must be in 0..=2, got 3");
}

#[test]
fn shared_memory_source_serves_disjoint_ranges_to_threads() {
    let source = MemorySource::new(1);
    let clock = ManualClock::new(0);
    let mut all: Vec<u64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut seg = Segment::new(config(1000), &source, &clock).unwrap();
                    (0..100_000).map(|_| seg.next_id().unwrap()).collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n);
}

/// A source whose first call hands out a range and every later one fails
/// (`database unavailable`); `calls` counts them.
fn up_once(calls: &std::cell::Cell<u32>) -> impl FnMut(u64) -> idloom::Result<Range> + '_ {
    move |step| {
        calls.set(calls.get() + 1);
        if calls.get() == 1 {
            Ok(Range::new(0, step))
        } else {
            Err(idloom::Error::reason(ErrorCode::SegmentExhausted, "source", "database unavailable"))
        }
    }
}

/// A segment of `step` on a source that answers once, then fails: its first
/// `step` IDs come out in order. The calls the source saw while they did, and
/// the draw after them (dry).
fn drain_a_source_up_once(step: u64) -> (u32, idloom::Result<u64>) {
    let clock = ManualClock::new(0);
    let calls = std::cell::Cell::new(0u32);
    let mut s = Segment::new(config(step), up_once(&calls), &clock).unwrap();
    for i in 0..step {
        assert_eq!(s.next_id().unwrap(), i);
    }
    (calls.get(), s.next_id())
}

#[test]
fn failing_source_surfaces_only_when_dry() {
    let (_, dry) = drain_a_source_up_once(10);
    assert_eq!(dry.unwrap_err().to_string(), "source: database unavailable");
}

#[test]
fn adaptive_step_follows_the_rate() {
    let cfg = SegmentConfig {
        step: StepSize::Adaptive {
            min: 100,
            max: 100_000,
            target_ms: 1000,
        },
        threshold_percent: 50,
        ..config(1)
    };
    let mut b = SegmentBuffer::new(cfg).unwrap();
    let mut now = 0;
    let mut next_start = 0;
    let mut steps = vec![];
    // Consume 10 IDs per ms: one range should grow towards 10,000 (1 s of use).
    for _ in 0..200_000 {
        if let Some(req) = b.begin_fetch(now) {
            steps.push(req.step);
            b.supply(Range::new(next_start, next_start + req.step)).unwrap();
            next_start += req.step;
        }
        b.next_id().unwrap();
        now += 1;
        for _ in 0..9 {
            b.next_id().unwrap();
        }
        now += 0;
    }
    assert_eq!(steps[0], 100);
    assert!(steps.windows(2).all(|w| w[1] <= w[0] * 2), "at most doubling: {steps:?}");
    assert_eq!(*steps.last().unwrap(), 10_000, "{steps:?}");
}

#[test]
fn config_is_validated() {
    let bad = [
        (config(0), "step must be in 1..=1099511627776, got 0"),
        (
            SegmentConfig {
                threshold_percent: 101,
                ..config(1)
            },
            "threshold_percent must be in 0..=100, got 101",
        ),
        (
            SegmentConfig {
                max_prefetched: 0,
                ..config(1)
            },
            "max_prefetched must be in 1..=16, got 0",
        ),
        (
            SegmentConfig { stride: 0, ..config(1) },
            "stride must be in 1..=18446744073709551615, got 0",
        ),
        (
            SegmentConfig {
                step: StepSize::Adaptive {
                    min: 10,
                    max: 5,
                    target_ms: 1,
                },
                ..config(1)
            },
            "max_step must be in 10..=1099511627776, got 5",
        ),
    ];
    for (cfg, msg) in bad {
        assert_refused(SegmentBuffer::new(cfg), ErrorCode::InvalidArgument, msg);
    }
}

#[test]
fn ids_that_would_overflow_are_refused() {
    let mut b = SegmentBuffer::new(SegmentConfig {
        stride: 4,
        offset: 1,
        ..config(10)
    })
    .unwrap();
    let max_counter = (u64::MAX - 1) / 4;
    assert!(b.supply(Range::new(max_counter, max_counter + 2)).is_err());
    b.supply(Range::new(max_counter, max_counter + 1)).unwrap();
    assert_eq!(b.next_id().unwrap(), max_counter * 4 + 1);
}

#[test]
fn a_failing_source_is_not_called_on_every_id() {
    let (calls, dry) = drain_a_source_up_once(1000);
    // One success, then retries spaced by a tenth of what was left (59 calls
    // here); without the back-off every one of the last 900 IDs would call it.
    assert!(calls < 100, "{calls} calls to a failing source");
    assert!(dry.is_err(), "dry: the failure surfaces");
}

#[test]
fn discard_forgets_every_range_and_the_fetch_in_flight() {
    let mut buf = SegmentBuffer::new(SegmentConfig::default()).unwrap();
    let first = buf.begin_fetch(0).unwrap();
    buf.supply(Range::new(1, 1 + first.step)).unwrap();
    assert_eq!(buf.next_id().unwrap(), 1);
    assert!(buf.begin_fetch(0).is_none(), "below the threshold: no fetch yet");
    for _ in 0..200 {
        buf.next_id().unwrap();
    }
    assert!(buf.begin_fetch(0).is_some(), "a prefetch in flight");
    buf.discard(); // as a forked child does: the parent keeps serving these
    assert_eq!(buf.remaining(), 0);
    assert_eq!(buf.next_id().unwrap_err().code(), ErrorCode::SegmentExhausted);
    let again = buf.begin_fetch(0).expect("an empty buffer asks at once");
    // The overlap check survives: a range below what was supplied is refused.
    assert_eq!(buf.supply(Range::new(500, 600)).unwrap_err().code(), ErrorCode::InvalidRange);
    buf.supply(Range::new(5_000, 5_000 + again.step)).unwrap();
    assert_eq!(buf.next_id().unwrap(), 5_000);
}

#[test]
fn a_source_carries_its_own_error_type_through_segment() {
    // A binding's source fails with its host's error (a Python exception);
    // the core's own errors (a range breaking the contract) arrive as that type too.
    #[derive(Debug, PartialEq)]
    enum HostError {
        Store(&'static str),
        Core(ErrorCode),
    }
    impl From<idloom::Error> for HostError {
        fn from(e: idloom::Error) -> Self {
            HostError::Core(e.code())
        }
    }
    let clock = ManualClock::new(0);
    let mut calls = 0;
    let source = |step: u64| -> Result<Range, HostError> {
        calls += 1;
        match calls {
            1 => Ok(Range::new(10, 10 + step)),
            2 | 3 => Err(HostError::Store("connection reset")),
            _ => Ok(Range::new(0, step)), // goes back: the core refuses it
        }
    };
    let mut s = Segment::new(config(2), source, &clock).unwrap();
    // The prefetch (call 2) fails while an ID is left: not reported yet.
    assert_eq!((s.next_id(), s.next_id()), (Ok(10), Ok(11)));
    // Dry: asked again (call 3), and that failure is the answer, in the host's type.
    assert_eq!(s.next_id(), Err(HostError::Store("connection reset")));
    assert_eq!(s.next_id(), Err(HostError::Core(ErrorCode::InvalidRange)));
}
