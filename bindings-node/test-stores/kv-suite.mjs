// The suite zookeeper.test.mjs and etcd.test.mjs run on their private
// server: the core's calls (native.KvCall) driven by js/stores/kv.mjs on the
// real store — namespaces, leases with their renewals, releases and
// take-overs, records that do not parse, a server refused or hanging,
// counters under concurrency, and the CLI.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { idloom, implName } from './impl.mjs';
import { freePort } from './servers.mjs';
import { sleep, uniqueName, waitFor } from './support.mjs';

const { Snowflake, Layout } = idloom;
const code = (c) => (e) => {
  assert.equal(e?.code, c, String(e?.stack ?? e));
  return true;
};
const cli = (...args) => spawnSync(process.execPath, [new URL('../bin/idloom.mjs', import.meta.url).pathname, ...args], { encoding: 'utf8', timeout: 30_000 });

/**
 * @param {'zookeeper' | 'etcd'} engine
 * @param {() => Promise<{ url: string, port: number, stop: () => void, pause: () => void, resume: () => void }>} start a private server
 * @param {(url: string, key: string, text: string) => Promise<void>} putRaw write `text` at `key` with the driver itself
 * @param {(opened: () => { store: any, open: (url?: string) => Promise<any> }) => void} [extra] the engine's own tests, on the same server
 */
