//! Clock events from a generator's slow paths: the clock stepped back
//! (absorbed, waited out or refused by the policy) and borrowing ahead
//! started or ended, counted per generator ([`ClockStats`]) and handed to
//! an optional [`Observer`] as the core's [`Event`]s.
//!
//! Only the rules' slow branches report (the clock behind the last tick, a
//! tick borrowed ahead, a new tick while an episode is open): the hot path
//! — the clock in the last issued tick, the sequence below its limit —
//! never reads any of this. One step back, or one run of borrowing, is one
//! *episode*: reported once when first seen (a step that grows from absorbed
//! to refused reports each outcome once), closed when the clock reaches a
//! tick after the last issued one. While borrowing, the clock trailing the
//! borrowed ticks is the lead itself, not a step back: it is not reported
//! as absorbed (a step back past what the policy tolerates still is).

use super::atomic::{AtomicU64, AtomicU8, Ordering};
use crate::events::{Counters, Event, Kind};

/// Called with each clock event a generator reports, on the thread that
/// minted, inside the call that saw it: keep it quick (log, count, enqueue)
/// and never mint on the same generator from it.
pub type Observer = fn(&Event<'_>);

/// What the policy did with a clock read behind the last issued tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Back {
    /// Issued on from the last tick (a logical clock, or within a borrowing lead).
    Absorbed,
    /// Waited (bounded) for the clock to come back.
    Waited,
    /// Refused with `clock_moved_backwards`.
    Refused,
}

impl Back {
    /// `"absorbed"`, `"waited"`, `"refused"`: an event's `detail`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Back::Absorbed => "absorbed",
            Back::Waited => "waited",
            Back::Refused => "refused",
        }
    }
    const fn slot(self) -> usize {
        match self {
            Back::Absorbed => 0,
            Back::Waited => 1,
            Back::Refused => 2,
        }
    }
}

/// What a slow path saw.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sight {
    /// The clock read this many ms behind the last tick's start, and what the policy did.
    Back(Back, u64),
    /// A tick issued ahead of the clock, leading it by this many ms.
    Borrowing(u64),
    /// The clock reached a tick after the last issued one.
    CaughtUp,
}

/// Where a step reports what its slow paths saw.
pub(super) trait Watch {
    /// Whether an episode is open (read once per new tick, to close it).
    fn open(&self) -> bool;
    /// A slow path saw `sight`.
    fn saw(&mut self, sight: Sight);
}

/// How many clock events a generator reported (each episode once per outcome).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockStats {
    /// Steps back issued over (logical clock).
    pub absorbed: u64,
    /// Steps back waited out.
    pub waited: u64,
    /// Steps back refused with `clock_moved_backwards`.
    pub refused: u64,
    /// Runs of borrowing ahead of the clock begun.
    pub borrowing_started: u64,
    /// Runs of borrowing the clock caught up with.
    pub borrowing_ended: u64,
}

impl ClockStats {
    /// As the core's per-object [`Counters`]: `clock_stepped_back` (every
    /// outcome), `borrowing_started`, `borrowing_ended`.
    pub fn counters(&self) -> Counters {
        let mut c = Counters::new();
        c.add(Kind::ClockSteppedBack, self.absorbed + self.waited + self.refused);
        c.add(Kind::BorrowingStarted, self.borrowing_started);
        c.add(Kind::BorrowingEnded, self.borrowing_ended);
        c
    }

    fn from_slots(s: [u64; SLOTS]) -> Self {
        ClockStats {
            absorbed: s[0],
            waited: s[1],
            refused: s[2],
            borrowing_started: s[3],
            borrowing_ended: s[4],
        }
    }
}

const SLOTS: usize = 5;
const BORROWING: u8 = 1 << 3;

