//! The core's event vocabulary for JavaScript (`idloom::events`): every
//! kind's name, level and meaning, and the one-line message of an event.
//! Names, levels, messages and which step is which event are the core's
//! (`Holder::take_event`); `js/events.mjs` only delivers them.

use crate::errors::throw;
use crate::lease::ms;
use idloom::events::{Event, Kind};
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// An event's facts (each present only when it applies).
#[napi(object)]
#[derive(Default)]
pub struct EventFacts {
    pub node: Option<f64>,
    pub epoch: Option<f64>,
    pub fence_ms: Option<f64>,
    pub code: Option<String>,
    pub in_ms: Option<f64>,
    pub amount: Option<f64>,
    pub detail: Option<String>,
}

/// An event as JavaScript gets it: `{ name, facts }`.
#[napi(object)]
pub struct EventRecord {
    pub name: String,
    pub facts: EventFacts,
}

impl From<Event<'_>> for EventRecord {
    fn from(e: Event<'_>) -> Self {
        let n = |v: Option<u64>| v.map(|v| v as f64);
        EventRecord {
            name: e.kind.name().into(),
            facts: EventFacts {
                node: n(e.node),
                epoch: n(e.epoch),
                fence_ms: n(e.fence_ms),
                code: e.code.map(Into::into),
                in_ms: n(e.in_ms),
                amount: n(e.amount),
                detail: e.detail.map(Into::into),
            },
        }
    }
}

/// Every kind: `[name, level, what]`, in the core's order; level is
/// `debug`, `info`, `warn` or `error`.
#[napi(ts_return_type = "[string, string, string][]")]
pub fn event_kinds() -> Vec<Vec<&'static str>> {
    Kind::ALL.iter().map(|k| vec![k.name(), k.level().as_str(), k.what()]).collect()
}

/// The core's one-line message of the event `kind` with `facts`.
#[napi]
pub fn event_message(env: Env, kind: String, facts: Option<EventFacts>) -> Result<String> {
    let kind = Kind::from_name(&kind).ok_or_else(|| {
        throw(
            &env,
            &idloom::Error::reason(ErrorCode::InvalidArgument, "kind", "no event has this name"),
        )
    })?;
    let f = facts.unwrap_or_default();
    let n = |v: Option<f64>, param| v.map(|v| ms(&env, v, param)).transpose();
    let e = Event {
        kind,
        node: n(f.node, "facts.node")?,
        epoch: n(f.epoch, "facts.epoch")?,
        fence_ms: n(f.fence_ms, "facts.fenceMs")?,
        code: f.code.as_deref(),
        in_ms: n(f.in_ms, "facts.inMs")?,
        amount: n(f.amount, "facts.amount")?,
        detail: f.detail.as_deref(),
    };
    Ok(e.message().to_string())
}
