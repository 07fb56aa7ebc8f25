//! UUIDs and NanoIDs with the shapes of npm `uuid` and `nanoid`.

use crate::errors::{refused, IntoJs};
use idloom::nanoid::{NanoId, URL_ALPHABET};
use idloom::{process, ErrorCode, Uuid};
use napi::bindgen_prelude::*;
use napi_derive::napi;

pub(crate) fn text(u: Uuid) -> String {
    String::from_utf8_lossy(&u.hyphenated_bytes()).into_owned()
}

// The hot calls take neither arguments nor `Env`: in napi-rs 3.16 an `Env`
// parameter costs ~90 ns a call here and each argument ~85 ns (bench/probe).
// Their only failure is a refusal (`random_unavailable`), thrown as a plain
// `Error` with the core's code.

/// A random (v4) UUID string.
#[napi(js_name = "v4")]
pub fn v4() -> std::result::Result<Ascii36, Error<String>> {
    process::uuid_v4().map(|u| Ascii36(u.hyphenated_bytes())).map_err(refused)
}

/// `count` v4 UUID strings concatenated (36 bytes each): JavaScript slices
/// them from a pool, so a `v4()` call costs a slice, not a crossing.
#[napi(js_name = "v4Batch")]
pub fn v4_batch(count: u32) -> std::result::Result<Latin1, Error<String>> {
    let n = count.min(idloom::limits::MAX_V4_BATCH as u32); // the JS pool asks for 64
    let mut out = Vec::with_capacity(36 * n as usize);
    for _ in 0..n {
        out.extend_from_slice(&process::uuid_v4().map_err(refused)?.hyphenated_bytes());
    }
    Ok(Latin1(out))
}

/// A time-ordered (v7) UUID string, monotonic within the process.
#[napi(js_name = "v7")]
pub fn v7() -> std::result::Result<Ascii36, Error<String>> {
    process::uuid_v7().map(|u| Ascii36(u.hyphenated_bytes())).map_err(refused)
}

/// Whether `text` is a standard hyphenated UUID (npm `uuid`'s `validate`).
#[napi]
pub fn validate(text: String) -> bool {
    Uuid::parse_standard(&text).is_ok()
}

/// The version of a standard UUID string.
#[napi]
pub fn version(env: &Env, text: String) -> Result<u32> {
    Ok(u32::from(Uuid::parse_standard(&text).js(env)?.version()))
}

/// The 16 bytes of a standard UUID string.
#[napi]
pub fn parse(env: &Env, text: String) -> Result<Uint8Array> {
    Ok(Uint8Array::new(Uuid::parse_standard(&text).js(env)?.as_bytes().to_vec()))
}

/// A v7 UUID in npm `uuid`'s layout from `msecs`, a 32-bit `seq` (negative:
/// drawn from the bytes) and 16 random bytes (the JS wrapper checked ranges).
#[napi]
pub fn v7_counter(env: &Env, msecs: f64, seq: f64, random: Uint8Array) -> Result<String> {
    let r: std::result::Result<[u8; 16], _> = random.as_ref().try_into();
    let r = r
        .map_err(|_| idloom::Error::range(ErrorCode::InvalidArgument, "random length", random.len() as u64, 16, 16))
        .js(env)?;
    let seq = (seq >= 0.0).then_some(seq as u32);
    Ok(text(Uuid::new_v7_counter(msecs as u64, seq, &r).js(env)?))
}

/// The hyphenated string of 16 bytes.
#[napi]
pub fn stringify(env: &Env, bytes: Uint8Array) -> Result<String> {
    let b: std::result::Result<[u8; 16], _> = bytes.as_ref().try_into();
    let b = b
        .map_err(|_| idloom::Error::range(ErrorCode::InvalidUuid, "bytes length", bytes.len() as u64, 16, 16))
        .js(env)?;
    Ok(text(Uuid::from_bytes(b)))
}

/// The Unix milliseconds of a v1/v6/v7 UUID, or null.
#[napi]
pub fn uuid_timestamp_ms(env: &Env, text: String) -> Result<Option<f64>> {
    Ok(Uuid::parse(&text).js(env)?.timestamp_ms().map(|ms| ms as f64))
}

