//! Keyed, reversible masking of IDs over `n` bits.
//!
//! Sequential and time-ordered IDs leak how many IDs exist, how fast they
//! are made and when each was made. [`Mask`] permutes the `n`-bit space with
//! a keyed Feistel network (cycle-walking for odd `n`), so that public IDs
//! look unrelated to each other while [`Mask::unmask`] recovers the original
//! exactly. Same key, same version, same output, in every binding.
//!
//! Two constructions, chosen by [`MaskVersion`]:
//! - **Version 2** (the default): SipHash-2-4 — a PRF — as the round
//!   function, the version and the width mixed into every round, 12 rounds
//!   below 48 bits and 10 from 48 (NIST SP 800-38G's FF1 uses 10), and
//!   widths below 20 bits refused (SP 800-38G wants a domain of at least
//!   10^6: a smaller space is enumerated by anyone).
//! - **Version 1**: the original construction (six rounds of SipHash-1-3, any
//!   width 1..=64), kept so that IDs already public keep their form. Use it
//!   only for those.
//!
//! **What it is not**: authenticated encryption. Anyone may submit any
//! `n`-bit value and get *some* original back; check the result (does the
//! row exist? does it decode under the layout?) before trusting it. Masking
//! hides order, volume and creation time from someone who sees public IDs;
//! it does not hide that two requests carry the same ID, and it does not
//! stop guessing in a small space. Keep the key secret (it never appears in
//! `Debug` output and is zeroed when the mask is dropped); rotating it
//! changes every public ID.

use crate::error::{Error, ErrorCode, Result};
use core::hash::Hasher;
use siphasher::sip::{SipHasher13, SipHasher24};

/// Which construction a [`Mask`] uses (see the module notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MaskVersion {
    /// Six rounds of SipHash-1-3, widths 1..=64: for IDs already published with it.
    V1,
    /// SipHash-2-4 rounds (12 below 48 bits, else 10) keyed by version and
    /// width, widths 20..=64. The default.
    #[default]
    V2,
}

impl MaskVersion {
    /// The version numbered `n` (1 or 2), else `invalid_argument`.
    pub fn from_number(n: u64) -> Result<Self> {
        match n {
            1 => Ok(MaskVersion::V1),
            2 => Ok(MaskVersion::V2),
            _ => Err(Error::range(ErrorCode::InvalidArgument, "version", n, 1, 2)),
        }
    }

    /// Its number (1 or 2).
    pub const fn number(self) -> u8 {
        match self {
            MaskVersion::V1 => 1,
            MaskVersion::V2 => 2,
        }
    }

    /// The narrowest width this version accepts.
    pub const fn min_bits(self) -> u32 {
        match self {
            MaskVersion::V1 => 1,
            MaskVersion::V2 => MIN_BITS_V2,
        }
    }

    const fn rounds(self, bits: u32) -> u8 {
        match self {
            MaskVersion::V1 => 6,
            MaskVersion::V2 if bits < 48 => 12,
            MaskVersion::V2 => 10,
        }
    }
}

/// The narrowest width version 2 accepts: 2^20 ≥ 10^6 values.
pub const MIN_BITS_V2: u32 = 20;

/// Bytes of a mask key.
pub const KEY_BYTES: usize = 16;

/// A keyed permutation of `n`-bit integers.
#[derive(Clone)]
pub struct Mask {
    bits: u32,
    half: u32,
    version: MaskVersion,
    key: [u8; KEY_BYTES],
}

impl core::fmt::Debug for Mask {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Mask")
            .field("bits", &self.bits)
            .field("version", &self.version.number())
            .field("key", &"<secret>")
            .finish()
    }
}

impl Drop for Mask {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

impl Mask {
    /// A version 2 mask (the default) over `bits` bits (20..=64) with a
    /// 16-byte secret key.
    pub fn new(bits: u32, key: [u8; KEY_BYTES]) -> Result<Self> {
        Mask::with_version(MaskVersion::V2, bits, key)
    }

    /// A mask of the given construction: `bits` in 1..=64 for version 1,
    /// 20..=64 for version 2.
    pub fn with_version(version: MaskVersion, bits: u32, key: [u8; KEY_BYTES]) -> Result<Self> {
        if !(version.min_bits()..=64).contains(&bits) {
            return Err(Error::range(ErrorCode::InvalidArgument, "bits", bits, version.min_bits(), 64));
        }
        // The Feistel network runs over an even width; odd widths cycle-walk.
        Ok(Mask {
            bits,
            half: bits.div_ceil(2),
            version,
            key,
        })
    }

    /// A fresh random key from the OS.
    #[cfg(feature = "getrandom")]
    pub fn generate_key() -> Result<[u8; KEY_BYTES]> {
        let mut key = [0u8; KEY_BYTES];
        crate::rng::RandomSource::fill_bytes(&mut crate::rng::OsRandom, &mut key)?;
        Ok(key)
    }

    /// The width.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The construction.
    pub fn version(&self) -> MaskVersion {
        self.version
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
        let h = match self.version {
            MaskVersion::V1 => {
                let mut h = SipHasher13::new_with_key(&self.key);
                h.write_u8(round);
                h.write_u64(x);
                h.finish()
            }
            MaskVersion::V2 => {
                let mut h = SipHasher24::new_with_key(&self.key);
                // Version and width in every round: a key used for two widths
                // or versions gives unrelated permutations.
                h.write_u8(2);
                h.write_u8(self.bits as u8);
                h.write_u8(round);
                h.write_u64(x);
                h.finish()
            }
        };
        h & self.half_mask()
    }

    fn half_mask(&self) -> u64 {
        (1u64 << self.half) - 1
    }

    fn forward(&self, v: u64) -> u64 {
        let m = self.half_mask();
        let (mut l, mut r) = (v >> self.half, v & m);
        for i in 0..self.version.rounds(self.bits) {
            let next = l ^ self.round(i, r);
            l = r;
            r = next;
        }
        (l << self.half) | r
    }

    fn backward(&self, v: u64) -> u64 {
        let m = self.half_mask();
        let (mut l, mut r) = (v >> self.half, v & m);
        for i in (0..self.version.rounds(self.bits)).rev() {
            let prev = r ^ self.round(i, l);
            r = l;
            l = prev;
        }
        (l << self.half) | r
    }

    /// The public form of `value` (which must fit in `bits`).
    pub fn mask(&self, value: u64) -> Result<u64> {
        self.walk(value, Self::forward)
    }

    /// The original of a masked value.
    pub fn unmask(&self, masked: u64) -> Result<u64> {
        self.walk(masked, Self::backward)
    }

    /// Cycle-walking: the permutation of the 2·half-bit space restricted to
    /// values below 2^bits; it terminates because `value` lies on a cycle
    /// that returns to the range (expected under two steps).
    fn walk(&self, value: u64, step: fn(&Self, u64) -> u64) -> Result<u64> {
        self.check(value)?;
        let mut v = step(self, value);
        while v > self.max_value() {
            v = step(self, v);
        }
        Ok(v)
    }
}
