// The host-agnostic half of coordination under the one name idloom-wasm's
// Durable Object module (bindings-wasm/js/workers-do.mjs) imports: the lease,
// the store base, the group and the store argument checks, each defined in
// its own module (lease.mjs, stores/store.mjs, stores/group.mjs, args.mjs).
export { NodeLease } from './lease.mjs';
export { Store } from './stores/store.mjs';
export { SegmentGroup } from './stores/group.mjs';
export { arg, input, int, str } from './args.mjs';

/** @typedef {import('./stores/store.mjs').Namespace} Namespace */
