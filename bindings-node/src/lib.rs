//! The native half of the npm package `idloom`. Thin: argument conversion,
//! host clock, error mapping. `js/api.mjs` (the shared JS layer, copied into `lib/`) wraps it in the public API
//! (through `lib/node-native.mjs`; `lib/index.mjs` and `lib/index.js` are the entries).
//!
//! Cost per call decides the shape: a napi-rs call that takes any argument
//! costs ~250 ns here, one without arguments ~55 ns. So each snowflake hands
//! JavaScript its own argument-free native closures (`next`, `nextString`),
//! and only batch and rare calls take arguments.
// Unsafe only where napi's trait demands it (uuid.rs: Latin-1 strings), each block with its SAFETY note.
#![deny(unsafe_code)]

mod encoding;
mod errors;
mod events;
mod kvcall;
mod layout;
mod lease;
mod mask;
mod nanoid;
mod objectid;
mod segment;
mod snowflake;
mod state;
mod stores;
mod uuid;

use napi::bindgen_prelude::{Env, Function, FunctionCallContext, JsObjectValue, Object, Result, ToNapiValue};

/// Set `obj[name]` to a native closure: the handles JavaScript gets are
/// objects of these (a closure call costs less than a class method's).
fn method<R, F>(env: &Env, obj: &mut Object<'_>, name: &str, f: F) -> Result<()>
where
    R: ToNapiValue,
    F: 'static + Fn(FunctionCallContext) -> Result<R>,
{
    let f: Function<(), R> = env.create_function_from_closure(name, f)?;
    obj.set_named_property(name, f)
}
