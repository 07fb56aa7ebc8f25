// The implementation under test for the store suites that run on both: the
// napi-rs addon with idloom/stores (IDLOOM_IMPL=native, the default), or the
// wasm package's idloom-wasm/stores (IDLOOM_IMPL=wasm: the coord module under
// Node, the same shared JS layer, js/stores.mjs and js/lease.mjs, over it).
export const implName = process.env.IDLOOM_IMPL ?? 'native';
const entries = {
  native: [new URL('../lib/index.mjs', import.meta.url), new URL('../lib/stores.mjs', import.meta.url)],
  wasm: [new URL('../../bindings-wasm/pkg/stores.mjs', import.meta.url)],
};
if (!(implName in entries)) throw new Error(`IDLOOM_IMPL must be one of ${Object.keys(entries).join(', ')}, got ${implName}`);
const parts = [];
for (const url of entries[implName]) parts.push(await import(url.href));
export const idloom = Object.assign({}, ...parts);
