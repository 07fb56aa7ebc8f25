// Entry for idloom-wasm/stores under Node: the stores module (coordination, ZooKeeper and etcd calls), the shared API,
// and the stores over your pg, mysql2, ioredis or node-redis objects.
import './lib/index.mjs';
export * from './lib/api.mjs';
export * from './lib/stores.mjs';