/// A v4 UUID from 16 given bytes (deterministic; vectors).
#[napi]
pub fn v4_from_bytes(env: &Env, random: Uint8Array) -> Result<String> {
    let b: std::result::Result<[u8; 16], _> = random.as_ref().try_into();
    let b = b
        .map_err(|_| idloom::Error::range(ErrorCode::InvalidArgument, "random length", random.len() as u64, 16, 16))
        .js(env)?;
    Ok(text(Uuid::new_v4(b)))
}

/// A NanoID over `alphabet` (default: URL alphabet) of `size` symbols.
#[napi]
pub fn nanoid_generate(env: &Env, alphabet: Option<String>, size: u32) -> Result<String> {
    match alphabet {
        None if size == 21 => process::with_thread_rng(idloom::nanoid::nanoid).js(env),
        alphabet => {
            let gen = NanoId::new(alphabet.as_deref().unwrap_or(URL_ALPHABET), size as usize).js(env)?;
            process::with_thread_rng(|rng| gen.generate(rng)).js(env)
        }
    }
}

/// Validate an alphabet and size (throws what `customAlphabet` would).
#[napi]
pub fn nanoid_check(env: &Env, alphabet: String, size: u32) -> Result<()> {
    NanoId::new(&alphabet, size as usize).js(env).map(drop)
}

/// A NanoID over `alphabet` from given bytes (deterministic; vectors).
#[napi]
pub fn nanoid_from_bytes(env: &Env, alphabet: String, size: u32, random: Uint8Array) -> Result<String> {
    let gen = NanoId::new(&alphabet, size as usize).js(env)?;
    gen.generate(&mut idloom::ReplayBytes::new(random.as_ref())).js(env)
}

/// `count` NanoIDs of `size` symbols over an ASCII `alphabet` (default: URL
/// alphabet), concatenated into one string that JavaScript slices: one
/// crossing and one string for the whole batch.
#[napi]
pub fn nanoid_batch(env: &Env, alphabet: Option<String>, size: u32, count: u32) -> Result<Latin1> {
    idloom::limits::check_nanoid_batch(u64::from(count), u64::from(size)).js(env)?;
    let gen = NanoId::new(alphabet.as_deref().unwrap_or(URL_ALPHABET), size as usize).js(env)?;
    if !gen.is_ascii() {
        return Err(crate::errors::throw(
            env,
            &idloom::Error::reason(ErrorCode::InvalidAlphabet, "alphabet", "batches need an ASCII alphabet"),
        ));
    }
    let size = size as usize;
    let mut out = vec![0u8; size * count as usize];
    process::with_thread_rng(|rng| gen.fill_ascii_batch(rng, &mut out)).js(env)?;
    Ok(Latin1(out))
}

/// npm nanoid's URL-safe alphabet, from the core.
#[napi]
pub fn url_alphabet() -> &'static str {
    URL_ALPHABET
}

/// ASCII bytes handed to JS as a Latin-1 string (no UTF-8 validation).
pub struct Latin1(pub Vec<u8>);

#[allow(unsafe_code)] // napi's trait: an unsafe fn with a raw env
impl ToNapiValue for Latin1 {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let mut out = std::ptr::null_mut();
        // SAFETY: a valid env from napi-rs and a buffer that outlives the call.
        let status = unsafe { napi::sys::napi_create_string_latin1(env, val.0.as_ptr().cast(), val.0.len() as isize, &mut out) };
        if status != napi::sys::Status::napi_ok {
            return Err(Error::from_status(Status::GenericFailure));
        }
        Ok(out)
    }
}

/// 36 ASCII bytes handed to JS as a Latin-1 string (no heap String, no UTF-8 scan).
pub struct Ascii36(pub [u8; 36]);

#[allow(unsafe_code)] // napi's trait: an unsafe fn with a raw env
impl ToNapiValue for Ascii36 {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let mut out = std::ptr::null_mut();
        // SAFETY: a valid env from napi-rs and a 36-byte buffer that outlives the call.
        let status = unsafe { napi::sys::napi_create_string_latin1(env, val.0.as_ptr().cast(), 36, &mut out) };
        if status != napi::sys::Status::napi_ok {
            return Err(Error::from_status(Status::GenericFailure));
        }
        Ok(out)
    }
}
