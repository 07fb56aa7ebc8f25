//! Fixed-width, order-preserving text encodings for 64- and 128-bit IDs.
//!
//! Every encoding pads to a fixed width with its zero digit and uses an
//! alphabet in ASCII order, so comparing encoded strings compares the
//! numbers. Decoding is strict: the exact width, symbols of the alphabet
//! only, and no value past the integer's range. Two leniencies users expect:
//! hex accepts upper case, and Crockford base32 accepts lower case and reads
//! `I`/`L` as 1 and `O` as 0 (Crockford's spec); encoders always emit the
//! canonical form.

use crate::error::{Error, ErrorCode, Result};
use core::fmt;

/// A supported encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Encoding {
    /// `0-9A-Za-z`; 11 chars for u64, 22 for u128.
    Base62,
    /// `0-9a-z`; 13 chars for u64, 25 for u128.
    Base36,
    /// Crockford's `0-9A-HJKMNP-TV-Z`; 13 chars for u64, 26 for u128.
    Base32,
    /// `0-9a-f`; 16 chars for u64, 32 for u128.
    Hex,
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const HEX: &[u8] = b"0123456789abcdef";

impl Encoding {
    /// Every encoding with its name, as bindings spell it.
    pub const ALL: [(&'static str, Encoding); 4] = [
        ("base62", Encoding::Base62),
        ("base36", Encoding::Base36),
        ("base32", Encoding::Base32),
        ("hex", Encoding::Hex),
    ];

    /// By name: `base62`, `base36`, `base32` (Crockford), `hex`.
    pub fn from_name(name: &str) -> Result<Encoding> {
        Encoding::ALL.iter().find(|(n, _)| *n == name).map(|(_, e)| *e).ok_or(Error::reason(
            ErrorCode::InvalidArgument,
            "encoding",
            "expected base62, base36, base32 or hex",
        ))
    }

    /// The name.
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Base62 => "base62",
            Encoding::Base36 => "base36",
            Encoding::Base32 => "base32",
            Encoding::Hex => "hex",
        }
    }

    const fn alphabet(self) -> &'static [u8] {
        match self {
            Encoding::Base62 => BASE62,
            Encoding::Base36 => BASE36,
            Encoding::Base32 => CROCKFORD,
            Encoding::Hex => HEX,
        }
    }

    const fn base(self) -> u128 {
        self.alphabet().len() as u128
    }

    /// Width of an encoded u64.
    pub const fn width_u64(self) -> usize {
        match self {
            Encoding::Base62 => 11,
            Encoding::Base36 | Encoding::Base32 => 13,
            Encoding::Hex => 16,
        }
    }

    /// Width of an encoded u128.
    pub const fn width_u128(self) -> usize {
        match self {
            Encoding::Base62 => 22,
            Encoding::Base36 => 25,
            Encoding::Base32 => 26,
            Encoding::Hex => 32,
        }
    }

    fn digit(self, c: u8) -> Option<u8> {
        match self {
            Encoding::Hex => crate::uuid::hex_value(c),
            Encoding::Base36 => match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'z' => Some(c - b'a' + 10),
                _ => None,
            },
            Encoding::Base62 => match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'A'..=b'Z' => Some(c - b'A' + 10),
                b'a'..=b'z' => Some(c - b'a' + 36),
                _ => None,
            },
            Encoding::Base32 => {
                let c = match c.to_ascii_uppercase() {
                    b'O' => b'0',
                    b'I' | b'L' => b'1',
                    c => c,
                };
                CROCKFORD.iter().position(|&d| d == c).map(|p| p as u8)
            }
        }
    }

    fn encode(self, mut v: u128, width: usize) -> Encoded {
        let mut buf = [0u8; 32];
        let alphabet = self.alphabet();
        for slot in buf[..width].iter_mut().rev() {
            *slot = alphabet[(v % self.base()) as usize];
            v /= self.base();
        }
        Encoded::new(buf, width as u8)
    }

    fn decode(self, text: &str, width: usize, max: u128, param: &'static str) -> Result<u128> {
        let s = text.as_bytes();
        if s.len() != width {
            return Err(Error::range(
                ErrorCode::InvalidEncoding,
                param,
                s.len() as u64,
                width as u64,
                width as u64,
            ));
        }
        let mut v: u128 = 0;
        for (i, &c) in s.iter().enumerate() {
            let d = self
                .digit(c)
                .ok_or(Error::parse(ErrorCode::InvalidEncoding, param, i, "symbol not in the alphabet"))?;
            v = v
                .checked_mul(self.base())
                .and_then(|v| v.checked_add(u128::from(d)))
                .filter(|&v| v <= max)
                .ok_or(Error::parse(
                    ErrorCode::InvalidEncoding,
                    param,
                    i,
                    "value too large for the integer width",
                ))?;
        }
        Ok(v)
    }

    /// Encode a u64 at fixed width.
    pub fn encode_u64(self, v: u64) -> Encoded {
        self.encode(u128::from(v), self.width_u64())
    }

    /// Encode a u128 at fixed width.
    pub fn encode_u128(self, v: u128) -> Encoded {
        self.encode(v, self.width_u128())
    }

    /// Decode a u64 (exact width, strict symbols, no overflow).
    pub fn decode_u64(self, text: &str) -> Result<u64> {
        self.decode(text, self.width_u64(), u128::from(u64::MAX), "encoded length")
            .map(|v| v as u64)
    }

    /// Decode a u128 (exact width, strict symbols, no overflow).
    pub fn decode_u128(self, text: &str) -> Result<u128> {
        self.decode(text, self.width_u128(), u128::MAX, "encoded length")
    }
}

/// An encoded ID on the stack; derefs to `str`.
pub type Encoded = AsciiText<32>;

/// Short ASCII text on the stack (an encoded ID, a formatted UUID); derefs to `str`.
#[derive(Clone, Copy)]
pub struct AsciiText<const N: usize> {
    buf: [u8; N],
    len: u8,
}

impl<const N: usize> AsciiText<N> {
    /// The first `len` bytes of `buf`, which the caller filled with ASCII only.
    pub(crate) const fn new(buf: [u8; N], len: u8) -> Self {
        AsciiText { buf, len }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII (alphabet symbols, hex digits, punctuation) is ever written.
        core::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl<const N: usize> core::ops::Deref for AsciiText<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> fmt::Display for AsciiText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for AsciiText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
