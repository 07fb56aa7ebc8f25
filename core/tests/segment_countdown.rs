//! `SegmentBuffer::ids_before_check`: a host that counts down instead of
//! asking `wants_fetch` after every ID (JavaScript over napi or wasm) starts
//! every fetch exactly where asking after every ID would. Random operation
//! sequences on random configurations, against a twin buffer asked after
//! every call.

use idloom::segment::{Range, SegmentBuffer, SegmentConfig, StepSize};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Next,
    Supply,
    Fail,
}

fn config(step: u64, threshold: u8, prefetched: usize) -> SegmentConfig {
    SegmentConfig {
        step: StepSize::Fixed(step),
        threshold_percent: threshold,
        max_prefetched: prefetched,
        ..SegmentConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn counting_down_starts_every_fetch_where_checking_every_id_does(
        step in 1u64..40,
        threshold in 0u8..=100,
        prefetched in 1usize..4,
        ops in proptest::collection::vec(prop_oneof![8 => Just(Op::Next), 1 => Just(Op::Supply), 1 => Just(Op::Fail)], 1..400),
    ) {
        let mut every = SegmentBuffer::new(config(step, threshold, prefetched)).unwrap();
        let mut counted = every.clone();
        let mut next_start = 1u64;
        let mut left = 0u64; // the counting host's countdown
        let mut in_flight = None::<u64>;
        for op in ops {
            match op {
                Op::Next => {
                    // The host that checks after every ID.
                    let a = every.next_id();
                    let due_a = a.is_ok() && every.wants_fetch();
                    // The counting host: skip the check while the countdown says so.
                    let b = counted.next_id();
                    left = left.saturating_sub(1);
                    let due_b = if b.is_ok() && left > 0 {
                        prop_assert!(!counted.wants_fetch(), "the countdown skipped a due fetch");
                        false
                    } else {
                        let due = b.is_ok() && counted.wants_fetch();
                        left = counted.ids_before_check();
                        due
                    };
                    prop_assert_eq!(a.as_ref().ok(), b.as_ref().ok());
                    prop_assert_eq!(due_a, due_b);
                    if due_a {
                        let r1 = every.begin_fetch(0).map(|r| r.step);
                        let r2 = counted.begin_fetch(0).map(|r| r.step);
                        prop_assert_eq!(r1, r2);
                        in_flight = r1;
                        left = counted.ids_before_check();
                    }
                }
                Op::Supply => {
                    if let Some(n) = in_flight.take() {
                        let r = Range::new(next_start, next_start + n);
                        next_start += n;
                        every.supply(r).unwrap();
                        counted.supply(r).unwrap();
                        left = counted.ids_before_check();
                    } else if every.wants_fetch() {
                        in_flight = every.begin_fetch(0).map(|r| r.step);
                        counted.begin_fetch(0);
                        left = counted.ids_before_check();
                    }
                }
                Op::Fail => {
                    if in_flight.take().is_some() {
                        every.fetch_failed();
                        counted.fetch_failed();
                        left = counted.ids_before_check();
                    }
                }
            }
        }
    }
}
