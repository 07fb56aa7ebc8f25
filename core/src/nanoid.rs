//! NanoID: short random IDs over an alphabet, without modulo bias.
//!
//! The method is npm `nanoid`'s, pinned down exactly so that every binding
//! maps the same bytes to the same ID (the shared vectors check it):
//! - the default alphabet is npm's `urlAlphabet`;
//! - a power-of-two alphabet of `n` symbols takes one byte per symbol, in
//!   order: symbol `byte & (n - 1)`;
//! - any other alphabet uses rejection sampling: `mask` is the smallest
//!   `2^k - 1` covering `n - 1`; draw `step = ceil(1.6 * mask * size / n)`
//!   bytes, take them in order, keep those whose `byte & mask` indexes the
//!   alphabet, and draw again until `size` symbols are taken. No symbol is
//!   favoured (no modulo bias).
//!
//! (npm's own byte order has changed between releases, so IDs are not
//! byte-for-byte those of a particular npm version; the distribution is.)

use crate::error::{Error, ErrorCode, Result};
use crate::rng::RandomSource;
use alloc::string::String;
use alloc::vec::Vec;

/// npm nanoid's URL-safe alphabet (64 symbols).
pub const URL_ALPHABET: &str = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";
/// The default size: 21 symbols, ~126 random bits.
pub const DEFAULT_SIZE: usize = 21;
/// Largest size accepted.
pub const MAX_SIZE: usize = crate::limits::MAX_NANOID_SIZE as usize;

/// A validated alphabet and size, ready to generate IDs.
#[derive(Debug, Clone)]
pub struct NanoId {
    symbols: Symbols,
    len: usize,
    size: usize,
    mask: u8,
    step: usize,
}

#[derive(Debug, Clone)]
enum Symbols {
    Ascii(Vec<u8>),
    Unicode(Vec<char>),
}

impl NanoId {
    /// The default generator: [`URL_ALPHABET`], size 21.
    pub fn default_url() -> Self {
        NanoId::new(URL_ALPHABET, DEFAULT_SIZE).unwrap_or_else(|_| unreachable!("the URL alphabet is valid"))
    }

    /// A generator over `alphabet` (2..=256 distinct symbols) producing
    /// `size` (1..=1024) symbols per ID.
    pub fn new(alphabet: &str, size: usize) -> Result<Self> {
        let chars: Vec<char> = alphabet.chars().collect();
        let n = chars.len();
        if !(2..=256).contains(&n) {
            return Err(Error::range(ErrorCode::InvalidAlphabet, "alphabet length", n as u64, 2, 256));
        }
        // At most 256 symbols: a quadratic scan is cheap here and, unlike a
        // sort, adds almost no code to the wasm build.
        if chars.iter().enumerate().any(|(i, c)| chars[..i].contains(c)) {
            return Err(Error::reason(ErrorCode::InvalidAlphabet, "alphabet", "symbols must be distinct"));
        }
        if !(1..=MAX_SIZE).contains(&size) {
            return Err(Error::range(ErrorCode::InvalidArgument, "size", size as u64, 1, MAX_SIZE as u64));
        }
        // npm: mask = (2 << (31 - clz32((len - 1) | 1))) - 1
        let mask = ((2u32 << (31 - ((n as u32 - 1) | 1).leading_zeros())) - 1) as u8;
        // npm: step = ceil(1.6 * mask * size / len), computed exactly in integers.
        let step = (16 * usize::from(mask) * size).div_ceil(10 * n);
        let symbols = if alphabet.is_ascii() {
            Symbols::Ascii(alphabet.as_bytes().to_vec())
        } else {
            Symbols::Unicode(chars)
        };
        Ok(NanoId {
            symbols,
            len: n,
            size,
            mask,
            step,
        })
    }

    /// Symbols per ID.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether every symbol is ASCII (then [`fill_ascii`](Self::fill_ascii) works).
    pub fn is_ascii(&self) -> bool {
        matches!(self.symbols, Symbols::Ascii(_))
    }

    /// One ID.
    pub fn generate<R: RandomSource + ?Sized>(&self, rng: &mut R) -> Result<String> {
        match &self.symbols {
            Symbols::Ascii(_) => {
                let mut buf = alloc::vec![0u8; self.size];
                self.fill_ascii(rng, &mut buf)?;
                Ok(String::from_utf8(buf).unwrap_or_default())
            }
            Symbols::Unicode(chars) => {
                let mut out = String::with_capacity(self.size * 2);
                let mut count = 0;
                self.draw(rng, |i| {
                    out.push(chars[i]);
                    count += 1;
                    count < self.size
                })?;
                Ok(out)
            }
        }
    }

