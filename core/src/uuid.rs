//! UUIDs per RFC 9562: v4 (random) and v7 (Unix-time ordered), parsing and
//! formatting in the hyphenated, simple, URN and braced forms, and reading
//! the version, variant and timestamp.
//!
//! [`V7Generator`] is monotonic (RFC 9562 §6.2 method 1, a fixed-length
//! dedicated counter): 42 counter bits (`rand_a` and the top 30 bits of
//! `rand_b`) seeded randomly with the top bit clear at each new millisecond
//! and incremented within one; on counter overflow, or when the clock goes
//! back, it keeps the last millisecond and borrows the next one, so every
//! UUID it issues is greater than the one before. Each call draws 10 random
//! bytes: bytes 0..6 seed the counter (when it is reseeded), bytes 6..10 fill
//! the low 32 bits of `rand_b`.

use crate::error::{Error, ErrorCode, Result};
use crate::rng::RandomSource;
use core::fmt;

/// A 128-bit UUID, big-endian bytes.
///
/// Held as a `u128` whose bytes in memory are the big-endian bytes (what
/// [`as_bytes`](Uuid::as_bytes) lends): a `u128` moves in two registers,
/// where a byte array is copied with one 16-byte load, and that load, just
/// after the two 8-byte stores that build a UUID, cannot be forwarded from
/// them and stalls (a v7 took 33 ns in criterion where the same UUID as a
/// `u128` took 27). Ordered by its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Uuid(u128);

impl Ord for Uuid {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_u128().cmp(&other.as_u128())
    }
}

impl PartialOrd for Uuid {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The variant field (RFC 9562 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Variant {
    /// `0xx`: reserved, NCS backward compatibility (includes the nil UUID).
    Ncs,
    /// `10x`: the RFC 9562 variant.
    Rfc9562,
    /// `110`: reserved, Microsoft.
    Microsoft,
    /// `111`: reserved for the future (includes the max UUID).
    Future,
}

/// The string forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UuidFormat {
    /// `67e55044-10b1-426f-9247-bb680e5fe0c8`
    Hyphenated,
    /// `67e5504410b1426f9247bb680e5fe0c8`
    Simple,
    /// `urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8`
    Urn,
    /// `{67e55044-10b1-426f-9247-bb680e5fe0c8}`
    Braced,
}

/// Milliseconds between the Gregorian epoch (1582-10-15) and the Unix epoch, in 100 ns units.
const GREGORIAN_OFFSET_100NS: u64 = 0x01B2_1DD2_1381_4000;

/// Largest Unix millisecond a v7 UUID can hold (48 bits).
pub const MAX_V7_MS: u64 = (1 << 48) - 1;

impl Uuid {
    /// `00000000-0000-0000-0000-000000000000`.
    pub const NIL: Uuid = Uuid(0);
    /// `ffffffff-ffff-ffff-ffff-ffffffffffff`.
    pub const MAX: Uuid = Uuid(u128::MAX);

