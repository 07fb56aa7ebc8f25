// Benchmarks of idloom/stores on the local PostgreSQL, MariaDB and Redis, in
// one process run, as ratios (see the package README's Coordination section):
//   - Segment.next() on each store (step 1,000,000, refilled in the
//     background) vs the same on MemorySource, and vs one query per ID;
//   - next() latency and the event loop's delay while refills (step 1,000)
//     are in flight;
//   - a fenced (leased) Snowflake's next() vs an unfenced one;
//   - leaseNode() latency.
//
//   ./scripts/bench node-stores     (or: node bench/stores.mjs [--quick] [--json FILE])
//
// Not a test: nothing here asserts a time.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Layout, Segment, MemorySource, Snowflake } from '../lib/index.mjs';
import { MySQLStore, PostgresStore, RedisStore } from '../lib/stores.mjs';

const quick = process.argv.includes('--quick');
const jsonAt = process.argv.indexOf('--json');
const PG = process.env.IDLOOM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL = process.env.IDLOOM_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';
const REDIS = process.env.IDLOOM_REDIS ?? 'redis://127.0.0.1:6379/';
const ROUNDS = quick ? 3 : 7;
const CHUNK = 10_000;
const tag = (t) => `bench_${t}_${process.pid}`;
const turn = () => new Promise((r) => setImmediate(r));
const rows = [];

/**
 * Median ns per next() over ROUNDS rounds of `chunks` × CHUNK calls; between
 * chunks the event loop turns (so background refills land) and that time is
 * not counted.
 */
async function segmentNs(seg, chunks) {
  await seg.ready();
  const samples = [];
  let sink;
  for (let r = 0; r < ROUNDS + 1; r++) {
    let ns = 0n;
    for (let c = 0; c < chunks; c++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < CHUNK; i++) sink = seg.next();
      ns += process.hrtime.bigint() - t0;
      await turn();
    }
    if (r > 0) samples.push(Number(ns) / (chunks * CHUNK)); // round 0 warms up
  }
  globalThis.__sink = sink;
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

