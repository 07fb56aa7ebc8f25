// idloom/stores on the real PostgreSQL and Redis (never mocks): leases
// (renew, release with a high-water, fence reached, lost, skew), fenced
// generators, segments in every mode, and store faults as their codes. The
// servers are the machine's, or the private ones scripts/test started
// (IDLOOM_PG_URL, IDLOOM_REDIS); a server that does not answer fails these tests.
import test from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { idloom, implName } from './impl.mjs';
import { MYSQL, PG, REDIS, sleep, uniqueName, waitFor } from './support.mjs';

const { Snowflake, Segment, Layout, MySQLStore, PostgresStore, RedisStore, _idloomError } = idloom;

const unique = (tag) => uniqueName('js', tag);
const stores = [];
async function open(engine) {
  const s =
    engine === 'postgres'
      ? await PostgresStore.fromUrl(PG)
      : engine === 'mysql'
        ? await MySQLStore.fromUrl(MYSQL)
        : await RedisStore.fromUrl(REDIS, { driver: engine === 'node-redis' ? 'redis' : 'ioredis' });
  stores.push(s);
  return s;
}
const code = (c) => (e) => e.code === c;

test.after(() => setTimeout(() => process.exit(0), 50).unref()); // pools and clients hold sockets

// Redis twice: through ioredis and through node-redis (the `redis` package).
for (const engine of ['postgres', 'mysql', 'redis', 'node-redis']) {
  const isRedis = engine.endsWith('redis');
  test(`${engine}: lease, mint, renew, release; the next holder starts at the high-water at once`, async () => {
    const store = await open(engine);
    const ns = unique('lease');
    const rec = await store.initNamespace(ns, { layout: Layout.TWITTER, nodes: 1, ttlMs: 600, maxSkewMs: 200, fresh: true });
    assert.deepEqual([rec.nodes, rec.ttlMs, rec.maxSkewMs, rec.floorMs], [1, 600, 200, 0]);
    const lease = await store.leaseNode(ns, { holder: 'first' });
    assert.deepEqual([lease.node, lease.epoch, lease.state], [0, 1, 'active']);
    const gen = new Snowflake({ lease });
    const ids = Array.from({ length: 2000 }, () => gen.next());
    const fence = lease.fenceMs;
    await waitFor(() => lease.renewals >= 2);
    assert.ok(lease.fenceMs > fence && lease.error === null);
    assert.equal(new Snowflake({ lease }).next() > ids.at(-1), true, 'a second Snowflake shares the lease generator');
    const status = await store.status(ns);
    assert.equal(status.nodes[0].holder, 'first');
    const hw = await lease.release();
    assert.equal(lease.state, 'released');
    assert.throws(() => gen.next(), code('lease_lost'));
    const last = Math.max(...ids.map((i) => gen.decode(i).timestampMs));
    assert.ok(hw >= last + 1);
    const t = Date.now();
    const again = await store.leaseNode(ns, { holder: 'second' });
    assert.ok(Date.now() - t < 500, 'no TTL wait after a clean release');
    assert.equal(again.epoch, 2);
    assert.ok(again.startMs >= last + 1);
    assert.throws(() => new Snowflake({ lease: again, node: 1 }), code('invalid_argument'));
    assert.throws(() => new Snowflake({ lease: again }).rekey(3), code('invalid_argument'));
    await again.release();
  });

  test(`${engine}: a fence reached is lease_expired, and nothing passes it`, async () => {
    const store = await open(engine);
    const ns = unique('expired');
    await store.initNamespace(ns, { nodes: 1, ttlMs: 300, maxSkewMs: 100, fresh: true });
    const lease = await store.leaseNode(ns);
    store._renew = async () => {
      throw _idloomError('store_unavailable', 'test: the store does not answer');
    };
    const gen = new Snowflake({ lease });
    const ids = [];
    let err;
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      try {
        ids.push(gen.next());
      } catch (e) {
        err = e;
        break;
      }
      if (ids.length % 500 === 0) await sleep(1); // let the renewal timer run
    }
    assert.equal(err?.code, 'lease_expired');
    assert.ok(lease.renewalFailures >= 1);
    assert.ok(ids.every((i) => gen.decode(i).timestampMs < lease.fenceMs));
    delete store._renew;
    await lease.release();
  });

  test(`${engine}: a taken node refuses the old holder, which ends in lease_lost without a duplicate`, async () => {
    const store = await open(engine);
    const ns = unique('lost');
    await store.initNamespace(ns, { nodes: 1, ttlMs: 300, maxSkewMs: 100, fresh: true });
    const a = await store.leaseNode(ns, { holder: 'a' });
    const realRenew = store._renew.bind(store);
    let paused = true;
    store._renew = async (...args) => {
      if (paused) throw _idloomError('store_unavailable', 'test: paused');
      return realRenew(...args);
    };
    const genA = new Snowflake({ lease: a });
    const aIds = [];
    for (;;) {
      try {
        aIds.push(genA.next());
      } catch (e) {
        assert.equal(e.code, 'lease_expired');
        break;
      }
      if (aIds.length % 500 === 0) await sleep(1);
    }
    await sleep(350); // past the TTL on the store's clock
    const b = await store.leaseNode(ns, { holder: 'b' });
    assert.deepEqual([b.node, b.epoch], [a.node, a.epoch + 1]);
    assert.ok(b.startMs >= a.fenceMs);
    const bIds = Array.from({ length: 1000 }, () => new Snowflake({ lease: b }).next());
    paused = false; // a wakes up: its next renewal is refused
    await waitFor(() => a.state === 'lost');
    assert.equal(a.error?.code, 'lease_lost');
    assert.throws(() => genA.next(), code('lease_lost'));
    const seen = new Set(aIds.map(String));
    assert.ok(bIds.every((i) => !seen.has(String(i))), 'no duplicate');
    store._renew = realRenew;
    await b.release();
    assert.equal(await a.release(), null);
  });

  test(`${engine}: a skewed holder clock is refused and the node goes back`, async () => {
    const store = await open(engine);
    const ns = unique('skew');
    await store.initNamespace(ns, { nodes: 1, ttlMs: 5000, maxSkewMs: 500, fresh: true });
    const realNow = Date.now;
    Date.now = () => realNow() + 60_000;
    try {
      await assert.rejects(store.leaseNode(ns), code('clock_skew'));
    } finally {
      Date.now = realNow;
    }
    const lease = await store.leaseNode(ns);
    assert.equal(lease.epoch, 2);
    assert.ok(Math.abs(lease.skewMs) < 500);
    await lease.release();
  });

  test(`${engine}: a renewal answered too late to judge the clocks is retried, not fatal`, async () => {
    const store = await open(engine);
    const ns = unique('late');
    await store.initNamespace(ns, { nodes: 1, ttlMs: 1500, maxSkewMs: 200, fresh: true });
    const lease = await store.leaseNode(ns);
    const realRenew = store._renew.bind(store);
    let calls = 0;
    store._renew = async (...args) => {
      const got = await realRenew(...args);
      if (++calls === 1) await sleep(600); // the answer arrives 600 ms later
      return got;
    };
    await waitFor(() => lease.renewals >= 1);
    assert.ok(lease.renewalFailures >= 1 && lease.error === null && lease.state === 'active');
    store._renew = realRenew;
    await lease.release();
  });

  test(`${engine}: another layout or node count, a missing namespace, no free node, bad input`, async () => {
    const store = await open(engine);
    const ns = unique('schema');
    await store.initNamespace(ns, { layout: Layout.TWITTER, nodes: 2, ttlMs: 5000, maxSkewMs: 500, fresh: true });
    await store.initNamespace(ns, { layout: Layout.TWITTER, nodes: 2 });
    await assert.rejects(store.initNamespace(ns, { layout: Layout.SONYFLAKE, nodes: 2 }), code('store_schema'));
    await assert.rejects(store.initNamespace(ns, { nodes: 3 }), code('store_schema'));
    await assert.rejects(store.leaseNode(ns, { layout: Layout.SONYFLAKE }), code('store_schema'));
    await assert.rejects(store.leaseNode(unique('missing')), code('store_state_lost'));
    await assert.rejects(store.initNamespace('../x'), code('invalid_argument'));
    await assert.rejects(store.initNamespace(ns, { ttlMs: '10' }), (e) => e instanceof TypeError && e.code === 'invalid_type');
    await assert.rejects(store.initNamespace(ns, { ttlMs: 1000, maxSkewMs: 1000 }), code('invalid_argument'));
    const [x, y] = [await store.leaseNode(ns), await store.leaseNode(ns)];
    assert.deepEqual(new Set([x.node, y.node]), new Set([0, 1]));
    await assert.rejects(store.leaseNode(ns), code('no_free_node'));
    await x.release();
    await y.release();
  });

  test(`${engine}: a namespace gets 1,024 nodes by default and at most what its engine serves`, async () => {
    const store = await open(engine);
    // Once the layout's maximum (4,194,304 nodes for baidu): now the core's default, 1,024.
    const ns = unique('dflt');
    assert.equal((await store.initNamespace(ns, { layout: Layout.BAIDU, fresh: true })).nodes, 1024);
    assert.equal((await store.status(ns)).nodes.length, 1024);
    const most = engine === 'postgres' || engine === 'mysql' ? 2 ** 20 : 2 ** 22;
    if (most < 2 ** 22) {
      await assert.rejects(store.initNamespace(unique('big'), { layout: Layout.BAIDU, nodes: 2 ** 22 }), (e) => e.code === 'invalid_argument' && e.message.includes(`nodes must be in 1..=${most}, got ${2 ** 22}`));
    }
    await assert.rejects(store.initNamespace(unique('big'), { layout: Layout.SONYFLAKE, nodes: 2 ** 16 + 1 }), (e) => e.code === 'invalid_argument' && e.message.includes(`nodes must be in 1..=65536, got ${2 ** 16 + 1}`));
  });

  test(`${engine}: segments from one counter never overlap across concurrent sources`, async () => {
    const store = await open(engine);
    for (const options of isRedis ? [{}] : [{ mode: 'atomic' }, { mode: 'cas' }]) {
      const tag = unique('seg');
      await store.initSegment(tag, { floor: 1000, step: 50 });
      await store.initSegment(tag, { floor: 0, step: 50 }); // never lowered
      const segs = Array.from({ length: 4 }, () => new Segment(store.segmentSource(tag, options), { step: 50 }));
      const got = [];
      await Promise.all(
        segs.map(async (s) => {
          for (let i = 0; i < 600; i++) got.push(await s.nextAsync());
        }),
      );
      assert.equal(new Set(got.map(String)).size, 2400, JSON.stringify(options));
      assert.ok(got.every((i) => i >= 1000n));
    }
  });

  if (engine !== 'mysql') {
    test(`${engine}: a guarded counter under another store identity is refused until re-initialised above a floor`, async () => {
      const store = await open(engine);
      const table = unique('guard');
      const opts = isRedis ? {} : { table };
      const [tag, plain] = [unique('guard'), unique('plain')];
      // The recorded identity changed behind the counter's back, as after a restore (PostgreSQL) or a restart (Redis).
      const restore = async () => {
        if (!isRedis) return store._query(`UPDATE ${table} SET store_identity = 'another/1' WHERE biz_tag = $1`, [tag]);
        const { default: Redis } = await import('ioredis');
        const raw = new Redis(REDIS);
        await raw.set(`{idloom:seg:${tag}}:run_id`, 'another');
        raw.disconnect();
      };
      const lost = (e) => e.code === 'store_state_lost' && e.message.includes('store identity changed');
      await store.initSegment(plain, { floor: 100, ...opts });
      await store.initSegment(tag, { floor: 100, guard: true, ...opts });
      const sources = (isRedis ? [{}] : [{ mode: 'atomic' }, { mode: 'cas' }]).map((m) => store.segmentSource(tag, { ...m, ...opts }));
      assert.deepEqual(await sources[0](10), { start: 100, end: 110 });
      await store.initSegment(tag, { floor: 5000, guard: true, ...opts }); // the same identity: nothing changes
      assert.equal(await store.segmentPeek(tag, opts), 110);
      await restore();
      for (const source of sources) await assert.rejects(source(10), lost);
      await assert.rejects(store.segmentPeek(tag, opts), lost);
      await store.initSegment(tag, { floor: 9000, ...opts }); // an unguarded init changes nothing
      await assert.rejects(sources[0](10), lost);
      assert.deepEqual(await store.segmentSource(plain, opts)(10), { start: 100, end: 110 }, 'an unguarded counter is unaffected');
      await store.initSegment(tag, { floor: 9000, guard: true, ...opts }); // re-initialised above the floor
      for (const [k, source] of sources.entries()) assert.deepEqual(await source(10), { start: 9000 + 10 * k, end: 9010 + 10 * k });
      await restore();
      await store.initSegment(tag, { floor: 5, guard: true, ...opts }); // never lowered
      assert.equal(await store.segmentPeek(tag, opts), 9000 + 10 * sources.length);
      await assert.rejects(store.initSegment(tag, { floor: 0, guard: 'yes', ...opts }), code('invalid_type'));
      if (!isRedis) await store._query(`DROP TABLE ${table}`);
    });
  }

  test(`${engine}: a missing counter, a wrong table, a refused connection`, async () => {
    const store = await open(engine);
    await assert.rejects(store.segmentSource(unique('nosuch'))(10), code('store_state_lost'));
    if (!isRedis) {
      await assert.rejects(store.segmentSource('t', { table: unique('notable') })(10), code('store_schema'));
      assert.throws(() => store.segmentSource('t', { table: 'x; DROP TABLE y' }), code('invalid_argument'));
      assert.throws(() => store.segmentSource('t', { mode: 'sometimes' }), code('invalid_argument'));
      const down =
        engine === 'postgres' ? await PostgresStore.fromUrl('postgres://postgres@127.0.0.1:1/test') : await MySQLStore.fromUrl('mysql://root@127.0.0.1:1/test');
      await assert.rejects(down.initNamespace(unique('x'), { fresh: true }), code('store_unavailable'));
    } else {
      const down = await RedisStore.fromUrl('redis://127.0.0.1:1/', { driver: engine === 'node-redis' ? 'redis' : 'ioredis' }).catch((e) => e);
      if (engine === 'node-redis') {
        assert.equal(down.code, 'store_unavailable'); // node-redis connects in fromUrl
        return;
      }
      stores.push(down);
      await assert.rejects(down.initNamespace(unique('x'), { fresh: true }), code('store_unavailable'));
    }
  });

  test(`${engine}: each string at its limit is kept whole; one past it is refused before the store`, async () => {
    const store = await open(engine);
    const tag = (unique('lim') + '_'.repeat(128)).slice(0, 128);
    const description = '號😀'.repeat(128); // 256 characters (384 UTF-16 units, 896 bytes of UTF-8)
    const table = isRedis ? undefined : (unique('lim') + '_'.repeat(63)).slice(0, 63);
    await store.initSegment(tag, { floor: 7, description, table });
    assert.equal(await store.segmentPeek(tag, table === undefined ? {} : { table }), 7);
    if (!isRedis) {
      const seg = new Segment(store.segmentSource(tag, { table }), { step: 10 });
      assert.equal(await seg.nextAsync(), 7n);
    }
    const bad = [{ tag: tag + 'x', param: 'biz_tag' }, { description: description + 'x', param: 'description' }];
    if (!isRedis) bad.push({ table: table + 'x', param: 'table' });
    for (const b of bad) {
      await assert.rejects(store.initSegment(b.tag ?? tag, { floor: 7, description: b.description ?? description, table: b.table ?? table }), (e) => e.code === 'invalid_argument' && e.message.startsWith(`${b.param} must be`));
    }
    const ns = (unique('lim') + '-'.repeat(64)).slice(0, 64);
    const holder = ('holder ' + '~'.repeat(255)).slice(0, 255);
    await store.initNamespace(ns, { nodes: 1, fresh: true });
    const lease = await store.leaseNode(ns, { holder });
    assert.deepEqual((await store.status(ns)).nodes.map((n) => n.holder), [holder]);
    await lease.release();
    await assert.rejects(store.leaseNode(ns, { holder: holder + '~' }), (e) => e.code === 'invalid_argument' && e.message.startsWith('holder must be'));
    await assert.rejects(store.initNamespace(ns + 'x', { nodes: 1, fresh: true }), (e) => e.code === 'invalid_argument' && e.message.startsWith('namespace must be'));
  });

  test(`${engine}: a refill waiting 200 ms on the server never blocks next() or the event loop`, async () => {
    const store = await open(engine);
    const tag = unique('slow');
    await store.initSegment(tag, { floor: 0, step: 1000 });
    const inner = store.segmentSource(tag);
    const slow = async (step) => {
      await sleep(200); // a store 200 ms away
      return inner(step);
    };
    const seg = new Segment(slow, { step: 1000, thresholdPercent: 10 });
    await seg.ready();
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    let worst = 0;
    const got = [];
    for (let k = 0; k < 3000; k++) {
      const t = performance.now();
      got.push(seg.next());
      worst = Math.max(worst, performance.now() - t);
      if (k % 2 === 0) await sleep(1);
    }
    h.disable();
    assert.equal(new Set(got.map(String)).size, 3000);
    assert.ok(worst < 50, `a next() call took ${worst.toFixed(1)} ms`);
    assert.ok(h.max / 1e6 < 150, `the event loop stalled ${(h.max / 1e6).toFixed(1)} ms`);
  });
}

test('the drivers load only when fromUrl is called', { skip: implName !== 'native' }, async () => {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e',
    "await import('idloom/stores'); const m = process.moduleLoadList ?? []; " +
    "import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); " +
    "console.log(Object.keys(r.cache).filter((k) => /node_modules\\/(pg|ioredis|redis|@redis|mysql2)\\//.test(k)).length)"], { cwd: new URL('..', import.meta.url) });
  assert.equal(out.toString().trim(), '0');
});

test('mysql: a guard is refused, never silently ignored (MariaDB has no store identity to record)', async () => {
  const store = await open('mysql');
  const tag = unique('noguard');
  await assert.rejects(store.initSegment(tag, { floor: 1, guard: true }), (e) => e.code === 'invalid_argument' && /guard/.test(e.message));
  await assert.rejects(store.segmentPeek(tag), (e) => e.code === 'store_state_lost'); // nothing was created
  await store.initSegment(tag, { floor: 1 });
  assert.equal(await store.segmentPeek(tag), 1);
});
