//! The store protocol for `idloom/stores` (`idloom::stores::{failure,
//! answer, args, cas}`): JavaScript runs the texts on its drivers and hands
//! every failure, answer and number to these, so no classification, answer
//! reading or bound is written in JavaScript. The wasm build exports the
//! same names and shapes (`bindings-wasm/src/stores.rs`).
//!
//! Shapes: a reading is `[kind, ...numbers]` (`['grant', node, epoch, start,
//! fence, now]`, `['range', start, end]`, `['missing']`, …); a number is a JS
//! number up to 2^53 − 1 and a BigInt past it (a counter near `bigint`'s
//! end), as `Segment.supply` takes either.

use crate::errors::{throw, IntoJs};
use crate::layout::LayoutSpec;
use idloom::stores::answer::{read, Cell, Reading, Subject};
use idloom::stores::cas::{CasLoop as CoreCasLoop, CasStep};
use idloom::stores::{args, failure};
use idloom::ErrorCode;
use napi::bindgen_prelude::*;
use napi::{JsError, JsRangeError, JsTypeError};
use napi_derive::napi;
use std::collections::HashMap;

const MAX_SAFE: u64 = (1 << 53) - 1;

/// One element of a reading: its kind (or a layout), a number, or a BigInt past 2^53 − 1.
pub(crate) type Part = Either3<String, f64, BigInt>;

pub(crate) fn num(v: u64) -> Either<f64, BigInt> {
    if v <= MAX_SAFE {
        Either::A(v as f64)
    } else {
        Either::B(BigInt::from(v))
    }
}

fn part(v: u64) -> Part {
    match num(v) {
        Either::A(n) => Either3::B(n),
        Either::B(b) => Either3::C(b),
    }
}

fn parts(kind: &str, numbers: &[u64]) -> Vec<Part> {
    let mut out = Vec::with_capacity(numbers.len() + 1);
    out.push(Either3::A(kind.to_string()));
    out.extend(numbers.iter().map(|&n| part(n)));
    out
}

fn no_subject() -> SubjectSpec {
    SubjectSpec {
        namespace: None,
        node: None,
        epoch: None,
        biz_tag: None,
        biz_tag_snake: None,
    }
}

/// A core error as the JS error object `throw` would raise (its class and
/// `code`), returned instead of thrown.
fn error_value(env: Env, e: &idloom::Error) -> Unknown<'static> {
    let err = napi::Error::new(e.code().as_str().to_string(), e.to_string());
    if e.code() == ErrorCode::InvalidType {
        JsTypeError::from(err).into_unknown(env)
    } else if e.code().is_bad_input() {
        JsRangeError::from(err).into_unknown(env)
    } else {
        JsError::from(err).into_unknown(env)
    }
}

fn bad(env: &Env, code: ErrorCode, param: &'static str, reason: &'static str) -> napi::Error {
    throw(env, &idloom::Error::reason(code, param, reason))
}

/// What an answer is about (`namespace`, `node`, `epoch`, `bizTag`; the
/// vectors' `biz_tag` too), for the messages of its refusals.
#[napi(object)]
pub struct SubjectSpec {
    pub namespace: Option<String>,
    pub node: Option<f64>,
    pub epoch: Option<f64>,
    pub biz_tag: Option<String>,
    #[napi(js_name = "biz_tag")]
    pub biz_tag_snake: Option<String>,
}

fn whole(env: &Env, v: Option<f64>, param: &'static str) -> Result<Option<u64>> {
    match v {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && (0.0..=MAX_SAFE as f64).contains(&v) => Ok(Some(v as u64)),
        Some(_) => Err(bad(env, ErrorCode::InvalidArgument, param, "must be a safe non-negative integer")),
    }
}

impl SubjectSpec {
    fn subject(&self, env: &Env) -> Result<Subject<'_>> {
        Ok(Subject {
            namespace: self.namespace.as_deref(),
            node: whole(env, self.node, "subject.node")?,
            epoch: whole(env, self.epoch, "subject.epoch")?,
            biz_tag: self.biz_tag.as_deref().or(self.biz_tag_snake.as_deref()),
        })
    }
}

