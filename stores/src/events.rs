//! The core's events ([`idloom::events`]) delivered the Rust way: one
//! `tracing` event per step, target `idloom`, at the kind's level, with the
//! kind's name in the field `event` and the core's one-line message; and
//! counted per object (`stats()`).

use idloom::events::{Counters, Event, Level};
use std::sync::Mutex;

/// Log `event` and count it in `counters`.
pub(crate) fn emit(counters: &Mutex<Counters>, event: &Event<'_>) {
    crate::locked(counters).record(event.kind);
    log(event);
}

/// Log `event` (counted elsewhere: a generator's clock events, which the core
/// counts; this is the generator's [`Observer`](idloom::snowflake::Observer)).
pub(crate) fn log(event: &Event<'_>) {
    let name = event.kind.name();
    let message = event.message();
    match event.kind.level() {
        Level::Debug => tracing::debug!(target: "idloom", event = name, "{message}"),
        Level::Info => tracing::info!(target: "idloom", event = name, "{message}"),
        Level::Warn => tracing::warn!(target: "idloom", event = name, "{message}"),
        Level::Error => tracing::error!(target: "idloom", event = name, "{message}"),
    }
}

/// A copy of `counters`, with `more` (a generator's clock events) added.
pub(crate) fn snapshot(counters: &Mutex<Counters>, more: Option<&Counters>) -> Counters {
    let mut c = crate::locked(counters).clone();
    for (kind, n) in more.iter().flat_map(|m| m.iter()) {
        c.add(kind, n);
    }
    c
}