    /// Write one ID of an ASCII alphabet into `out` (its length is the size
    /// used, 1..=1024): the allocation-free path for batches.
    pub fn fill_ascii<R: RandomSource + ?Sized>(&self, rng: &mut R, out: &mut [u8]) -> Result<()> {
        let Symbols::Ascii(bytes) = &self.symbols else {
            return Err(Error::reason(
                ErrorCode::InvalidAlphabet,
                "alphabet",
                "fill_ascii needs an ASCII alphabet",
            ));
        };
        if !(1..=MAX_SIZE).contains(&out.len()) {
            return Err(Error::range(
                ErrorCode::InvalidArgument,
                "size",
                out.len() as u64,
                1,
                MAX_SIZE as u64,
            ));
        }
        if self.len == usize::from(self.mask) + 1 {
            // Power of two: every masked byte is a valid index; one byte per symbol.
            rng.fill_bytes(out)?;
            for b in out.iter_mut() {
                *b = bytes[usize::from(*b & self.mask)];
            }
            return Ok(());
        }
        let mut at = 0;
        let want = out.len();
        self.draw(rng, |i| {
            out[at] = bytes[i];
            at += 1;
            at < want
        })
    }

    /// Write `out.len() / size` IDs of this generator's size back to back
    /// (`out.len()` a multiple of the size): the same IDs, from the same
    /// bytes in the same order, as calling [`fill_ascii`](Self::fill_ascii)
    /// on each chunk — but a power-of-two alphabet draws all bytes at once.
    pub fn fill_ascii_batch<R: RandomSource + ?Sized>(&self, rng: &mut R, out: &mut [u8]) -> Result<()> {
        if !out.len().is_multiple_of(self.size) {
            return Err(Error::reason(
                ErrorCode::InvalidArgument,
                "out",
                "length must be a multiple of the size",
            ));
        }
        match &self.symbols {
            Symbols::Ascii(bytes) if self.len == usize::from(self.mask) + 1 => {
                // A 256-entry table indexed by the raw byte: no bounds checks, so the loop vectorizes.
                let mut table = [0u8; 256];
                for (i, t) in table.iter_mut().enumerate() {
                    *t = bytes[i & usize::from(self.mask)];
                }
                rng.fill_bytes(out)?;
                for b in out.iter_mut() {
                    *b = table[usize::from(*b)];
                }
                Ok(())
            }
            _ => out.chunks_exact_mut(self.size).try_for_each(|chunk| self.fill_ascii(rng, chunk)),
        }
    }

    /// The rejection loop: feed accepted indexes to `take` until it says stop.
    fn draw<R: RandomSource + ?Sized>(&self, rng: &mut R, mut take: impl FnMut(usize) -> bool) -> Result<()> {
        let mut buf = [0u8; 256];
        if self.len == usize::from(self.mask) + 1 {
            loop {
                let chunk = &mut buf[..self.size.min(256)];
                rng.fill_bytes(chunk)?;
                for &b in chunk.iter() {
                    if !take(usize::from(b & self.mask)) {
                        return Ok(());
                    }
                }
            }
        }
        let mut big = Vec::new();
        let chunk: &mut [u8] = if self.step <= 256 {
            &mut buf[..self.step]
        } else {
            big.resize(self.step, 0);
            &mut big
        };
        loop {
            rng.fill_bytes(chunk)?;
            for &b in chunk.iter() {
                let i = usize::from(b & self.mask);
                if i < self.len && !take(i) {
                    return Ok(());
                }
            }
        }
    }
}

/// A default NanoID (URL alphabet, 21 symbols).
pub fn nanoid<R: RandomSource + ?Sized>(rng: &mut R) -> Result<String> {
    let mut buf = [0u8; DEFAULT_SIZE];
    rng.fill_bytes(&mut buf)?;
    let alphabet = URL_ALPHABET.as_bytes();
    for b in buf.iter_mut() {
        *b = alphabet[usize::from(*b & 63)];
    }
    Ok(String::from_utf8(buf.to_vec()).unwrap_or_default())
}
