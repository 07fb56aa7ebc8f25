// Under Node, the native half is the napi-rs addon (loaded by the loader
// that `napi build` writes next to it).
import { createRequire } from 'node:module';
import { install } from './native.mjs';

install(createRequire(import.meta.url)('../native/index.js'));
