//! Validated bit layouts for 64-bit time-ordered IDs.
//!
//! A layout says how many bits hold the timestamp (in ticks since an epoch),
//! the node (worker) ID and the per-tick sequence, in which order, and how
//! long a tick is. IDs stay below 2^63 so they fit a signed 64-bit column.

use crate::civil::{self, Civil};
use crate::error::{Error, ErrorCode, Result};
use core::fmt;

/// The order of the node and sequence fields below the timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FieldOrder {
    /// `timestamp | node | sequence` (Twitter, Baidu uid-generator).
    TimeNodeSequence,
    /// `timestamp | sequence | node` (Sonyflake).
    TimeSequenceNode,
}

/// A validated layout. Build one with [`Layout::new`] or take a preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Layout {
    time_bits: u8,
    node_bits: u8,
    sequence_bits: u8,
    epoch_ms: u64,
    tick_ms: u64,
    order: FieldOrder,
}

/// JavaScript's `Number.MAX_SAFE_INTEGER + 1`.
pub const JS_SAFE_LIMIT: u64 = 1 << 53;

/// Longest tick accepted: one day.
pub const MAX_TICK_MS: u64 = 86_400_000;

impl Layout {
    /// Twitter's snowflake: 41 bits of milliseconds since 2010-11-04T01:42:54.657Z,
    /// 10 node bits, 12 sequence bits (4,096,000 IDs/s per node, 1,024 nodes, until 2080).
    pub const TWITTER: Layout = Layout::preset(41, 10, 12, 1_288_834_974_657, 1, FieldOrder::TimeNodeSequence);

    /// Sonyflake: 39 bits of 10 ms ticks since 2014-09-01T00:00:00Z, then 8
    /// sequence bits, then 16 machine bits (25,600 IDs/s per node, 65,536 nodes, until 2188).
    pub const SONYFLAKE: Layout = Layout::preset(39, 16, 8, 1_409_529_600_000, 10, FieldOrder::TimeSequenceNode);

    /// Baidu uid-generator: 28 bits of seconds since 2016-05-20T00:00:00Z,
    /// 22 worker bits, 13 sequence bits (8,192 IDs/s per node, 4,194,304 nodes).
    /// Its 28 bits last 8.5 years: with the default epoch it ran out on
    /// 2024-11-20, so it decodes old IDs; to mint, use [`Layout::with_epoch`].
    pub const BAIDU: Layout = Layout::preset(28, 22, 13, 1_463_702_400_000, 1000, FieldOrder::TimeNodeSequence);

    /// A layout whose IDs stay below 2^53, exact as JavaScript numbers: 39 bits of
    /// 10 ms ticks since 2020-01-01T00:00:00Z, 6 node bits, 8 sequence bits
    /// (25,600 IDs/s per node, 64 nodes, until 2194).
    pub const JS_SAFE: Layout = Layout::preset(39, 6, 8, 1_577_836_800_000, 10, FieldOrder::TimeNodeSequence);

