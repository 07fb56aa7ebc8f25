// idloom/stores: node leases and segment ranges on the stores you already
// run, through your own driver objects — a pg Pool or Client (PostgreSQL),
// a mysql2 promise pool (MariaDB/MySQL), an ioredis or node-redis client
// (Redis), a node-zookeeper-client Client (ZooKeeper) and an etcd3 Etcd3
// (etcd). ZooKeeper and etcd run the core's one state machine for them
// (native.KvCall, driven by stores/kv.mjs). Every statement is one of the core's texts (the same ones the Rust
// and Python tests prove on the real servers); the engines in stores/ only
// run them. The protocol around them is the core's too (idloom::stores):
// every answer is read by native.storeRead, every driver failure named
// (SQLSTATE, MySQL errno, Redis reply, or no answer) and classified by
// native.storeClassify, every number bounded by native.storeCheckArg, and
// Leaf's compare-and-set loop is native.CasLoop (the lease schedule is
// lease.mjs and the group stores/group.mjs, shared with idloom-wasm). No
// driver is imported unless you call fromUrl().
import './index.mjs'; // installs the native half first (the package's entry)

export { redactStoreUrl } from './stores/common.mjs';
export { guardRefused } from './stores/leaf.mjs';
export { PostgresStore } from './stores/postgres.mjs';
export { RedisStore } from './stores/redis.mjs';
export { MySQLStore } from './stores/mysql.mjs';
export { ZooKeeperStore } from './stores/zookeeper.mjs';
export { EtcdStore } from './stores/etcd.mjs';
export { NodeLease } from './lease.mjs';
export { SegmentGroup } from './stores/group.mjs';

/** @typedef {import('./stores/store.mjs').Namespace} Namespace */
