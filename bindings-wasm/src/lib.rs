//! The WebAssembly half of idloom for browsers, Cloudflare Workers and Node.
//!
//! Thin: numbers, strings, BigInts and byte arrays in; IDs, strings and JS
//! errors carrying the core's `code` out. `js/adapter.mjs` adapts these
//! exports to the native interface that the shared `lib/api.mjs` expects,
//! so every JS host runs the same public API.
//!
//! Host facts this crate respects: nothing draws randomness or reads the
//! clock at import (Workers refuse randomness at module scope); time is
//! `Date.now()`, which deployed Workers freeze between I/O, so waits are
//! bounded by the core and borrowing ahead is bounded by the policy; there
//! is no thread to sleep on, so a clock never sleeps.
//!
//! `no_std` on wasm32: std's panic and formatting machinery was a quarter of
//! the module. A panic (a bug: every bad input is a typed error) traps, as
//! it did with std on this target.
#![deny(unsafe_code)] // no unsafe of our own: wasm-bindgen and js_sys carry it
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

#[cfg(feature = "coord")]
mod coord;
mod objectid;
#[cfg(feature = "coord")]
mod stores;

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use idloom::encoding::Encoding;
use idloom::mask::Mask;
use idloom::names::{Backwards, Exhausted, Named, PolicyChoice, Start};
use idloom::nanoid::{NanoId, URL_ALPHABET};
use idloom::segment::{MemorySource, Range, SegmentBuffer, SegmentConfig, StepSize};
use idloom::snowflake::Next;
use idloom::uuid::{UuidFormat, V7Generator, MAX_V7_MS};
use idloom::{process, registry, Clock, ErrorCode, FieldOrder, Generator, Layout, OsRandom, Policy, SharedSnowflake, Uuid};
use js_sys::{Array, BigUint64Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

pub(crate) type Out<T> = Result<T, JsValue>;

/// Talc instead of std's dlmalloc: the same job in less code (single-threaded wasm).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic traps: the JS caller sees `RuntimeError: unreachable`.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// A core error as a JS error with `code`: `TypeError` for `invalid_type`,
/// `RangeError` for other bad input, `Error` for a generator's refusal.
pub(crate) fn js_err(e: &idloom::Error) -> JsValue {
    let message = e.to_string();
    let err: JsValue = if e.code() == ErrorCode::InvalidType {
        js_sys::TypeError::new(&message).into()
    } else if e.code().is_bad_input() {
        js_sys::RangeError::new(&message).into()
    } else {
        js_sys::Error::new(&message).into()
    };
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code().as_str()));
    err
}

pub(crate) trait IntoJs<T> {
    fn js(self) -> Out<T>;
}
impl<T> IntoJs<T> for idloom::Result<T> {
    #[inline]
    fn js(self) -> Out<T> {
        self.map_err(|e| js_err(&e))
    }
}

fn bad(code: ErrorCode, param: &'static str, reason: &'static str) -> JsValue {
    js_err(&idloom::Error::reason(code, param, reason))
}

/// `Date.now()`: the host's clock. It cannot sleep, so bounded waits poll it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsClock;

impl Clock for JsClock {
    #[inline]
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }
}

// ------------------------------------------------------------------ layouts

pub(crate) fn layout(time_bits: u32, node_bits: u32, sequence_bits: u32, epoch_ms: f64, tick_ms: f64, order: u32) -> Out<Layout> {
    // `order` is an index into the core's names (the adapter maps names to indexes).
    let order = FieldOrder::ALL
        .get(order as usize)
        .map_or(FieldOrder::TimeSequenceNode, |(_, o)| *o);
    // The JS wrapper has checked that epochMs and tickMs are safe non-negative integers.
    Layout::with_order(time_bits, node_bits, sequence_bits, epoch_ms as u64, tick_ms as u64, order).js()
}