    /// The presets by name, as the bindings and the CLI spell them.
    pub const PRESETS: [(&'static str, Layout); 4] = [
        ("twitter", Layout::TWITTER),
        ("sonyflake", Layout::SONYFLAKE),
        ("baidu", Layout::BAIDU),
        ("js_safe", Layout::JS_SAFE),
    ];

    const fn preset(time_bits: u8, node_bits: u8, sequence_bits: u8, epoch_ms: u64, tick_ms: u64, order: FieldOrder) -> Layout {
        Layout {
            time_bits,
            node_bits,
            sequence_bits,
            epoch_ms,
            tick_ms,
            order,
        }
    }

    /// A preset by name (`twitter`, `sonyflake`, `baidu`, `js_safe`).
    pub fn preset_named(name: &str) -> Result<Layout> {
        Layout::PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, l)| *l)
            .ok_or(Error::reason(
                ErrorCode::InvalidLayout,
                "layout",
                "unknown preset; expected twitter, sonyflake, baidu or js_safe",
            ))
    }

    /// A custom layout in `timestamp | node | sequence` order.
    ///
    /// Bounds: `time_bits` 1..=63, `node_bits` 0..=61, `sequence_bits` 1..=62,
    /// their sum at most 63, `tick_ms` 1..=86,400,000, and the last tick must
    /// be representable in Unix milliseconds.
    pub fn new(time_bits: u32, node_bits: u32, sequence_bits: u32, epoch_ms: u64, tick_ms: u64) -> Result<Layout> {
        Layout::with_order(time_bits, node_bits, sequence_bits, epoch_ms, tick_ms, FieldOrder::TimeNodeSequence)
    }

    /// A custom layout with an explicit field order.
    pub fn with_order(
        time_bits: u32,
        node_bits: u32,
        sequence_bits: u32,
        epoch_ms: u64,
        tick_ms: u64,
        order: FieldOrder,
    ) -> Result<Layout> {
        let bad = |param, value: u64, min: u64, max: u64| Error::range(ErrorCode::InvalidLayout, param, value, min, max);
        if !(1..=63).contains(&time_bits) {
            return Err(bad("time_bits", time_bits.into(), 1, 63));
        }
        if node_bits > 61 {
            return Err(bad("node_bits", node_bits.into(), 0, 61));
        }
        if !(1..=62).contains(&sequence_bits) {
            return Err(bad("sequence_bits", sequence_bits.into(), 1, 62));
        }
        let total = time_bits + node_bits + sequence_bits;
        if total > 63 {
            return Err(bad("time_bits + node_bits + sequence_bits", total.into(), 2, 63));
        }
        if !(1..=MAX_TICK_MS).contains(&tick_ms) {
            return Err(bad("tick_ms", tick_ms, 1, MAX_TICK_MS));
        }
        // The end of the layout, epoch + 2^time_bits ticks, must fit in u64 ms.
        let span = (1u64 << time_bits).checked_mul(tick_ms);
        let max_epoch = span.map_or(0, |s| u64::MAX - s);
        if span.is_none() || epoch_ms > max_epoch {
            let limit = (u64::MAX - epoch_ms) / tick_ms;
            return Err(bad(
                "time_bits",
                time_bits.into(),
                1,
                u64::from(63u32.saturating_sub(limit.leading_zeros())),
            ));
        }
        Ok(Layout {
            time_bits: time_bits as u8,
            node_bits: node_bits as u8,
            sequence_bits: sequence_bits as u8,
            epoch_ms,
            tick_ms,
            order,
        })
    }

    /// The same layout from another epoch (validated like [`Layout::new`]).
    pub fn with_epoch(&self, epoch_ms: u64) -> Result<Layout> {
        Layout::with_order(
            self.time_bits(),
            self.node_bits(),
            self.sequence_bits(),
            epoch_ms,
            self.tick_ms,
            self.order,
        )
    }

    /// Timestamp bits.
    pub const fn time_bits(&self) -> u32 {
        self.time_bits as u32
    }
    /// Node bits.
    pub const fn node_bits(&self) -> u32 {
        self.node_bits as u32
    }
    /// Sequence bits.
    pub const fn sequence_bits(&self) -> u32 {
        self.sequence_bits as u32
    }
    /// Epoch in Unix milliseconds.
    pub const fn epoch_ms(&self) -> u64 {
        self.epoch_ms
    }
    /// Tick length in milliseconds.
    pub const fn tick_ms(&self) -> u64 {
        self.tick_ms
    }
    /// Field order.
    pub const fn order(&self) -> FieldOrder {
        self.order
    }
    /// Total bits used by an ID.
    pub const fn total_bits(&self) -> u32 {
        self.time_bits as u32 + self.node_bits as u32 + self.sequence_bits as u32
    }
    /// Largest node ID.
    pub const fn max_node(&self) -> u64 {
        (1u64 << self.node_bits) - 1
    }
    /// Largest sequence number within a tick.
    pub const fn max_sequence(&self) -> u64 {
        (1u64 << self.sequence_bits) - 1
    }
    /// Largest tick.
    pub const fn max_tick(&self) -> u64 {
        (1u64 << self.time_bits) - 1
    }
    /// Largest ID the layout can produce.
    pub const fn max_id(&self) -> u64 {
        (1u64 << self.total_bits()) - 1
    }

    #[inline]
    pub(crate) const fn node_shift(&self) -> u32 {
        match self.order {
            FieldOrder::TimeNodeSequence => self.sequence_bits as u32,
            FieldOrder::TimeSequenceNode => 0,
        }
    }
    #[inline]
    pub(crate) const fn sequence_shift(&self) -> u32 {
        match self.order {
            FieldOrder::TimeNodeSequence => 0,
            FieldOrder::TimeSequenceNode => self.node_bits as u32,
        }
    }
    #[inline]
    pub(crate) const fn time_shift(&self) -> u32 {
        self.node_bits as u32 + self.sequence_bits as u32
    }

    /// Unix milliseconds at which `tick` begins (no range check).
    #[inline]
    pub const fn tick_start_ms(&self, tick: u64) -> u64 {
        self.epoch_ms + tick * self.tick_ms
    }

    /// The tick containing `timestamp_ms`.
    pub fn tick_of(&self, timestamp_ms: u64) -> Result<u64> {
        if timestamp_ms < self.epoch_ms {
            return Err(self.timestamp_error(timestamp_ms));
        }
        let tick = (timestamp_ms - self.epoch_ms) / self.tick_ms;
        if tick > self.max_tick() {
            return Err(self.timestamp_error(timestamp_ms));
        }
        Ok(tick)
    }

    fn timestamp_error(&self, timestamp_ms: u64) -> Error {
        Error::range(
            ErrorCode::TimestampOutOfRange,
            "timestamp_ms",
            timestamp_ms,
            self.epoch_ms,
            self.last_ms(),
        )
    }

    /// The last Unix millisecond the layout can represent.
    pub const fn last_ms(&self) -> u64 {
        self.tick_start_ms(self.max_tick()) + self.tick_ms - 1
    }

    /// Check a node ID against the layout.
    pub fn check_node(&self, node: u64) -> Result<()> {
        if node > self.max_node() {
            return Err(Error::range(ErrorCode::NodeOutOfRange, "node", node, 0, self.max_node()));
        }
        Ok(())
    }

    /// Check that `now_ms` lies inside the layout: the epoch is not in the
    /// future and the timestamp bits have not run out.
    pub fn check_epoch(&self, now_ms: u64) -> Result<()> {
        if self.epoch_ms > now_ms {
            return Err(Error::range(ErrorCode::EpochInFuture, "epoch_ms", self.epoch_ms, 0, now_ms));
        }
        if now_ms > self.last_ms() {
            return Err(Error::range(
                ErrorCode::LayoutExhausted,
                "timestamp_ms",
                now_ms,
                self.epoch_ms,
                self.last_ms(),
            ));
        }
        Ok(())
    }

    /// Put an ID together from a tick, node and sequence, checking each.
    pub fn compose_tick(&self, tick: u64, node: u64, sequence: u64) -> Result<u64> {
        if tick > self.max_tick() {
            return Err(Error::range(ErrorCode::TimestampOutOfRange, "tick", tick, 0, self.max_tick()));
        }
        self.check_node(node)?;
        if sequence > self.max_sequence() {
            return Err(Error::range(
                ErrorCode::SequenceOutOfRange,
                "sequence",
                sequence,
                0,
                self.max_sequence(),
            ));
        }
        Ok(self.compose_unchecked(tick, node, sequence))
    }

    /// Put an ID together from Unix milliseconds (floored to the tick), node and sequence.
    pub fn compose(&self, timestamp_ms: u64, node: u64, sequence: u64) -> Result<u64> {
        let tick = self.tick_of(timestamp_ms)?;
        self.compose_tick(tick, node, sequence)
    }

    #[inline]
    pub(crate) const fn compose_unchecked(&self, tick: u64, node: u64, sequence: u64) -> u64 {
        (tick << self.time_shift()) | (node << self.node_shift()) | (sequence << self.sequence_shift())
    }

    /// Take an ID apart. IDs wider than the layout are an error.
    pub fn decompose(&self, id: u64) -> Result<Parts> {
        if id > self.max_id() {
            return Err(Error::range(ErrorCode::IdOutOfRange, "id", id, 0, self.max_id()));
        }
        let tick = id >> self.time_shift();
        Ok(Parts {
            tick,
            timestamp_ms: self.tick_start_ms(tick),
            node: (id >> self.node_shift()) & self.max_node(),
            sequence: (id >> self.sequence_shift()) & self.max_sequence(),
        })
    }

    /// What the layout can do: rates, node count and the dates it runs out.
    pub fn capacity(&self) -> Capacity {
        let low_bits = self.node_bits as u32 + self.sequence_bits as u32;
        let js_tick = if low_bits >= 53 { Some(0) } else { Some(1u64 << (53 - low_bits)) };
        let leaves_js_safe_at_ms = js_tick.filter(|&t| t <= self.max_tick()).map(|t| self.tick_start_ms(t));
        let ids_per_tick = 1u64 << self.sequence_bits;
        Capacity {
            ids_per_tick,
            ids_per_second_per_node: ids_per_tick.saturating_mul(1000) / self.tick_ms,
            nodes: 1u64 << self.node_bits,
            runs_out_at_ms: self.last_ms() + 1,
            leaves_js_safe_at_ms,
        }
    }

    /// The readable form of an ID: `yyyyMMddHHmmssSSS-node-sequence` in UTC
    /// (CosId's "friendly ID"), e.g. `20261122133011123-3-42`.
    pub fn friendly(&self, id: u64) -> Result<Friendly> {
        Ok(Friendly(self.decompose(id)?))
    }

    /// Parse the friendly form back to the ID. Strict: the time must fall on
    /// a tick boundary of this layout and every field must be in range.
    pub fn parse_friendly(&self, text: &str) -> Result<u64> {
        let bad = |position, what| Error::parse(ErrorCode::InvalidEncoding, "friendly", position, what);
        let mut fields = text.split('-');
        let (Some(time), Some(node), Some(seq), None) = (fields.next(), fields.next(), fields.next(), fields.next()) else {
            return Err(bad(0, "expected yyyyMMddHHmmssSSS-node-sequence"));
        };
        if time.len() < 17 || time.len() > 26 {
            return Err(bad(0, "the time field must have 17 digits"));
        }
        let num = |s: &str, at: usize| -> Result<u64> {
            if s.is_empty() || s.len() > 20 {
                return Err(bad(at, "expected a decimal number"));
            }
            let mut v: u64 = 0;
            for (i, b) in s.bytes().enumerate() {
                if !b.is_ascii_digit() {
                    return Err(bad(at + i, "expected a decimal digit"));
                }
                v = v
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                    .ok_or(bad(at, "number too large"))?;
            }
            Ok(v)
        };
        // Digits only before slicing by byte offsets: a multi-byte character
        // would put an offset inside it (a panic, found by fuzzing).
        if let Some(i) = time.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(bad(i, "expected a decimal digit"));
        }
        let y = time.len() - 13;
        let civil = Civil {
            year: num(&time[..y], 0)?,
            month: num(&time[y..y + 2], y)? as u8,
            day: num(&time[y + 2..y + 4], y + 2)? as u8,
            hour: num(&time[y + 4..y + 6], y + 4)? as u8,
            minute: num(&time[y + 6..y + 8], y + 6)? as u8,
            second: num(&time[y + 8..y + 10], y + 8)? as u8,
            milli: num(&time[y + 10..y + 13], y + 10)? as u16,
        };
        let ms = civil::to_unix_ms(civil).ok_or(bad(0, "not a valid UTC date and time"))?;
        let tick = self.tick_of(ms)?;
        if self.tick_start_ms(tick) != ms {
            return Err(bad(y + 10, "the time is not on a tick boundary of this layout"));
        }
        let node_at = time.len() + 1;
        let seq_at = node_at + node.len() + 1;
        self.compose_tick(tick, num(node, node_at)?, num(seq, seq_at)?)
    }
}

