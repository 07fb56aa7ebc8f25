// Kubernetes StatefulSet ordinals: a pod's node from its name ($HOSTNAME
// `NAME-k` → base + k × slots + slot), its fence on the pod's volume, so a
// restarted pod starts above its predecessor; bad names have typed errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Slot } from '../lib/index.mjs';

const POD = `
import { Layout, Slot, Snowflake } from ${JSON.stringify(new URL('../lib/index.mjs', import.meta.url).href)};
const slot = Slot.statefulset(process.argv[1], 'orders', { base: 100, slots: 2, layout: new Layout({ ...Layout.TWITTER.spec, epochMs: 1_350_000_000_000 }) });
const gen = new Snowflake({ slot, stateLeadMs: 300 });
process.stdout.write('node ' + slot.node + '\\n');
for (;;) {
  let out = '';
  for (let i = 0; i < 1000; i++) out += gen.nextString() + '\\n';
  if (!process.stdout.write(out)) await new Promise((r) => process.stdout.once('drain', r));
}
`;

/** Run pod `hostname` on `volume` until it printed `count` IDs, then SIGKILL it. */
function runPod(volume, hostname, count) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', POD, volume], { env: { ...process.env, HOSTNAME: hostname } });
    let text = '';
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.stdout.on('data', (d) => {
      text += d;
      if (text.split('\n').length > count + 2) p.kill('SIGKILL');
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('exit', () => {
      clearTimeout(timer);
      const lines = text.split('\n');
      if (!lines[0].startsWith('node ')) return reject(new Error(`the pod did not start: ${err}`));
      resolve({ node: Number(lines[0].slice(5)), ids: lines.slice(1).filter((l) => /^\d+$/.test(l)).map(BigInt) });
    });
  });
}

test('a StatefulSet pod takes its ordinal\'s node and restarts above its predecessor', async () => {
  const volume = mkdtempSync(join(tmpdir(), 'idloom-sts-'));
  try {
    const before = await runPod(volume, 'orders-api-3', 10_000);
    assert.equal(before.node, 106, 'base + ordinal × slots');
    assert.ok(before.ids.length >= 10_000);
    const after = await runPod(volume, 'orders-api-3', 5_000);
    assert.equal(after.node, 106);
    const max = before.ids.reduce((a, b) => (a > b ? a : b));
    assert.ok(after.ids.every((i) => i > max), 'a restarted pod never repeats its predecessor');
    assert.match(readFileSync(join(volume, 'orders', 'slot-0.state'), 'utf8'), /node=106/);
  } finally {
    rmSync(volume, { recursive: true, force: true });
  }
});

test('StatefulSet ordinals: bad names and ranges have their codes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idloom-sts-'));
  try {
    const a = Slot.statefulset(dir, 'web', { hostname: 'web-2', slots: 2 });
    const b = Slot.statefulset(dir, 'web', { hostname: 'web-2', slots: 2 });
    assert.deepEqual([a.node, b.node], [4, 5]);
    assert.throws(() => Slot.statefulset(dir, 'web', { hostname: 'web-2', slots: 2 }), (e) => e.code === 'no_free_node');
    for (const bad of ['web', 'web-03', 'web-3a', '-3', '']) {
      assert.throws(
        () => Slot.statefulset(dir, 'web', { hostname: bad }),
        (e) => e.code === 'invalid_argument' && /hostname: must end in -ORDINAL/.test(e.message),
        bad,
      );
    }
    assert.throws(() => Slot.statefulset(dir, 'web', { hostname: 'web-512', slots: 2 }), (e) => e.code === 'node_out_of_range' && /node/.test(e.message));
    assert.throws(() => Slot.statefulset(dir, 'web', { hostname: 'web-1', base: 1024 }), (e) => e.code === 'node_out_of_range' && /base/.test(e.message));
    assert.throws(() => Slot.statefulset(dir, 'web', { hostname: 'web-1', slots: 0 }), (e) => e.code === 'invalid_argument' && /slots/.test(e.message));
    assert.throws(() => Slot.statefulset(dir, 'web', { hostname: 3 }), (e) => e.code === 'invalid_type');
    a.release();
    b.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
