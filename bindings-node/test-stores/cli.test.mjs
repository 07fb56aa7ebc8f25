// `npx idloom store init|status|release` against the real servers, as a
// process: namespaces and counters, held nodes, freeing a dead holder's node;
// bad arguments exit 2 with one line naming the code.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MySQLStore, PostgresStore, RedisStore } from '../lib/stores.mjs';

const URLS = {
  postgres: process.env.IDLOOM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.IDLOOM_MYSQL ?? 'mysql://root@127.0.0.1:3306/test',
  redis: process.env.IDLOOM_REDIS ?? 'redis://127.0.0.1:6379/',
};
const STORES = { postgres: PostgresStore, mysql: MySQLStore, redis: RedisStore };
const cli = (...args) => spawnSync(process.execPath, [new URL('../bin/idloom.mjs', import.meta.url).pathname, ...args], { encoding: 'utf8', timeout: 30_000 });
const unique = (tag) => `jscli${tag}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;

test.after(() => setTimeout(() => process.exit(0), 50).unref());

for (const engine of ['postgres', 'mysql', 'redis']) {
  test(`${engine}: store init, status, release`, async () => {
    const url = URLS[engine];
    const [ns, tag] = [unique('ns'), unique('tag')];
    let r = cli('store', 'init', '--url', url, '--namespace', ns, '--nodes', '4', '--ttl-ms', '60000', '--fresh');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /4 nodes, ttl 60000 ms/);
    const store = await STORES[engine].fromUrl(url);
    const lease = await store.leaseNode(ns, { holder: 'cli-test' });
    r = cli('store', 'status', '--url', url, '--namespace', ns);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`${lease.node}  cli-test  1  `) && r.stdout.includes(`  ${lease.fenceMs}`), r.stdout);
    r = cli('store', 'release', '--url', url, '--namespace', ns, '--node', String(lease.node)); // as if it had died
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /free/);
    const next = await store.leaseNode(ns, { holder: 'next' });
    assert.equal(next.node, lease.node);
    assert.equal(next.epoch, 2);
    assert.ok(next.startMs >= lease.fenceMs, 'the fence stayed');
    await next.release();
    r = cli('store', 'init', '--url', url, '--segment', tag, '--floor', '500');
    assert.equal(r.status, 0, r.stderr);
    r = cli('store', 'status', '--url', url, '--segment', tag);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /starts at 500/);
  });
}

for (const engine of ['postgres', 'mysql', 'redis']) {
  test(`${engine}: store init --guard records the store identity (MariaDB: refused)`, async () => {
    const url = URLS[engine];
    const [tag, table] = [unique('guard'), unique('guard')];
    const argv = ['store', 'init', '--url', url, '--segment', tag, '--floor', '500', '--guard', ...(engine === 'postgres' ? ['--table', table] : [])];
    const r = cli(...argv);
    if (engine === 'mysql') {
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.includes('(invalid_argument)') && r.stderr.includes('--guard: MariaDB/MySQL has no store identity'), r.stderr);
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    if (engine === 'redis') {
      const { default: Redis } = await import('ioredis');
      const raw = new Redis(url);
      assert.ok(await raw.get(`{idloom:seg:${tag}}:run_id`));
      raw.disconnect();
    } else {
      const store = await PostgresStore.fromUrl(url);
      const rows = (await store._query(`SELECT store_identity FROM ${table} WHERE biz_tag = $1`, [tag])).rows;
      assert.ok(rows[0].store_identity);
      await store._query(`DROP TABLE ${table}`);
    }
  });
}

test('store: bad arguments exit 2 with one line', () => {
  for (const [args, code] of [
    [['store', 'init', '--url', 'ftp://x', '--namespace', 'a'], 'invalid_argument'],
    [['store', 'init', '--url', URLS.redis, '--segment', 'a'], 'invalid_argument'],
    [['store', 'status', '--url', 'redis://127.0.0.1:1/', '--namespace', 'a'], 'store_unavailable'],
    [['store', 'release', '--url', URLS.redis], 'invalid_argument'],
    [['store', 'dance'], 'invalid_argument'],
    [['store', 'release', '--url', URLS.redis, '--namespace', 'a'], 'invalid_argument'],
  ]) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.includes(`(${code})`), r.stderr);
  }
  assert.equal(cli('store', '--help').status, 0);
});
