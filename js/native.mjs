// The native half, installed by the entry module: the napi-rs addon under
// Node, the wasm-bindgen build elsewhere. Both expose the same functions, so
// the public API in `api.mjs` is written once. A browser entry installs it
// after an `await` (instantiating the .wasm), and ES modules that do not
// import the installer may run first, so `api.mjs` defers what it computes
// at import with `whenInstalled`.

/** @type {any} */
export let native = null;

/**
 * What the host adds beside the native half (Node: `host-node.mjs`):
 * `EventEmitter` (the base of leases and segments), `channel` (the
 * diagnostics_channel events are published on), `warn`. Empty elsewhere.
 * @type {{ EventEmitter?: any, channel?: any, warn?: (text: string) => void }}
 */
export let host = {};

/** @type {(() => void)[]} */
const pending = [];

/**
 * Install the native half (the entry module calls this first), and what the host adds.
 * @param {any} impl
 * @param {typeof host} [parts]
 */
export function install(impl, parts = {}) {
  if (native !== null && native !== impl) {
    // Two wasm instances would keep two node registries: two generators on
    // one node could repeat each other. (idloom-wasm and idloom-wasm/workers
    // or /stores are two modules; a program uses one.)
    throw Object.assign(new Error('idloom: a second implementation was loaded; import every name from one entry (idloom-wasm, idloom-wasm/workers or idloom-wasm/stores)'), { code: 'node_in_use' });
  }
  if (native === null) host = parts;
  native = impl;
  for (const f of pending.splice(0)) f();
}

/**
 * Run `f` once the native half is installed (at once if it is).
 * @param {() => void} f
 */
export function whenInstalled(f) {
  if (native !== null) f();
  else pending.push(f);
}
