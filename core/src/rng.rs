//! Injected randomness.
//!
//! UUIDs and NanoIDs take their bytes from a [`RandomSource`]. [`SecureRng`]
//! is a userspace ChaCha12 CSPRNG (the generator behind rand's `StdRng`),
//! seeded from the OS or by the host, with [`SecureRng::reseed`] for the
//! bindings to call in a child after `fork()`. [`OsRandom`] reads the OS
//! source on every call. [`ReplayBytes`] hands out given bytes, for vectors.

use crate::error::{Error, ErrorCode, Result};
use rand_chacha::ChaCha12Rng;
use rand_core::{RngCore, SeedableRng};

/// Anything that fills buffers with random bytes.
pub trait RandomSource {
    /// Fill `dest` entirely with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<()>;

    /// 16 random bytes. Sources with a faster path for one 128-bit draw
    /// override this; the default takes 16 bytes from `fill_bytes` in order.
    #[inline]
    fn bytes16(&mut self) -> Result<[u8; 16]> {
        let mut b = [0u8; 16];
        self.fill_bytes(&mut b)?;
        Ok(b)
    }
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<()> {
        (**self).fill_bytes(dest)
    }
    fn bytes16(&mut self) -> Result<[u8; 16]> {
        (**self).bytes16()
    }
}

/// A ChaCha12 CSPRNG in userspace: cheap per call, cryptographically secure
/// as long as its seed is secret. Reseed it after `fork()`.
#[derive(Clone)]
pub struct SecureRng {
    inner: ChaCha12Rng,
}

impl core::fmt::Debug for SecureRng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecureRng { .. }")
    }
}

impl SecureRng {
    /// A generator from a 32-byte seed supplied by the host. The same seed
    /// gives the same stream: use a secret seed from a secure source.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SecureRng {
            inner: ChaCha12Rng::from_seed(seed),
        }
    }

    /// A generator seeded from the OS (Web Crypto on wasm32).
    #[cfg(feature = "getrandom")]
    pub fn from_os() -> Result<Self> {
        let mut seed = [0u8; 32];
        OsRandom.fill_bytes(&mut seed)?;
        Ok(SecureRng::from_seed(seed))
    }

    /// Replace the state with a fresh OS seed (call in a forked child).
    #[cfg(feature = "getrandom")]
    pub fn reseed(&mut self) -> Result<()> {
        *self = SecureRng::from_os()?;
        Ok(())
    }

    /// Replace the state with a host-supplied seed.
    pub fn reseed_with(&mut self, seed: [u8; 32]) {
        *self = SecureRng::from_seed(seed);
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

impl RandomSource for SecureRng {
    #[inline]
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<()> {
        self.inner.fill_bytes(dest);
        Ok(())
    }

    /// Two 64-bit words straight from the block buffer (cheaper than the
    /// byte-copying `fill_bytes` for a single UUID).
    #[inline]
    fn bytes16(&mut self) -> Result<[u8; 16]> {
        let v = (u128::from(self.inner.next_u64()) << 64) | u128::from(self.inner.next_u64());
        Ok(v.to_ne_bytes())
    }
}

/// The OS randomness source, read on every call (slow but stateless).
#[cfg(feature = "getrandom")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

#[cfg(feature = "getrandom")]
impl RandomSource for OsRandom {
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<()> {
        getrandom::fill(dest).map_err(|_| Error::reason(ErrorCode::RandomUnavailable, "random", "the OS random source failed"))
    }
}

/// Hands out the given bytes in order, then fails: for vectors and tests.
#[derive(Debug, Clone)]
pub struct ReplayBytes<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> ReplayBytes<'a> {
    /// Replay `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        ReplayBytes { bytes, pos: 0 }
    }
    /// How many bytes have been handed out.
    pub const fn used(&self) -> usize {
        self.pos
    }
}

impl RandomSource for ReplayBytes<'_> {
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<()> {
        let end = self.pos + dest.len();
        if end > self.bytes.len() {
            return Err(Error::reason(ErrorCode::RandomUnavailable, "random", "the replayed bytes ran out"));
        }
        dest.copy_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
        Ok(())
    }
}
