//! The one error type of idloom.
//!
//! Every failure carries an [`ErrorCode`] whose string form ([`ErrorCode::as_str`])
//! is stable and identical in every binding (Python `.code`, JS `.code`), plus
//! the details needed for a message that names the parameter and the allowed
//! range. The table of codes lives in the root README.

use core::fmt;

/// Stable machine-readable error codes, shared by every binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A layout parameter (bits, tick length, epoch) is outside its range.
    InvalidLayout,
    /// A node (worker) ID does not fit the layout's node bits.
    NodeOutOfRange,
    /// The node already has a live generator in this process with another policy or clock.
    NodeInUse,
    /// A sequence number does not fit the layout's sequence bits.
    SequenceOutOfRange,
    /// A timestamp lies before the layout's epoch or past its last tick.
    TimestampOutOfRange,
    /// An ID or value is wider than the layout or mask allows.
    IdOutOfRange,
    /// The epoch lies after the current time.
    EpochInFuture,
    /// Another numeric or option argument is outside its allowed range.
    InvalidArgument,
    /// The clock moved backwards further than the policy tolerates.
    ClockMovedBackwards,
    /// A bounded wait for the clock ran out: the clock did not advance.
    ClockStalled,
    /// The sequence of the current tick is used up and the policy is to fail.
    SequenceExhausted,
    /// Issuing would put the generator further ahead of the clock than allowed.
    LeadExceeded,
    /// The layout's timestamp bits are used up: it has run out of time.
    LayoutExhausted,
    /// A segment buffer holds no more numbers; the host must supply a range.
    SegmentExhausted,
    /// A supplied segment range is empty, overflows, or overlaps earlier ranges.
    InvalidRange,
    /// A NanoID alphabet is empty, has one symbol, duplicates, or over 256 symbols.
    InvalidAlphabet,
    /// A string does not decode in the requested encoding (length or symbol).
    InvalidEncoding,
    /// A string is not a UUID in any accepted form.
    InvalidUuid,
    /// The randomness source failed.
    RandomUnavailable,
    /// A binding received a value of the wrong type (TypeError in hosts).
    InvalidType,
    /// A generator was used in a forked child before it was re-keyed, or a
    /// node, source or range of the parent process was used in the child.
    Forked,
    /// A synchronous call would wait longer than its host allows (a JS thread
    /// must not block): use the asynchronous call, or a borrowing policy.
    WouldBlock,
    /// A store or source did not answer (connection refused, timeout); transient.
    StoreUnavailable,
    /// The tick to issue lies at or past the lease's fence (ID time): the
    /// lease must be renewed first.
    LeaseExpired,
    /// The store refused a renewal (another holder has the node): nothing is
    /// minted at or past the last confirmed fence, ever, under that epoch.
    LeaseLost,
    /// Every node of the namespace is leased by a live holder.
    NoFreeNode,
    /// The store's clock and the holder's differ by more than `max_skew_ms`.
    ClockSkew,
    /// The store holds no usable schema: a missing table, another schema
    /// version, or a namespace with another layout.
    StoreSchema,
    /// The store forgot state it must have (a namespace or a counter):
    /// never silently restarted from zero.
    StoreStateLost,
    /// A service refused the call: a token is required and was missing or
    /// wrong (idloom-server answers 401 or 403 with this code).
    Unauthorized,
    /// No such thing by that name: a segment tag or a route a service does
    /// not serve (idloom-server answers 404 with this code).
    NotFound,
}

impl ErrorCode {
    /// Every code, in table order.
    pub const ALL: [ErrorCode; 31] = [
        ErrorCode::InvalidLayout,
        ErrorCode::NodeOutOfRange,
        ErrorCode::NodeInUse,
        ErrorCode::SequenceOutOfRange,
        ErrorCode::TimestampOutOfRange,
        ErrorCode::IdOutOfRange,
        ErrorCode::EpochInFuture,
        ErrorCode::InvalidArgument,
        ErrorCode::ClockMovedBackwards,
        ErrorCode::ClockStalled,
        ErrorCode::SequenceExhausted,
        ErrorCode::LeadExceeded,
        ErrorCode::LayoutExhausted,
        ErrorCode::SegmentExhausted,
        ErrorCode::InvalidRange,
        ErrorCode::InvalidAlphabet,
        ErrorCode::InvalidEncoding,
        ErrorCode::InvalidUuid,
        ErrorCode::RandomUnavailable,
        ErrorCode::InvalidType,
        ErrorCode::Forked,
        ErrorCode::WouldBlock,
        ErrorCode::StoreUnavailable,
        ErrorCode::LeaseExpired,
        ErrorCode::LeaseLost,
        ErrorCode::NoFreeNode,
        ErrorCode::ClockSkew,
        ErrorCode::StoreSchema,
        ErrorCode::StoreStateLost,
        ErrorCode::Unauthorized,
        ErrorCode::NotFound,
    ];

