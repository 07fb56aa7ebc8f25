//! Keyed, reversible masking of IDs over `n` bits (1 ≤ n ≤ 64).
//!
//! Sequential and time-ordered IDs leak how many IDs exist, how fast they
//! are made and when each was made. [`Mask`] permutes the `n`-bit space with
//! a keyed Feistel network (six rounds of SipHash-1-3, cycle-walking for odd
//! `n`), so that public IDs look unrelated to each other while
//! [`Mask::unmask`] recovers the original exactly. Same key, same output,
//! in every binding.
//!
//! **What it is not**: authenticated encryption. Anyone may submit any
//! `n`-bit value and get *some* original back; check the result (does the
//! row exist? does it decode under the layout?) before trusting it. With
//! small `n` the space can be enumerated. Keep the key secret; rotating it
//! changes every public ID.

use crate::error::{Error, ErrorCode, Result};
use core::hash::Hasher;
use siphasher::sip::SipHasher13;

const ROUNDS: u8 = 6;

/// A keyed permutation of `n`-bit integers.
#[derive(Debug, Clone)]
pub struct Mask {
    bits: u32,
    half: u32,
    key: [u8; 16],
}

impl Mask {
    /// A mask over `bits` bits (1..=64) with a 16-byte secret key.
    pub fn new(bits: u32, key: [u8; 16]) -> Result<Self> {
        if !(1..=64).contains(&bits) {
            return Err(Error::range(ErrorCode::InvalidArgument, "bits", bits, 1, 64));
        }
        // The Feistel network runs over an even width; odd widths cycle-walk.
        Ok(Mask {
            bits,
            half: bits.div_ceil(2),
            key,
        })
    }

    /// The width.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The largest value the mask accepts: 2^bits − 1.
    pub fn max_value(&self) -> u64 {
        if self.bits == 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }

    fn check(&self, v: u64) -> Result<()> {
        if v > self.max_value() {
            return Err(Error::range(ErrorCode::IdOutOfRange, "value", v, 0, self.max_value()));
        }
        Ok(())
    }

    fn round(&self, round: u8, x: u64) -> u64 {
        let mut h = SipHasher13::new_with_key(&self.key);
        h.write_u8(round);
        h.write_u64(x);
        h.finish() & self.half_mask()
    }

    fn half_mask(&self) -> u64 {
        (1u64 << self.half) - 1
    }

    fn forward(&self, v: u64) -> u64 {
        let m = self.half_mask();
        let (mut l, mut r) = (v >> self.half, v & m);
        for i in 0..ROUNDS {
            let next = l ^ self.round(i, r);
            l = r;
            r = next;
        }
        (l << self.half) | r
    }

    fn backward(&self, v: u64) -> u64 {
        let m = self.half_mask();
        let (mut l, mut r) = (v >> self.half, v & m);
        for i in (0..ROUNDS).rev() {
            let prev = r ^ self.round(i, l);
            r = l;
            l = prev;
        }
        (l << self.half) | r
    }

    /// The public form of `value` (which must fit in `bits`).
    pub fn mask(&self, value: u64) -> Result<u64> {
        self.check(value)?;
        // Cycle-walking: the permutation of the 2·half-bit space restricted to
        // values below 2^bits; it terminates because `value` lies on a cycle
        // that returns to the range (expected under two steps).
        let mut v = self.forward(value);
        while v > self.max_value() {
            v = self.forward(v);
        }
        Ok(v)
    }

    /// The original of a masked value.
    pub fn unmask(&self, masked: u64) -> Result<u64> {
        self.check(masked)?;
        let mut v = self.backward(masked);
        while v > self.max_value() {
            v = self.backward(v);
        }
        Ok(v)
    }
}
