//! The stores on wasm, with the names and shapes of the Node addon's
//! (`bindings-node/src/stores.rs`), so the shared `js/stores/` calls
//! them as they are: the texts the stores run (`storeTexts`, …), the checks
//! of what callers give a store, and the store protocol
//! (`idloom::stores::{failure, answer, args, cas}`): `storeClassify`,
//! `storeRead`, `storeCheckArg` and the `CasLoop` class. A reading is
//! `[kind, ...numbers]`; a number is a JS number up to 2^53 − 1 and a BigInt
//! past it.

use crate::errors::{bad, js_err, safe_whole, IntoJs, Out};
use crate::layout::LayoutSpec;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use idloom::stores::answer::{read, Cell, Reading, Subject};
use idloom::stores::cas::{CasLoop as CoreCasLoop, CasStep};
use idloom::stores::{args, failure};
use idloom::ErrorCode;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

const MAX_SAFE: u64 = (1 << 53) - 1;

/// A number, or a BigInt past 2^53 − 1.
pub(crate) fn num(v: u64) -> JsValue {
    if v <= MAX_SAFE {
        JsValue::from_f64(v as f64)
    } else {
        JsValue::from(v)
    }
}

fn parts(kind: &str, numbers: &[u64]) -> Array {
    let out = Array::new();
    out.push(&JsValue::from_str(kind));
    for &n in numbers {
        out.push(&num(n));
    }
    out
}

/// A cell as the driver gave it.
use idloom::stores::OwnedCell as Owned;

fn owned(v: &JsValue) -> Out<Owned> {
    let wide = || bad(ErrorCode::InvalidArgument, "answer", "numbers must be integers within 64 bits");
    if v.is_null() || v.is_undefined() {
        Ok(Owned::Null)
    } else if let Some(b) = v.as_bool() {
        Ok(Owned::Bool(b))
    } else if let Some(n) = v.as_f64() {
        if n != (n as i64) as f64 || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n) {
            return Err(wide());
        }
        Ok(Owned::Int(n as i64))
    } else if v.is_bigint() {
        i64::try_from(v.clone()).map(Owned::Int).map_err(|_| wide())
    } else if let Some(t) = v.as_string() {
        Ok(Owned::Text(t))
    } else {
        Err(bad(
            ErrorCode::InvalidType,
            "answer",
            "cells must be null, booleans, integers or strings",
        ))
    }
}