/// A cell as the driver gave it: null/undefined, a boolean, an integer
/// (number or BigInt) or a string.
use idloom::stores::OwnedCell as Owned;

/// A cell from JavaScript: null/undefined (`None`), a boolean, a number, a
/// BigInt, a string, or anything else (refused: `invalid_type`).
type CellIn<'a> = Option<Either5<bool, f64, BigInt, String, Unknown<'a>>>;

fn owned(env: &Env, v: CellIn<'_>) -> Result<Owned> {
    let wide = || bad(env, ErrorCode::InvalidArgument, "answer", "numbers must be integers within 64 bits");
    Ok(match v {
        None => Owned::Null,
        Some(Either5::A(b)) => Owned::Bool(b),
        Some(Either5::B(n)) => {
            if n.fract() != 0.0 || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n) {
                return Err(wide());
            }
            Owned::Int(n as i64)
        }
        Some(Either5::C(b)) => match b.get_i64() {
            (n, true) => Owned::Int(n),
            _ => return Err(wide()),
        },
        Some(Either5::D(t)) => Owned::Text(t),
        Some(Either5::E(_)) => {
            return Err(bad(
                env,
                ErrorCode::InvalidType,
                "answer",
                "cells must be null, booleans, integers or strings",
            ))
        }
    })
}

/// The error the core gives a driver failure on `engine` (`postgres`,
/// `mysql`, `redis`): `kind` is `sqlstate` (`code` the SQLSTATE), `errno`
/// (`code` the decimal number), `reply` (`code` the Redis error reply) or
/// `connection`; `detail` the driver's text, redacted. Returned, not thrown
/// (an unknown engine or kind is thrown: `invalid_argument`).
#[napi(ts_return_type = "Error & { code: string }")]
pub fn store_classify(env: Env, engine: String, kind: String, code: String, detail: String) -> Result<Unknown<'static>> {
    match failure::classify_named(&engine, &kind, &code, &detail) {
        Ok(e) => Ok(error_value(env, &e)),
        Err(e) => Err(throw(&env, &e)),
    }
}

/// Whether a create text's failure with `code` (an SQLSTATE) on `engine` is
/// the concurrent-create race (`failure::create_race`): run the text again,
/// up to `storeCreateTries()` times in all.
#[napi]
pub fn store_create_race(engine: String, code: String) -> bool {
    failure::create_race(&engine, &code)
}

/// How many times in all a create text meeting the race is run (`failure::CREATE_TRIES`).
#[napi]
pub fn store_create_tries() -> u32 {
    failure::CREATE_TRIES
}

/// What the answer to `call` on `engine` means: the first row (an array of
/// cells; null for none; a rows-changed count as `[n]`) or a Redis reply.
/// `['grant', node, epoch, start, fence, now]`, `['namespace', layout, nodes,
/// ttl, skew, floor]`, `['missing']`, `['refused']`, `['range', start, end]`,
/// `['value', v]`, `['lock', ttl, floor, now]`, `['node', n]`, `['held',
/// epoch, start, fence]`, `['nodes', node, holder, epoch, expires, start,
/// fence, …]` (six a node) or `['done']`; a refusal is thrown (the core's message).
#[napi(
    ts_args_type = "engine: string, call: string, subject: { namespace?: string, node?: number, epoch?: number, bizTag?: string, biz_tag?: string } | null | undefined, answer: unknown[] | null | undefined",
    ts_return_type = "[string, ...(string | number | bigint)[]]"
)]
pub fn store_read(
    env: Env,
    engine: String,
    call: String,
    subject: Option<SubjectSpec>,
    answer: Option<Vec<CellIn<'_>>>,
) -> Result<Vec<Part>> {
    let cells: Option<Vec<Owned>> = match answer {
        None => None,
        Some(a) => Some(a.into_iter().map(|v| owned(&env, v)).collect::<Result<_>>()?),
    };
    let cells: Option<Vec<Cell<'_>>> = cells.as_ref().map(|c| c.iter().map(Owned::cell).collect());
    let spec = subject.unwrap_or_else(no_subject);
    let subject = spec.subject(&env)?;
    let reading = read(&engine, &call, &subject, cells.as_deref()).map_err(|e| throw(&env, &e))?;
    Ok(reading_parts(&reading))
}

