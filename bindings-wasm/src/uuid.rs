//! UUIDs with the shapes of npm `uuid` (and the addon's): strings out of
//! the process generators, parsing and formatting, and the deterministic
//! entry points the vectors use.

use crate::errors::{fixed, out_of_range, IntoJs, Out};
use crate::JsClock;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use idloom::uuid::{UuidFormat, V7Generator, MAX_V7_MS};
use idloom::{process, Clock, ErrorCode, OsRandom, Uuid};
use wasm_bindgen::prelude::*;

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

/// The hyphenated string of 16 bytes.
#[wasm_bindgen]
pub fn stringify(bytes: &[u8]) -> Out<String> {
    Ok(text(Uuid::from_bytes(fixed::<16>(bytes, ErrorCode::InvalidUuid, "bytes length")?)))
}

/// A UUID string in another form.
#[wasm_bindgen(js_name = formatUuid)]
pub fn format_uuid(text: &str, form: &str) -> Out<String> {
    let u = Uuid::parse(text).js()?;
    let form = <UuidFormat as idloom::names::Named>::from_name(form).js()?;
    Ok(u.format(form).as_str().to_string())
}

/// The Unix milliseconds of a v1/v6/v7 UUID, or null.
#[wasm_bindgen(js_name = uuidTimestampMs)]
pub fn uuid_timestamp_ms(text: &str) -> Out<JsValue> {
    Ok(crate::number_or_null(Uuid::parse(text).js()?.timestamp_ms().map(|ms| ms as f64)))
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
    Err(out_of_range(
        ErrorCode::TimestampOutOfRange,
        "unix_ms",
        ms.clamp(0.0, u64::MAX as f64) as u64,
        0,
        MAX_V7_MS,
    ))
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
