// ZooKeeperStore on a private ZooKeeper (Debian's zookeeper on Java), through
// node-zookeeper-client: the shared kv suite, and ZooKeeper's own sequential
// counter (nextSequential).
import test from 'node:test';
import assert from 'node:assert/strict';
import zookeeper from 'node-zookeeper-client';
import { privateZooKeeper } from './servers.mjs';
import { kvSuite } from './kv-suite.mjs';

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