/// A reading as `storeRead` returns it (`KvCall` finishes with the same shape).
pub(crate) fn reading_parts(reading: &Reading) -> Vec<Part> {
    if let Reading::Nodes(nodes) = reading {
        // Six parts a node, its holder second: node, holder, epoch, expires, start, fence.
        let mut out = parts("nodes", &[]);
        for n in nodes {
            out.push(part(n.node));
            out.push(Either3::A(n.holder.clone()));
            out.extend([n.epoch, n.expires_ms, n.start_ms, n.fence_ms].map(part));
        }
        return out;
    }
    let (name, layout, numbers) = reading.parts();
    let mut out = parts(name, &[]);
    out.extend(layout.map(|l| Either3::A(l.to_string())));
    out.extend(numbers.into_iter().map(part));
    out
}

/// A number argument from JavaScript: a number, a BigInt, or anything else (`invalid_type`).
type IntIn<'a> = Either3<f64, BigInt, Unknown<'a>>;

/// A JS number or BigInt as an exact integer (`param` names it in errors).
fn integer(env: &Env, value: IntIn<'_>, spec: &args::Spec) -> Result<i128> {
    let param = spec.param;
    match value {
        Either3::A(n) if n.fract() == 0.0 && n.abs() <= MAX_SAFE as f64 => Ok(n as i128),
        Either3::A(n) => {
            let message = format!("{param} must be a safe integer or a bigint, got {n}");
            Err(throw(env, &idloom::Error::store(ErrorCode::InvalidArgument, message)))
        }
        Either3::B(b) => match b.get_i128() {
            (n, true) => Ok(n),
            _ => Err(past_128_bits(env, spec)),
        },
        Either3::C(other) => {
            let message = format!(
                "{param} must be an integer (a number or a bigint), got {}",
                type_name(other.get_type()?)
            );
            Err(throw(env, &idloom::Error::store(ErrorCode::InvalidType, message)))
        }
    }
}

/// A BigInt past 128 bits: out of every spec's range, said without its digits.
fn past_128_bits(env: &Env, s: &args::Spec) -> napi::Error {
    let message = format!("{} must be in {}..={}, got a bigint past 128 bits", s.param, s.min, s.max);
    throw(env, &idloom::Error::store(ErrorCode::InvalidArgument, message))
}

fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "boolean",
        ValueType::String => "string",
        ValueType::Symbol => "symbol",
        ValueType::Function => "function",
        _ => "object",
    }
}

/// `value` checked against the core's spec of store argument `key` (`nodes`,
/// `ttl_ms`, `max_skew_ms`, `step`, `counter_step`, `floor`, `count`,
/// `servers`, `timeout_ms`, …): the value (a BigInt past 2^53 − 1), else
/// `invalid_argument` naming the parameter and its range.
#[napi(ts_args_type = "key: string, value: unknown", ts_return_type = "number | bigint")]
pub fn store_check_arg(env: Env, key: String, value: IntIn<'_>) -> Result<Either<f64, BigInt>> {
    // An unknown key is the core's error, before the value is looked at.
    let v = match args::spec_of(&key) {
        Some(spec) => integer(&env, value, spec)?,
        None => 0,
    };
    Ok(num(args::check(&key, v).map_err(|e| throw(&env, &e))?))
}

/// Leaf's compare-and-set fetch of `step` (the core's state machine): `read`
/// the counter, run the swap it answers, tell it whether the swap `won`.
#[napi]
pub struct CasLoop {
    inner: CoreCasLoop,
}

fn cas_step(s: CasStep) -> Vec<Part> {
    match s {
        CasStep::Swap { old, new } => parts("swap", &[old, new]),
        CasStep::Pause { us } => parts("pause", &[us]),
        CasStep::Done { start, end } => parts("done", &[start, end]),
    }
}

