// Segments across runtimes: Rust (2 threads), Python (2 threads), Node and
// wasm-in-Node draw IDs at the same time from one shared source — an HTTP
// server in this process handing out ranges of a single counter, as Leaf's
// server or a database row would. Every process must serve only the ranges it
// received, each ID once, in increasing order per thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duplicates, firstNotIncreasing, ids, run } from './helpers.mjs';

test('four processes, one source: no overlapping ranges, each ID served once', { timeout: 300_000 }, async () => {
  let next = 1n; // Leaf's first ID
  const handed = []; // [who, start, end)
  const server = createServer((req, res) => {
    const q = new URL(req.url, 'http://localhost').searchParams;
    const step = BigInt(q.get('step'));
    const start = next;
    next += step;
    handed.push({ who: q.get('who'), start, end: next });
    res.end(`${start} ${next}\n`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/range`;
  const dir = mkdtempSync(join(tmpdir(), 'idloom-seg-'));
  try {
    const plan = [
      ['rust', 150_000, 2],
      ['python', 150_000, 2],
      ['node', 300_000, 1],
      ['wasm', 300_000, 1],
    ];
    await Promise.all(plan.map(([name, count, threads]) => run(name, ['segment', url, join(dir, name), String(count), String(threads)])));

    const arrays = [];
    for (const f of readdirSync(dir).sort()) {
      const a = ids(join(dir, f));
      const [name] = f.split('.');
      const [, count] = plan.find(([n]) => n === name);
      assert.equal(a.length, count, f);
      assert.equal(firstNotIncreasing(a), -1, `${f}: IDs increase`);
      const mine = handed.filter((r) => r.who === name);
      assert.ok(mine.length > 0, `${name} fetched ranges`);
      for (const id of a) {
        if (!mine.some((r) => id >= r.start && id < r.end)) assert.fail(`${f}: ${id} is not in a range ${name} received`);
      }
      arrays.push(a);
    }
    assert.equal(arrays.length, 6);
    assert.equal(duplicates(arrays), 0, 'no ID served twice');
    // Fetches were spread over the run (prefetch at 10 % of each range), not one up front.
    assert.ok(handed.length >= 1_200, `${handed.length} ranges of 1000 for 1,200,000 IDs`);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
