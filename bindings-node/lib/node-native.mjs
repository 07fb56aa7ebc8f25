// Under Node, the native half is the napi-rs addon (loaded by the loader
// that `napi build` writes next to it), with Node's parts (host-node.mjs).
import { createRequire } from 'node:module';
import { install } from './native.mjs';
import { nodeHost } from './host-node.mjs';

install(createRequire(import.meta.url)('../native/index.js'), nodeHost);
