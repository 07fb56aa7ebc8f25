// Node, with coordination (idloom-wasm/stores): compile the stores module (coordination and the
// ZooKeeper and etcd calls) from the file next to its glue, synchronously.
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import * as wasm from '../glue-stores/idloom_wasm.js';
import { install } from './native.mjs';
import { nodeHost } from './host-node.mjs';

wasm.initSync({ module: readFileSync(new URL('../glue-stores/idloom_wasm_bg.wasm', import.meta.url)) });
// A worker thread gets a wasm instance (and node registry) of its own: the
// API refuses snowflakes there unless the caller vouches for the node.
install({ ...wasm, registryPerInstance: !isMainThread }, nodeHost);
