// A lease's events on the real stores, in the core's words and order: acquired,
// renewed, a renewal failed (no answer), lost (another holder took the node
// while this one was cut off), released with its high-water — emitted on the
// lease, counted by stats(); and store_identity_changed once after the
// namespace's recorded identity stops matching the server's (PostgreSQL,
// Redis; MariaDB has no identity to compare).
import test from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { idloom } from './impl.mjs';
import { MYSQL, PG, REDIS, sleep, uniqueName, waitFor } from './support.mjs';

const { Snowflake, MySQLStore, PostgresStore, RedisStore, _idloomError } = idloom;
const open = { postgres: () => PostgresStore.fromUrl(PG), mysql: () => MySQLStore.fromUrl(MYSQL), redis: () => RedisStore.fromUrl(REDIS) };
const unique = (tag) => uniqueName('jsev', tag);
test.after(() => setTimeout(() => process.exit(0), 50).unref()); // pools and clients hold sockets

for (const engine of ['postgres', 'mysql', 'redis']) {
  test(`${engine}: a lease's life is its events: acquired, renewed, renewal failed, lost; the next holder's released`, async () => {
    const store = await open[engine]();
    const ns = unique('life');
    await store.initNamespace(ns, { nodes: 1, ttlMs: 300, maxSkewMs: 100, fresh: true });
    const a = await store.leaseNode(ns, { holder: 'a' });
    assert.ok(a instanceof EventEmitter);
    const seen = [];
    a.on('event', (name, facts) => seen.push([name, facts]));
    // lease_acquired was reported before the caller could listen: counted all the same.
    assert.equal(a.stats().lease_acquired, 1);
    await waitFor(() => a.stats().lease_renewed >= 1);
    assert.deepEqual(seen[0], ['lease_renewed', { node: a.node, epoch: a.epoch, fenceMs: seen[0][1].fenceMs }]);
    assert.ok(seen[0][1].fenceMs <= a.fenceMs);
    // Cut off from the store: renewals get no answer, then another holder takes the node.
    const realRenew = store._renew.bind(store);
    let cut = true;
    store._renew = async (...args) => {
      if (cut) throw _idloomError('store_unavailable', 'test: cut off');
      return realRenew(...args);
    };
    await waitFor(() => a.stats().lease_renewal_failed >= 1);
    const failed = seen.find(([n]) => n === 'lease_renewal_failed')[1];
    assert.equal(failed.code, 'store_unavailable');
    assert.ok(failed.inMs > 0);
    const gen = new Snowflake({ lease: a });
    while (a.fenceMs > Date.now()) await sleep(20);
    await sleep(350); // past the TTL on the store's clock
    const b = await store.leaseNode(ns, { holder: 'b' });
    cut = false;
    await waitFor(() => a.state === 'lost');
    assert.throws(() => gen.next(), (e) => e.code === 'lease_lost');
    const lost = seen.filter(([n]) => n === 'lease_lost');
    assert.equal(lost.length, 1);
    assert.deepEqual(lost[0][1], { node: a.node, epoch: a.epoch, fenceMs: a.fenceMs, code: 'lease_lost' });
    assert.equal(a.stats().lease_lost, 1);
    store._renew = realRenew;
    // b mints, then releases: lease_released with the high-water, once the store has it.
    const released = new Promise((resolve) => b.once('lease_released', resolve));
    new Snowflake({ lease: b }).next();
    const hw = await b.release();
    assert.deepEqual(await released, { node: b.node, epoch: b.epoch, fenceMs: hw });
    assert.equal(b.stats().lease_released, 1);
    assert.equal(b.stats().store_identity_changed, 0);
    await store.close?.();
  });
}

/** Overwrite the identity the namespace recorded, as a restore from another server would leave it. */
const forget = {
  async postgres(ns) {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    const r = await c.query("UPDATE idloom_namespace SET store_identity = 'a restored backup' WHERE namespace = $1", [ns]);
    await c.end();
    assert.equal(r.rowCount, 1);
  },
  async redis(ns) {
    const { default: Redis } = await import('ioredis');
    const c = new Redis(REDIS);
    assert.equal(await c.hset(`{idloom:${ns}}:ns`, 'run_id', 'a server before a restart'), 0);
    c.disconnect();
  },
};

for (const engine of ['postgres', 'redis']) {
  test(`${engine}: a store under another identity is store_identity_changed, once, before the grant`, async () => {
    const store = await open[engine]();
    const ns = unique('identity');
    await store.initNamespace(ns, { nodes: 2, ttlMs: 5000, maxSkewMs: 1000, fresh: true });
    const first = await store.leaseNode(ns);
    assert.equal(first.stats().store_identity_changed, 0);
    await forget[engine](ns);
    const second = await store.leaseNode(ns);
    assert.equal(second.stats().store_identity_changed, 1);
    assert.ok(second.startMs >= first.fenceMs, 'the floor rose above the first holder\'s fence');
    const third = await store.leaseNode(ns).catch((e) => e);
    // Two nodes: the third acquire finds none free; either way it reports no second change.
    if (!(third instanceof Error)) {
      assert.equal(third.stats().store_identity_changed, 0);
      await third.release();
    }
    await second.release();
    // first is from before the change: its start is below the raised floor, so the store refuses its release.
    await assert.rejects(first.release(), (e) => e.code === 'lease_lost');
    await store.close?.();
  });
}

for (const engine of ['postgres', 'redis']) {
  test(`${engine}: a live lease's renewal that meets another identity is refused; the next acquire reports it, once`, async () => {
    const store = await open[engine]();
    const ns = unique('identr');
    await store.initNamespace(ns, { nodes: 2, ttlMs: 600, maxSkewMs: 200, fresh: true });
    const lease = await store.leaseNode(ns);
    const changed = [];
    lease.on('store_identity_changed', (facts) => changed.push(facts));
    await forget[engine](ns);
    await waitFor(() => lease.state === 'lost' && lease.stats().lease_lost === 1); // a renewal every 200 ms
    assert.equal(changed.length, 0, 'a refused renewal reports nothing but lease_lost');
    assert.equal((await store.namespace(ns)).floorMs, 0, 'the floor is left to the next acquire');
    const next = await store.leaseNode(ns);
    assert.equal(next.stats().store_identity_changed, 1);
    const floor = (await store.namespace(ns)).floorMs;
    assert.ok(floor > lease.fenceMs && next.startMs >= floor, 'above every fence from before');
    await next.release();
    assert.equal(await lease.release(), null);
    await store.close?.();
  });
}
