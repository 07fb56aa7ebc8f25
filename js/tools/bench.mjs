// What the two JS benchmarks share (bindings-node/bench/bench.mjs and
// bindings-wasm/bench/bench.mjs): ns per call against peers, throughput at
// the Twitter layout's ceiling with duplicates counted, and the rows
// `--json FILE` writes (scripts/bench feeds them to the plot). `--quick`
// runs fewer and shorter rounds. Not a test: nothing here asserts a time.
import { writeFileSync } from 'node:fs';

export const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const MIN_MS = quick ? 60 : 200;

/** The rows `--json FILE` writes. */
export const rows = [];

/** Median ns per call of `f`, each round running at least MIN_MS. */
export function nsPerCall(f) {
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

const fmt = (ns) => (ns < 10 ? ns.toFixed(2) : ns.toFixed(1)).padStart(8);

/** ns per ID of `ours` and of each peer `[name, f, idsPerCall = 1]`, printed and kept as rows. */
export function compare(title, ours, peers, perCall = 1) {
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
export function throughput(next, ms) {
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

/** One ID per call from `gen.nextBatch(4096)`. */
export function batched(gen) {
  let buf = gen.nextBatch(4096);
  let i = 0;
  return () => {
    if (i === buf.length) {
      buf = gen.nextBatch(4096);
      i = 0;
    }
    return buf[i++];
  };
}

/**
 * Each `[name, next]` minting at the Twitter layout's ceiling (4,096,000 IDs/s
 * per node), the median of 3 rounds of 2 s (one of 0.5 s quick), printed and
 * kept as rows; IDs per second by name.
 */
export function atCeiling(peers) {
  const seconds = quick ? 0.5 : 2;
  // One round of 2 s is one sample of the machine too: a host hiccup costs
  // whole ticks. The median of three rounds, for idloom and the peers alike.
  const rounds = quick ? 1 : 3;
  const ceiling = 4_096_000;
  console.log(`\nsnowflake throughput, the median of ${rounds} rounds of ${seconds} s, Twitter layout (ceiling ${ceiling.toLocaleString('en')} IDs/s per node), duplicates counted`);
  const results = {};
  for (const [name, next] of peers) {
    const runs = Array.from({ length: rounds }, () => throughput(next, seconds * 1000));
    runs.sort((a, b) => a.perSecond - b.perSecond);
    const { perSecond, dup } = runs[runs.length >> 1];
    results[name] = perSecond;
    console.log(`  ${name.padEnd(34)} ${(perSecond / 1e6).toFixed(3).padStart(7)} M IDs/s = ${((100 * perSecond) / ceiling).toFixed(2).padStart(6)} % of ceiling, ${dup} duplicates`);
    rows.push({ what: 'snowflake at the Twitter ceiling', peer: name, ids_per_s: Math.round(perSecond), percent_of_ceiling: +((100 * perSecond) / ceiling).toFixed(2), duplicates: dup });
  }
  return results;
}

/** With `--json FILE`: the rows into FILE. */
export function writeRows() {
  const json = process.argv.indexOf('--json');
  if (json > 0) writeFileSync(process.argv[json + 1], JSON.stringify(rows, null, 1));
}