#[napi]
impl CasLoop {
    /// A fetch of `step` (the `step` spec: 1..=2^40).
    #[napi(constructor, ts_args_type = "step: number | bigint")]
    pub fn new(env: Env, step: IntIn<'_>) -> Result<Self> {
        let spec = args::spec_of("step").ok_or_else(|| bad(&env, ErrorCode::InvalidArgument, "step", "no spec"))?;
        let step = args::check("step", integer(&env, step, spec)?).map_err(|e| throw(&env, &e))?;
        Ok(CasLoop {
            inner: CoreCasLoop::new(step).map_err(|e| throw(&env, &e))?,
        })
    }

    /// The counter read (null: no such counter, thrown `store_state_lost`):
    /// `['swap', old, new]`.
    #[napi(
        ts_args_type = "current: number | bigint | string | null | undefined, subject?: { namespace?: string, node?: number, epoch?: number, bizTag?: string, biz_tag?: string } | null",
        ts_return_type = "[string, ...(number | bigint)[]]"
    )]
    pub fn read(&mut self, env: Env, current: CellIn<'_>, subject: Option<SubjectSpec>) -> Result<Vec<Part>> {
        let current = match current {
            None => None,
            some => match owned(&env, some)? {
                Owned::Int(i) => {
                    Some(u64::try_from(i).map_err(|_| bad(&env, ErrorCode::InvalidArgument, "current", "must not be negative"))?)
                }
                Owned::Text(t) => Some(
                    t.parse()
                        .map_err(|_| bad(&env, ErrorCode::InvalidArgument, "current", "must be a decimal integer"))?,
                ),
                _ => {
                    return Err(bad(
                        &env,
                        ErrorCode::InvalidType,
                        "current",
                        "must be an integer, a decimal string or null",
                    ))
                }
            },
        };
        let spec = subject.unwrap_or_else(no_subject);
        let subject = spec.subject(&env)?;
        Ok(cas_step(self.inner.read(current, &subject).map_err(|e| throw(&env, &e))?))
    }

    /// The swap's outcome (`unit`: a uniform draw in [0, 1)): `['done', start,
    /// end]` or `['pause', us]`; thrown `store_unavailable` after the last round.
    #[napi(
        ts_args_type = "won: boolean, unit: number, subject?: { namespace?: string, node?: number, epoch?: number, bizTag?: string, biz_tag?: string } | null",
        ts_return_type = "[string, ...(number | bigint)[]]"
    )]
    pub fn swapped(&mut self, env: Env, won: bool, unit: f64, subject: Option<SubjectSpec>) -> Result<Vec<Part>> {
        let spec = subject.unwrap_or_else(no_subject);
        let subject = spec.subject(&env)?;
        Ok(cas_step(self.inner.swapped(won, unit, &subject).map_err(|e| throw(&env, &e))?))
    }

    /// Rounds lost so far.
    #[napi(getter)]
    pub fn retries(&self) -> u32 {
        self.inner.retries()
    }
}

// ------------------------------------------------ the texts and their checks

/// Every store text the core holds for `engine` (`postgres`, `mysql`, `redis`), by name.
#[napi]
pub fn store_texts(env: Env, engine: String) -> Result<HashMap<String, String>> {
    let texts = idloom::stores::texts(&engine).ok_or_else(|| {
        throw(
            &env,
            &idloom::Error::reason(ErrorCode::InvalidArgument, "engine", "must be postgres, mysql or redis"),
        )
    })?;
    Ok(texts.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect())
}

/// A segment text with its table name checked and in place.
#[napi]
pub fn store_segment_sql(env: Env, text: String, table: String) -> Result<String> {
    idloom::stores::segment_sql(&text, &table).js(&env)
}

/// A sequence's create text for sequence `index` of `count` handing out
/// ranges of `step` from `floor` (the core's start and increment, checked).
#[napi]
pub fn store_sequence_sql(env: Env, text: String, name: String, step: f64, floor: f64, index: f64, count: f64) -> Result<String> {
    let n = |v: f64, param: &'static str| -> Result<u64> {
        if v.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&v) {
            Ok(v as u64)
        } else {
            Err(throw(
                &env,
                &idloom::Error::reason(ErrorCode::InvalidArgument, param, "must be a non-negative safe integer"),
            ))
        }
    };
    let (start, increment) =
        idloom::stores::sequence_numbers(n(step, "step")?, n(floor, "floor")?, n(index, "index")?, n(count, "count")?).js(&env)?;
    idloom::stores::sequence_sql(&text, &name, start, increment).js(&env)
}