/// A preset as `[timeBits, nodeBits, sequenceBits, epochMs, tickMs, order]` (order 0: time_node_sequence).
#[wasm_bindgen(js_name = layoutPreset)]
pub fn layout_preset(name: &str) -> Out<Vec<f64>> {
    let l = Layout::preset_named(name).js()?;
    let order = FieldOrder::ALL.iter().position(|(_, o)| *o == l.order()).unwrap_or(0) as f64;
    Ok(vec![
        l.time_bits().into(),
        l.node_bits().into(),
        l.sequence_bits().into(),
        l.epoch_ms() as f64,
        l.tick_ms() as f64,
        order,
    ])
}

/// Validate a layout.
#[wasm_bindgen(js_name = layoutCheck)]
pub fn layout_check(t: u32, n: u32, s: u32, epoch: f64, tick: f64, order: u32) -> Out<()> {
    layout(t, n, s, epoch, tick, order).map(drop)
}

/// `[idsPerTick, idsPerSecondPerNode, nodes, runsOutAtMs, leavesJsSafeAtMs or NaN]`.
#[wasm_bindgen(js_name = layoutCapacity)]
pub fn layout_capacity(t: u32, n: u32, s: u32, epoch: f64, tick: f64, order: u32) -> Out<Vec<f64>> {
    let c = layout(t, n, s, epoch, tick, order)?.capacity();
    Ok(vec![
        c.ids_per_tick as f64,
        c.ids_per_second_per_node as f64,
        c.nodes as f64,
        c.runs_out_at_ms as f64,
        c.leaves_js_safe_at_ms.map_or(f64::NAN, |v| v as f64),
    ])
}

/// `[timestampMs, tick, node, sequence]` of an ID.
#[wasm_bindgen(js_name = layoutDecompose)]
#[allow(clippy::too_many_arguments)]
pub fn layout_decompose(t: u32, n: u32, s: u32, epoch: f64, tick: f64, order: u32, id: u64) -> Out<Vec<f64>> {
    let p = layout(t, n, s, epoch, tick, order)?.decompose(id).js()?;
    Ok(vec![p.timestamp_ms as f64, p.tick as f64, p.node as f64, p.sequence as f64])
}

/// An ID from Unix milliseconds, node and sequence.
#[wasm_bindgen(js_name = layoutCompose)]
#[allow(clippy::too_many_arguments)]
pub fn layout_compose(t: u32, n: u32, s: u32, epoch: f64, tick: f64, order: u32, ms: u64, node: u64, seq: u64) -> Out<u64> {
    layout(t, n, s, epoch, tick, order)?.compose(ms, node, seq).js()
}

/// The friendly form of an ID.
#[wasm_bindgen(js_name = layoutFriendly)]
#[allow(clippy::too_many_arguments)]
pub fn layout_friendly(t: u32, n: u32, s: u32, epoch: f64, tick: f64, order: u32, id: u64) -> Out<String> {
    Ok(layout(t, n, s, epoch, tick, order)?.friendly(id).js()?.to_string())
}

/// The ID of a friendly string.
#[wasm_bindgen(js_name = layoutParseFriendly)]
#[allow(clippy::too_many_arguments)]
pub fn layout_parse_friendly(t: u32, n: u32, s: u32, epoch: f64, tick: f64, order: u32, text: &str) -> Out<u64> {
    layout(t, n, s, epoch, tick, order)?.parse_friendly(text).js()
}

// ---------------------------------------------------------------- snowflake

pub(crate) fn policy(
    backwards: &str,
    max_backwards_ms: f64,
    exhausted: &str,
    max_borrow_ms: f64,
    start: &str,
    seed: Option<u64>,
) -> Out<Policy> {
    // Names and bounds are the core's; the JS wrapper checked types with the same tables (`optionNames`).
    let choice = PolicyChoice {
        backwards: Backwards::from_name(backwards).js()?,
        max_backwards_ms: Some(max_backwards_ms as u64),
        exhausted: Exhausted::from_name(exhausted).js()?,
        max_borrow_ms: Some(max_borrow_ms as u64),
        sequence_start: Start::from_name(start).js()?,
        seed,
    };
    choice.policy(|| process::with_thread_rng(|r| Ok(r.next_u64()))).js()
}

