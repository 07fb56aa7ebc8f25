// worker_threads on leases: workers of one process share the process's lease
// (NodeLease.share() → new Snowflake({ sharedLease })) and never repeat each
// other, its renewals carry them and its release ends them; or each worker
// leases a node of its own. On the real PostgreSQL and Redis.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Snowflake } from '../lib/index.mjs';
import { PostgresStore, RedisStore } from '../lib/stores.mjs';

const PG = process.env.IDLOOM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.IDLOOM_REDIS ?? 'redis://127.0.0.1:6379/';
const unique = (tag) => `jsw${tag}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
const code = (c) => (e) => e.code === c;
test.after(() => setTimeout(() => process.exit(0), 50).unref());

const worker = (data) => new Worker(new URL('./lease-worker.mjs', import.meta.url), { workerData: data });
/** The messages a worker posts, in order, until it exits. */
function messages(w, want) {
  return new Promise((resolve, reject) => {
    const got = [];
    w.on('message', (m) => {
      got.push(m);
      if (got.length === want) resolve(got);
    });
    w.on('error', reject);
    w.on('exit', (c) => (got.length < want ? reject(new Error(`worker exited ${c} after ${got.length} messages`)) : null));
  });
}

for (const [engine, url] of [['postgres', PG], ['redis', REDIS]]) {
  test(`${engine}: 4 worker threads share one lease: no duplicate, one node, renewals carry them, release ends them`, async () => {
    const store = engine === 'postgres' ? await PostgresStore.fromUrl(url) : await RedisStore.fromUrl(url);
    const ns = unique('share');
    await store.initNamespace(ns, { nodes: 4, ttlMs: 900, maxSkewMs: 200, fresh: true });
    const lease = await store.leaseNode(ns);
    assert.throws(() => lease.share(), code('invalid_argument'), 'no generator yet');
    const gen = new Snowflake({ lease });
    const token = lease.share();
    const workers = Array.from({ length: 4 }, () => worker({ mode: 'share', token, count: 30_000 }));
    const runs = workers.map((w) => messages(w, 2));
    const mine = Array.from({ length: 30_000 }, () => gen.next());
    const firsts = await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
    const all = [...mine, ...firsts.flatMap((m) => Array.from(m.ids, (i) => BigInt.asUintN(64, i)))];
    assert.equal(new Set(all).size, 150_000, 'no duplicate across the threads');
    assert.ok(all.every((i) => gen.decode(i).node === lease.node));
    // The workers keep minting across renewals, until the release.
    const fence = lease.fenceMs;
    while (lease.renewals < 2) await new Promise((r) => setTimeout(r, 20));
    assert.ok(lease.fenceMs > fence && lease.error === null);
    const high = await lease.release();
    const ends = (await Promise.all(runs)).map((m) => m[1]);
    for (const e of ends) assert.equal(e.end, 'lease_lost');
    assert.ok(ends.some((e) => e.after > 0), 'the workers minted past the first renewal');
    assert.ok(high >= all.reduce((m, i) => Math.max(m, gen.decode(i).timestampMs), 0) + 1);
    // A token whose lease was released mints nothing.
    assert.throws(() => new Snowflake({ sharedLease: token }).next(), code('lease_lost'));
  });

  test(`${engine}: worker threads that lease nodes of their own get different nodes`, async () => {
    const store = engine === 'postgres' ? await PostgresStore.fromUrl(url) : await RedisStore.fromUrl(url);
    const ns = unique('own');
    await store.initNamespace(ns, { nodes: 3, ttlMs: 5000, maxSkewMs: 500, fresh: true });
    const ws = Array.from({ length: 3 }, () => worker({ mode: 'own', url, namespace: ns, count: 5000 }));
    const got = await Promise.all(ws.map((w) => messages(w, 1)));
    for (const w of ws) w.postMessage('release');
    assert.deepEqual(new Set(got.map(([m]) => m.node)), new Set([0, 1, 2]));
    const all = got.flatMap(([m]) => Array.from(m.ids));
    assert.equal(new Set(all).size, 15_000);
  });
}

test('a shared lease refuses options of its own, another process, and anything not a token', async () => {
  const store = await RedisStore.fromUrl(REDIS);
  const ns = unique('bad');
  await store.initNamespace(ns, { nodes: 1, ttlMs: 5000, maxSkewMs: 500, fresh: true });
  const lease = await store.leaseNode(ns);
  new Snowflake({ lease });
  const token = lease.share();
  assert.throws(() => new Snowflake({ sharedLease: token, node: 1 }), (e) => e instanceof RangeError && e.code === 'invalid_argument' && /no node/.test(e.message));
  assert.throws(() => new Snowflake({ sharedLease: token, backwards: 'fail' }), code('invalid_argument'));
  assert.throws(() => new Snowflake({ sharedLease: { ...token, pid: process.pid + 1 } }), code('invalid_argument'));
  assert.throws(() => new Snowflake({ sharedLease: 7 }), (e) => e instanceof TypeError && e.code === 'invalid_type');
  assert.throws(() => new Snowflake({ sharedLease: { ...token, idloomSharedLease: 99_999 } }), code('lease_lost'));
  const a = new Snowflake({ sharedLease: token });
  assert.equal(a.decode(a.next()).node, lease.node);
  await lease.release();
});
