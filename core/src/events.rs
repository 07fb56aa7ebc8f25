//! What happened, in one vocabulary for every binding: a lease acquired,
//! renewed, failing to renew, lost, expired or released; a segment
//! fetched, failing to fetch or run dry; the clock stepping back (absorbed,
//! waited out or refused); borrowing ahead starting and ending; the store's
//! identity changing. The core names each [`Kind`], gives it a level and
//! writes its one-line message ([`Event::message`]); the bindings deliver
//! it the host's way — Python `logging.getLogger("idloom")` and a hook,
//! Node an `EventEmitter` and `diagnostics_channel`, Rust `tracing` — and
//! count it per object ([`Counters`], a binding's `stats()`).
//! `tests/vectors/events.json` holds every kind with a message, so every
//! runtime emits the same names and words.

use core::fmt;

/// How loud an event is (the host logger's level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Routine (a renewal, a fetch).
    Debug,
    /// Worth a line in a service log (a lease taken or released).
    Info,
    /// Something an operator watches (a failed renewal, a step back).
    Warn,
    /// Minting stopped on this object (a lost lease, a dry segment).
    Error,
}

impl Level {
    /// `"debug"`, `"info"`, `"warn"`, `"error"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

macro_rules! kinds {
    ($($kind:ident = $name:literal, $level:ident, $what:literal;)*) => {
        /// Every kind of event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Kind {
            $(#[doc = $what] $kind,)*
        }

        impl Kind {
            /// Every kind, in the order of [`Counters`].
            pub const ALL: &'static [Kind] = &[$(Kind::$kind),*];

            /// The stable name (`lease_acquired`): the event name in Node,
            /// the `event` field of a Python log record, the `tracing` target suffix.
            pub const fn name(self) -> &'static str {
                match self { $(Kind::$kind => $name,)* }
            }

            /// The level it is logged at.
            pub const fn level(self) -> Level {
                match self { $(Kind::$kind => Level::$level,)* }
            }

            /// What it means, in one sentence.
            pub const fn what(self) -> &'static str {
                match self { $(Kind::$kind => $what,)* }
            }

            /// The kind named `name`.
            pub fn from_name(name: &str) -> Option<Kind> {
                Kind::ALL.iter().copied().find(|k| k.name() == name)
            }
        }
    };
}

kinds! {
    LeaseAcquired = "lease_acquired", Info, "A node was leased: minting may start at the grant's start, up to its fence.";
    LeaseRenewed = "lease_renewed", Debug, "A renewal was confirmed: the fence moved.";
    LeaseRenewalFailed = "lease_renewal_failed", Warn, "A renewal got no usable answer: the fence stands, another try follows.";
    LeaseLost = "lease_lost", Error, "The store refused a renewal (another holder has the node): minting stopped at the last confirmed fence.";
    LeaseExpired = "lease_expired", Error, "Renewals ended without a refusal (a clock skew, a protocol error, or the TTL ran out): minting stops at the fence.";
    LeaseReleased = "lease_released", Info, "The lease was released with its high-water: the next holder starts above it.";
    SegmentFetched = "segment_fetched", Debug, "A segment range was fetched from its source.";
    SegmentFetchFailed = "segment_fetch_failed", Warn, "A segment fetch failed: IDs come from the buffer while it lasts.";
    SegmentRanDry = "segment_ran_dry", Error, "A segment had no ID in memory and its source did not answer in time.";
    ClockSteppedBack = "clock_stepped_back", Warn, "The clock read behind the last tick: absorbed, waited out, or refused by the policy.";
    BorrowingStarted = "borrowing_started", Info, "The generator began issuing ahead of the clock (sequence exhausted, or the clock behind).";
    BorrowingEnded = "borrowing_ended", Info, "The clock caught up with the ticks borrowed ahead.";
    StoreIdentityChanged = "store_identity_changed", Warn, "The store's identity changed (a restart without its data, a restore, a failover): the namespace floor rose.";
}

/// One event: its kind and the facts that go with it (those that apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// What happened.
    pub kind: Kind,
    /// The node of a lease, or of the generator.
    pub node: Option<u64>,
    /// The lease's epoch.
    pub epoch: Option<u64>,
    /// A fence or a floor (ID time, ms).
    pub fence_ms: Option<u64>,
    /// The error code behind a failure.
    pub code: Option<&'a str>,
    /// When the next try follows (ms).
    pub in_ms: Option<u64>,
    /// A range's size, a step back's size (ms), a lead (ms).
    pub amount: Option<u64>,
    /// What the policy did (`absorbed`, `waited`, `refused`), or a range's end.
    pub detail: Option<&'a str>,
}

