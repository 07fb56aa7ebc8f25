//! The store protocol on wasm (`idloom::stores::{failure, answer, args,
//! cas}`), with the names and shapes of the Node addon's
//! (`bindings-node/src/stores.rs`), so the shared `lib/stores.mjs` calls
//! them without an adapter: `storeClassify`, `storeRead`, `storeCheckArg`
//! and the `CasLoop` class. A reading is `[kind, ...numbers]`; a number is a
//! JS number up to 2^53 − 1 and a BigInt past it.

use crate::{js_err, Out};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use idloom::stores::answer::{read, Cell, Subject};
use idloom::stores::cas::{CasLoop as CoreCasLoop, CasStep};
use idloom::stores::{args, failure};
use idloom::ErrorCode;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

const MAX_SAFE: u64 = (1 << 53) - 1;

fn bad(code: ErrorCode, param: &'static str, reason: &'static str) -> JsValue {
    js_err(&idloom::Error::reason(code, param, reason))
}

/// A number, or a BigInt past 2^53 − 1.
fn num(v: u64) -> JsValue {
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

/// The subject's fields, owned (`namespace`, `node`, `epoch`, `bizTag` or `biz_tag`).
struct SubjectIn {
    namespace: Option<String>,
    node: Option<u64>,
    epoch: Option<u64>,
    biz_tag: Option<String>,
}

fn field(o: &JsValue, name: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn whole(v: JsValue, param: &'static str) -> Out<Option<u64>> {
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if (0.0..=MAX_SAFE as f64).contains(&n) && n == (n as u64) as f64 => Ok(Some(n as u64)),
        _ => Err(bad(ErrorCode::InvalidArgument, param, "must be a safe non-negative integer")),
    }
}

fn text(v: JsValue) -> Option<String> {
    v.as_string()
}

impl SubjectIn {
    fn of(o: &JsValue) -> Out<Self> {
        if o.is_null() || o.is_undefined() {
            return Ok(SubjectIn {
                namespace: None,
                node: None,
                epoch: None,
                biz_tag: None,
            });
        }
        Ok(SubjectIn {
            namespace: text(field(o, "namespace")),
            node: whole(field(o, "node"), "subject.node")?,
            epoch: whole(field(o, "epoch"), "subject.epoch")?,
            biz_tag: text(field(o, "bizTag")).or_else(|| text(field(o, "biz_tag"))),
        })
    }
    fn subject(&self) -> Subject<'_> {
        Subject {
            namespace: self.namespace.as_deref(),
            node: self.node,
            epoch: self.epoch,
            biz_tag: self.biz_tag.as_deref(),
        }
    }
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
    let subject = SubjectIn::of(&subject)?;
    let reading = read(engine, call, &subject.subject(), cells.as_deref()).map_err(|e| js_err(&e))?;
    let (name, layout, numbers) = reading.parts();
    let out = parts(name, &[]);
    if let Some(layout) = layout {
        out.push(&JsValue::from_str(layout));
    }
    for n in numbers {
        out.push(&num(n));
    }
    Ok(out)
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
    Ok(num(args::check(key, v).map_err(|e| js_err(&e))?))
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
        let step = args::check("step", integer(&step, spec)?).map_err(|e| js_err(&e))?;
        Ok(WasmCasLoop {
            inner: CoreCasLoop::new(step).map_err(|e| js_err(&e))?,
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
        let subject = SubjectIn::of(&subject)?;
        Ok(cas_step(self.inner.read(current, &subject.subject()).map_err(|e| js_err(&e))?))
    }

    /// The swap's outcome (`unit` in [0, 1)): `['done', start, end]` or
    /// `['pause', us]`; thrown `store_unavailable` after the last round.
    pub fn swapped(&mut self, won: bool, unit: f64, subject: JsValue) -> Out<Array> {
        let subject = SubjectIn::of(&subject)?;
        Ok(cas_step(self.inner.swapped(won, unit, &subject.subject()).map_err(|e| js_err(&e))?))
    }

    /// Rounds lost so far.
    #[wasm_bindgen(getter)]
    pub fn retries(&self) -> u32 {
        self.inner.retries()
    }
}