    /// From big-endian bytes (no checks: any 128 bits are a UUID).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Uuid(u128::from_ne_bytes(bytes))
    }
    /// The big-endian bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        // SAFETY: the field is a `u128` whose memory holds the big-endian
        // bytes; `[u8; 16]` has its size, an alignment of 1 (below the
        // `u128`'s) and, like it, no invalid bit pattern, so the cast pointer
        // is valid for reads; the reference borrows `self` for its lifetime.
        #[allow(unsafe_code)]
        unsafe {
            &*(&self.0 as *const u128 as *const [u8; 16])
        }
    }
    /// From a 128-bit integer.
    pub const fn from_u128(v: u128) -> Self {
        Uuid(v.to_be())
    }
    /// As a 128-bit integer.
    pub const fn as_u128(&self) -> u128 {
        u128::from_be(self.0)
    }

    /// A v4 UUID from 16 random bytes (version and variant bits overwritten).
    pub const fn new_v4(mut random: [u8; 16]) -> Self {
        random[6] = (random[6] & 0x0F) | 0x40;
        random[8] = (random[8] & 0x3F) | 0x80;
        Uuid::from_bytes(random)
    }

    /// A v4 UUID from a random source.
    #[inline]
    pub fn v4<R: RandomSource + ?Sized>(rng: &mut R) -> Result<Self> {
        Ok(Uuid::new_v4(rng.bytes16()?))
    }

    /// A v7 UUID from Unix milliseconds and 10 random bytes: `rand_a` takes
    /// the low nibble of byte 0 and byte 1, `rand_b` the low 6 bits of byte 2
    /// and bytes 3..10 (the same mapping as the `uuid` crate's builder).
    pub fn new_v7(unix_ms: u64, random: &[u8; 10]) -> Result<Self> {
        Uuid::v7_over(unix_ms, "unix_ms", *random)
    }

    /// A v7 UUID: 48 bits of `unix_ms` (`param` out of range past
    /// `MAX_V7_MS`), then `rest` as bytes 6..16 under the version and
    /// variant bits.
    fn v7_over(unix_ms: u64, param: &'static str, rest: [u8; 10]) -> Result<Self> {
        if unix_ms > MAX_V7_MS {
            return Err(Error::range(ErrorCode::TimestampOutOfRange, param, unix_ms, 0, MAX_V7_MS));
        }
        let mut b = [0u8; 16];
        b[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
        b[6..].copy_from_slice(&rest);
        b[6] = 0x70 | (b[6] & 0x0F);
        b[8] = 0x80 | (b[8] & 0x3F);
        Ok(Uuid::from_bytes(b))
    }

    /// The version number (the high nibble of byte 6).
    pub const fn version(&self) -> u8 {
        self.as_bytes()[6] >> 4
    }

    /// The variant.
    pub const fn variant(&self) -> Variant {
        match self.as_bytes()[8] >> 5 {
            0..=3 => Variant::Ncs,
            4 | 5 => Variant::Rfc9562,
            6 => Variant::Microsoft,
            _ => Variant::Future,
        }
    }

    /// The creation time in Unix milliseconds, for v1, v6 and v7 UUIDs of the
    /// RFC variant (v1/v6 are truncated from 100 ns units and may precede 1970:
    /// then `None`).
    pub fn timestamp_ms(&self) -> Option<u64> {
        if self.variant() != Variant::Rfc9562 {
            return None;
        }
        let b = self.as_bytes();
        let gregorian = |ts: u64| ts.checked_sub(GREGORIAN_OFFSET_100NS).map(|t| t / 10_000);
        match self.version() {
            7 => Some(u64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]])),
            1 => {
                let low = u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                let mid = u64::from(u16::from_be_bytes([b[4], b[5]]));
                let high = u64::from(u16::from_be_bytes([b[6], b[7]]) & 0x0FFF);
                gregorian(high << 48 | mid << 32 | low)
            }
            6 => {
                let high = u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                let mid = u64::from(u16::from_be_bytes([b[4], b[5]]));
                let low = u64::from(u16::from_be_bytes([b[6], b[7]]) & 0x0FFF);
                gregorian(high << 28 | mid << 12 | low)
            }
            _ => None,
        }
    }

    /// Whether this is the nil UUID.
    pub const fn is_nil(&self) -> bool {
        self.as_u128() == 0
    }
    /// Whether this is the max UUID.
    pub const fn is_max(&self) -> bool {
        self.as_u128() == u128::MAX
    }

    /// Parse the hyphenated, simple, URN (`urn:uuid:`) or braced form,
    /// hex digits in either case.
    pub fn parse(text: &str) -> Result<Self> {
        let s = text.as_bytes();
        let (body, base) = match s.len() {
            32 | 36 => (s, 0),
            38 if s[0] == b'{' && s[37] == b'}' => (&s[1..37], 1),
            45 if s[..9].eq_ignore_ascii_case(b"urn:uuid:") => (&s[9..], 9),
            38 => {
                return Err(Error::parse(
                    ErrorCode::InvalidUuid,
                    "uuid",
                    0,
                    "a 38-character UUID must be braced",
                ))
            }
            45 => {
                return Err(Error::parse(
                    ErrorCode::InvalidUuid,
                    "uuid",
                    0,
                    "a 45-character UUID must start with urn:uuid:",
                ))
            }
            _ => {
                return Err(Error::range(ErrorCode::InvalidUuid, "uuid length", s.len() as u64, 32, 45));
            }
        };
        let hyphens = body.len() == 36;
        let mut out = [0u8; 16];
        let mut nibble = 0usize;
        for (i, &c) in body.iter().enumerate() {
            if hyphens && matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return Err(Error::parse(ErrorCode::InvalidUuid, "uuid", base + i, "expected '-'"));
                }
                continue;
            }
            let v = hex_value(c).ok_or(Error::parse(ErrorCode::InvalidUuid, "uuid", base + i, "expected a hex digit"))?;
            out[nibble / 2] |= v << (if nibble.is_multiple_of(2) { 4 } else { 0 });
            nibble += 1;
        }
        Ok(Uuid::from_bytes(out))
    }

    /// Whether this is a *standard* UUID in the sense of npm `uuid`'s
    /// `validate`: version 1 to 8 with the RFC 9562 variant, or nil, or max.
    pub const fn is_standard(&self) -> bool {
        self.is_nil() || self.is_max() || (matches!(self.version(), 1..=8) && matches!(self.variant(), Variant::Rfc9562))
    }

    /// Parse only the hyphenated form (36 characters, either case) of a
    /// standard UUID ([`is_standard`](Self::is_standard)): the rule of npm
    /// `uuid`'s `validate`, `version` and `parse`.
    pub fn parse_standard(text: &str) -> Result<Self> {
        if text.len() != 36 {
            return Err(Error::range(ErrorCode::InvalidUuid, "uuid length", text.len() as u64, 36, 36));
        }
        let u = Uuid::parse(text)?;
        if !u.is_standard() {
            return Err(Error::reason(
                ErrorCode::InvalidUuid,
                "uuid",
                "not a standard UUID: the version must be 1 to 8 with the RFC 9562 variant, or nil, or max",
            ));
        }
        Ok(u)
    }

    /// A v7 UUID in npm `uuid`'s layout for explicit options (RFC 9562 §6.2
    /// method 1): 48 bits of `unix_ms`, then a 32-bit `counter` across
    /// `rand_a` and the top of `rand_b`, then 42 bits from `random[10..16]`.
    /// Without a counter it is drawn from `random[6..10]` exactly as npm
    /// `uuid` 14 does (`(r[6] & 0x7f) << 24 | r[7] << 16 | r[8] << 8 | r[9]`),
    /// so the same options give the same UUID.
    pub fn new_v7_counter(unix_ms: u64, counter: Option<u32>, random: &[u8; 16]) -> Result<Self> {
        let r = random;
        let seq =
            counter.unwrap_or_else(|| (u32::from(r[6]) & 0x7f) << 24 | u32::from(r[7]) << 16 | u32::from(r[8]) << 8 | u32::from(r[9]));
        let rest = [
            (seq >> 28) as u8,
            (seq >> 20) as u8,
            (seq >> 14) as u8,
            (seq >> 6) as u8,
            ((seq << 2) as u8) | (r[10] & 0x03),
            r[11],
            r[12],
            r[13],
            r[14],
            r[15],
        ];
        Uuid::v7_over(unix_ms, "msecs", rest)
    }

    /// The hyphenated form as ASCII bytes, without allocating (the hot path
    /// of every `to_string`-like call in the bindings).
    #[inline]
    pub fn hyphenated_bytes(&self) -> [u8; 36] {
        let mut out = [b'-'; 36];
        // Where each byte's two digits go: dashes sit at 8, 13, 18 and 23.
        const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
        for (&byte, &at) in self.as_bytes().iter().zip(AT.iter()) {
            // One lookup per byte (both digits), not one per digit.
            let [hi, lo] = HEX_PAIRS[usize::from(byte)];
            out[at] = hi;
            out[at + 1] = lo;
        }
        out
    }

    /// Format in `format`; the result derefs to `str` and needs no allocation.
    pub fn format(&self, format: UuidFormat) -> UuidString {
        let hyphenated = self.hyphenated_bytes();
        let mut buf = [0u8; 45];
        let len = match format {
            UuidFormat::Hyphenated => {
                buf[..36].copy_from_slice(&hyphenated);
                36
            }
            UuidFormat::Simple => {
                for (slot, &c) in buf.iter_mut().zip(hyphenated.iter().filter(|&&c| c != b'-')) {
                    *slot = c;
                }
                32
            }
            UuidFormat::Urn => {
                buf[..9].copy_from_slice(b"urn:uuid:");
                buf[9..45].copy_from_slice(&hyphenated);
                45
            }
            UuidFormat::Braced => {
                buf[0] = b'{';
                buf[1..37].copy_from_slice(&hyphenated);
                buf[37] = b'}';
                38
            }
        };
        UuidString::new(buf, len)
    }
}