/// The fields of a decoded ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Parts {
    /// Unix milliseconds at which the ID's tick begins.
    pub timestamp_ms: u64,
    /// Ticks since the layout's epoch.
    pub tick: u64,
    /// Node (worker) ID.
    pub node: u64,
    /// Sequence within the tick.
    pub sequence: u64,
}

/// A layout's capacity report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Capacity {
    /// IDs one node can mint per tick (2^sequence_bits).
    pub ids_per_tick: u64,
    /// IDs one node can mint per second (floored).
    pub ids_per_second_per_node: u64,
    /// Distinct node IDs.
    pub nodes: u64,
    /// First Unix millisecond the layout cannot represent.
    pub runs_out_at_ms: u64,
    /// First Unix millisecond at which IDs may exceed 2^53 − 1 (unsafe as a
    /// JavaScript number); `None` if they never do.
    pub leaves_js_safe_at_ms: Option<u64>,
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "ids per tick per node:   {}", self.ids_per_tick)?;
        writeln!(f, "ids per second per node: {}", self.ids_per_second_per_node)?;
        writeln!(f, "nodes:                   {}", self.nodes)?;
        writeln!(f, "runs out at:             {}", civil::from_unix_ms(self.runs_out_at_ms))?;
        match self.leaves_js_safe_at_ms {
            Some(ms) => write!(f, "leaves JS-safe range at: {}", civil::from_unix_ms(ms)),
            None => write!(f, "leaves JS-safe range at: never"),
        }
    }
}

/// The friendly form of an ID; format it with `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Friendly(pub Parts);

impl fmt::Display for Friendly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = civil::from_unix_ms(self.0.timestamp_ms);
        write!(
            f,
            "{:04}{:02}{:02}{:02}{:02}{:02}{:03}-{}-{}",
            c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli, self.0.node, self.0.sequence
        )
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{} bits ({}), tick {} ms, epoch {}",
            self.time_bits,
            self.node_bits,
            self.sequence_bits,
            match self.order {
                FieldOrder::TimeNodeSequence => "time|node|sequence",
                FieldOrder::TimeSequenceNode => "time|sequence|node",
            },
            self.tick_ms,
            civil::from_unix_ms(self.epoch_ms)
        )
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Layout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            time_bits: u32,
            node_bits: u32,
            sequence_bits: u32,
            epoch_ms: u64,
            tick_ms: u64,
            order: FieldOrder,
        }
        let r = Raw::deserialize(d)?;
        Layout::with_order(r.time_bits, r.node_bits, r.sequence_bits, r.epoch_ms, r.tick_ms, r.order).map_err(serde::de::Error::custom)
    }
}
