// The seeds' other schemes on the real servers: database sequences with a
// step (N databases as Tinyid's remainder and delta), Flickr ticket servers
// (odd/even), and SegmentGroup — several stores as one source, a store that
// is down skipped (3 private Redis servers, one killed mid-run).
import test from 'node:test';
import assert from 'node:assert/strict';
import { idloom } from './impl.mjs';

const { Segment, MySQLStore, PostgresStore, RedisStore, SegmentGroup } = idloom;
import { privateRedis } from './servers.mjs';

const PG = process.env.IDLOOM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL = process.env.IDLOOM_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';
const unique = (tag) => `jss${tag}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
const code = (c) => (e) => e.code === c;
test.after(() => setTimeout(() => process.exit(0), 50).unref());

for (const engine of ['postgres', 'mysql']) {
  test(`${engine}: two sequences with a step interleave without meeting, as one group`, async () => {
    const store = engine === 'postgres' ? await PostgresStore.fromUrl(PG) : await MySQLStore.fromUrl(MYSQL);
    const [a, b] = [unique('seqa'), unique('seqb')];
    await store.initSequence(a, { step: 100, floor: 1000, index: 0, count: 2 });
    await store.initSequence(b, { step: 100, floor: 1000, index: 1, count: 2 });
    await store.initSequence(a, { step: 100, floor: 1000, index: 0, count: 2 }); // if missing: kept
    const segments = [a, b].map((n) => new Segment(store.sequenceSource(n, { step: 100 }), { step: 100 }));
    const group = new SegmentGroup(segments);
    await group.ready();
    // Both in memory before drawing: under load one's first fetch could outlast the 2,000 draws,
    // which the group would rightly serve from the other alone.
    await Promise.all(segments.map((s) => s.ready()));
    const ids = [];
    for (let i = 0; i < 2000; i++) ids.push(await group.nextAsync());
    assert.equal(new Set(ids.map(String)).size, 2000);
    assert.ok(ids.every((i) => i >= 1000n));
    const sorted = [...ids].sort((x, y) => (x < y ? -1 : 1));
    assert.equal(sorted[0], 1000n);
    const blocks = new Set(ids.map((i) => (i - 1000n) / 100n));
    assert.ok([...blocks].some((k) => k % 2n === 0n) && [...blocks].some((k) => k % 2n === 1n), 'ranges from both sequences');
    // The Segment's step must be the sequence's; the numbers are the core's to check.
    await assert.rejects(store.sequenceSource(a, { step: 100 })(50), (e) => e.code === 'invalid_argument' && /sequence's step 100/.test(e.message));
    await assert.rejects(store.initSequence(unique('x'), { step: 100, index: 2, count: 2 }), (e) => e.code === 'invalid_argument' && e.message === 'index must be in 0..=1, got 2');
    await assert.rejects(store.initSequence(unique('x'), { step: 0 }), (e) => e.message === 'step must be in 1..=2147483647, got 0');
    assert.throws(() => store.sequenceSource('x; DROP TABLE y', { step: 1 }), code('invalid_argument'));
    await assert.rejects(store.sequenceSource(unique('nosuch'), { step: 100 })(100), code('store_schema'));
  });
}

test('mysql: Flickr ticket servers, odd and even, as one group; REPLACE INTO too', async () => {
  const store = await MySQLStore.fromUrl(MYSQL);
  const [odd, even] = [unique('tick1'), unique('tick2')];
  await store.initTickets(odd);
  await store.initTickets(even);
  const group = new SegmentGroup([
    new Segment(store.ticketSource(odd, { servers: 2, index: 1 }), { step: 1 }),
    new Segment(store.ticketSource(even, { servers: 2, index: 2 }), { step: 1 }),
  ]);
  const ids = [];
  for (let i = 0; i < 200; i++) ids.push(await group.nextAsync());
  assert.equal(new Set(ids.map(String)).size, 200);
  assert.equal(ids.filter((i) => i % 2n === 1n).length, 100, 'half from the odd server');
  const replace = store.ticketSource(odd, { servers: 2, index: 1, replace: true });
  const { start, end } = await replace(1);
  assert.equal(end - start, 1);
  assert.equal(start % 2, 1);
  assert.ok(ids.every((i) => BigInt(start) !== i));
  assert.throws(() => store.ticketSource(odd, { servers: 2, index: 3 }), (e) => e.code === 'invalid_argument' && /index must be in 1..=2/.test(e.message));
  assert.throws(() => store.ticketSource(odd, { replace: 'yes' }), code('invalid_type'));
});

test('3 private Redis servers as one group (offset and stride), one killed mid-run: no duplicate, the group goes on', async () => {
  const servers = await Promise.all([privateRedis(), privateRedis(), privateRedis()]);
  try {
    const tag = unique('grp');
    const segs = [];
    for (const [k, srv] of servers.entries()) {
      const store = await RedisStore.fromUrl(srv.url);
      await store.initSegment(tag, { floor: 0 });
      segs.push(new Segment(store.segmentSource(tag), { step: 50, stride: 3, offset: k, timeoutMs: 2000 }));
    }
    const group = new SegmentGroup(segs);
    await group.ready();
    const ids = [];
    for (let i = 0; i < 3000; i++) {
      if (i === 1000) servers[1].kill();
      ids.push(await group.nextAsync());
    }
    assert.equal(new Set(ids.map(String)).size, 3000);
    const byServer = [0, 1, 2].map((k) => ids.filter((i) => i % 3n === BigInt(k)).length);
    // Each took a third until the kill (~333); then the killed one serves only what it had in
    // memory, and its turns pass to the next in line (server 2), so server 0 ends near 1,000
    // and server 2 near 1,667 — "> 1000" for server 0 was a coin toss under load.
    assert.ok(byServer[1] < 1000 && byServer[0] > 700 && byServer[2] > 1000 && byServer[1] < byServer[0], JSON.stringify(byServer));
    assert.ok(group.skipped > 0);
  } finally {
    for (const s of servers) s.kill();
  }
});

test('SegmentGroup: bad input; every store down ends in the last failure', async () => {
  assert.throws(() => new SegmentGroup([]), (e) => e instanceof Error && e.code === 'invalid_type');
  assert.throws(() => new SegmentGroup([() => {}]), code('invalid_type'));
  const down = (s) => new Segment(async () => { throw Object.assign(new Error(`down ${s}`), { code: 'store_unavailable' }); }, { step: 10 });
  const group = new SegmentGroup([down('a'), down('b')]);
  await assert.rejects(group.ready(), code('store_unavailable'));
  await assert.rejects(group.nextAsync(), code('store_unavailable'));
  assert.throws(() => group.next(), code('store_unavailable'));
});

test('redis: a counter near 2^53 never overlaps and is refused at the edge (invalid_range)', async () => {
  const REDIS = process.env.IDLOOM_REDIS ?? 'redis://127.0.0.1:6379/';
  const store = await RedisStore.fromUrl(REDIS);
  const Redis = (await import('ioredis')).default;
  const raw = new Redis(REDIS);
  try {
    const edge = Number.MAX_SAFE_INTEGER; // 2^53 - 1: the last integer Lua's doubles hold
    const tag = unique('edge');
    // The core's bound, as in Python: a floor the first fetch could not serve.
    await assert.rejects(store.initSegment(tag, { floor: 2 ** 60, step: 1000 }), (e) => e.code === 'invalid_range' && e.message.includes(`floor must be in 0..=${edge - 1001}, got ${2n ** 60n}`));
    await assert.rejects(store.initSegment(tag, { floor: edge - 1000 }), code('invalid_range'));
    const step = 1001;
    const floor = edge - 4 * step - 500;
    await store.initSegment(tag, { floor, step });
    const source = store.segmentSource(tag);
    const ranges = [];
    let refused = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      for (let i = 0; i < 8; i++) {
        try {
          ranges.push(await source(step));
        } catch (e) {
          assert.equal(e.code, 'invalid_range');
          refused++;
          return;
        }
      }
    }));
    const got = ranges.sort((a, b) => a.start - b.start);
    assert.equal(refused, 4, `every drawer reached the edge and was refused: ${JSON.stringify(got)}`);
    assert.equal(got.length, 4);
    assert.equal(got[0].start, floor);
    for (let i = 1; i < got.length; i++) assert.equal(got[i - 1].end, got[i].start, 'contiguous, no overlap');
    assert.ok(got.every((r) => r.end - r.start === step && r.end < edge), JSON.stringify(got));
    const key = `{idloom:seg:${tag}}`;
    assert.equal(await raw.get(key), String(floor + 4 * step), 'a refused fetch moves nothing');
    // A counter already past the edge (an old script, a SET) stays refused, unchanged.
    await raw.set(key, (2n ** 60n).toString());
    for (let i = 0; i < 2; i++) await assert.rejects(source(step), code('invalid_range'));
    assert.equal(await raw.get(key), (2n ** 60n).toString());
  } finally {
    raw.disconnect();
  }
});
