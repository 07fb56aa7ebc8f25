// Browsers and bundlers: fetch and instantiate the module next to the glue.
import init, * as wasm from '../glue/idloom_wasm.js';
import { install } from './native.mjs';

await init({ module_or_path: new URL('../glue/idloom_wasm_bg.wasm', import.meta.url) });
install(wasm);