/// The episode after `sight`, and what it reports (a counter slot and the
/// event, without its node) if it is news.
fn report(episode: u8, sight: Sight) -> (u8, Option<(usize, Event<'static>)>) {
    match sight {
        Sight::Back(Back::Absorbed, _) if episode & BORROWING != 0 => (episode, None),
        Sight::Back(back, by_ms) => {
            let bit = 1 << back.slot();
            if episode & bit != 0 {
                return (episode, None);
            }
            let e = Event::new(Kind::ClockSteppedBack).amount(by_ms).detail(back.as_str());
            (episode | bit, Some((back.slot(), e)))
        }
        Sight::Borrowing(_) if episode & BORROWING != 0 => (episode, None),
        Sight::Borrowing(lead_ms) => (episode | BORROWING, Some((3, Event::new(Kind::BorrowingStarted).amount(lead_ms)))),
        Sight::CaughtUp => (0, (episode & BORROWING != 0).then_some((4, Event::new(Kind::BorrowingEnded)))),
    }
}

/// A one-owner generator's episode, counts and observer.
#[derive(Debug, Clone, Default)]
pub(super) struct Plain {
    episode: u8,
    counts: [u64; SLOTS],
    pub(super) observer: Option<Observer>,
}

impl Plain {
    pub(super) fn stats(&self) -> ClockStats {
        ClockStats::from_slots(self.counts)
    }
}

/// [`Plain`] with the generator's node, for one step.
pub(super) struct PlainWatch<'a> {
    pub(super) state: &'a mut Plain,
    pub(super) node: u64,
}

impl Watch for PlainWatch<'_> {
    #[inline]
    fn open(&self) -> bool {
        self.state.episode != 0
    }
    #[cold]
    fn saw(&mut self, sight: Sight) {
        let (episode, news) = report(self.state.episode, sight);
        self.state.episode = episode;
        if let Some((slot, event)) = news {
            self.state.counts[slot] = self.state.counts[slot].saturating_add(1);
            if let Some(f) = self.state.observer {
                f(&event.node(self.node));
            }
        }
    }
}

/// A shared generator's episode and counts (atomics) and observer.
#[derive(Debug, Default)]
pub(super) struct Atomic {
    episode: AtomicU8,
    counts: [AtomicU64; SLOTS],
    pub(super) observer: Option<Observer>,
}

impl Atomic {
    pub(super) fn stats(&self) -> ClockStats {
        ClockStats::from_slots(core::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed)))
    }
}

/// [`Atomic`] with the generator's node (read only when an event is reported).
pub(super) struct AtomicWatch<'a> {
    pub(super) state: &'a Atomic,
    pub(super) node: &'a AtomicU64,
}

impl Watch for AtomicWatch<'_> {
    #[inline]
    fn open(&self) -> bool {
        self.state.episode.load(Ordering::Relaxed) != 0
    }
    #[cold]
    fn saw(&mut self, sight: Sight) {
        let mut news = None;
        // Only the thread that changes the episode reports: one event per episode and outcome.
        let _ = self.state.episode.fetch_update(Ordering::AcqRel, Ordering::Acquire, |e| {
            let (next, n) = report(e, sight);
            news = n;
            (next != e).then_some(next)
        });
        if let Some((slot, event)) = news {
            self.state.counts[slot].fetch_add(1, Ordering::Relaxed);
            if let Some(f) = self.state.observer {
                f(&event.node(self.node.load(Ordering::Relaxed)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_episode_reports_each_outcome_once() {
        let (e, n) = report(0, Sight::Back(Back::Absorbed, 5));
        assert_eq!(n.map(|(s, _)| s), Some(0));
        assert_eq!(report(e, Sight::Back(Back::Absorbed, 7)).1, None);
        let (e, n) = report(e, Sight::Back(Back::Refused, 3000));
        assert_eq!(n.map(|(s, ev)| (s, ev.detail)), Some((2, Some("refused"))));
        assert_eq!(report(e, Sight::CaughtUp), (0, None));
        // Borrowing hides the lead it makes, and its end is news.
        let (e, n) = report(0, Sight::Borrowing(1));
        assert_eq!(n.map(|(s, _)| s), Some(3));
        assert_eq!(report(e, Sight::Back(Back::Absorbed, 1)).1, None);
        assert_eq!(report(e, Sight::CaughtUp).1.map(|(s, _)| s), Some(4));
    }
}