/** Median ns per call of a synchronous `f`. */
function syncNs(f, n) {
  for (let i = 0; i < n; i++) f();
  const samples = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

/** ns per awaited call of `f`, sequentially. */
async function asyncNs(f, n) {
  for (let i = 0; i < 20; i++) await f();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await f();
  return Number(process.hrtime.bigint() - t0) / n;
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
function row(what, oursNs, peer, peerNs, pairedRatio = peerNs / oursNs) {
  const ratio = round(pairedRatio);
  rows.push({ what, peer, ours_ns: round(oursNs), peer_ns: round(peerNs), ratio });
  console.log(`${what.padEnd(64)} ${oursNs.toFixed(1).padStart(10)} ns  vs ${peer}: ${peerNs.toFixed(1).padStart(12)} ns  ratio ${ratio}`);
}

/**
 * Latency of each next() and the event loop's delay while step-1,000 refills
 * are in flight: a consumer taking 100 IDs per millisecond (100,000 IDs/s, a
 * refill every ~9 ms). The call that crosses the threshold pays for starting
 * the query (the driver writes it); none waits for it.
 */
let latencyDone = Promise.resolve();
function latency(name, seg) {
  latencyDone = (async () => {
    await seg.ready();
    const lat = [];
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    let dry = 0;
    for (let k = 0; k < (quick ? 100 : 600); k++) {
      for (let i = 0; i < 100; i++) {
        const t0 = process.hrtime.bigint();
        try {
          seg.next();
        } catch {
          dry += 1; // memory dry: a caller would await nextAsync()
        }
        lat.push(Number(process.hrtime.bigint() - t0));
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    h.disable();
    lat.sort((a, b) => a - b);
    const r = {
      what: `Segment.next() latency on ${name}, step 1,000, refills in flight (100 IDs/ms)`,
      p50_ns: pct(lat, 50), p99_ns: pct(lat, 99), p999_ns: pct(lat, 99.9), max_ns: lat.at(-1), dry,
      event_loop_p99_ms: round(h.percentile(99) / 1e6), event_loop_max_ms: round(h.max / 1e6),
    };
    rows.push(r);
    console.log(`${r.what}: p50 ${r.p50_ns} ns, p99 ${r.p99_ns} ns, p99.9 ${r.p999_ns} ns, dry ${dry}; event loop p99 ${r.event_loop_p99_ms} ms, max ${r.event_loop_max_ms} ms`);
  })();
}

const chunks = quick ? 5 : 10;
const med = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];
latency('MemorySource (the baseline: no I/O)', new Segment(new MemorySource(1), { step: 1000 }));
await latencyDone;

const pgStore = await PostgresStore.fromUrl(PG);
const myStore = await MySQLStore.fromUrl(MYSQL);
const redisStore = await RedisStore.fromUrl(REDIS);
const { default: pg } = await import('pg');
const mysql = await import('mysql2/promise');
const { default: Redis } = await import('ioredis');
const pgPool = new pg.Pool({ connectionString: PG, max: 1 });
const myPool = mysql.createPool({ uri: MYSQL, connectionLimit: 1 });
const redis = new Redis(REDIS);
await pgPool.query(`CREATE SEQUENCE IF NOT EXISTS ${tag('seq')}`);

const stores = [
  ['postgres', pgStore, 'SELECT nextval() per ID', () => pgPool.query(`SELECT nextval('${tag('seq')}')`)],
  ['mysql', myStore, 'UPDATE … LAST_INSERT_ID per ID', async () => {
    await myPool.query('UPDATE idloom_alloc SET max_id = LAST_INSERT_ID(max_id + 1) WHERE biz_tag = ?', [tag('one')]);
  }],
  ['redis', redisStore, 'INCR per ID', () => redis.incr(tag('incr'))],
];

for (const [name, store, perIdName, perId] of stores) {
  await store.initSegment(tag('big'), { floor: 0 });
  await store.initSegment(tag('one'), { floor: 0 });
  await store.initSegment(tag('small'), { floor: 0 });
  // The store's segment and a MemorySource one measured in turn (the same
  // code paths warmed alike), each ratio from the medians.
  // The ratio is the median of the pairs' ratios: one pair's two runs see the same machine.
  const [os, ms, ratios] = [[], [], []];
  const big = new Segment(store.segmentSource(tag('big')), { step: 1_000_000 });
  const mem = new Segment(new MemorySource(1), { step: 1_000_000 });
  for (let r = 0; r < (quick ? 3 : 9); r++) {
    os.push(await segmentNs(big, chunks));
    ms.push(await segmentNs(mem, chunks));
    ratios.push(ms.at(-1) / os.at(-1));
  }
  const ours = med([...os]);
  row(`Segment.next() on ${name} (step 1,000,000, background refill)`, ours, 'the same on MemorySource', med([...ms]), med(ratios));
  row(`Segment.next() on ${name} vs one query per ID`, ours, perIdName, await asyncNs(perId, quick ? 300 : 2000));

  latency(name, new Segment(store.segmentSource(tag('small')), { step: 1000 }));
  await latencyDone;

  // leaseNode() latency (acquire, then release).
  const ns = tag(`lease_${name}`);
  await store.initNamespace(ns, { nodes: 64, ttlMs: 60_000, maxSkewMs: 1_000, fresh: true });
  const times = [];
  for (let i = 0; i < (quick ? 20 : 100); i++) {
    const t0 = process.hrtime.bigint();
    const lease = await store.leaseNode(ns);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await lease.release();
  }
  times.sort((a, b) => a - b);
  rows.push({ what: `leaseNode() latency on ${name}`, p50_ms: round(pct(times, 50)), p99_ms: round(pct(times, 99)) });
  console.log(`leaseNode() latency on ${name}: p50 ${round(pct(times, 50))} ms, p99 ${round(pct(times, 99))} ms`);

  if (name === 'redis') {
    // Fenced (leased) vs unfenced next(), on a 41/0/22 layout (4M IDs per ms:
    // never at the ceiling, so neither waits), rounds interleaved.
    const wide = new Layout({ timeBits: 41, nodeBits: 0, sequenceBits: 22, epochMs: 1_600_000_000_000 });
    const wns = tag('lease_wide');
    await store.initNamespace(wns, { layout: wide, nodes: 1, ttlMs: 60_000, maxSkewMs: 1_000, fresh: true });
    const lease = await store.leaseNode(wns, { layout: wide });
    const fenced = new Snowflake({ lease });
    const free = new Snowflake({ node: 0, layout: wide });
    const [fs, us, ratios] = [[], [], []];
    for (let r = 0; r < 9; r++) {
      fs.push(syncNs(() => fenced.next(), 100_000));
      us.push(syncNs(() => free.next(), 100_000));
      ratios.push(us.at(-1) / fs.at(-1));
    }
    row('Snowflake next(), fenced by a lease (41/0/22 layout)', med([...fs]), 'the same unfenced (node given)', med([...us]), med(ratios));
    await lease.release();
  }
}
if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify(rows, null, 1) + '\n');
process.exit(0);
