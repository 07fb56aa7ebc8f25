// Entry for idloom-wasm/workers (Cloudflare Workers): the coord module, the
// shared API, and node leases and segments from a Durable Object. Import
// every name from here in a Worker that uses them (one module per isolate).
import './lib/install-workerd-coord.mjs';
export * from './lib/api.mjs';
export { NodeLease } from './lib/lease.mjs';
export { SegmentGroup } from './lib/stores/group.mjs';
export * from './lib/workers-do.mjs';
