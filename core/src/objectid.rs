//! MongoDB ObjectIds: 12 bytes — a 4-byte big-endian Unix timestamp in
//! seconds, 5 random bytes drawn once per process (again after `fork()`),
//! and a 3-byte big-endian counter that starts at a random value and wraps
//! at 2^24. The bytes sort by creation second; the hex form is 24 digits.

use crate::error::{Detail, Error, ErrorCode, Result};
use core::fmt;

/// A MongoDB ObjectId.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ObjectId([u8; 12]);

/// Counters wrap at 2^24.
pub const COUNTER_MASK: u32 = (1 << 24) - 1;

impl ObjectId {
    /// From its parts: seconds since 1970, the process's 5 random bytes, and
    /// a counter (its low 24 bits).
    pub const fn from_parts(seconds: u32, process: [u8; 5], counter: u32) -> ObjectId {
        let t = seconds.to_be_bytes();
        let c = (counter & COUNTER_MASK).to_be_bytes();
        ObjectId([
            t[0], t[1], t[2], t[3], process[0], process[1], process[2], process[3], process[4], c[1], c[2], c[3],
        ])
    }

    /// From its 12 bytes.
    pub const fn from_bytes(bytes: [u8; 12]) -> ObjectId {
        ObjectId(bytes)
    }
    /// The 12 bytes.
    pub const fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }
    /// The creation time, in seconds since 1970.
    pub const fn seconds(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }
    /// The creation time in Unix milliseconds (whole seconds).
    pub const fn timestamp_ms(&self) -> u64 {
        self.seconds() as u64 * 1000
    }
    /// The per-process random bytes.
    pub const fn process(&self) -> [u8; 5] {
        [self.0[4], self.0[5], self.0[6], self.0[7], self.0[8]]
    }
    /// The counter.
    pub const fn counter(&self) -> u32 {
        u32::from_be_bytes([0, self.0[9], self.0[10], self.0[11]])
    }

    /// The 24 lowercase hex digits.
    pub fn hex_bytes(&self) -> [u8; 24] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 24];
        for (i, b) in self.0.iter().enumerate() {
            out[2 * i] = HEX[usize::from(b >> 4)];
            out[2 * i + 1] = HEX[usize::from(b & 0xF)];
        }
        out
    }

    /// Parse 24 hex digits (either case); anything else is `invalid_encoding`.
    pub fn parse(text: &str) -> Result<ObjectId> {
        let s = text.as_bytes();
        if s.len() != 24 {
            return Err(Error::range(ErrorCode::InvalidEncoding, "object_id length", s.len() as u64, 24, 24));
        }
        let mut out = [0u8; 12];
        for (i, &c) in s.iter().enumerate() {
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(Error::parse(ErrorCode::InvalidEncoding, "object_id", i, "expected a hex digit")),
            };
            out[i / 2] |= v << if i % 2 == 0 { 4 } else { 0 };
        }
        Ok(ObjectId(out))
    }

    /// [`ObjectId::parse`] of a binding's argument: its errors name `param`
    /// (a wrong length names `param_length`) instead of `object_id`.
    pub fn parse_param(text: &str, param: &'static str, param_length: &'static str) -> Result<ObjectId> {
        ObjectId::parse(text).map_err(|e| match *e.detail() {
            Detail::Range { value, min, max, .. } => Error::range(e.code(), param_length, value, min, max),
            Detail::Parse { position, what, .. } => Error::parse(e.code(), param, position, what),
            _ => e,
        })
    }

    /// From a slice that must hold exactly 12 bytes; otherwise
    /// `invalid_encoding` naming `param_length`.
    pub fn from_slice(bytes: &[u8], param_length: &'static str) -> Result<ObjectId> {
        match <[u8; 12]>::try_from(bytes) {
            Ok(b) => Ok(ObjectId(b)),
            Err(_) => Err(Error::range(ErrorCode::InvalidEncoding, param_length, bytes.len() as u64, 12, 12)),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(core::str::from_utf8(&self.hex_bytes()).unwrap_or_default())
    }
}

/// A generator: the process's 5 random bytes and its counter. One per
/// process ([`crate::process::object_id`]); a plain value for hosts that
/// bring their own randomness and time.
#[derive(Debug, Clone)]
pub struct ObjectIdGenerator {
    process: [u8; 5],
    counter: u32,
}

impl ObjectIdGenerator {
    /// From the process's random bytes and the counter's random start.
    pub const fn new(process: [u8; 5], counter_start: u32) -> Self {
        ObjectIdGenerator {
            process,
            counter: counter_start & COUNTER_MASK,
        }
    }
    /// The next ObjectId at Unix time `now_ms` (seconds are taken from it).
    /// Past 2106 (u32 seconds) it is `timestamp_out_of_range`.
    pub fn next_at(&mut self, now_ms: u64) -> Result<ObjectId> {
        let seconds = u32::try_from(now_ms / 1000).map_err(|_| {
            Error::range(
                ErrorCode::TimestampOutOfRange,
                "now_ms",
                now_ms,
                0,
                u64::from(u32::MAX) * 1000 + 999,
            )
        })?;
        let id = ObjectId::from_parts(seconds, self.process, self.counter);
        self.counter = (self.counter + 1) & COUNTER_MASK;
        Ok(id)
    }
}
