// Node: compile the module from the file next to the glue, synchronously.
import { readFileSync } from 'node:fs';
import * as wasm from '../glue/idloom_wasm.js';
import { adapt } from './adapter.mjs';
import { install } from './native.mjs';

wasm.initSync({ module: readFileSync(new URL('../glue/idloom_wasm_bg.wasm', import.meta.url)) });
install(adapt(wasm));
