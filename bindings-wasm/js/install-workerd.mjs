// Cloudflare Workers (workerd): the runtime imports the .wasm as a compiled
// WebAssembly.Module; instantiating it draws no randomness.
import * as wasm from '../glue/idloom_wasm.js';
import module from '../glue/idloom_wasm_bg.wasm';
import { install } from './native.mjs';

wasm.initSync({ module });
install(wasm);