/// Most IDs one batch call returns.
const MAX_BATCH: u32 = idloom::limits::MAX_BATCH as u32;
/// Longest one synchronous call spins on a policy wait (there is no thread to
/// sleep: the JS thread would freeze); longer waits are `would_block`.
const SYNC_WAIT_MS: u64 = idloom::limits::MAX_SYNC_WAIT_MS;

/// A snowflake generator shared by every handle of its (layout, node) in
/// this wasm instance.
#[wasm_bindgen]
pub struct WasmSnowflake {
    pub(crate) inner: Arc<SharedSnowflake<JsClock>>,
}

#[wasm_bindgen]
impl WasmSnowflake {
    /// The next ID.
    #[allow(clippy::should_implement_trait)] // JS method name
    pub fn next(&self) -> Out<u64> {
        self.inner.next_id_within(SYNC_WAIT_MS).js()
    }
    /// The next ID as a decimal string.
    #[wasm_bindgen(js_name = nextString)]
    pub fn next_string(&self) -> Out<String> {
        Ok(self.inner.next_id_within(SYNC_WAIT_MS).js()?.to_string())
    }
    /// One attempt, never waiting: an ID (BigInt) or the time to retry at (number).
    #[wasm_bindgen(js_name = tryNext)]
    pub fn try_next(&self) -> Out<JsValue> {
        Ok(match self.inner.try_next_id().js()? {
            Next::Id(id) => JsValue::from(id),
            Next::RetryAt(ms) => JsValue::from(ms as f64),
        })
    }
    /// `n` increasing IDs.
    #[wasm_bindgen(js_name = nextBatch)]
    pub fn next_batch(&self, n: u32) -> Out<BigUint64Array> {
        if n > MAX_BATCH {
            return Err(js_err(&idloom::Error::range(ErrorCode::InvalidArgument, "n", n, 0, MAX_BATCH)));
        }
        let mut out = vec![0u64; n as usize];
        self.inner.fill_within(&mut out, SYNC_WAIT_MS).js()?;
        Ok(BigUint64Array::from(&out[..]))
    }
    /// The node ID.
    pub fn node(&self) -> f64 {
        self.inner.node() as f64
    }
    /// Move to another node.
    pub fn rekey(&self, node: u64) -> Out<()> {
        if node > self.inner.layout().max_node() {
            return Err(js_err(&idloom::Error::range(
                ErrorCode::NodeOutOfRange,
                "node",
                node,
                0,
                self.inner.layout().max_node(),
            )));
        }
        registry::rekey(&self.inner, node).js()
    }
}

/// A generator for `node` (the JS wrapper has checked types and the node range).
#[wasm_bindgen(js_name = snowflakeCreate)]
#[allow(clippy::too_many_arguments)]
pub fn snowflake_create(
    t: u32,
    n: u32,
    s: u32,
    epoch: f64,
    tick: f64,
    order: u32,
    node: u64,
    backwards: &str,
    max_backwards_ms: f64,
    exhausted: &str,
    max_borrow_ms: f64,
    start: &str,
    seed: Option<u64>,
) -> Out<WasmSnowflake> {
    let layout = layout(t, n, s, epoch, tick, order)?;
    let policy = policy(backwards, max_backwards_ms, exhausted, max_borrow_ms, start, seed)?;
    Ok(WasmSnowflake {
        inner: registry::acquire(layout, node, policy, JsClock).js()?,
    })
}

/// The pure state machine: the host passes every time.
#[wasm_bindgen]
pub struct WasmMachine {
    inner: Generator,
}

