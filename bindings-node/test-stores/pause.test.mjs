// A leased process SIGSTOPped past its TTL while a second process takes its
// node, then SIGCONTed: no duplicate in everything both wrote, every tick the
// first used ends by the second's start, and the first ends in lease_lost.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Layout } from '../lib/index.mjs';
import { MySQLStore, PostgresStore, RedisStore } from '../lib/stores.mjs';

const URLS = {
  postgres: process.env.IDLOOM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.IDLOOM_MYSQL ?? 'mysql://root@127.0.0.1:3306/test',
  redis: process.env.IDLOOM_REDIS ?? 'redis://127.0.0.1:6379/',
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TTL = 600;

function minter(engine, ns, holder) {
  const p = spawn(process.execPath, [new URL('lease-minter.mjs', import.meta.url).pathname, engine, ns, holder, URLS[engine]], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const m = { p, ids: [], lease: null, end: null, done: new Promise((r) => p.on('exit', r)) };
  createInterface({ input: p.stdout }).on('line', (line) => {
    if (line.startsWith('lease ')) m.lease = line.split(' ').slice(1).map(Number);
    else if (line.startsWith('end ')) m.end = line.slice(4);
    else if (line) m.ids.push(BigInt(line));
  });
  return m;
}

async function waitIds(m, n) {
  const end = Date.now() + 20_000;
  while (m.ids.length < n) {
    assert.ok(Date.now() < end && m.p.exitCode === null, `${m.ids.length} IDs, end ${m.end}`);
    await sleep(10);
  }
}

test.after(() => setTimeout(() => process.exit(0), 50).unref());

for (const [engine, Store] of [['postgres', PostgresStore], ['mysql', MySQLStore], ['redis', RedisStore]]) {
  test(`${engine}: a paused holder never repeats the new holder's IDs and ends in lease_lost`, async () => {
    const store = await Store.fromUrl(URLS[engine]);
    const ns = `jspause_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
    await store.initNamespace(ns, { layout: Layout.TWITTER, nodes: 1, ttlMs: TTL, maxSkewMs: 200, fresh: true });
    const a = minter(engine, ns, 'a');
    let b;
    try {
      await waitIds(a, 2000);
      a.p.kill('SIGSTOP'); // a GC pause, a VM migration
      await sleep(TTL * 2.5);
      b = minter(engine, ns, 'b');
      await waitIds(b, 2000);
      assert.deepEqual(b.lease.slice(0, 2), [a.lease[0], a.lease[1] + 1]);
      a.p.kill('SIGCONT');
      await a.done;
      await waitIds(b, b.ids.length + 1000);
    } finally {
      for (const m of [a, b]) {
        if (m && m.p.exitCode === null) {
          m.p.kill('SIGCONT');
          m.p.kill('SIGKILL');
        }
      }
    }
    assert.equal(a.end, 'lease_lost');
    const seen = new Set(a.ids.map(String));
    assert.ok(b.ids.every((i) => !seen.has(String(i))), 'a duplicate between the paused holder and the new one');
    const layout = Layout.TWITTER;
    const lastA = Math.max(...a.ids.map((i) => layout.decode(i).timestampMs));
    assert.ok(lastA < b.lease[2], `a's last tick ${lastA} must end by b's start ${b.lease[2]}`);
    assert.equal((await store.status(ns)).nodes[0].holder, 'b');
  });
}
