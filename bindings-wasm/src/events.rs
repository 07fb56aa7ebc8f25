//! The core's event vocabulary (`idloom::events`), as the addon's
//! `bindings-node/src/events.rs` exports it: every kind's name, level and
//! meaning, an event's one-line message, an event as `{ name, facts }`.

use crate::errors::{bad, Out};
#[cfg(feature = "coord")]
use crate::record;
use alloc::string::{String, ToString};
use idloom::events::{Event, Kind};
use idloom::ErrorCode;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

/// An event as JavaScript gets it: `{ name, facts }`, a fact present only when it applies.
#[cfg(feature = "coord")] // the lease machine's events
pub(crate) fn event_record(e: &Event<'_>) -> JsValue {
    let n = |v: Option<u64>| v.map_or(JsValue::UNDEFINED, |v| JsValue::from_f64(v as f64));
    let s = |v: Option<&str>| v.map_or(JsValue::UNDEFINED, JsValue::from_str);
    let facts = record(&[
        ("node", n(e.node)),
        ("epoch", n(e.epoch)),
        ("fenceMs", n(e.fence_ms)),
        ("code", s(e.code)),
        ("inMs", n(e.in_ms)),
        ("amount", n(e.amount)),
        ("detail", s(e.detail)),
    ]);
    record(&[("name", JsValue::from_str(e.kind.name())), ("facts", facts)])
}

/// Every kind: `[name, level, what]`, in the core's order.
#[wasm_bindgen(js_name = eventKinds)]
pub fn event_kinds() -> Array {
    Kind::ALL
        .iter()
        .map(|k| JsValue::from(Array::of3(&k.name().into(), &k.level().as_str().into(), &k.what().into())))
        .collect()
}

/// The core's one-line message of the event `kind` with `facts`.
#[wasm_bindgen(js_name = eventMessage)]
pub fn event_message(kind: &str, facts: JsValue) -> Out<String> {
    let kind = Kind::from_name(kind).ok_or_else(|| bad(ErrorCode::InvalidArgument, "kind", "no event has this name"))?;
    let get = |k: &str| -> JsValue {
        if facts.is_object() {
            Reflect::get(&facts, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        }
    };
    let num = |k: &str, param: &'static str| -> Out<Option<u64>> {
        let v = get(k);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        match v.as_f64() {
            Some(f) if (0.0..=9_007_199_254_740_991.0).contains(&f) && f == (f as u64) as f64 => Ok(Some(f as u64)),
            _ => Err(bad(ErrorCode::InvalidArgument, param, "must be a safe non-negative integer")),
        }
    };
    let (code, detail) = (get("code").as_string(), get("detail").as_string());
    let e = Event {
        kind,
        node: num("node", "facts.node")?,
        epoch: num("epoch", "facts.epoch")?,
        fence_ms: num("fenceMs", "facts.fenceMs")?,
        code: code.as_deref(),
        in_ms: num("inMs", "facts.inMs")?,
        amount: num("amount", "facts.amount")?,
        detail: detail.as_deref(),
    };
    Ok(e.message().to_string())
}
