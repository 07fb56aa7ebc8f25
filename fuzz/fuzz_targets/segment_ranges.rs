//! Ranges a store hands a segment buffer, arbitrary (overlapping, backwards,
//! empty, huge), between arbitrary takes: never a panic, never an ID twice —
//! a range that would repeat or go back is refused (`invalid_range`).
#![no_main]
use idloom::segment::{Range, SegmentBuffer, SegmentConfig, StepSize};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let stride = 1 + u64::from(data[0] % 4);
    let config = SegmentConfig {
        step: StepSize::Fixed(1 + u64::from(data[1])),
        threshold_percent: data[2] % 101,
        max_prefetched: 1 + usize::from(data[3] % 4),
        stride,
        offset: u64::from(data[0] >> 4) % stride,
    };
    let Ok(mut buf) = SegmentBuffer::new(config) else { return };
    let mut seen = HashSet::new();
    for chunk in data[4..].chunks(9) {
        if chunk[0] % 2 == 0 && chunk.len() == 9 {
            let start = u64::from(u32::from_le_bytes(chunk[1..5].try_into().unwrap()));
            let len = u64::from(u32::from_le_bytes(chunk[5..9].try_into().unwrap()) % 5000);
            let _ = buf.begin_fetch(0);
            let _ = buf.supply(Range {
                start,
                end: start.saturating_add(len),
            });
        } else {
            for _ in 0..chunk[0] {
                match buf.next_id() {
                    Ok(id) => assert!(seen.insert(id), "ID {id} twice"),
                    Err(_) => break,
                }
            }
        }
    }
});
