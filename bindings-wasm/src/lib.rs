//! The WebAssembly half of idloom for browsers, Cloudflare Workers and Node.
//!
//! Thin: the exports take and return exactly what the napi-rs addon's do
//! (`bindings-node/src/`, the same names, layout specs and options as
//! objects, records as objects, handles with the same methods), so the
//! shared `js/` layer calls either one with no adapter in between. The
//! module map is the core's and the other bindings': layout, snowflake,
//! segment, uuid, nanoid, objectid, encoding, mask, lease, stores, inputs, errors.
//!
//! Host facts this crate respects: nothing draws randomness or reads the
//! clock at import (Workers refuse randomness at module scope); time is
//! `Date.now()`, which deployed Workers freeze between I/O, so waits are
//! bounded by the core and borrowing ahead is bounded by the policy; there
//! is no thread to sleep on, so a clock never sleeps.
//!
//! `no_std` on wasm32: std's panic and formatting machinery was a quarter of
//! the module. A panic (a bug: every bad input is a typed error) traps, as
//! it did with std on this target.
#![deny(unsafe_code)] // no unsafe of our own: wasm-bindgen and js_sys carry it
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

/// A JS object the exports take, read field by field (what the addon's
/// `#[napi(object)]` arguments are): `Name { rust_name: Type = jsName, … }`
/// declares the type and one getter per field.
macro_rules! js_object {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty = $js:ident),* $(,)? }) => {
        #[wasm_bindgen]
        extern "C" {
            $(#[$doc])*
            pub type $name;
            $(
                $(#[$fdoc])*
                #[wasm_bindgen(method, getter, js_name = $js)]
                fn $field(this: &$name) -> $ty;
            )*
        }
    };
}

mod encoding;
mod errors;
mod events;
mod inputs;
#[cfg(feature = "kv")]
mod kvcall;
mod layout;
#[cfg(feature = "coord")]
mod lease;
mod mask;
mod nanoid;
mod objectid;
mod segment;
mod snowflake;
#[cfg(feature = "coord")]
mod stores;
mod uuid;

use idloom::Clock;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// Talc instead of std's dlmalloc: the same job in less code (single-threaded wasm).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic traps: the JS caller sees `RuntimeError: unreachable`.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// `Date.now()`: the host's clock. It cannot sleep, so bounded waits poll it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsClock;

impl Clock for JsClock {
    #[inline]
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }
}

/// A record as a plain object (what the addon's `#[napi(object)]` returns);
/// a field of `undefined` is left out, as the addon leaves out a `None`.
pub(crate) fn record(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields.iter().filter(|(_, v)| !v.is_undefined()) {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// A number, or `null` for none (the addon's `Option<f64>`).
pub(crate) fn number_or_null(v: Option<f64>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from_f64)
}