/// Check a namespace name (1 to 64 of `A-Z a-z 0-9 _ . -`).
#[napi]
pub fn store_check_namespace(env: Env, namespace: String) -> Result<()> {
    idloom::stores::check_namespace(&namespace).js(&env)
}

/// Check a string a caller gives a store as input `kind` (`namespace`,
/// `biz_tag`, `holder`, `description`, `table`): the core's characters and
/// length, else `invalid_argument`.
#[napi]
pub fn store_check_input(env: Env, kind: String, value: String) -> Result<()> {
    idloom::inputs::check(&kind, &value).js(&env)
}

/// A store URL with its password shown as `***` (`scheme://user:***@host`,
/// `password=***`): what messages, `inspect` and the CLI show.
#[napi]
pub fn store_redact_url(url: String) -> String {
    idloom::secrets::redact_url(&url)
}

/// `text` (a message, a driver's error) with `url` redacted and its
/// password removed wherever it appears.
#[napi]
pub fn store_redact(text: String, url: String) -> String {
    idloom::secrets::redact(&text, &url)
}

/// What a MySQL URL's `ssl-mode` (null: absent) and `ssl-ca` ask for:
/// `DISABLED`, `REQUIRED`, `VERIFY_CA` or `VERIFY_IDENTITY` (the core decides).
#[napi]
pub fn store_mysql_tls(env: Env, ssl_mode: Option<String>, has_ca: bool) -> Result<&'static str> {
    Ok(idloom::tls::mysql_mode(ssl_mode.as_deref(), has_ca).js(&env)?.name())
}

/// The core's node count of a namespace on `engine` with the layout `spec`:
/// `nodes` checked (`invalid_argument` naming the range), or the default
/// (1,024, at most the layout's node count) when absent.
#[napi]
pub fn store_namespace_nodes(env: Env, engine: String, spec: LayoutSpec, nodes: Option<f64>) -> Result<f64> {
    let nodes = match nodes {
        None => None,
        Some(v) if v.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&v) => Some(v as u64),
        Some(_) => {
            return Err(throw(
                &env,
                &idloom::Error::reason(ErrorCode::InvalidArgument, "nodes", "must be a non-negative safe integer"),
            ))
        }
    };
    Ok(idloom::stores::namespace_nodes(&engine, &spec.layout(&env)?, nodes).js(&env)? as f64)
}

/// The record of a layout a namespace keeps.
#[napi]
pub fn store_layout_record(env: Env, spec: LayoutSpec) -> Result<String> {
    Ok(idloom::stores::layout_record(&spec.layout(&env)?))
}

/// The core's check of a Redis counter's floor for ranges of `step` (Lua
/// computes in doubles: below 2^53 − 1 − step, else `invalid_range`).
#[napi]
pub fn store_redis_counter_floor(env: Env, floor: f64, step: f64) -> Result<f64> {
    // Any non-negative integer (a floor past 2^53 is what the core refuses by range).
    let n = |v: f64, param: &'static str| -> Result<u64> {
        if v.fract() == 0.0 && v >= 0.0 {
            Ok(v as u64)
        } else {
            Err(throw(
                &env,
                &idloom::Error::reason(ErrorCode::InvalidArgument, param, "must be a non-negative integer"),
            ))
        }
    };
    let floor = n(floor, "floor")?;
    let step = n(step, "step")?;
    Ok(idloom::stores::redis::check_counter_floor(floor, step).js(&env)? as f64)
}

/// Redis keys: `ns` (a namespace's record) or `counter` (a segment counter).
#[napi]
pub fn store_redis_key(env: Env, kind: String, name: String) -> Result<String> {
    match kind.as_str() {
        "ns" => {
            idloom::stores::check_namespace(&name).js(&env)?;
            Ok(idloom::stores::redis::namespace_key(&name))
        }
        _ => {
            idloom::inputs::biz_tag(&name).js(&env)?;
            Ok(idloom::stores::redis::counter_key(&name))
        }
    }
}
