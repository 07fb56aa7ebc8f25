//! Injected randomness.
//!
//! UUIDs and NanoIDs take their bytes from a [`RandomSource`]. [`SecureRng`]
//! is a userspace ChaCha12 CSPRNG (the generator behind rand's `StdRng`),
//! seeded from the OS or by the host. One seeded from the OS draws a fresh
//! OS seed after every [`RESEED_BYTES`] it hands out (as rand's `ThreadRng`
//! does every 64 KiB), so a state that leaks exposes a bounded stretch of
//! output; it is not `Clone` (a copy would repeat its stream) and its state
//! is zeroed when dropped. [`OsRandom`] reads the OS source on every call.
//! [`ReplayBytes`] hands out given bytes, for vectors.

use crate::error::{Error, ErrorCode, Result};
use rand_chacha::ChaCha12Rng;
use rand_core::{RngCore, SeedableRng};

/// Anything that fills buffers with random bytes.
pub trait RandomSource {
    /// Fill `dest` entirely with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<()>;

    /// 4 random bytes as a big-endian `u32` (the default takes them from
    /// `fill_bytes`; sources with a cheaper word override it).
    #[inline]
    fn next_u32(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }

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
    fn next_u32(&mut self) -> Result<u32> {
        (**self).next_u32()
    }
}

/// Bytes a [`SecureRng`] seeded from the OS hands out before it draws a new
/// OS seed (rand's `ThreadRng` reseeds every 64 KiB too).
pub const RESEED_BYTES: u64 = 64 * 1024;

/// A ChaCha12 CSPRNG in userspace: cheap per call, cryptographically secure
/// as long as its seed is secret. Seeded from the OS, it reseeds itself
/// every [`RESEED_BYTES`]; the process-wide generators of
/// [`crate::process`] also reseed in a forked child. Not `Clone`: two copies
/// would hand out the same bytes. Its state is zeroed on drop.
///
/// ```compile_fail
/// let rng = idloom::SecureRng::from_seed([1; 32]);
/// let copy = rng.clone(); // no: a copy would repeat the stream
/// ```
pub struct SecureRng {
    inner: ChaCha12Rng,
    /// Bytes left before the next OS reseed; a host seed starts at
    /// `u64::MAX` and is never reseeded (`from_os` is false).
    budget: u64,
    /// Seeded from the OS, so reseeded from it: read off the hot path only.
    from_os: bool,
}

impl Drop for SecureRng {
    fn drop(&mut self) {
        // SAFETY: `ChaCha12Rng` is flat data (the key, counter and nonce words
        // and the output buffer: integer arrays and an index) with no pointer,
        // no heap allocation and no `Drop` of its own, so writing zeroes over
        // it is sound, and it is never read again: this is its drop.
        #[allow(unsafe_code)]
        unsafe {
            zeroize::zeroize_flat_type(&mut self.inner as *mut ChaCha12Rng)
        };
    }
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
            budget: u64::MAX,
            from_os: false,
        }
    }

    /// A generator seeded from the OS (Web Crypto on wasm32); it reseeds
    /// itself from the OS after every [`RESEED_BYTES`].
    #[cfg(feature = "getrandom")]
    pub fn from_os() -> Result<Self> {
        let mut seed = [0u8; 32];
        OsRandom.fill_bytes(&mut seed)?;
        let mut rng = SecureRng::from_seed(seed);
        zeroize::Zeroize::zeroize(&mut seed);
        rng.budget = RESEED_BYTES;
        rng.from_os = true;
        Ok(rng)
    }

    /// Replace the state with a fresh OS seed (call in a forked child).
    #[cfg(feature = "getrandom")]
    pub fn reseed(&mut self) -> Result<()> {
        *self = SecureRng::from_os()?;
        Ok(())
    }

    /// Replace the state with a host-supplied seed (never reseeded after).
    pub fn reseed_with(&mut self, seed: [u8; 32]) {
        *self = SecureRng::from_seed(seed);
    }

    /// Bytes this generator hands out before its next OS reseed (`None`
    /// for a host seed, which is never replaced behind the host's back).
    pub fn until_reseed(&self) -> Option<u64> {
        self.from_os.then_some(self.budget)
    }

    /// Count `n` bytes handed out; at the end of the budget, draw a new OS
    /// seed. A failing OS source keeps the current state (still secure, as
    /// rand's `ThreadRng` does) and tries again after another budget. One
    /// compare and a subtraction per draw: a host seed counts down from
    /// `u64::MAX` too (it would take 2^64 bytes to reach the cold path,
    /// which then only refills it).
    #[inline(always)]
    fn spend(&mut self, n: u64) {
        if n < self.budget {
            self.budget -= n;
        } else {
            self.budget_spent();
        }
    }

    #[cold]
    #[inline(never)]
    fn budget_spent(&mut self) {
        if !self.from_os {
            self.budget = u64::MAX;
            return;
        }
        #[cfg(feature = "getrandom")]
        if let Ok(fresh) = SecureRng::from_os() {
            *self = fresh;
            return;
        }
        self.budget = RESEED_BYTES;
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.spend(8);
        self.inner.next_u64()
    }
}

impl RandomSource for SecureRng {
    #[inline]
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<()> {
        self.spend(dest.len() as u64);
        self.inner.fill_bytes(dest);
        Ok(())
    }

    /// Two 64-bit words straight from the block buffer (cheaper than the
    /// byte-copying `fill_bytes` for a single UUID).
    #[inline]
    fn bytes16(&mut self) -> Result<[u8; 16]> {
        self.spend(16);
        let v = (u128::from(self.inner.next_u64()) << 64) | u128::from(self.inner.next_u64());
        Ok(v.to_ne_bytes())
    }

    /// One word straight from the block buffer.
    #[inline]
    fn next_u32(&mut self) -> Result<u32> {
        self.spend(4);
        Ok(self.inner.next_u32())
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
