// Fault scripts across runtimes: the same four minters (each its own node)
// with an injected clock that jumps back 5 s halfway through, under each
// clock-backwards policy; then each killed with SIGKILL mid-run and restarted
// with the same node ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duplicates, firstNotIncreasing, ids, run, runtimes, start } from './helpers.mjs';

const COUNT = 400_000;
const AFTER = 200_000; // the clock jumps back 5 s before this ID
const tick = (id) => id >> 22n; // Twitter layout: ms since its epoch

// What each policy documents for a 5 s step back (README "Faults" table).
const expected = {
  // throws clock_moved_backwards at once, having issued only what came before
  fail: (r) => {
    assert.equal(r.result, 'error clock_moved_backwards', r.name);
    assert.equal(r.ids.length, AFTER, r.name);
  },
  // waits (bounded by 10 s) until the clock is back, then carries on
  wait: (r) => {
    assert.equal(r.result, 'ok', r.name);
    assert.equal(r.ids.length, COUNT, r.name);
    assert.ok(r.pause >= 4_000, `${r.name} waited out the step (${r.pause} ms)`);
  },
  // keeps issuing from the last tick (a logical clock up to 10 s ahead) without waiting
  logical: (r) => {
    assert.equal(r.result, 'ok', r.name);
    assert.equal(r.ids.length, COUNT, r.name);
    assert.ok(r.pause < 4_000, `${r.name} did not wait for the clock (${r.pause} ms)`);
    assert.ok(tick(r.ids[AFTER]) >= tick(r.ids[AFTER - 1]), `${r.name} stays on or after the last tick`);
  },
};

for (const policy of Object.keys(expected)) {
  test(`clock jumps back 5 s mid-run, policy ${policy}: documented behaviour in every runtime, no duplicate`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), `idloom-fault-${policy}-`));
    try {
      const runs = await Promise.all(
        runtimes.map(async (name, k) => {
          const out = join(dir, name);
          await run(name, ['fault', out, String(11 + k), String(COUNT), policy, String(AFTER)]);
          const [result, pause] = (() => {
            const words = readFileSync(`${out}.result`, 'utf8').trim().split(' ');
            return [words.slice(0, -1).join(' '), Number(words.at(-1))];
          })();
          return { name, ids: ids(out), result, pause };
        }),
      );
      for (const r of runs) {
        assert.equal(firstNotIncreasing(r.ids), -1, `${r.name}: IDs increase`);
        expected[policy](r);
      }
      assert.equal(duplicates(runs.map((r) => r.ids)), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('SIGKILL mid-run and restart with the same node: no duplicate, the restart continues above', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idloom-kill-'));
  try {
    const results = await Promise.all(
      runtimes.map(async (name, k) => {
        const node = String(21 + k);
        const first = join(dir, `${name}.1`);
        const killed = start(name, ['run', first, node, '100000000']);
        const exited = killed.done.then(
          () => 'exited',
          () => 'killed',
        );
        // Kill once 300,000 IDs are on disk (the process would run for half a minute).
        for (let i = 0; ; i++) {
          if (existsSync(first) && statSync(first).size >= 8 * 300_000) break;
          assert.ok(i < 6_000, `${name} wrote 300,000 IDs within 60 s`);
          await sleep(10);
        }
        killed.child.kill('SIGKILL');
        assert.equal(await exited, 'killed', `${name} was killed mid-run`);
        const second = join(dir, `${name}.2`);
        await run(name, ['run', second, node, '300000']);
        return { name, before: ids(first), after: ids(second) };
      }),
    );
    for (const { name, before, after } of results) {
      assert.ok(before.length >= 300_000, name);
      assert.equal(after.length, 300_000, name);
      assert.equal(firstNotIncreasing(before), -1, `${name}: the killed run's IDs increase`);
      assert.equal(firstNotIncreasing(after), -1, `${name}: the restart's IDs increase`);
      assert.ok(after[0] > before.at(-1), `${name}: the restart starts above the killed run`);
    }
    assert.equal(duplicates(results.flatMap((r) => [r.before, r.after])), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
