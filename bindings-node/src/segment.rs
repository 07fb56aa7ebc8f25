//! Leaf-style segments. The core's `SegmentBuffer` is handed to JavaScript
//! as an object of native closures; fetching stays in JavaScript, because a
//! source may return a Promise. `next()` takes no argument and answers the
//! ID as a BigInt; the wrapper asks `wantsFetch()` only when the core's
//! countdown (`idsBeforeCheck()`) runs out — the same calls, and the same
//! cost, as the wasm build's.

use crate::errors::{throw, u64_of, IntoJs};
use crate::method;
use idloom::segment::{MemorySource, Range, SegmentBuffer, SegmentConfig, StepSize};
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// Buffer settings; the JS wrapper fills defaults and checks number types.
#[napi(object)]
pub struct SegmentOptions {
    /// Fixed step (ignored when `adaptive` is given).
    pub step: f64,
    pub threshold_percent: u32,
    pub max_prefetched: u32,
    pub stride: BigInt,
    pub offset: BigInt,
    /// `[min, max, targetMs]` for an adaptive step.
    pub adaptive: Option<Vec<f64>>,
}

fn config(env: &Env, o: &SegmentOptions) -> Result<SegmentConfig> {
    // Numbers were checked as safe non-negative integers by the wrapper; the core checks ranges.
    let step = match o.adaptive.as_deref() {
        None => StepSize::Fixed(o.step as u64),
        Some(&[min, max, target_ms]) => StepSize::Adaptive {
            min: min as u64,
            max: max as u64,
            target_ms: target_ms as u64,
        },
        Some(_) => {
            return Err(throw(
                env,
                &idloom::Error::reason(ErrorCode::InvalidArgument, "adaptive", "must be [min, max, targetMs]"),
            ))
        }
    };
    if o.threshold_percent > 100 {
        return Err(throw(
            env,
            &idloom::Error::range(ErrorCode::InvalidArgument, "threshold_percent", o.threshold_percent, 0, 100),
        ));
    }
    let c = SegmentConfig {
        step,
        threshold_percent: o.threshold_percent as u8, // checked just above
        max_prefetched: o.max_prefetched as usize,
        stride: u64_of(env, &o.stride, "stride", ErrorCode::InvalidArgument, u64::MAX)?,
        offset: u64_of(env, &o.offset, "offset", ErrorCode::InvalidArgument, u64::MAX)?,
    };
    c.validate().js(env)?;
    Ok(c)
}

/// A segment buffer: `next`, `wantsFetch`, `idsBeforeCheck`,
/// `beginFetch(nowMs)`, `supply(start, end)`, `fetchFailed`, `remaining`.
#[napi(ts_return_type = "NativeSegmentBuffer")]
pub fn segment_buffer<'env>(env: &'env Env, options: SegmentOptions) -> Result<Object<'env>> {
    let buffer = Rc::new(RefCell::new(SegmentBuffer::new(config(env, &options)?).js(env)?));
    let mut obj = Object::new(env)?;

    let b = buffer.clone();
    method(env, &mut obj, "next", move |ctx| {
        b.borrow_mut().next_id().map_err(|e| throw(ctx.env, &e))
    })?;

    let b = buffer.clone();
    method(env, &mut obj, "wantsFetch", move |_ctx| Ok(b.borrow().wants_fetch()))?;

    let b = buffer.clone();
    method(
        env,
        &mut obj,
        "idsBeforeCheck",
        move |_ctx| Ok(b.borrow().ids_before_check() as f64),
    )?;

    let b = buffer.clone();
    method(env, &mut obj, "beginFetch", move |ctx| {
        let now: f64 = ctx.get(0)?;
        Ok(b.borrow_mut().begin_fetch(now.max(0.0) as u64).map(|r| r.step as f64))
    })?;

    let b = buffer.clone();
    method(env, &mut obj, "supply", move |ctx| {
        let start: BigInt = ctx.get(0)?;
        let end: BigInt = ctx.get(1)?;
        let start = u64_of(ctx.env, &start, "range.start", ErrorCode::InvalidRange, u64::MAX)?;
        let end = u64_of(ctx.env, &end, "range.end", ErrorCode::InvalidRange, u64::MAX)?;
        b.borrow_mut().supply(Range::new(start, end)).map_err(|e| throw(ctx.env, &e))
    })?;

    let b = buffer.clone();
    method(env, &mut obj, "fetchFailed", move |_ctx| {
        b.borrow_mut().fetch_failed();
        Ok(())
    })?;

    let b = buffer;
    method(env, &mut obj, "remaining", move |_ctx| Ok(b.borrow().remaining() as f64))?;
    Ok(obj)
}

/// An in-memory store (one counter): `take(step)` → `[start, end]` as bigints.
#[napi(ts_return_type = "NativeMemorySource")]
pub fn memory_source<'env>(env: &'env Env, start: BigInt) -> Result<Object<'env>> {
    let start = u64_of(env, &start, "start", ErrorCode::InvalidArgument, u64::MAX)?;
    let source = Arc::new(MemorySource::new(start));
    let mut obj = Object::new(env)?;
    method(env, &mut obj, "take", move |ctx| {
        let step: BigInt = ctx.get(0)?;
        let step = u64_of(ctx.env, &step, "step", ErrorCode::InvalidArgument, idloom::segment::MAX_STEP)?;
        if step == 0 {
            return Err(throw(
                ctx.env,
                &idloom::Error::range(ErrorCode::InvalidArgument, "step", 0, 1, idloom::segment::MAX_STEP),
            ));
        }
        let r = source.take(step).map_err(|e| throw(ctx.env, &e))?;
        Ok((r.start, r.end))
    })?;
    Ok(obj)
}
