// ZooKeeperStore on a private ZooKeeper (Debian's zookeeper on Java), through
// node-zookeeper-client: the shared kv suite, and ZooKeeper's own sequential
// counter (nextSequential).
import test from 'node:test';
import assert from 'node:assert/strict';
import zookeeper from 'node-zookeeper-client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idloom } from './impl.mjs';
import { PrivateZooKeeper, privateZooKeeper } from './servers.mjs';
import { kvSuite } from './kv-suite.mjs';
import { uniqueName } from './support.mjs';

/** Write `text` at `key` (creating it and its parents) with the driver itself. */
async function putRaw(url, key, text) {
  const client = zookeeper.createClient(url.replace(/^zookeeper:\/\/|\?.*$/g, ''));
  client.connect();
  try {
    await new Promise((resolve, reject) => client.mkdirp(key, (e) => (e ? reject(e) : resolve())));
    await new Promise((resolve, reject) => client.setData(key, Buffer.from(text), -1, (e) => (e ? reject(e) : resolve())));
  } finally {
    client.close();
  }
}

kvSuite('zookeeper', privateZooKeeper, putRaw, (opened) => {
  test('zookeeper: nextSequential is strictly increasing per tag, across handles', async () => {
    const { store, open } = opened();
    const other = await open();
    const tag = `seq_${process.pid}`;
    const got = [];
    for (let i = 0; i < 5; i += 1) got.push(await store.nextSequential(tag), await other.nextSequential(tag));
    assert.deepEqual(got, [...got].sort((a, b) => a - b));
    assert.equal(new Set(got).size, got.length);
    assert.equal(await store.nextSequential(`${tag}_b`), 0, 'each tag counts on its own');
    const [x, y] = await Promise.all([store.nextSequential(tag), other.nextSequential(tag)]);
    assert.ok(x !== y && Math.min(x, y) > got.at(-1));
    await assert.rejects(store.nextSequential('bad tag!'), (e) => e.code === 'invalid_argument');
  });
});

// A server that comes back empty (or from an older backup) refuses the old
// session: it saw zxids the server never had, and node-zookeeper-client would
// ask again for ever. fromUrl's store makes a new session once the client has
// been down for longer than a session, and reads the store as it is now.
test('zookeeper: a server that came back empty is read as it is (a new session), not retried for ever', async () => {
  const zk = await new PrivateZooKeeper(mkdtempSync(join(tmpdir(), 'idloom-zk-empty-'))).start();
  const store = await idloom.ZooKeeperStore.fromUrl(zk.url());
  try {
    const ns = uniqueName('zkempty');
    await store.initNamespace(ns, { nodes: 2, fresh: true });
    await zk.kill();
    await zk.restartEmpty();
    const end = Date.now() + 15_000;
    let last;
    while (Date.now() < end) {
      try {
        await store.namespace(ns);
        assert.fail('the namespace came back with an empty server');
      } catch (e) {
        last = /** @type {any} */ (e).code;
        if (last === 'store_state_lost') break;
        assert.equal(last, 'store_unavailable');
      }
    }
    assert.equal(last, 'store_state_lost', 'the store answered again within 15 s');
    await store.initNamespace(ns, { nodes: 2 });
    const lease = await store.leaseNode(ns);
    assert.equal(lease.node, 0);
    await lease.release();
  } finally {
    await store.close();
    await zk.stop();
  }
});
