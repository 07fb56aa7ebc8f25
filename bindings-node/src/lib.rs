//! The native half of the npm package `idloom`. Thin: argument conversion,
//! host clock, error mapping. `lib/api.mjs` wraps it in the public API
//! (through `lib/node-native.mjs`; `lib/index.mjs` and `lib/index.js` are the entries).
//!
//! Cost per call decides the shape: a napi-rs call that takes any argument
//! costs ~250 ns here, one without arguments ~55 ns. So each snowflake hands
//! JavaScript its own argument-free native closures (`next`, `nextString`),
//! and only batch and rare calls take arguments.
// Unsafe only where napi's trait demands it (uuid.rs: Latin-1 strings), each block with its SAFETY note.
#![deny(unsafe_code)]

mod codec;
mod coord;
mod errors;
mod objectid;
mod segment;
mod snowflake;
mod stores;
mod uuid;
