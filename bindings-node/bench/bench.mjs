// Benchmarks of the Node package against the peers a user would pick, in
// one process run: ns per ID and ratios, snowflake throughput against the
// layout ceiling, and duplicates counted for every snowflake peer.
//
//   cd bindings-node && npm run build && npm install --prefix bench && node bench/bench.mjs [--quick]
//
// Not a test: nothing here asserts a time. `--json FILE` also writes the rows
// as JSON (scripts/bench feeds them to the plot).
import { randomUUID } from 'node:crypto';
import * as idloom from '../lib/index.mjs';
import * as uuid from 'uuid';
import { nanoid } from 'nanoid';
import { v4 as napiV4 } from '@napi-rs/uuid';
import { Snowflake as Sapphire } from '@sapphire/snowflake';
import nodejsSnowflake from 'nodejs-snowflake';
import FlakeId from 'flake-idgen';
import { atCeiling, batched, compare, quick, writeRows } from '../../js/tools/bench.mjs';

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
// ---- segments from memory: one native call an ID between the core's fetch checks
const seg = new idloom.Segment(new idloom.MemorySource(1), { step: 100_000 });
compare('Segment next() from memory (step 100,000)', () => seg.next(), []);
const batchNs = compare('snowflake nextBatch(4096) (41/0/22 layout)', () => wideGen.nextBatch(4096), [], 4096);
console.log(`  = ${(1e3 / batchNs).toFixed(1)} M IDs/s`);

// ---- snowflake at the ceiling: Twitter layout, 4,096,000/s per node
const tw = new idloom.Snowflake({ node: 1, layout: 'twitter' });
atCeiling([
  ['idloom next()', tw.next],
  ['idloom nextBatch(4096)', batched(tw)],
  ['@sapphire/snowflake generate()', () => sapphire.generate()],
  ['nodejs-snowflake getUniqueID()', () => nodeSf.getUniqueID()],
  ['flake-idgen next()', () => flakeNext().readBigUInt64BE(0)],
]);
writeRows();
