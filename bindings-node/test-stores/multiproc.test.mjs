// 4 processes × 2 worker_threads drawing segments from one scheme at once:
// one PostgreSQL Leaf row (atomic), one MariaDB row in CAS mode, and 3
// private Redis servers as one group with one killed mid-run. Every ID
// printed by every process is collected: no duplicate.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { MySQLStore, PostgresStore, RedisStore } from '../lib/stores.mjs';
import { privateRedis } from './servers.mjs';

const PG = process.env.IDLOOM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL = process.env.IDLOOM_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';
const unique = (tag) => `jsm${tag}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
const COUNT = 3000; // per worker: 4 × 2 × 3000 = 24,000 IDs per scheme
test.after(() => setTimeout(() => process.exit(0), 50).unref());

/** Run 4 processes; `onProgress(lines)` sees the running total. Resolves to every ID line. */
function runAll(args, onProgress = () => {}) {
  let total = 0;
  return Promise.all(
    Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, [new URL('./segment-proc.mjs', import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        total += String(d).split('\n').length - 1;
        onProgress(total);
      });
      return new Promise((resolve, reject) =>
        child.on('exit', (c) => {
          const lines = out.trim().split('\n');
          if (c !== 0 || lines.at(-1) !== 'done') reject(new Error(`a process exited ${c}: ${lines.at(-1)}`));
          else resolve(lines.slice(0, -1));
        }),
      );
    }),
  ).then((parts) => parts.flat());
}

function assertUnique(ids, floor) {
  assert.equal(ids.length, 4 * 2 * COUNT);
  assert.equal(new Set(ids).size, ids.length, 'no duplicate across 4 processes × 2 threads');
  assert.ok(ids.every((i) => BigInt(i) >= floor));
}

test('one PostgreSQL Leaf row, 4 processes × 2 threads: no duplicate', async () => {
  const store = await PostgresStore.fromUrl(PG);
  const tag = unique('pg');
  await store.initSegment(tag, { floor: 5000 });
  assertUnique(await runAll(['postgres', tag, String(COUNT), PG]), 5000n);
});

test('one MariaDB row in CAS mode, 4 processes × 2 threads: no duplicate', async () => {
  const store = await MySQLStore.fromUrl(MYSQL);
  const tag = unique('my');
  await store.initSegment(tag, { floor: 7000 });
  assertUnique(await runAll(['mysql-cas', tag, String(COUNT), MYSQL]), 7000n);
});

test('3 private Redis servers as one group, one killed mid-run, 4 processes × 2 threads: no duplicate', async () => {
  const servers = await Promise.all([privateRedis(), privateRedis(), privateRedis()]);
  try {
    const tag = unique('rd');
    for (const s of servers) await (await RedisStore.fromUrl(s.url)).initSegment(tag, { floor: 0 });
    let killed = false;
    const ids = await runAll(['redis-group', tag, String(COUNT), ...servers.map((s) => s.url)], (n) => {
      if (!killed && n >= 8000) {
        killed = true;
        servers[2].kill();
      }
    });
    assert.ok(killed);
    assertUnique(ids, 0n);
    const fromKilled = ids.filter((i) => BigInt(i) % 3n === 2n).length;
    assert.ok(fromKilled < ids.length / 3, `the killed server gave ${fromKilled} of ${ids.length}`);
  } finally {
    for (const s of servers) s.kill();
  }
});
