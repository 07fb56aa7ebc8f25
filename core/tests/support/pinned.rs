//! A clock the registry tests move by hand (the registry wants `PartialEq`:
//! equal when it is the same clock).

use idloom::{Clock, ManualClock};

/// A clock tests move by hand; equal when it is the same clock.
#[derive(Debug, Clone, Copy)]
pub struct Pinned(pub &'static ManualClock);
impl PartialEq for Pinned {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self.0, other.0)
    }
}
impl Clock for Pinned {
    fn now_ms(&self) -> u64 {
        self.0.now_ms()
    }
}

pub const T0: u64 = 1_700_000_000_000;

pub fn pinned() -> Pinned {
    Pinned(Box::leak(Box::new(ManualClock::new(T0))))
}