#[wasm_bindgen]
impl WasmMachine {
    /// An ID (BigInt) or the time to retry at (number).
    #[wasm_bindgen(js_name = nextAt)]
    pub fn next_at(&mut self, now: f64) -> Out<JsValue> {
        Ok(match self.inner.next_at(now as u64).js()? {
            Next::Id(id) => JsValue::from(id),
            Next::RetryAt(ms) => JsValue::from(ms as f64),
        })
    }
    /// `[ids, retryAtMs or undefined]`.
    #[wasm_bindgen(js_name = fillAt)]
    pub fn fill_at(&mut self, now: f64, n: u32) -> Out<Array> {
        let mut out = vec![0u64; n.min(MAX_BATCH) as usize];
        let (k, retry) = self.inner.fill_at(now as u64, &mut out).js()?;
        Ok(Array::of2(
            &BigUint64Array::from(&out[..k]).into(),
            &retry.map_or(JsValue::UNDEFINED, |ms| JsValue::from(ms as f64)),
        ))
    }
}

/// A pure state machine for `node`.
#[wasm_bindgen(js_name = snowflakeMachine)]
#[allow(clippy::too_many_arguments)]
pub fn snowflake_machine(
    t: u32,
    n: u32,
    s: u32,
    epoch: f64,
    tick: f64,
    order: u32,
    node: u64,
    backwards: &str,
    max_backwards_ms: f64,
    exhausted: &str,
    max_borrow_ms: f64,
    start: &str,
    seed: Option<u64>,
) -> Out<WasmMachine> {
    let layout = layout(t, n, s, epoch, tick, order)?;
    let policy = policy(backwards, max_backwards_ms, exhausted, max_borrow_ms, start, seed)?;
    Ok(WasmMachine {
        inner: Generator::new(layout, node, policy).js()?,
    })
}

// ----------------------------------------------------------------- segments

/// A segment buffer; `next` sets `signal[0] = 1` when a fetch is wanted.
#[wasm_bindgen]
pub struct WasmSegment {
    buffer: SegmentBuffer,
    signal: Option<Uint8Array>,
}