export function kvSuite(engine, start, putRaw, extra) {
  const Store = engine === 'zookeeper' ? idloom.ZooKeeperStore : idloom.EtcdStore;
  const unique = (tag) => uniqueName(`js${engine}`, tag);
  /** @type {Awaited<ReturnType<typeof start>>} */ let server;
  /** @type {any} */ let store;
  const opened = [];
  const open = async (url = server.url) => {
    const s = await Store.fromUrl(url);
    opened.push(s);
    return s;
  };

  test.before(async () => {
    server = await start();
    // The server listens before it serves: bounded wait for a first call to go through (a new client each try).
    const end = Date.now() + 30_000;
    for (;;) {
      const first = await Store.fromUrl(server.url);
      try {
        await first.init();
        await first.close();
        break;
      } catch (e) {
        await first.close();
        if (Date.now() > end) throw e;
        await sleep(100);
      }
    }
    store = await open();
  });
  test.after(async () => {
    for (const s of opened) await s.close();
    server?.stop();
    setTimeout(() => process.exit(0), 50).unref(); // driver sockets
  });

  test(`${engine}: init fresh, again unchanged, not fresh above the store's clock; another shape is store_schema`, async () => {
    const ns = unique('init');
    const rec = await store.initNamespace(ns, { nodes: 4, ttlMs: 1000, maxSkewMs: 200, fresh: true });
    assert.deepEqual([rec.nodes, rec.ttlMs, rec.maxSkewMs, rec.floorMs], [4, 1000, 200, 0]);
    assert.deepEqual(await store.initNamespace(ns, { nodes: 4, ttlMs: 1000, maxSkewMs: 200 }), rec, 'an existing namespace is left as it is');
    assert.deepEqual(await store.namespace(ns), rec);
    const later = await store.initNamespace(unique('notfresh'), { nodes: 4, ttlMs: 1000, maxSkewMs: 200 });
    assert.ok(later.floorMs > Date.now() - 60_000, `not fresh: the floor is above every old fence (${later.floorMs})`);
    await assert.rejects(store.initNamespace(ns, { nodes: 8, ttlMs: 1000, maxSkewMs: 200 }), code('store_schema'));
    await assert.rejects(store.initNamespace(ns, { layout: Layout.SONYFLAKE, nodes: 4, ttlMs: 1000, maxSkewMs: 200 }), code('store_schema'));
    await assert.rejects(store.namespace(unique('missing')), code('store_state_lost'));
  });

  test(`${engine}: lease, mint, renew, status, release; the next holder starts at the high-water at once`, async () => {
    const ns = unique('lease');
    await store.initNamespace(ns, { nodes: 2, ttlMs: 1000, maxSkewMs: 200, fresh: true });
    const lease = await store.leaseNode(ns, { holder: 'first' });
    assert.deepEqual([lease.epoch, lease.state], [1, 'active']);
    const gen = new Snowflake({ lease });
    const ids = Array.from({ length: 2000 }, () => gen.next());
    const fence = lease.fenceMs;
    await waitFor(() => lease.renewals >= 2, 5000);
    assert.ok(lease.fenceMs > fence && lease.error === null);
    const { nodes } = await store.status(ns);
    assert.equal(nodes.length, 2);
    const row = nodes.find((n) => n.node === lease.node);
    assert.deepEqual([row.holder, row.epoch], ['first', 1]);
    assert.ok(row.fenceMs >= fence);
    const hw = await lease.release();
    const last = Math.max(...ids.map((i) => gen.decode(i).timestampMs));
    assert.ok(hw >= last + 1);
    const t = Date.now();
    const again = await store.leaseNode(ns, { holder: 'second' });
    assert.ok(Date.now() - t < 500, 'no TTL wait after a clean release');
    assert.deepEqual([again.node, again.epoch], [lease.node, 2], 'sticky: the released node first');
    assert.ok(again.startMs >= last + 1, 'the next holder starts at the released high-water');
    await again.release();
  });

  test(`${engine}: every node held is no_free_node; a node taken after its TTL refuses the old holder (lease_lost), no duplicate`, async () => {
    const ns = unique('lost');
    await store.initNamespace(ns, { nodes: 1, ttlMs: 1000, maxSkewMs: 200, fresh: true });
    const a = await store.leaseNode(ns, { holder: 'a' });
    await assert.rejects(store.leaseNode(ns, { holder: 'other' }), code('no_free_node'));
    const realRenew = store._renew.bind(store);
    let paused = true;
    store._renew = async (...args) => {
      if (paused) throw idloom._idloomError('store_unavailable', 'test: paused');
      return realRenew(...args);
    };
    try {
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
      // Past the TTL on the store's clock (etcd: the liveness key's etcd lease runs out, whole seconds).
      let b;
      const other = await open(); // b's renewals go through (a's handle has them paused)
      const end = Date.now() + 8000;
      for (;;) {
        try {
          b = await other.leaseNode(ns, { holder: 'b' });
          break;
        } catch (e) {
          assert.equal(e.code, 'no_free_node');
          assert.ok(Date.now() < end, 'the node was never free');
          await sleep(100);
        }
      }
      assert.deepEqual([b.node, b.epoch], [a.node, a.epoch + 1]);
      assert.ok(b.startMs >= a.fenceMs);
      // b starts at a's fence, up to a TTL ahead of this clock: mint once its window is open (a renewal moves its fence).
      const opens = Date.now() + 5000;
      while (!(Date.now() >= b.startMs && b.fenceMs > Date.now() + 100)) {
        assert.ok(Date.now() < opens, `b's window never opened: ${JSON.stringify({ now: Date.now(), start: b.startMs, fence: b.fenceMs, state: b.state, renewals: b.renewals, failures: b.renewalFailures, error: b.error?.message })}`);
        await sleep(10);
      }
      const bIds = Array.from({ length: 1000 }, () => new Snowflake({ lease: b }).next());
      paused = false; // a wakes up: its next renewal is refused
      await waitFor(() => a.state === 'lost', 5000);
      assert.equal(a.error?.code, 'lease_lost');
      const seen = new Set(aIds.map(String));
      assert.ok(bIds.every((i) => !seen.has(String(i))), 'no duplicate');
      await b.release();
      assert.equal(await a.release(), null);
    } finally {
      store._renew = realRenew;
    }
  });

  test(`${engine}: a record written by hand that does not parse is store_schema`, async () => {
    const ns = unique('bad');
    await store.initNamespace(ns, { nodes: 2, ttlMs: 1000, maxSkewMs: 200, fresh: true });
    await putRaw(server.url, `/idloom/${ns}/nodes/0000000000`, 'not a record');
    await assert.rejects(store.leaseNode(ns), code('store_schema'));
    await assert.rejects(store.status(ns), code('store_schema'));
    await putRaw(server.url, `/idloom/${ns}`, 'idloom-namespace 1\nnodes=lots\n');
    await assert.rejects(store.namespace(ns), code('store_schema'));
    const tag = unique('badtag');
    await putRaw(server.url, `/idloom/counters:${tag}`, 'garbage');
    await assert.rejects(store.segmentSource(tag)(10), code('store_schema'));
    await assert.rejects(store.segmentPeek(tag), code('store_schema'));
  });

  test(`${engine}: counters — ranges never overlap under concurrency; peek; a missing counter is store_state_lost`, async () => {
    const tag = unique('ctr');
    await store.initSegment(tag, { floor: 1000 });
    await store.initSegment(tag, { floor: 5 }); // never lowered
    assert.equal(await store.segmentPeek(tag), 1000);
    const other = await open();
    const sources = [store.segmentSource(tag), other.segmentSource(tag), store.segmentSource(tag), other.segmentSource(tag)];
    const ranges = (await Promise.all(sources.map(async (src) => {
      const out = [];
      for (let i = 0; i < 8; i += 1) out.push(await src(10));
      return out;
    }))).flat();
    ranges.sort((x, y) => x.start - y.start);
    assert.equal(ranges.length, 32);
    ranges.forEach((r, i) => {
      assert.equal(r.end - r.start, 10);
      assert.equal(r.start, 1000 + 10 * i, 'contiguous, no overlap');
    });
    assert.equal(await store.segmentPeek(tag), 1320);
    await assert.rejects(store.segmentSource(unique('none'))(10), code('store_state_lost'));
    await assert.rejects(store.segmentPeek(unique('none')), code('store_state_lost'));
    await assert.rejects(store.initSegment(unique('g'), { floor: 1, guard: true }), code('invalid_argument')); // no identity to record
  });

  test(`${engine}: a refused connection is store_unavailable within the call timeout`, async () => {
    const port = await freePort();
    const dead = await open(engine === 'zookeeper' ? `zookeeper://127.0.0.1:${port}?call_timeout_ms=500` : `etcd://127.0.0.1:${port}?call_timeout_ms=500`);
    const t = Date.now();
    await assert.rejects(dead.initNamespace(unique('dead'), { fresh: true }), code('store_unavailable'));
    assert.ok(Date.now() - t < 3000, `${Date.now() - t} ms`);
    await assert.rejects(Store.fromUrl(`${engine}://`), code('invalid_argument'));
  });

  // The CLI is the native package's (bin/idloom.mjs): it runs once, with the addon.
  test(`${engine}: the CLI — store init, status, release`, { skip: implName === 'wasm' }, async () => {
    const url = server.url;
    const ns = unique('cli');
    let r = cli('store', 'init', '--url', url, '--namespace', ns, '--nodes', '4', '--ttl-ms', '60000', '--fresh');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /4 nodes, ttl 60000 ms/);
    const lease = await store.leaseNode(ns, { holder: 'cli-test' });
    r = cli('store', 'status', '--url', url, '--namespace', ns);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`${lease.node}  cli-test  1  `), r.stdout);
    r = cli('store', 'release', '--url', url, '--namespace', ns, '--node', String(lease.node)); // as if it had died
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /free/);
    const next = await store.leaseNode(ns, { holder: 'next' });
    assert.deepEqual([next.node, next.epoch], [lease.node, 2]);
    assert.ok(next.startMs >= lease.fenceMs, 'the fence stayed');
    await next.release();
    const tag = unique('clitag');
    r = cli('store', 'init', '--url', url, '--segment', tag, '--floor', '500');
    assert.equal(r.status, 0, r.stderr);
    r = cli('store', 'status', '--url', url, '--segment', tag);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /next range starts at 500/);
    r = cli('store', 'status', '--url', `${engine}://127.0.0.1:${await freePort()}?call_timeout_ms=300`, '--namespace', ns);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\(store_unavailable\)/);
  });

  extra?.(() => ({ store, open }));

  // Last: the server is stopped (SIGSTOP) for a while.
  test(`${engine}: a server that hangs is store_unavailable within the call timeout`, async () => {
    const ns = unique('hang');
    await store.initNamespace(ns, { nodes: 2, ttlMs: 1000, maxSkewMs: 200, fresh: true });
    server.pause();
    try {
      const t = Date.now();
      await assert.rejects(store.leaseNode(ns), code('store_unavailable'));
      const took = Date.now() - t;
      assert.ok(took >= 1500 && took < 4000, `gave up after ${took} ms (call timeout 2000 ms)`);
    } finally {
      server.resume();
    }
  });
}
