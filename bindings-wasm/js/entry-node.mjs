// Entry for node: install the wasm half, then the shared API.
import './lib/install-node.mjs';
export * from './lib/api.mjs';