    /// The code with this stable name (`store_unavailable`, …), if any.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// The stable string form, e.g. `"node_out_of_range"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidLayout => "invalid_layout",
            ErrorCode::NodeOutOfRange => "node_out_of_range",
            ErrorCode::NodeInUse => "node_in_use",
            ErrorCode::SequenceOutOfRange => "sequence_out_of_range",
            ErrorCode::TimestampOutOfRange => "timestamp_out_of_range",
            ErrorCode::IdOutOfRange => "id_out_of_range",
            ErrorCode::EpochInFuture => "epoch_in_future",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::ClockMovedBackwards => "clock_moved_backwards",
            ErrorCode::ClockStalled => "clock_stalled",
            ErrorCode::SequenceExhausted => "sequence_exhausted",
            ErrorCode::LeadExceeded => "lead_exceeded",
            ErrorCode::LayoutExhausted => "layout_exhausted",
            ErrorCode::SegmentExhausted => "segment_exhausted",
            ErrorCode::InvalidRange => "invalid_range",
            ErrorCode::InvalidAlphabet => "invalid_alphabet",
            ErrorCode::InvalidEncoding => "invalid_encoding",
            ErrorCode::InvalidUuid => "invalid_uuid",
            ErrorCode::RandomUnavailable => "random_unavailable",
            ErrorCode::InvalidType => "invalid_type",
            ErrorCode::Forked => "forked",
            ErrorCode::WouldBlock => "would_block",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::LeaseExpired => "lease_expired",
            ErrorCode::LeaseLost => "lease_lost",
            ErrorCode::NoFreeNode => "no_free_node",
            ErrorCode::ClockSkew => "clock_skew",
            ErrorCode::StoreSchema => "store_schema",
            ErrorCode::StoreStateLost => "store_state_lost",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
        }
    }

    /// Whether hosts should raise this as bad input (`ValueError`/`RangeError`)
    /// rather than a runtime condition of the generator's state.
    pub const fn is_bad_input(self) -> bool {
        !matches!(
            self,
            ErrorCode::ClockMovedBackwards
                | ErrorCode::ClockStalled
                | ErrorCode::SequenceExhausted
                | ErrorCode::LeadExceeded
                | ErrorCode::LayoutExhausted
                | ErrorCode::SegmentExhausted
                | ErrorCode::RandomUnavailable
                | ErrorCode::Forked
                | ErrorCode::WouldBlock
                | ErrorCode::StoreUnavailable
                | ErrorCode::LeaseExpired
                | ErrorCode::LeaseLost
                | ErrorCode::NoFreeNode
                | ErrorCode::ClockSkew
                | ErrorCode::StoreSchema
                | ErrorCode::StoreStateLost
                | ErrorCode::Unauthorized
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong, in enough detail for a precise message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)] // each variant's doc names its fields
pub enum Detail {
    /// `param` must lie in `min..=max` but was `value`.
    Range {
        param: &'static str,
        value: i128,
        min: i128,
        max: i128,
    },
    /// The clock read `by_ms` milliseconds behind the last issued tick.
    Backwards { by_ms: u64, tolerated_ms: u64 },
    /// Issuing would lead the clock by `lead_ms`, over `max_ms`.
    Lead { lead_ms: u64, max_ms: u64 },
    /// The clock did not reach `target_ms` within the bounded wait.
    Stalled { now_ms: u64, target_ms: u64 },
    /// A synchronous call would wait `wait_ms`, over the host's bound of `max_ms`.
    WouldBlock { wait_ms: u64, max_ms: u64 },
    /// The tick starting at `tick_ms` (ID time) is not wholly below the fence
    /// `fence_ms` of the lease on `node` under `epoch` (`lost`: refused renewal).
    Fence {
        node: u64,
        epoch: u64,
        tick_ms: u64,
        fence_ms: u64,
        lost: bool,
    },
    /// The store's clock reads `skew_ms` away from the holder's (± `uncertainty_ms`, half the round trip), over `max_ms`.
    Skew { skew_ms: i64, uncertainty_ms: u64, max_ms: u64 },
    /// A string failed to decode: `what` at character `position`.
    Parse {
        param: &'static str,
        position: usize,
        what: &'static str,
    },
    /// A fixed explanation about `param`.
    Reason { param: &'static str, reason: &'static str },
    /// Text `param` must follow `rule` (its characters and length); `problem` says where it did not.
    Text {
        param: &'static str,
        rule: &'static str,
        problem: TextProblem,
    },
    /// A store's answer or failure, in the core's words
    /// (`crate::stores::answer`, `crate::stores::failure`): the subject
    /// (namespace, node, counter) and what the store said.
    #[cfg(feature = "alloc")]
    Store { message: alloc::string::String },
}

