// Benchmarks of the wasm package in Node against the peers a user would
// pick (nodejs-snowflake is wasm too), in one process run.
//
//   bash bindings-wasm/build.sh && npm install --prefix bindings-wasm/bench && node bindings-wasm/bench/bench.mjs [--quick]
//
// Not a test: nothing here asserts a time. `--json FILE` also writes the rows
// as JSON (scripts/bench feeds them to the plot).
import { randomUUID } from 'node:crypto';
import * as idloom from '../pkg/node.mjs';
import * as uuid from 'uuid';
import { nanoid } from 'nanoid';
import nodejsSnowflake from 'nodejs-snowflake';
import { atCeiling, batched, compare, quick, writeRows } from '../../js/tools/bench.mjs';

console.log(`idloom-wasm bench — node ${process.version}, ${quick ? 'quick' : 'full'} run`);

compare('UUID v4 string', idloom.v4, [
  ['crypto.randomUUID()', () => randomUUID()],
  ['uuid.v4()', () => uuid.v4()],
]);
compare('UUID v7 string', idloom.v7, [['uuid.v7()', () => uuid.v7()]]);
compare('NanoID (21, URL alphabet), per call', () => idloom.nanoid(), [['nanoid()', () => nanoid()]]);
compare('NanoID batch of 1024 vs nanoid() in a loop', () => idloom.nanoidBatch(1024), [['nanoid() x1024', () => { for (let i = 0; i < 1024; i++) nanoid(); }, 1024]], 1024);

const wide = new idloom.Layout({ timeBits: 41, nodeBits: 0, sequenceBits: 22, epochMs: 1_600_000_000_000 });
const wideGen = new idloom.Snowflake({ node: 0, layout: wide });
const nodeSf = new nodejsSnowflake.Snowflake({ instance_id: 1 });
compare('snowflake next(), per call below the ceiling (41/0/22 layout)', wideGen.next, [['nodejs-snowflake getUniqueID()', () => nodeSf.getUniqueID()]]);
compare('snowflake nextString()', wideGen.nextString, []);
// ---- segments from memory: one native call an ID between the core's fetch checks
const seg = new idloom.Segment(new idloom.MemorySource(1), { step: 100_000 });
compare('Segment next() from memory (step 100,000)', () => seg.next(), []);
const batchNs = compare('snowflake nextBatch(4096) (41/0/22 layout)', () => wideGen.nextBatch(4096), [], 4096);
console.log(`  = ${(1e3 / batchNs).toFixed(1)} M IDs/s`);

const tw = new idloom.Snowflake({ node: 1, layout: 'twitter' });
const results = atCeiling([
  ['idloom-wasm next()', tw.next],
  ['idloom-wasm nextBatch(4096)', batched(tw)],
  ['nodejs-snowflake getUniqueID()', () => nodeSf.getUniqueID()],
]);
console.log(`  idloom-wasm next() / nodejs-snowflake: ${(results['idloom-wasm next()'] / results['nodejs-snowflake getUniqueID()']).toFixed(2)}x`);
writeRows();
