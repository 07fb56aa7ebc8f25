// Entry for workerd: install the wasm half, then the shared API.
import './lib/install-workerd.mjs';
export * from './lib/api.mjs';
