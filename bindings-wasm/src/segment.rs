//! Leaf-style segments: the core's `SegmentBuffer` behind the addon's
//! shape. `next()` answers the ID as a BigInt (a plain `u64` return, the
//! cheapest crossing); the wrapper asks `wantsFetch()` only when the core's
//! countdown (`idsBeforeCheck()`) runs out. Fetching stays in JavaScript (a
//! source may return a Promise).

use crate::errors::{bad, out_of_range, IntoJs, Out};
use crate::number_or_null;
use alloc::vec::Vec;
use idloom::segment::{MemorySource, Range, SegmentBuffer, SegmentConfig, StepSize, MAX_STEP};
use idloom::ErrorCode;
use js_sys::Array;
use wasm_bindgen::prelude::*;

js_object! {
    /// Buffer settings; the JS wrapper fills defaults and checks number types.
    /// `step` is ignored when `adaptive` (`[min, max, targetMs]`) is given.
    SegmentOptions {
        step: f64 = step, threshold_percent: u32 = thresholdPercent, max_prefetched: u32 = maxPrefetched,
        stride: u64 = stride, offset: u64 = offset, adaptive: Option<Vec<f64>> = adaptive,
    }
}

impl SegmentOptions {
    fn config(&self) -> Out<SegmentConfig> {
        // Numbers were checked as safe non-negative integers by the wrapper; the core checks ranges.
        let step = match self.adaptive().as_deref() {
            None => StepSize::Fixed(self.step() as u64),
            Some(&[min, max, target_ms]) => StepSize::Adaptive {
                min: min as u64,
                max: max as u64,
                target_ms: target_ms as u64,
            },
            Some(_) => return Err(bad(ErrorCode::InvalidArgument, "adaptive", "must be [min, max, targetMs]")),
        };
        let threshold = self.threshold_percent();
        if threshold > 100 {
            return Err(out_of_range(ErrorCode::InvalidArgument, "threshold_percent", threshold, 0, 100));
        }
        Ok(SegmentConfig {
            step,
            threshold_percent: threshold as u8, // checked just above
            max_prefetched: self.max_prefetched() as usize,
            stride: self.stride(),
            offset: self.offset(),
        })
    }
}

/// A segment buffer.
#[wasm_bindgen]
pub struct WasmSegment {
    buffer: SegmentBuffer,
}

#[wasm_bindgen]
impl WasmSegment {
    /// The next ID from memory.
    #[allow(clippy::should_implement_trait)] // JS method name
    pub fn next(&mut self) -> Out<u64> {
        self.buffer.next_id().js()
    }
    /// Whether a fetch should start now.
    #[wasm_bindgen(js_name = wantsFetch)]
    pub fn wants_fetch(&self) -> bool {
        self.buffer.wants_fetch()
    }
    /// How many IDs the wrapper may take before it asks `wantsFetch` again (the core's countdown).
    #[wasm_bindgen(js_name = idsBeforeCheck)]
    pub fn ids_before_check(&self) -> f64 {
        self.buffer.ids_before_check() as f64
    }
    /// Start a fetch if wanted: its step (null: none).
    #[wasm_bindgen(js_name = beginFetch)]
    pub fn begin_fetch(&mut self, now: f64) -> JsValue {
        number_or_null(self.buffer.begin_fetch(now.max(0.0) as u64).map(|r| r.step as f64))
    }
    /// Accept counters `[start, end)`.
    pub fn supply(&mut self, start: u64, end: u64) -> Out<()> {
        self.buffer.supply(Range::new(start, end)).js()
    }
    /// The fetch failed.
    #[wasm_bindgen(js_name = fetchFailed)]
    pub fn fetch_failed(&mut self) {
        self.buffer.fetch_failed();
    }
    /// IDs left in memory.
    pub fn remaining(&self) -> f64 {
        self.buffer.remaining() as f64
    }
}

/// A segment buffer (`adaptive` selects the adaptive step).
#[wasm_bindgen(js_name = segmentBuffer)]
pub fn segment_buffer(options: &SegmentOptions) -> Out<WasmSegment> {
    Ok(WasmSegment {
        buffer: SegmentBuffer::new(options.config()?).js()?,
    })
}

/// An in-memory store (one counter).
#[wasm_bindgen]
pub struct WasmMemorySource {
    inner: MemorySource,
}

#[wasm_bindgen]
impl WasmMemorySource {
    /// `[start, end]` (BigInts) of `step` counters.
    pub fn take(&self, step: u64) -> Out<Array> {
        if !(1..=MAX_STEP).contains(&step) {
            return Err(out_of_range(ErrorCode::InvalidArgument, "step", step, 1, MAX_STEP));
        }
        let r = self.inner.take(step).js()?;
        Ok(Array::of2(&r.start.into(), &r.end.into()))
    }
}

/// An in-memory store starting at `start`.
#[wasm_bindgen(js_name = memorySource)]
pub fn memory_source(start: u64) -> WasmMemorySource {
    WasmMemorySource {
        inner: MemorySource::new(start),
    }
}
