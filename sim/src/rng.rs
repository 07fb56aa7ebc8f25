//! The simulation's randomness: SplitMix64, written out here.
//!
//! Why not `rand` + `rand_chacha`: a seed must give the same run and the same
//! report forever, and `rand`'s distributions (`gen_range`, shuffles) may
//! change their algorithm between versions; ten lines of SplitMix64 (Steele,
//! Lea and Flood 2014: full period 2^64, passes BigCrush) cannot. The
//! simulation needs spread, not secrecy.

/// SplitMix64: a 64-bit state advanced by a Weyl constant, output mixed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for `seed` (every seed is fine, 0 included).
    pub const fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (`lo` when `hi <= lo`); the modulo bias is below
    /// 2^-40 for the ranges used here (all below 2^24).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// Uniform in `-r..=r`.
    pub fn spread(&mut self, r: u64) -> i64 {
        self.range(0, 2 * r) as i64 - r as i64
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn reference_values() {
        // The first outputs for seed 0, as the reference implementation gives them.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }
}
