// One ID space across runtimes: Rust, Python, Node (addon) and wasm-in-Node
// minters run as separate processes at the same time, each with its own node
// ID of the Twitter layout (and threads or workers where the host has them),
// at least 1,000,000 IDs per process as fast as each can. Then: no duplicate
// across all of them, each thread's IDs increase, and every runtime decodes
// the same IDs to the same (time, node, sequence).
//
// Needs what ./scripts/test builds first: the Rust example `mint` (release),
// the Python package in .venv, the Node addon and the wasm package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duplicates, firstNotIncreasing, ids, run, runtimes } from './helpers.mjs';

test('four runtimes, four nodes, 4,000,000 IDs at once: no duplicate, increasing, decoded alike everywhere', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idloom-e2e-'));
  try {
    const plan = [
      ['rust', 1, 500_000, 2],
      ['python', 2, 500_000, 2],
      ['node', 3, 500_000, 2],
      ['wasm', 4, 1_000_000, 1],
    ];
    await Promise.all(plan.map(([name, node, count, threads]) => run(name, ['mint', join(dir, name), String(node), String(count), String(threads)])));

    const files = readdirSync(dir).filter((f) => /\.t\d+$/.test(f)).sort();
    assert.equal(files.length, 7);
    const arrays = [];
    const sample = [];
    for (const f of files) {
      const a = ids(join(dir, f));
      const [name] = f.split('.');
      const [, node, count] = plan.find(([n]) => n === name);
      assert.equal(a.length, count, f);
      assert.equal(firstNotIncreasing(a), -1, `${f}: IDs increase`);
      arrays.push(a);
      sample.push(...a.subarray(0, 500), ...a.subarray(a.length - 500));
      assert.equal(Number((a[0] >> 12n) & 1023n), node, `${f} carries node ${node}`);
    }
    assert.equal(arrays.reduce((s, a) => s + a.length, 0), 4_000_000);
    assert.equal(duplicates(arrays), 0, 'no duplicate across runtimes');

    const sampleFile = join(dir, 'sample.bin');
    const s = BigUint64Array.from(sample);
    writeFileSync(sampleFile, new Uint8Array(s.buffer));
    await Promise.all(runtimes.map((name) => run(name, ['decode', sampleFile, join(dir, `decoded.${name}`)])));
    const decoded = Object.fromEntries(runtimes.map((name) => [name, readFileSync(join(dir, `decoded.${name}`), 'utf8')]));
    assert.equal(decoded.rust.split('\n').length - 1, s.length);
    for (const name of ['python', 'node', 'wasm']) assert.equal(decoded[name], decoded.rust, `${name} decodes like Rust`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
