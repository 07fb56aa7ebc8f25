// The store protocol replay (tests/vectors/store_protocol.json) and the real
// drivers' failures, on the wasm coordination build: the same test file as
// the addon's (bindings-node/test-stores/protocol.test.mjs), run here with
// IDLOOM_IMPL=wasm — the wasm exports have the addon's names and shapes.
process.env.IDLOOM_IMPL = 'wasm';
await import('../../bindings-node/test-stores/protocol.test.mjs');
