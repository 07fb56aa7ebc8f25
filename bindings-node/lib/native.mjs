// The native half, installed by the entry module before `api.mjs` runs: the
// napi-rs addon under Node, the wasm-bindgen build elsewhere. Both expose
// the same functions, so the public API in `api.mjs` is written once.

/** @type {any} */
export let native = null;

/**
 * Install the native half (the entry module calls this first).
 * @param {any} impl
 */
export function install(impl) {
  native = impl;
}
