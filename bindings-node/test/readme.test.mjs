// Every ```js block of the package README runs as written, importing the
// package by its name (the exports map resolves it from inside the package).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { implName } from './impl.mjs';
import { startServer } from '../test-stores/idloom-server.mjs';
import { privateEtcd, privateZooKeeper } from '../test-stores/servers.mjs';

const root = new URL('..', import.meta.url);
const blocks = [...readFileSync(new URL('README.md', root), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has its quickstarts', () => {
  assert.ok(blocks.length >= 3, `found ${blocks.length} js blocks`);
});

// The thin-client example's idloom-server: a free port, a namespace of its own.
const remote = implName === 'native' && blocks.some((b) => b.includes("'http://127.0.0.1:8080'")) ? await startServer({ tags: ['receipts'], tokens: { receipts: 'SECRET' } }) : null;
// The ZooKeeper and etcd example's servers: private ones (never the standard ports the README shows).
const kv = implName === 'native' && blocks.some((b) => b.includes('zookeeper://127.0.0.1:2181')) ? { zk: await privateZooKeeper(), etcd: await privateEtcd() } : null;
if (kv !== null) await kvReady();
after(() => {
  remote?.stop();
  kv?.zk.stop();
  kv?.etcd.stop();
});

/** Bounded wait until both private servers serve (they listen before they do). */
async function kvReady() {
  const { ZooKeeperStore, EtcdStore } = await import('../lib/stores.mjs');
  for (const [Store, url] of [[ZooKeeperStore, kv.zk.url], [EtcdStore, kv.etcd.url]]) {
    const end = Date.now() + 30_000;
    for (;;) {
      const s = await Store.fromUrl(url);
      try {
        await s.init();
        await s.close();
        break;
      } catch (e) {
        await s.close();
        if (Date.now() > end) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

blocks.forEach((block, i) => {
  let code = block;
  test(`README block ${i + 1} runs`, { skip: implName !== 'native' }, () => {
    mkdirSync(new URL('build/', root), { recursive: true });
    const file = new URL(`build/readme-${i + 1}.${/\brequire\(/.test(code) ? 'cjs' : 'mjs'}`, root);
    // The store example names the machine's servers; scripts/test may have
    // started private ones instead (IDLOOM_PG_URL, IDLOOM_REDIS, IDLOOM_MYSQL).
    const servers = {
      'postgres://postgres@127.0.0.1:5432/test': process.env.IDLOOM_PG_URL,
      'redis://127.0.0.1:6379/': process.env.IDLOOM_REDIS,
      'mysql://root@127.0.0.1:3306/test': process.env.IDLOOM_MYSQL,
      'http://127.0.0.1:8080': remote?.url,
      'zookeeper://127.0.0.1:2181?call_timeout_ms=2000': kv?.zk.url,
      'etcd://127.0.0.1:2379': kv?.etcd.url,
    };
    for (const [given, actual] of Object.entries(servers)) if (actual) code = code.replaceAll(given, actual);
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file.pathname], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