pub(crate) fn field(o: &JsValue, name: &str) -> JsValue {
    if o.is_null() || o.is_undefined() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(o, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn whole(v: JsValue, param: &'static str) -> Out<Option<u64>> {
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    safe_whole(v.as_f64().unwrap_or(-1.0), param).map(Some)
}

/// `f` of what an answer is about (`o`: `namespace`, `node`, `epoch`,
/// `bizTag` or `biz_tag`; null or undefined for the store itself).
fn with_subject<T>(o: &JsValue, f: impl FnOnce(&Subject<'_>) -> Out<T>) -> Out<T> {
    let namespace = field(o, "namespace").as_string();
    let biz_tag = field(o, "bizTag").as_string().or_else(|| field(o, "biz_tag").as_string());
    f(&Subject {
        namespace: namespace.as_deref(),
        node: whole(field(o, "node"), "subject.node")?,
        epoch: whole(field(o, "epoch"), "subject.epoch")?,
        biz_tag: biz_tag.as_deref(),
    })
}

/// The error the core gives a driver failure on `engine` (`kind`:
/// `sqlstate`, `errno`, `reply` or `connection`), returned, not thrown.
#[wasm_bindgen(js_name = storeClassify)]
pub fn store_classify(engine: &str, kind: &str, code: &str, detail: &str) -> Out<JsValue> {
    match failure::classify_named(engine, kind, code, detail) {
        Ok(e) => Ok(js_err(&e)),
        Err(e) => Err(js_err(&e)),
    }
}

/// Whether a create text's failure with `code` (an SQLSTATE) on `engine` is
/// the concurrent-create race (`failure::create_race`): run the text again,
/// up to `storeCreateTries()` times in all.
#[wasm_bindgen(js_name = storeCreateRace)]
pub fn store_create_race(engine: &str, code: &str) -> bool {
    failure::create_race(engine, code)
}

/// How many times in all a create text meeting the race is run (`failure::CREATE_TRIES`).
#[wasm_bindgen(js_name = storeCreateTries)]
pub fn store_create_tries() -> u32 {
    failure::CREATE_TRIES
}

/// What the answer to `call` on `engine` means (`answer`: the first row's
/// cells, null for none, or a Redis reply): `['grant', node, epoch, start,
/// fence, now]`, `['namespace', layout, nodes, ttl, skew, floor]`,
/// `['missing']`, `['refused']`, `['range', start, end]`, `['value', v]`,
/// `['lock', ttl, floor, now]`, `['node', n]`, `['held', epoch, start,
/// fence]` or `['done']`; a refusal is thrown.
#[wasm_bindgen(js_name = storeRead)]
pub fn store_read(engine: &str, call: &str, subject: JsValue, answer: JsValue) -> Out<Array> {
    let cells: Option<Vec<Owned>> = if answer.is_null() || answer.is_undefined() {
        None
    } else if Array::is_array(&answer) {
        Some(Array::from(&answer).iter().map(|v| owned(&v)).collect::<Out<_>>()?)
    } else {
        return Err(bad(ErrorCode::InvalidType, "answer", "must be an array of cells or null"));
    };
    let cells: Option<Vec<Cell<'_>>> = cells.as_ref().map(|c| c.iter().map(Owned::cell).collect());
    let reading = with_subject(&subject, |s| read(engine, call, s, cells.as_deref()).js())?;
    Ok(reading_parts(&reading))
}

/// A reading as `storeRead` returns it (`KvCall` finishes with the same shape).
pub(crate) fn reading_parts(reading: &Reading) -> Array {
    if let Reading::Nodes(nodes) = reading {
        // Six parts a node, its holder second: node, holder, epoch, expires, start, fence (the addon's shape).
        let out = parts("nodes", &[]);
        for n in nodes {
            out.push(&num(n.node));
            out.push(&JsValue::from_str(&n.holder));
            for v in [n.epoch, n.expires_ms, n.start_ms, n.fence_ms] {
                out.push(&num(v));
            }
        }
        return out;
    }
    let (name, layout, numbers) = reading.parts();
    let out = parts(name, &[]);
    if let Some(layout) = layout {
        out.push(&JsValue::from_str(layout));
    }
    for n in numbers {
        out.push(&num(n));
    }
    out
}

/// A BigInt past 128 bits: out of every spec's range, said without its digits.
fn past_128_bits(s: &args::Spec) -> JsValue {
    let message = format!("{} must be in {}..={}, got a bigint past 128 bits", s.param, s.min, s.max);
    js_err(&idloom::Error::store(ErrorCode::InvalidArgument, message))
}

fn type_name(v: &JsValue) -> String {
    if v.is_null() {
        "null".into()
    } else {
        v.js_typeof().as_string().unwrap_or_default()
    }
}

/// A JS number or BigInt as an exact integer (`param` names it in errors).
fn integer(v: &JsValue, spec: &args::Spec) -> Out<i128> {
    let param = spec.param;
    if let Some(n) = v.as_f64() {
        if n.abs() <= MAX_SAFE as f64 && n == (n as i64) as f64 {
            return Ok(n as i128);
        }
        let message = format!("{param} must be a safe integer or a bigint, got {n}");
        return Err(js_err(&idloom::Error::store(ErrorCode::InvalidArgument, message)));
    }
    if v.is_bigint() {
        return i128::try_from(v.clone()).map_err(|_| past_128_bits(spec));
    }
    let message = format!("{param} must be an integer (a number or a bigint), got {}", type_name(v));
    Err(js_err(&idloom::Error::store(ErrorCode::InvalidType, message)))
}

/// `value` checked against the core's spec of store argument `key`: the
/// value (a BigInt past 2^53 − 1), else `invalid_argument` naming the
/// parameter and its range.
#[wasm_bindgen(js_name = storeCheckArg)]
pub fn store_check_arg(key: &str, value: JsValue) -> Out<JsValue> {
    // An unknown key is the core's error, before the value is looked at.
    let v = match args::spec_of(key) {
        Some(spec) => integer(&value, spec)?,
        None => 0,
    };
    Ok(num(args::check(key, v).js()?))
}

/// Leaf's compare-and-set fetch of `step` (the core's state machine).
#[wasm_bindgen(js_name = CasLoop)]
pub struct WasmCasLoop {
    inner: CoreCasLoop,
}

fn cas_step(s: CasStep) -> Array {
    match s {
        CasStep::Swap { old, new } => parts("swap", &[old, new]),
        CasStep::Pause { us } => parts("pause", &[us]),
        CasStep::Done { start, end } => parts("done", &[start, end]),
    }
}

#[wasm_bindgen(js_class = CasLoop)]
impl WasmCasLoop {
    /// A fetch of `step` (the `step` spec: 1..=2^40).
    #[wasm_bindgen(constructor)]
    pub fn new(step: JsValue) -> Out<WasmCasLoop> {
        let spec = args::spec_of("step").ok_or_else(|| bad(ErrorCode::InvalidArgument, "step", "no spec"))?;
        let step = args::check("step", integer(&step, spec)?).js()?;
        Ok(WasmCasLoop {
            inner: CoreCasLoop::new(step).js()?,
        })
    }

    /// The counter read (null: no such counter, thrown): `['swap', old, new]`.
    pub fn read(&mut self, current: JsValue, subject: JsValue) -> Out<Array> {
        let current = match owned(&current)? {
            Owned::Null => None,
            Owned::Int(i) => Some(u64::try_from(i).map_err(|_| bad(ErrorCode::InvalidArgument, "current", "must not be negative"))?),
            Owned::Text(t) => Some(
                t.parse()
                    .map_err(|_| bad(ErrorCode::InvalidArgument, "current", "must be a decimal integer"))?,
            ),
            Owned::Bool(_) => {
                return Err(bad(
                    ErrorCode::InvalidType,
                    "current",
                    "must be an integer, a decimal string or null",
                ))
            }
        };
        let inner = &mut self.inner;
        Ok(cas_step(with_subject(&subject, |s| inner.read(current, s).js())?))
    }

    /// The swap's outcome (`unit` in [0, 1)): `['done', start, end]` or
    /// `['pause', us]`; thrown `store_unavailable` after the last round.
    pub fn swapped(&mut self, won: bool, unit: f64, subject: JsValue) -> Out<Array> {
        let inner = &mut self.inner;
        Ok(cas_step(with_subject(&subject, |s| inner.swapped(won, unit, s).js())?))
    }

    /// Rounds lost so far.
    #[wasm_bindgen(getter)]
    pub fn retries(&self) -> u32 {
        self.inner.retries()
    }
}

// ------------------------------------------------ the texts and their checks

/// Check a namespace name (1 to 64 of `A-Z a-z 0-9 _ . -`).
#[wasm_bindgen(js_name = storeCheckNamespace)]
pub fn store_check_namespace(namespace: &str) -> Out<()> {
    idloom::stores::check_namespace(namespace).js()
}

/// The layout record a namespace keeps.
#[wasm_bindgen(js_name = storeLayoutRecord)]
pub fn store_layout_record(spec: &LayoutSpec) -> Out<String> {
    Ok(idloom::stores::layout_record(&spec.layout()?))
}

/// The core's node count of a namespace on `engine` with the layout: `nodes`
/// checked, or the default (1,024, at most the layout's node count) when absent.
#[wasm_bindgen(js_name = storeNamespaceNodes)]
pub fn store_namespace_nodes(engine: &str, spec: &LayoutSpec, nodes: Option<f64>) -> Out<f64> {
    let nodes = nodes.map(|v| safe_whole(v, "nodes")).transpose()?;
    Ok(idloom::stores::namespace_nodes(engine, &spec.layout()?, nodes).js()? as f64)
}

/// Every store text the core holds for `engine` (`postgres`, `mysql`,
/// `redis`), by name.
#[wasm_bindgen(js_name = storeTexts)]
pub fn store_texts(engine: &str) -> Out<Object> {
    let texts =
        idloom::stores::texts(engine).ok_or_else(|| bad(ErrorCode::InvalidArgument, "engine", "must be postgres, mysql or redis"))?;
    let entries: Array = texts
        .iter()
        .map(|(k, v)| JsValue::from(Array::of2(&JsValue::from_str(k), &JsValue::from_str(v))))
        .collect();
    Object::from_entries(&entries)
}

/// A segment text with its table name checked and in place.
#[wasm_bindgen(js_name = storeSegmentSql)]
pub fn store_segment_sql(text: &str, table: &str) -> Out<String> {
    idloom::stores::segment_sql(text, table).js()
}

/// A sequence's create text for sequence `index` of `count` (the core's numbers, checked).
#[wasm_bindgen(js_name = storeSequenceSql)]
pub fn store_sequence_sql(text: &str, name: &str, step: f64, floor: f64, index: f64, count: f64) -> Out<String> {
    let (step, floor) = (safe_whole(step, "step")?, safe_whole(floor, "floor")?);
    let (start, increment) =
        idloom::stores::sequence_numbers(step, floor, safe_whole(index, "index")?, safe_whole(count, "count")?).js()?;
    idloom::stores::sequence_sql(text, name, start, increment).js()
}

/// The core's check of a Redis counter's floor for ranges of `step` (Lua
/// computes in doubles: below 2^53 − 1 − step, else `invalid_range`).
#[wasm_bindgen(js_name = storeRedisCounterFloor)]
pub fn store_redis_counter_floor(floor: f64, step: f64) -> Out<f64> {
    // Any non-negative integer (a floor past 2^53 is what the core refuses by range).
    let n = |v: f64, param: &'static str| -> Out<u64> {
        if v >= 0.0 && v == (v as u64) as f64 {
            Ok(v as u64)
        } else {
            safe_whole(v, param)
        }
    };
    Ok(idloom::stores::redis::check_counter_floor(n(floor, "floor")?, n(step, "step")?).js()? as f64)
}

/// Redis keys: `ns` (a namespace's record) or `counter` (a segment counter).
#[wasm_bindgen(js_name = storeRedisKey)]
pub fn store_redis_key(kind: &str, name: &str) -> Out<String> {
    if kind == "ns" {
        idloom::stores::check_namespace(name).js()?;
        Ok(idloom::stores::redis::namespace_key(name))
    } else {
        idloom::inputs::biz_tag(name).js()?;
        Ok(idloom::stores::redis::counter_key(name))
    }
}

/// A store URL with its password shown as `***`.
#[wasm_bindgen(js_name = storeRedactUrl)]
pub fn store_redact_url(url: &str) -> String {
    idloom::secrets::redact_url(url)
}

/// `text` with `url` redacted and its password removed wherever it appears.
#[wasm_bindgen(js_name = storeRedact)]
pub fn store_redact(text: &str, url: &str) -> String {
    idloom::secrets::redact(text, url)
}

/// What a MySQL URL's `ssl-mode` (null: absent) and `ssl-ca` ask for
/// (the core decides): `DISABLED`, `REQUIRED`, `VERIFY_CA` or `VERIFY_IDENTITY`.
#[wasm_bindgen(js_name = storeMysqlTls)]
pub fn store_mysql_tls(ssl_mode: Option<String>, has_ca: bool) -> Out<String> {
    Ok(idloom::tls::mysql_mode(ssl_mode.as_deref(), has_ca).js()?.name().into())
}