/// What a refused text got wrong ([`Detail::Text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each variant's doc names its fields
pub enum TextProblem {
    /// It was this many characters long.
    Length(usize),
    /// The character at `position` (counted in characters from 0) has
    /// code point `code`, outside the allowed set.
    Character { position: usize, code: u32 },
}

/// The error of every fallible idloom operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    detail: Detail,
}

impl Error {
    /// An error from its parts (bindings use this for host-side checks so
    /// that messages and codes match the core's).
    pub const fn new(code: ErrorCode, detail: Detail) -> Self {
        Error { code, detail }
    }

    /// `param` must lie in `min..=max` but was `value`.
    pub fn range(code: ErrorCode, param: &'static str, value: impl Into<i128>, min: impl Into<i128>, max: impl Into<i128>) -> Self {
        Error::new(
            code,
            Detail::Range {
                param,
                value: value.into(),
                min: min.into(),
                max: max.into(),
            },
        )
    }

    /// A fixed explanation about `param`.
    pub const fn reason(code: ErrorCode, param: &'static str, reason: &'static str) -> Self {
        Error::new(code, Detail::Reason { param, reason })
    }

    /// A decoding failure of `param` at character `position`.
    pub const fn parse(code: ErrorCode, param: &'static str, position: usize, what: &'static str) -> Self {
        Error::new(code, Detail::Parse { param, position, what })
    }

    /// A store's refusal or failure with its message (built by
    /// [`crate::stores`]'s one message table; bindings raise it as it is).
    #[cfg(feature = "alloc")]
    pub fn store(code: ErrorCode, message: alloc::string::String) -> Self {
        Error::new(code, Detail::Store { message })
    }

    /// The stable code.
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The details behind the message.
    pub const fn detail(&self) -> &Detail {
        &self.detail
    }

    /// The parameter this error is about, when there is one.
    pub fn param(&self) -> Option<&'static str> {
        match self.detail {
            Detail::Range { param, .. } | Detail::Parse { param, .. } | Detail::Reason { param, .. } | Detail::Text { param, .. } => {
                Some(param)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Detail::Range { param, value, min, max } => {
                write!(f, "{param} must be in {min}..={max}, got {value}")
            }
            Detail::Backwards { by_ms, tolerated_ms } => {
                write!(f, "clock moved backwards by {by_ms} ms (the policy tolerates {tolerated_ms} ms)")
            }
            Detail::Lead { lead_ms, max_ms } => write!(f, "issuing would lead the clock by {lead_ms} ms, over the bound of {max_ms} ms"),
            Detail::Stalled { now_ms, target_ms } => write!(f, "clock stalled at {now_ms} ms while waiting for {target_ms} ms"),
            Detail::Fence {
                node,
                epoch,
                tick_ms,
                fence_ms,
                lost: false,
            } => write!(
                f,
                "node {node}, epoch {epoch}: the tick at {tick_ms} ms is not wholly below the lease's fence at {fence_ms} ms (ID time); renew the lease"
            ),
            Detail::Fence {
                node,
                epoch,
                tick_ms,
                fence_ms,
                lost: true,
            } => write!(
                f,
                "node {node}, epoch {epoch}: the lease was lost (the store refused its renewal) or released; nothing is minted at or past its last confirmed fence at {fence_ms} ms (asked for {tick_ms} ms): lease a node again"
            ),
            Detail::Skew {
                uncertainty_ms,
                max_ms,
                ..
            } if uncertainty_ms > max_ms => write!(
                f,
                "the store answered after {} ms, too slowly to judge the clocks within max_skew_ms = {max_ms}: \
                 the lease stands at its last confirmed fence; try again",
                uncertainty_ms.saturating_mul(2)
            ),
            Detail::Skew {
                skew_ms,
                uncertainty_ms,
                max_ms,
            } => write!(
                f,
                "the store's clock is {skew_ms} ms (± {uncertainty_ms} ms) from this holder's, over max_skew_ms = {max_ms}"
            ),
            Detail::WouldBlock { wait_ms, max_ms } => write!(
                f,
                "the policy asks to wait {wait_ms} ms, over the {max_ms} ms a synchronous call may block: \
                 use the async call (nextAsync) or a borrowing policy"
            ),
            Detail::Parse { param, position, what } => {
                write!(f, "{param}: {what} at position {position}")
            }
            Detail::Reason { param, reason } => write!(f, "{param}: {reason}"),
            Detail::Text {
                param,
                rule,
                problem: TextProblem::Length(n),
            } => write!(f, "{param} must be {rule}, got {n} characters"),
            Detail::Text {
                param,
                rule,
                problem: TextProblem::Character { position, code },
            } => write!(f, "{param} must be {rule}, got U+{code:04X} at character {position}"),
            #[cfg(feature = "alloc")]
            Detail::Store { message } => f.write_str(message),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