#[wasm_bindgen]
impl WasmSegment {
    /// The next ID from memory.
    #[allow(clippy::should_implement_trait)] // JS method name
    pub fn next(&mut self) -> Out<u64> {
        let id = self.buffer.next_id();
        if self.buffer.wants_fetch() {
            if let Some(s) = &self.signal {
                s.set_index(0, 1);
            }
        }
        id.js()
    }
    /// Whether a fetch should start now.
    #[wasm_bindgen(js_name = wantsFetch)]
    pub fn wants_fetch(&self) -> bool {
        self.buffer.wants_fetch()
    }
    /// Start a fetch if wanted: its step.
    #[wasm_bindgen(js_name = beginFetch)]
    pub fn begin_fetch(&mut self, now: f64) -> Option<f64> {
        self.buffer.begin_fetch(now.max(0.0) as u64).map(|r| r.step as f64)
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

/// A segment buffer (`adaptive_min` > 0 selects the adaptive step).
#[wasm_bindgen(js_name = segmentBuffer)]
#[allow(clippy::too_many_arguments)]
pub fn segment_buffer(
    step: f64,
    threshold_percent: u32,
    max_prefetched: u32,
    stride: u64,
    offset: u64,
    adaptive: Option<Vec<f64>>,
    signal: Option<Uint8Array>,
) -> Out<WasmSegment> {
    let step = match adaptive.as_deref() {
        None => StepSize::Fixed(step as u64),
        Some(&[min, max, target_ms]) => StepSize::Adaptive {
            min: min as u64,
            max: max as u64,
            target_ms: target_ms as u64,
        },
        Some(_) => return Err(bad(ErrorCode::InvalidArgument, "adaptive", "must be [min, max, targetMs]")),
    };
    if threshold_percent > 100 {
        return Err(js_err(&idloom::Error::range(
            ErrorCode::InvalidArgument,
            "threshold_percent",
            threshold_percent,
            0,
            100,
        )));
    }
    let config = SegmentConfig {
        step,
        threshold_percent: threshold_percent as u8, // checked just above
        max_prefetched: max_prefetched as usize,
        stride,
        offset,
    };
    Ok(WasmSegment {
        buffer: SegmentBuffer::new(config).js()?,
        signal: signal.filter(|s| s.length() > 0),
    })
}

/// An in-memory store.
#[wasm_bindgen]
pub struct WasmMemorySource {
    inner: MemorySource,
}

#[wasm_bindgen]
impl WasmMemorySource {
    /// `[start, end]` of `step` counters.
    pub fn take(&self, step: u64) -> Out<Vec<u64>> {
        if !(1..=idloom::segment::MAX_STEP).contains(&step) {
            return Err(js_err(&idloom::Error::range(
                ErrorCode::InvalidArgument,
                "step",
                step,
                1,
                idloom::segment::MAX_STEP,
            )));
        }
        let r = self.inner.take(step).js()?;
        Ok(vec![r.start, r.end])
    }
}

/// An in-memory store starting at `start`.
#[wasm_bindgen(js_name = memorySource)]
pub fn memory_source(start: u64) -> WasmMemorySource {
    WasmMemorySource {
        inner: MemorySource::new(start),
    }
}

// -------------------------------------------------------------------- UUIDs

fn text(u: Uuid) -> String {
    String::from_utf8_lossy(&u.hyphenated_bytes()).into_owned()
}

/// A random (v4) UUID string.
#[wasm_bindgen]
pub fn v4() -> Out<String> {
    process::uuid_v4().js().map(text)
}

/// `count` (at most 4096) v4 UUID strings concatenated, for the JS pool.
#[wasm_bindgen(js_name = v4Batch)]
pub fn v4_batch(count: u32) -> Out<String> {
    // The host's CSPRNG (Web Crypto) for the whole batch in one call: in
    // wasm it is several times faster than ChaCha12 without SIMD.
    let n = count.min(idloom::limits::MAX_V4_BATCH as u32) as usize; // the JS pool asks for 64
    let mut random = vec![0u8; 16 * n];
    idloom::RandomSource::fill_bytes(&mut OsRandom, &mut random).js()?;
    let mut out = Vec::with_capacity(36 * n);
    for chunk in random.chunks_exact(16) {
        let mut b = [0u8; 16];
        b.copy_from_slice(chunk);
        out.extend_from_slice(&Uuid::new_v4(b).hyphenated_bytes());
    }
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// A time-ordered (v7) UUID string, monotonic within this instance.
#[wasm_bindgen]
pub fn v7() -> Out<String> {
    process::uuid_v7_at(JsClock.now_ms()).js().map(text)
}

/// Whether `text` is a standard hyphenated UUID (npm `uuid`'s `validate`).
#[wasm_bindgen]
pub fn validate(text: &str) -> bool {
    Uuid::parse_standard(text).is_ok()
}

/// The version of a standard UUID string.
#[wasm_bindgen]
pub fn version(text: &str) -> Out<u32> {
    Ok(u32::from(Uuid::parse_standard(text).js()?.version()))
}

/// The 16 bytes of a standard UUID string.
#[wasm_bindgen]
pub fn parse(text: &str) -> Out<Vec<u8>> {
    Ok(Uuid::parse_standard(text).js()?.as_bytes().to_vec())
}

/// A v7 UUID in npm `uuid`'s layout from `msecs`, a 32-bit `seq` (negative:
/// drawn from the bytes) and 16 random bytes (the JS wrapper checked ranges).
#[wasm_bindgen(js_name = v7Counter)]
pub fn v7_counter(msecs: f64, seq: f64, random: &[u8]) -> Out<String> {
    let r = fixed::<16>(random, ErrorCode::InvalidArgument, "random length")?;
    let seq = (seq >= 0.0).then_some(seq as u32);
    Ok(text(Uuid::new_v7_counter(msecs as u64, seq, &r).js()?))
}

fn fixed<const N: usize>(bytes: &[u8], code: ErrorCode, param: &'static str) -> Out<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| js_err(&idloom::Error::range(code, param, bytes.len() as u64, N as u64, N as u64)))
}

/// The hyphenated string of 16 bytes.
#[wasm_bindgen]
pub fn stringify(bytes: &[u8]) -> Out<String> {
    Ok(text(Uuid::from_bytes(fixed::<16>(bytes, ErrorCode::InvalidUuid, "bytes length")?)))
}

/// A UUID string in another form.
#[wasm_bindgen(js_name = formatUuid)]
pub fn format_uuid(text: &str, form: &str) -> Out<String> {
    let u = Uuid::parse(text).js()?;
    Ok(u.format(UuidFormat::from_name(form).js()?).as_str().to_string())
}

/// The Unix milliseconds of a v1/v6/v7 UUID.
#[wasm_bindgen(js_name = uuidTimestampMs)]
pub fn uuid_timestamp_ms(text: &str) -> Out<Option<f64>> {
    Ok(Uuid::parse(text).js()?.timestamp_ms().map(|ms| ms as f64))
}

/// A v4 UUID from 16 given bytes.
#[wasm_bindgen(js_name = v4FromBytes)]
pub fn v4_from_bytes(random: &[u8]) -> Out<String> {
    Ok(text(Uuid::new_v4(fixed::<16>(
        random,
        ErrorCode::InvalidArgument,
        "random length",
    )?)))
}

fn ms_of(ms: f64) -> Out<u64> {
    // In range and whole (`as` truncates; f64::fract is std-only).
    if (0.0..=MAX_V7_MS as f64).contains(&ms) && ms == (ms as u64) as f64 {
        return Ok(ms as u64);
    }
    Err(js_err(&idloom::Error::range(
        ErrorCode::TimestampOutOfRange,
        "unix_ms",
        ms.clamp(0.0, u64::MAX as f64) as u64,
        0,
        MAX_V7_MS,
    )))
}

/// A v7 UUID from Unix milliseconds and 10 given bytes.
#[wasm_bindgen(js_name = v7FromParts)]
pub fn v7_from_parts(unix_ms: f64, random: &[u8]) -> Out<String> {
    let u = Uuid::new_v7(ms_of(unix_ms)?, &fixed::<10>(random, ErrorCode::InvalidArgument, "random length")?).js()?;
    Ok(text(u))
}

/// A monotonic v7 state machine driven by given time and bytes.
#[wasm_bindgen]
pub struct WasmV7Machine {
    inner: V7Generator,
}

#[wasm_bindgen]
impl WasmV7Machine {
    /// The next UUID at `now` from 10 bytes.
    #[wasm_bindgen(js_name = nextFrom)]
    pub fn next_from(&mut self, now: f64, random: &[u8]) -> Out<String> {
        let r = fixed::<10>(random, ErrorCode::InvalidArgument, "random length")?;
        Ok(text(self.inner.next_from(ms_of(now)?, &r).js()?))
    }
}

/// A fresh v7 machine.
#[wasm_bindgen(js_name = v7Machine)]
pub fn v7_machine() -> WasmV7Machine {
    WasmV7Machine { inner: V7Generator::new() }
}

// ------------------------------------------------------------------ NanoIDs

/// A NanoID over `alphabet` (default: URL alphabet) of `size` symbols.
#[wasm_bindgen(js_name = nanoidGenerate)]
pub fn nanoid_generate(alphabet: Option<String>, size: u32) -> Out<String> {
    let gen = NanoId::new(alphabet.as_deref().unwrap_or(URL_ALPHABET), size as usize).js()?;
    process::with_thread_rng(|rng| gen.generate(rng)).js()
}

/// Validate an alphabet and size.
#[wasm_bindgen(js_name = nanoidCheck)]
pub fn nanoid_check(alphabet: &str, size: u32) -> Out<()> {
    NanoId::new(alphabet, size as usize).js().map(drop)
}

/// `count` NanoIDs of an ASCII alphabet, concatenated.
#[wasm_bindgen(js_name = nanoidBatch)]
pub fn nanoid_batch(alphabet: Option<String>, size: u32, count: u32) -> Out<String> {
    idloom::limits::check_nanoid_batch(u64::from(count), u64::from(size)).js()?;
    let gen = NanoId::new(alphabet.as_deref().unwrap_or(URL_ALPHABET), size as usize).js()?;
    if !gen.is_ascii() {
        return Err(bad(ErrorCode::InvalidAlphabet, "alphabet", "batches need an ASCII alphabet"));
    }
    let mut out = vec![0u8; size as usize * count as usize];
    // Bulk bytes from the host's CSPRNG (see v4_batch).
    gen.fill_ascii_batch(&mut OsRandom, &mut out).js()?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A NanoID over `alphabet` from given bytes.
#[wasm_bindgen(js_name = nanoidFromBytes)]
pub fn nanoid_from_bytes(alphabet: &str, size: u32, random: &[u8]) -> Out<String> {
    let gen = NanoId::new(alphabet, size as usize).js()?;
    gen.generate(&mut idloom::ReplayBytes::new(random)).js()
}

/// npm nanoid's URL-safe alphabet.
#[wasm_bindgen(js_name = urlAlphabet)]
pub fn url_alphabet() -> String {
    URL_ALPHABET.to_string()
}

// ------------------------------------------------------- encodings, masking

/// A value (`hi`:`lo` for 128 bits) in an encoding.
#[wasm_bindgen]
pub fn encode(hi: u64, lo: u64, encoding: &str, bits: u32) -> Out<String> {
    let enc = Encoding::from_name(encoding).js()?;
    Ok(match bits {
        64 => enc.encode_u64(lo).as_str().to_string(),
        128 => enc.encode_u128((u128::from(hi) << 64) | u128::from(lo)).as_str().to_string(),
        _ => return Err(bad(ErrorCode::InvalidArgument, "bits", "must be 64 or 128")),
    })
}

/// The value of an encoded string as `[hi, lo]`.
#[wasm_bindgen]
pub fn decode(text: &str, encoding: &str, bits: u32) -> Out<Vec<u64>> {
    let enc = Encoding::from_name(encoding).js()?;
    Ok(match bits {
        64 => vec![0, enc.decode_u64(text).js()?],
        128 => {
            let v = enc.decode_u128(text).js()?;
            vec![(v >> 64) as u64, v as u64]
        }
        _ => return Err(bad(ErrorCode::InvalidArgument, "bits", "must be 64 or 128")),
    })
}

/// A mask of `version` (1 or 2) over `bits` with a 16-byte key.
fn mask_of(bits: u32, key: &[u8], version: u32) -> Out<Mask> {
    let version = idloom::mask::MaskVersion::from_number(u64::from(version)).js()?;
    Mask::with_version(version, bits, fixed::<16>(key, ErrorCode::InvalidArgument, "key length")?).js()
}

/// Check a mask's version, width and key.
#[wasm_bindgen(js_name = maskCheck)]
pub fn mask_check(bits: u32, key: &[u8], version: u32) -> Out<()> {
    mask_of(bits, key, version).map(drop)
}

/// Apply the keyed permutation (`inverse`: unmask).
#[wasm_bindgen(js_name = maskApply)]
pub fn mask_apply(bits: u32, key: &[u8], value: u64, inverse: bool, version: u32) -> Out<u64> {
    let m = mask_of(bits, key, version)?;
    if value > m.max_value() {
        return Err(js_err(&idloom::Error::range(
            ErrorCode::IdOutOfRange,
            "value",
            value,
            0,
            m.max_value(),
        )));
    }
    if inverse {
        m.unmask(value).js()
    } else {
        m.mask(value).js()
    }
}

/// `[code, badInput]` pairs from the core's table.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Array {
    ErrorCode::ALL
        .iter()
        .map(|c| JsValue::from(Array::of2(&JsValue::from_str(c.as_str()), &JsValue::from_bool(c.is_bad_input()))))
        .collect()
}
