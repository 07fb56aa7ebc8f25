//! Layouts: a spec is the JS `Layout.spec` object
//! (`{ timeBits, nodeBits, sequenceBits, epochMs, tickMs, order }`);
//! records come back as objects. The wasm build takes and returns the same
//! (`bindings-wasm/src/layout.rs`).

use crate::errors::{u64_of, IntoJs};
use idloom::names::Named;
use idloom::{ErrorCode, FieldOrder, Layout};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A layout as plain numbers (the JS `Layout` carries one).
#[napi(object)]
#[derive(Clone)]
pub struct LayoutSpec {
    pub time_bits: u32,
    pub node_bits: u32,
    pub sequence_bits: u32,
    pub epoch_ms: f64,
    pub tick_ms: f64,
    pub order: String,
}

impl LayoutSpec {
    fn from_layout(l: &Layout) -> Self {
        LayoutSpec {
            time_bits: l.time_bits(),
            node_bits: l.node_bits(),
            sequence_bits: l.sequence_bits(),
            epoch_ms: l.epoch_ms() as f64,
            tick_ms: l.tick_ms() as f64,
            order: l.order().name().into(),
        }
    }

    pub(crate) fn layout(&self, env: &Env) -> Result<Layout> {
        let order = FieldOrder::from_name(&self.order).js(env)?;
        // The JS wrapper has checked that epochMs and tickMs are safe non-negative integers.
        Layout::with_order(
            self.time_bits,
            self.node_bits,
            self.sequence_bits,
            self.epoch_ms as u64,
            self.tick_ms as u64,
            order,
        )
        .js(env)
    }
}

/// A preset by name.
#[napi]
pub fn layout_preset(env: &Env, name: String) -> Result<LayoutSpec> {
    Ok(LayoutSpec::from_layout(&Layout::preset_named(&name).js(env)?))
}

/// Validate a layout (throws `invalid_layout`).
#[napi]
pub fn layout_check(env: &Env, spec: LayoutSpec) -> Result<()> {
    spec.layout(env).map(drop)
}

/// A layout's capacity report.
#[napi(object)]
pub struct Capacity {
    pub ids_per_tick: f64,
    pub ids_per_second_per_node: f64,
    pub nodes: f64,
    pub runs_out_at_ms: f64,
    pub leaves_js_safe_at_ms: Option<f64>,
}

/// Rates, node count and the dates the layout runs out.
#[napi]
pub fn layout_capacity(env: &Env, spec: LayoutSpec) -> Result<Capacity> {
    let c = spec.layout(env)?.capacity();
    Ok(Capacity {
        ids_per_tick: c.ids_per_tick as f64,
        ids_per_second_per_node: c.ids_per_second_per_node as f64,
        nodes: c.nodes as f64,
        runs_out_at_ms: c.runs_out_at_ms as f64,
        leaves_js_safe_at_ms: c.leaves_js_safe_at_ms.map(|v| v as f64),
    })
}

/// The parts of an ID.
#[napi(object)]
pub struct Parts {
    pub timestamp_ms: f64,
    pub tick: f64,
    pub node: f64,
    pub sequence: f64,
}

/// Take an ID apart.
#[napi]
pub fn layout_decompose(env: &Env, spec: LayoutSpec, id: BigInt) -> Result<Parts> {
    let layout = spec.layout(env)?;
    let id = u64_of(env, &id, "id", ErrorCode::IdOutOfRange, layout.max_id())?;
    let p = layout.decompose(id).js(env)?;
    Ok(Parts {
        timestamp_ms: p.timestamp_ms as f64,
        tick: p.tick as f64,
        node: p.node as f64,
        sequence: p.sequence as f64,
    })
}

/// Put an ID together from Unix milliseconds, node and sequence.
#[napi]
pub fn layout_compose(env: &Env, spec: LayoutSpec, timestamp_ms: BigInt, node: BigInt, sequence: BigInt) -> Result<u64> {
    let layout = spec.layout(env)?;
    let ts = u64_of(env, &timestamp_ms, "timestamp_ms", ErrorCode::TimestampOutOfRange, u64::MAX)?;
    let node = u64_of(env, &node, "node", ErrorCode::NodeOutOfRange, layout.max_node())?;
    let seq = u64_of(env, &sequence, "sequence", ErrorCode::SequenceOutOfRange, layout.max_sequence())?;
    layout.compose(ts, node, seq).js(env)
}

/// The friendly form `yyyyMMddHHmmssSSS-node-sequence`.
#[napi]
pub fn layout_friendly(env: &Env, spec: LayoutSpec, id: BigInt) -> Result<String> {
    let layout = spec.layout(env)?;
    let id = u64_of(env, &id, "id", ErrorCode::IdOutOfRange, layout.max_id())?;
    Ok(layout.friendly(id).js(env)?.to_string())
}

/// The ID of a friendly string (strict).
#[napi]
pub fn layout_parse_friendly(env: &Env, spec: LayoutSpec, text: String) -> Result<u64> {
    spec.layout(env)?.parse_friendly(&text).js(env)
}
