//! Layouts: a spec is the JS `Layout.spec` object
//! (`{ timeBits, nodeBits, sequenceBits, epochMs, tickMs, order }`), as the
//! addon takes it; records come back as objects.

use crate::errors::{IntoJs, Out};
use crate::record;
use alloc::string::{String, ToString};
use idloom::names::Named;
use idloom::{FieldOrder, Layout};
use wasm_bindgen::prelude::*;

js_object! {
    /// A layout as plain numbers and an order name (the JS `Layout.spec`).
    LayoutSpec {
        time_bits: u32 = timeBits, node_bits: u32 = nodeBits, sequence_bits: u32 = sequenceBits,
        epoch_ms: f64 = epochMs, tick_ms: f64 = tickMs, order: String = order,
    }
}

impl LayoutSpec {
    /// The core's layout of the spec (checked).
    pub(crate) fn layout(&self) -> Out<Layout> {
        let order = FieldOrder::from_name(&self.order()).js()?;
        // The JS wrapper has checked that epochMs and tickMs are safe non-negative integers.
        Layout::with_order(
            self.time_bits(),
            self.node_bits(),
            self.sequence_bits(),
            self.epoch_ms() as u64,
            self.tick_ms() as u64,
            order,
        )
        .js()
    }
}

/// A preset by name, as a spec object.
#[wasm_bindgen(js_name = layoutPreset)]
pub fn layout_preset(name: &str) -> Out<JsValue> {
    let l = Layout::preset_named(name).js()?;
    Ok(record(&[
        ("timeBits", l.time_bits().into()),
        ("nodeBits", l.node_bits().into()),
        ("sequenceBits", l.sequence_bits().into()),
        ("epochMs", (l.epoch_ms() as f64).into()),
        ("tickMs", (l.tick_ms() as f64).into()),
        ("order", l.order().name().into()),
    ]))
}

/// Validate a layout (throws `invalid_layout`).
#[wasm_bindgen(js_name = layoutCheck)]
pub fn layout_check(spec: &LayoutSpec) -> Out<()> {
    spec.layout().map(drop)
}

/// `{ idsPerTick, idsPerSecondPerNode, nodes, runsOutAtMs, leavesJsSafeAtMs? }`.
#[wasm_bindgen(js_name = layoutCapacity)]
pub fn layout_capacity(spec: &LayoutSpec) -> Out<JsValue> {
    let c = spec.layout()?.capacity();
    Ok(record(&[
        ("idsPerTick", (c.ids_per_tick as f64).into()),
        ("idsPerSecondPerNode", (c.ids_per_second_per_node as f64).into()),
        ("nodes", (c.nodes as f64).into()),
        ("runsOutAtMs", (c.runs_out_at_ms as f64).into()),
        (
            "leavesJsSafeAtMs",
            c.leaves_js_safe_at_ms.map_or(JsValue::UNDEFINED, |v| (v as f64).into()),
        ),
    ]))
}

/// `{ timestampMs, tick, node, sequence }` of an ID.
#[wasm_bindgen(js_name = layoutDecompose)]
pub fn layout_decompose(spec: &LayoutSpec, id: u64) -> Out<JsValue> {
    let p = spec.layout()?.decompose(id).js()?;
    Ok(record(&[
        ("timestampMs", (p.timestamp_ms as f64).into()),
        ("tick", (p.tick as f64).into()),
        ("node", (p.node as f64).into()),
        ("sequence", (p.sequence as f64).into()),
    ]))
}

/// An ID from Unix milliseconds, node and sequence.
#[wasm_bindgen(js_name = layoutCompose)]
pub fn layout_compose(spec: &LayoutSpec, timestamp_ms: u64, node: u64, sequence: u64) -> Out<u64> {
    spec.layout()?.compose(timestamp_ms, node, sequence).js()
}

/// The friendly form of an ID.
#[wasm_bindgen(js_name = layoutFriendly)]
pub fn layout_friendly(spec: &LayoutSpec, id: u64) -> Out<String> {
    Ok(spec.layout()?.friendly(id).js()?.to_string())
}

/// The ID of a friendly string.
#[wasm_bindgen(js_name = layoutParseFriendly)]
pub fn layout_parse_friendly(spec: &LayoutSpec, text: &str) -> Out<u64> {
    spec.layout()?.parse_friendly(text).js()
}
