// node:cluster with 4 workers on host-local slots: no two workers on one
// node, no duplicate, and a SIGKILLed worker's replacement takes the freed
// slot and starts above its predecessor (the slot's state file).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Snowflake, Slot, Layout } from '../lib/index.mjs';

test('a 4-worker cluster on slots: one node per worker, a replacement starts above the killed worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idloom-cluster-'));
  try {
    const out = execFileSync(process.execPath, [new URL('cluster-app.mjs', import.meta.url).pathname], {
      env: { ...process.env, IDLOOM_SLOT_DIR: dir },
      timeout: 60_000,
      encoding: 'utf8',
    });
    const { reports, victim } = JSON.parse(out);
    const first = reports.slice(0, 4);
    assert.deepEqual(new Set(first.map((r) => r.node)), new Set([100, 101, 102, 103]), 'one node per worker');
    const all = reports.flatMap((r) => r.ids);
    assert.equal(new Set(all).size, all.length, 'no duplicate');
    const killed = first.find((r) => r.pid === victim);
    const replacement = reports[4];
    assert.equal(replacement.node, killed.node, 'the replacement took the freed slot');
    const maxKilled = killed.ids.map(BigInt).reduce((a, b) => (a > b ? a : b));
    assert.ok(replacement.ids.map(BigInt).every((i) => i > maxKilled), 'it starts above its predecessor');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('slots and state files: bad input and misuse have their codes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idloom-slots-'));
  try {
    const a = Slot.claim(dir, 'jobs', 1);
    assert.throws(() => Slot.claim(dir, 'jobs', 1), (e) => e.code === 'no_free_node');
    a.release();
    assert.equal(a.held, false);
    const b = Slot.claim(dir, 'jobs', 1, { layout: Layout.SONYFLAKE });
    assert.equal(new Snowflake({ slot: b }).layout, Layout.SONYFLAKE);
    assert.throws(() => new Snowflake({ slot: b, node: 1 }), (e) => e.code === 'invalid_argument');
    assert.throws(() => new Snowflake({ slot: {} }), (e) => e.code === 'invalid_type');
    assert.throws(() => Slot.claim(dir, '../x', 1), (e) => e.code === 'invalid_argument');
    assert.throws(() => Slot.claim(dir, 'jobs', 0), (e) => e.code === 'invalid_argument');
    assert.throws(() => new Snowflake({ node: 1, namespace: 'x' }), (e) => e.code === 'invalid_argument');
    const m = new Snowflake({ node: 7, layout: Layout.SONYFLAKE, stateDir: dir, namespace: 'orders' });
    assert.ok(m.next() > 0n);
    assert.throws(() => new Snowflake({ node: 7, layout: Layout.SONYFLAKE, stateDir: join(dir, 'b'), namespace: 'orders' }), (e) => e.code === 'node_in_use');
    assert.throws(() => m.rekey(8), (e) => e.code === 'invalid_argument');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
