// Entry for browser: install the wasm half, then the shared API.
import './lib/install-browser.mjs';
export * from './lib/api.mjs';
