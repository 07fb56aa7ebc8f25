// Benchmarks of the Node package against the peers a user would pick, in
// one process run: ns per ID and ratios, snowflake throughput against the
// layout ceiling, and duplicates counted for every snowflake peer.
//
//   cd bindings-node && npm run build && npm install --prefix bench && node bench/bench.mjs [--quick]
//
// Not a test: nothing here asserts a time. `--json FILE` also writes the rows
// as JSON (scripts/bench feeds them to the plot).
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as idloom from '../lib/index.mjs';
import * as uuid from 'uuid';
import { nanoid } from 'nanoid';
import { v4 as napiV4 } from '@napi-rs/uuid';
import { Snowflake as Sapphire } from '@sapphire/snowflake';
import nodejsSnowflake from 'nodejs-snowflake';
import FlakeId from 'flake-idgen';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const MIN_MS = quick ? 60 : 200;

/** Median ns per call of `f`, each round running at least MIN_MS. */
function nsPerCall(f) {
  let n = 1000;
  for (let i = 0; i < n; i++) f(); // warm up
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= MIN_MS) break;
    n *= 2;
  }
  const samples = [];
  let sink;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = f();
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  globalThis.__sink = sink;
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const rows = [];
const fmt = (ns) => (ns < 10 ? ns.toFixed(2) : ns.toFixed(1)).padStart(8);
function compare(title, ours, peers, perCall = 1) {
  const mine = nsPerCall(ours) / perCall;
  console.log(`\n${title}`);
  console.log(`  ${'idloom'.padEnd(34)} ${fmt(mine)} ns/ID`);
  for (const [name, f, n = 1] of peers) {
    const theirs = nsPerCall(f) / n;
    console.log(`  ${name.padEnd(34)} ${fmt(theirs)} ns/ID   idloom is ${(theirs / mine).toFixed(2)}x`);
    rows.push({ what: title, peer: name, ours_ns: +mine.toFixed(2), peer_ns: +theirs.toFixed(2), ratio: +(theirs / mine).toFixed(2) });
  }
  if (peers.length === 0) rows.push({ what: title, peer: null, ours_ns: +mine.toFixed(2) });
  return mine;
}

/**
 * Mint for `ms` milliseconds with `next` (which returns a bigint), storing
 * every ID; IDs per second, then duplicates counted after the clock stops.
 */
function throughput(next, ms) {
  const ids = new BigUint64Array(Math.ceil((ms / 1000) * 4_096_000 * 1.05) + 8192);
  let n = 0;
  const end = Date.now() + ms;
  while (Date.now() < end && n + 4096 <= ids.length) {
    for (let i = 0; i < 4096; i++) ids[n + i] = next();
    n += 4096;
  }
  const perSecond = (n * 1000) / ms;
  const sorted = ids.subarray(0, n).sort();
  let dup = 0;
  for (let i = 1; i < n; i++) if (sorted[i] === sorted[i - 1]) dup++;
  return { perSecond, dup };
}

console.log(`idloom Node bench — node ${process.version}, ${quick ? 'quick' : 'full'} run`);

// ---- UUIDs
compare('UUID v4 string', idloom.v4, [
  ['crypto.randomUUID()', () => randomUUID()],
  ['uuid.v4()', () => uuid.v4()],
  ['@napi-rs/uuid v4()', () => napiV4()],
]);
compare('UUID v7 string', idloom.v7, [['uuid.v7()', () => uuid.v7()]]);

// ---- NanoIDs
compare('NanoID (21, URL alphabet), per call', () => idloom.nanoid(), [['nanoid()', () => nanoid()]]);
compare('NanoID batch of 1024 vs nanoid() in a loop', () => idloom.nanoidBatch(1024), [['nanoid() x1024', () => { for (let i = 0; i < 1024; i++) nanoid(); }, 1024]], 1024);

// ---- snowflake below the ceiling: 22 sequence bits (4M per ms) never wait
const wide = new idloom.Layout({ timeBits: 41, nodeBits: 0, sequenceBits: 22, epochMs: 1_600_000_000_000 });
const wideGen = new idloom.Snowflake({ node: 0, layout: wide });
const nextWide = wideGen.next;
const sapphire = new Sapphire(1_288_834_974_657n);
const nodeSf = new nodejsSnowflake.Snowflake({ instance_id: 1 });
const flake = new FlakeId({ id: 1 });
const flakeNext = () => {
  for (;;) {
    try {
      return flake.next();
    } catch {
      // sequence overflow: flake-idgen throws without a callback; retry (its ceiling)
    }
  }
};
compare('snowflake next(), per call below the ceiling (41/0/22 layout)', nextWide, [
  ['@sapphire/snowflake generate()', () => sapphire.generate()],
  ['nodejs-snowflake getUniqueID()', () => nodeSf.getUniqueID()],
  ['flake-idgen next()', flakeNext],
]);
compare('snowflake nextString()', wideGen.nextString, []);
const batchNs = compare('snowflake nextBatch(4096) (41/0/22 layout)', () => wideGen.nextBatch(4096), [], 4096);
console.log(`  = ${(1e3 / batchNs).toFixed(1)} M IDs/s`);

// ---- snowflake at the ceiling: Twitter layout, 4,096,000/s per node
const seconds = quick ? 0.5 : 2;
const ceiling = 4_096_000;
console.log(`\nsnowflake throughput for ${seconds} s, Twitter layout (ceiling ${ceiling.toLocaleString('en')} IDs/s per node), duplicates counted`);
const tw = new idloom.Snowflake({ node: 1, layout: 'twitter' });
const peersAtCeiling = [
  ['idloom next()', tw.next],
  ['idloom nextBatch(4096)', (() => { let buf = tw.nextBatch(4096), i = 0; return () => { if (i === buf.length) { buf = tw.nextBatch(4096); i = 0; } return buf[i++]; }; })()],
  ['@sapphire/snowflake generate()', () => sapphire.generate()],
  ['nodejs-snowflake getUniqueID()', () => nodeSf.getUniqueID()],
  ['flake-idgen next()', () => flakeNext().readBigUInt64BE(0)],
];
for (const [name, next] of peersAtCeiling) {
  const { perSecond, dup } = throughput(next, seconds * 1000);
  console.log(`  ${name.padEnd(34)} ${(perSecond / 1e6).toFixed(3).padStart(7)} M IDs/s = ${((100 * perSecond) / ceiling).toFixed(2).padStart(6)} % of ceiling, ${dup} duplicates`);
  rows.push({ what: 'snowflake at the Twitter ceiling', peer: name, ids_per_s: Math.round(perSecond), percent_of_ceiling: +((100 * perSecond) / ceiling).toFixed(2), duplicates: dup });
}

const json = process.argv.indexOf('--json');
if (json > 0) writeFileSync(process.argv[json + 1], JSON.stringify(rows, null, 1));
