// Cloudflare Workers with coordination (idloom-wasm/workers): the runtime imports the .wasm as a compiled
// WebAssembly.Module; instantiating it draws no randomness.
import * as wasm from '../glue-coord/idloom_wasm.js';
import module from '../glue-coord/idloom_wasm_bg.wasm';
import { install } from './native.mjs';

wasm.initSync({ module });
install(wasm);