#[inline]
pub(crate) const fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A formatted UUID on the stack; derefs to `str`.
pub type UuidString = crate::encoding::AsciiText<45>;

impl fmt::Display for Uuid {
    /// The hyphenated lowercase form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(UuidFormat::Hyphenated))
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

impl core::str::FromStr for Uuid {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Uuid::parse(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Uuid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.format(UuidFormat::Hyphenated))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Uuid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Uuid;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a UUID string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> core::result::Result<Uuid, E> {
                Uuid::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// The two lowercase hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 0xF]];
        i += 1;
    }
    t
};

/// Counter bits of the monotonic v7 generator (12 in `rand_a`, 30 in `rand_b`).
const COUNTER_BITS: u32 = 42;
const COUNTER_MAX: u64 = (1 << COUNTER_BITS) - 1;

/// A monotonic v7 generator: every UUID it issues sorts after the previous one.
#[derive(Debug, Clone)]
pub struct V7Generator {
    last_ms: u64,
    /// `COUNTER_MAX` until the first UUID: the fast path of
    /// [`next`](Self::next) then never applies, with no test of `started`.
    counter: u64,
    started: bool,
}

impl Default for V7Generator {
    fn default() -> Self {
        V7Generator::new()
    }
}

/// A v7 UUID from its millisecond (at most `MAX_V7_MS`), 42-bit counter
/// and 32 random bits: what [`V7Generator::next_from`] composes.
#[inline]
fn v7_from_parts(ms: u64, counter: u64, tail: u32) -> Uuid {
    let rand_a = u128::from(counter >> 30);
    let rand_b = u128::from(((counter & ((1 << 30) - 1)) << 32) | u64::from(tail));
    Uuid::from_u128((u128::from(ms) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)
}

impl V7Generator {
    /// A fresh generator.
    pub const fn new() -> Self {
        V7Generator {
            last_ms: 0,
            counter: COUNTER_MAX,
            started: false,
        }
    }

    /// The next UUID at time `now_ms`, drawing 10 bytes from `rng`.
    ///
    /// Within the last UUID's millisecond (or a clock behind it) the counter
    /// only moves on: then just the 32 random low bits are drawn (4 bytes
    /// instead of 10, the seed bytes would be unused), and the UUID is the one
    /// [`next_from`](Self::next_from) gives for any 10 bytes ending in them.
    ///
    /// The common case (the same millisecond, room in the counter) is one
    /// compare of each and an increment, inlined into the caller; a new
    /// millisecond, the first UUID and an overflow take
    /// [`next_new_ms`](Self::next_new_ms), out of line.
    #[inline(always)]
    pub fn next<R: RandomSource + ?Sized>(&mut self, now_ms: u64, rng: &mut R) -> Result<Uuid> {
        // Before the first UUID the counter stands at COUNTER_MAX: no fast path.
        if now_ms <= self.last_ms && self.counter < COUNTER_MAX {
            let tail = rng.next_u32()?;
            self.counter += 1;
            return Ok(v7_from_parts(self.last_ms, self.counter, tail));
        }
        self.next_new_ms(now_ms, rng)
    }

    /// Off the fast path: draw all 10 bytes and take every rule of
    /// [`next_from`](Self::next_from).
    #[inline(never)]
    fn next_new_ms<R: RandomSource + ?Sized>(&mut self, now_ms: u64, rng: &mut R) -> Result<Uuid> {
        let mut r = [0u8; 10];
        rng.fill_bytes(&mut r)?;
        self.next_from(now_ms, &r)
    }

    /// The next UUID at time `now_ms` from 10 given random bytes.
    pub fn next_from(&mut self, now_ms: u64, random: &[u8; 10]) -> Result<Uuid> {
        if now_ms > MAX_V7_MS {
            return Err(Error::range(ErrorCode::TimestampOutOfRange, "unix_ms", now_ms, 0, MAX_V7_MS));
        }
        let seed = u64::from_be_bytes([0, 0, random[0], random[1], random[2], random[3], random[4], random[5]]) & (COUNTER_MAX >> 1);
        let (ms, counter) = if !self.started || now_ms > self.last_ms {
            (now_ms, seed)
        } else if self.counter < COUNTER_MAX {
            (self.last_ms, self.counter + 1)
        } else if self.last_ms < MAX_V7_MS {
            (self.last_ms + 1, seed)
        } else {
            return Err(Error::range(
                ErrorCode::TimestampOutOfRange,
                "unix_ms",
                self.last_ms + 1,
                0,
                MAX_V7_MS,
            ));
        };
        self.started = true;
        self.last_ms = ms;
        self.counter = counter;
        // rand_a = counter bits 41..30; rand_b = counter bits 29..0, then the 32 random bits.
        let rand_a = (counter >> 30) as u16;
        let rand_b = ((counter & ((1 << 30) - 1)) << 32) | u64::from(u32::from_be_bytes([random[6], random[7], random[8], random[9]]));
        let b = rand_b.to_be_bytes(); // b[0] carries rand_b's top 6 bits
        Uuid::new_v7(
            ms,
            &[(rand_a >> 8) as u8, rand_a as u8, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_as_a_u128_yet_ordered_and_lent_by_its_big_endian_bytes() {
        let mut low = [0u8; 16];
        low[15] = 1; // 00..01: the native u128 of its bytes is large on a little-endian host
        let mut high = [0u8; 16];
        high[0] = 1; // 01..00
        let (a, b) = (Uuid::from_bytes(low), Uuid::from_bytes(high));
        assert!(a < b);
        assert_eq!((b.cmp(&a), a.cmp(&a)), (core::cmp::Ordering::Greater, core::cmp::Ordering::Equal));
        assert_eq!((a.as_u128(), b.as_u128()), (1, 1 << 120));
        assert_eq!((a.as_bytes(), b.as_bytes()), (&low, &high));
        assert_eq!(Uuid::from_u128(1 << 120), b);
        assert_eq!(Uuid::default(), Uuid::NIL);
        assert_eq!(Uuid::MAX.as_bytes(), &[0xFF; 16]);
    }

    #[test]
    fn counter_overflow_borrows_the_next_millisecond() {
        let mut g = V7Generator {
            last_ms: 5000,
            counter: COUNTER_MAX - 1,
            started: true,
        };
        let r = [0u8; 10];
        let a = g.next_from(5000, &r).unwrap();
        let b = g.next_from(5000, &r).unwrap();
        assert_eq!(a.timestamp_ms(), Some(5000));
        assert_eq!(
            b.timestamp_ms(),
            Some(5001),
            "the counter overflowed: the next millisecond is borrowed"
        );
        assert!(b > a);
        let mut end = V7Generator {
            last_ms: MAX_V7_MS,
            counter: COUNTER_MAX,
            started: true,
        };
        assert_eq!(end.next_from(0, &r).unwrap_err().code(), ErrorCode::TimestampOutOfRange);
    }
}
