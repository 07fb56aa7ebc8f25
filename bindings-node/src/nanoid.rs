//! NanoIDs with the shapes of npm `nanoid`.

use crate::errors::IntoJs;
use crate::uuid::Latin1;
use idloom::nanoid::{NanoId, URL_ALPHABET};
use idloom::{process, ErrorCode};
use napi::bindgen_prelude::*;
use napi_derive::napi;

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
