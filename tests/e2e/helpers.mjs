// Shared by the cross-runtime tests: the four minters (core/examples/mint.rs,
// mint.py, mint.mjs on the addon and on wasm) and reading their output.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;
const python = process.env.IDLOOM_PYTHON ?? join(root, '.venv/bin/python');
export const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target'); // where cargo built the Rust minters
export const minters = {
  rust: [join(targetDir, 'release/examples/mint')],
  python: [python, join(root, 'tests/e2e/mint.py')],
  node: [process.execPath, join(root, 'tests/e2e/mint.mjs')],
  wasm: [process.execPath, join(root, 'tests/e2e/mint.mjs')],
};
export const runtimes = Object.keys(minters);
// The store commands of the Rust side live in soak_minter (dev profile: it
// runs on the idloom-stores crate); the others are the same files.
export const storeMinters = { ...minters, rust: [join(targetDir, 'debug/examples/soak_minter')] };

/** Start a minter; returns the child process and a promise of its clean exit. */
export function start(name, args, table = minters) {
  const [cmd, ...pre] = table[name];
  const env = { ...process.env, IDLOOM_IMPL: name === 'wasm' ? 'wasm' : 'native' };
  const child = spawn(cmd, [...pre, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${name} ${args.join(' ')} exited ${code ?? signal}: ${err}`)),
    );
  });
  return { child, done };
}

export const run = (name, args, table = minters) => start(name, args, table).done;

/** The u64 little-endian IDs of a file, ignoring a torn last record. */
export function ids(file) {
  const b = readFileSync(file);
  const whole = b.byteLength - (b.byteLength % 8);
  return new BigUint64Array(b.buffer.slice(b.byteOffset, b.byteOffset + whole));
}

/** Index of the first ID that does not increase, or -1. */
export function firstNotIncreasing(a) {
  for (let i = 1; i < a.length; i++) if (a[i] <= a[i - 1]) return i;
  return -1;
}

/** How many IDs of the arrays occur more than once across all of them. */
export function duplicates(arrays) {
  const all = new BigUint64Array(arrays.reduce((s, a) => s + a.length, 0));
  let at = 0;
  for (const a of arrays) all.set(a, at), (at += a.length);
  all.sort();
  let dup = 0;
  for (let i = 1; i < all.length; i++) if (all[i] === all[i - 1]) dup++;
  return dup;
}
