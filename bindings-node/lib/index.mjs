// ESM entry under Node: install the addon, then the shared API.
import './node-native.mjs';
export * from './api.mjs';
