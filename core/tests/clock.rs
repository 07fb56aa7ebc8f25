//! Clocks: the system clock, the ticker clock and closures.

use idloom::{Clock, ManualClock};

#[cfg(feature = "std")]
#[test]
fn ticker_follows_the_wall_clock_and_restarts() {
    use idloom::{SystemClock, TickerClock};
    use std::time::Duration;
    let ticker = TickerClock::global();
    let first = ticker.now_ms();
    assert!(SystemClock.now_ms().abs_diff(first) < 1000, "starts at the wall time");
    std::thread::sleep(Duration::from_millis(30));
    let later = ticker.now_ms();
    assert!(later >= first + 20, "advances while the process runs: {first} -> {later}");
    assert!(SystemClock.now_ms().abs_diff(later) < 50, "stays within a few ms of the wall clock");
    TickerClock::restart();
    std::thread::sleep(Duration::from_millis(20));
    assert!(ticker.now_ms() > later, "a restarted ticker keeps going");
}

#[test]
fn closures_and_manual_clocks_are_clocks() {
    let fixed = || 42u64;
    assert_eq!(fixed.now_ms(), 42);
    let m = ManualClock::new(5);
    m.advance(10);
    fn read<C: Clock>(c: C) -> u64 {
        c.now_ms()
    }
    assert_eq!(read(&m), 15, "a borrowed manual clock is a clock");
    m.set(1);
    assert_eq!(m.now_ms(), 1);
    assert!(!m.sleep_ms(1), "a manual clock cannot sleep: waits spin a bounded number of polls");
    #[cfg(feature = "std")]
    assert!(idloom::SystemClock.sleep_ms(1));
}

#[cfg(feature = "std")]
#[test]
fn host_clocks_by_name_and_their_equality() {
    use idloom::{Clock, HostClock, ManualClock};
    use std::sync::Arc;
    assert_eq!(HostClock::named("ticker").unwrap(), HostClock::named("ticker").unwrap());
    assert_ne!(HostClock::named("ticker").unwrap(), HostClock::System);
    let e = HostClock::named("sundial").unwrap_err();
    assert_eq!(
        (e.code().as_str(), e.to_string().as_str()),
        ("invalid_argument", "clock: must be \"ticker\" or \"system\"")
    );
    let a = Arc::new(ManualClock::new(5));
    let (m1, m2) = (HostClock::Manual(a.clone()), HostClock::Manual(a));
    assert_eq!(m1, m2, "the same manual clock");
    assert_ne!(
        m1,
        HostClock::Manual(Arc::new(ManualClock::new(5))),
        "another manual clock, even at the same time"
    );
    assert_eq!(m1.now_ms(), 5);
    assert!(!m1.sleep_ms(1), "a manual clock never sleeps");
}

/// A clock standing still that says it can sleep to the next millisecond
/// (and does not move when it does), counting those sleeps and the polls.
struct StandingSleeper {
    now: u64,
    sleeps: std::cell::Cell<u32>,
    polls: std::cell::Cell<u64>,
}

impl Clock for &StandingSleeper {
    fn now_ms(&self) -> u64 {
        self.now
    }
    fn sleep_to_next_ms(&self) -> bool {
        self.sleeps.set(self.sleeps.get() + 1);
        true
    }
    fn pause(&self) {
        self.polls.set(self.polls.get() + 1);
    }
}

#[test]
fn a_wait_for_the_next_tick_sleeps_to_the_boundary_once_then_polls_and_stays_bounded() {
    use idloom::snowflake::POLLS_PER_MS;
    use idloom::{ErrorCode, Layout, OnBackwards, OnExhausted, Policy, SequenceStart, Snowflake};
    let t0 = 1_700_000_000_000;
    let clock = StandingSleeper {
        now: t0,
        sleeps: Default::default(),
        polls: Default::default(),
    };
    let layout = Layout::new(41, 10, 1, t0 - 1000, 1).unwrap(); // 2 IDs per tick
    let policy = Policy {
        on_backwards: OnBackwards::Fail,
        on_exhausted: OnExhausted::Wait,
        sequence_start: SequenceStart::Reset,
    };
    let mut g = Snowflake::new(layout, 1, policy, &clock).unwrap();
    g.next_id().unwrap();
    g.next_id().unwrap();
    // The tick is used up and the clock never moves: one sleep to the
    // boundary (a second could skip the tick a late ticker stores), then
    // polls until the bound, then clock_stalled.
    assert_eq!(g.next_id().unwrap_err().code(), ErrorCode::ClockStalled);
    assert_eq!(clock.sleeps.get(), 1);
    assert_eq!(clock.polls.get(), 2 * POLLS_PER_MS);
}