impl<'a> Event<'a> {
    /// An event of `kind` with no facts yet.
    pub const fn new(kind: Kind) -> Self {
        Event {
            kind,
            node: None,
            epoch: None,
            fence_ms: None,
            code: None,
            in_ms: None,
            amount: None,
            detail: None,
        }
    }

    /// With the lease's node and epoch.
    pub const fn lease(mut self, node: u64, epoch: u64) -> Self {
        self.node = Some(node);
        self.epoch = Some(epoch);
        self
    }

    /// With the node (of a generator, without a lease's epoch).
    pub const fn node(mut self, node: u64) -> Self {
        self.node = Some(node);
        self
    }

    /// With a fence (or floor).
    pub const fn fence(mut self, fence_ms: u64) -> Self {
        self.fence_ms = Some(fence_ms);
        self
    }

    /// With the error code behind it.
    pub const fn code(mut self, code: &'a str) -> Self {
        self.code = Some(code);
        self
    }

    /// With when the next try follows.
    pub const fn retry_in(mut self, in_ms: u64) -> Self {
        self.in_ms = Some(in_ms);
        self
    }

    /// With an amount (a range's size, a step back, a lead).
    pub const fn amount(mut self, amount: u64) -> Self {
        self.amount = Some(amount);
        self
    }

    /// With what the policy did.
    pub const fn detail(mut self, detail: &'a str) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The one-line message a binding logs: the kind's name, then its facts
    /// as `key=value` in a fixed order (`lease_renewal_failed node=3
    /// epoch=7 fence_ms=… code=store_unavailable in_ms=500`).
    pub fn message(&self) -> Message<'_, 'a> {
        Message(self)
    }
}

/// [`Event::message`]'s text.
pub struct Message<'e, 'a>(&'e Event<'a>);

impl fmt::Display for Message<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        f.write_str(e.kind.name())?;
        let nums = [("node", e.node), ("epoch", e.epoch), ("fence_ms", e.fence_ms)];
        for (k, v) in nums {
            if let Some(v) = v {
                write!(f, " {k}={v}")?;
            }
        }
        if let Some(c) = e.code {
            write!(f, " code={c}")?;
        }
        if let Some(v) = e.in_ms {
            write!(f, " in_ms={v}")?;
        }
        if let Some(v) = e.amount {
            write!(f, " amount={v}")?;
        }
        if let Some(d) = e.detail {
            write!(f, " detail={d}")?;
        }
        Ok(())
    }
}

/// How many events of each kind one object saw (a lease, a segment, a
/// generator): its `stats()` in every binding, its Prometheus counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    counts: [u64; KINDS],
}

const KINDS: usize = Kind::ALL.len();

impl Counters {
    /// All zero.
    pub const fn new() -> Self {
        Counters { counts: [0; KINDS] }
    }

    /// One more of `kind`.
    pub fn record(&mut self, kind: Kind) {
        self.add(kind, 1);
    }

    /// `n` more of `kind` (counts an object keeps elsewhere, a generator's).
    pub fn add(&mut self, kind: Kind, n: u64) {
        let i = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.counts[i] = self.counts[i].saturating_add(n);
    }

    /// How many of `kind`.
    pub fn get(&self, kind: Kind) -> u64 {
        Kind::ALL.iter().position(|k| *k == kind).map_or(0, |i| self.counts[i])
    }

    /// Every kind with its count, in [`Kind::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Kind, u64)> + '_ {
        Kind::ALL.iter().copied().zip(self.counts.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn names_levels_messages() {
        assert_eq!(Kind::from_name("lease_lost"), Some(Kind::LeaseLost));
        assert_eq!(Kind::LeaseLost.level(), Level::Error);
        let e = Event::new(Kind::LeaseRenewalFailed)
            .lease(3, 7)
            .fence(1_000)
            .code("store_unavailable")
            .retry_in(500);
        assert_eq!(
            e.message().to_string(),
            "lease_renewal_failed node=3 epoch=7 fence_ms=1000 code=store_unavailable in_ms=500"
        );
        let mut c = Counters::new();
        c.record(Kind::SegmentFetched);
        c.record(Kind::SegmentFetched);
        assert_eq!(c.get(Kind::SegmentFetched), 2);
        assert_eq!(c.iter().count(), Kind::ALL.len());
    }
}
