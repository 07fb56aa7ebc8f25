//! NanoIDs with the shapes of npm `nanoid` (and the addon's).

use crate::errors::{bad, IntoJs, Out};
use alloc::string::{String, ToString};
use alloc::vec;
use idloom::nanoid::{NanoId, URL_ALPHABET};
use idloom::{process, ErrorCode, OsRandom};
use wasm_bindgen::prelude::*;

/// A NanoID over `alphabet` (null: the URL alphabet) of `size` symbols.
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

/// `count` NanoIDs of an ASCII alphabet (null: the URL alphabet), concatenated.
#[wasm_bindgen(js_name = nanoidBatch)]
pub fn nanoid_batch(alphabet: Option<String>, size: u32, count: u32) -> Out<String> {
    idloom::limits::check_nanoid_batch(u64::from(count), u64::from(size)).js()?;
    let gen = NanoId::new(alphabet.as_deref().unwrap_or(URL_ALPHABET), size as usize).js()?;
    if !gen.is_ascii() {
        return Err(bad(ErrorCode::InvalidAlphabet, "alphabet", "batches need an ASCII alphabet"));
    }
    let mut out = vec![0u8; size as usize * count as usize];
    // Bulk bytes from the host's CSPRNG (Web Crypto): one call for the batch.
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
