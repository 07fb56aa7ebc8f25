// Segments with synchronous, asynchronous and failing sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idloom } from './impl.mjs';

const { Segment, MemorySource } = idloom;

test('in-memory source: ranges never overlap between segments', () => {
  const store = new MemorySource(1);
  const a = new Segment(store, { step: 100 });
  const b = new Segment(store, { step: 100 });
  const seen = new Set();
  for (let i = 0; i < 5000; i++) {
    for (const id of [a.next(), b.next()]) {
      assert.ok(!seen.has(id), `duplicate ${id}`);
      seen.add(id);
    }
  }
  assert.deepEqual(store.take(5), { start: 10_201n, end: 10_206n }, 'each segment took 51 ranges of 100, then this one');
});

test('synchronous source: prefetches at the threshold, in order', () => {
  const calls = [];
  let next = 1;
  const seg = new Segment(
    (step) => {
      calls.push(step);
      const r = { start: next, end: next + step };
      next += step;
      return r;
    },
    { step: 10, thresholdPercent: 50 },
  );
  const ids = Array.from({ length: 25 }, () => seg.next());
  assert.deepEqual(ids, Array.from({ length: 25 }, (_, i) => BigInt(i + 1)));
  assert.deepEqual(calls, [10, 10, 10, 10]); // the first at once, then as each range reaches 50 % (IDs 5, 15, 25)
  assert.ok(seg.remaining > 0);
});

test('interleaved ranges: two stores with stride 2 never meet', () => {
  const even = new Segment(new MemorySource(0), { step: 8, stride: 2, offset: 0 });
  const odd = new Segment(new MemorySource(0), { step: 8, stride: 2, offset: 1 });
  const e = Array.from({ length: 20 }, () => even.next());
  const o = Array.from({ length: 20 }, () => odd.next());
  assert.ok(e.every((x) => x % 2n === 0n) && o.every((x) => x % 2n === 1n));
  assert.deepEqual(e.slice(0, 3), [0n, 2n, 4n]);
});

test('async source: next() serves from memory while the refill runs in the background', async () => {
  let next = 1n;
  let fetches = 0;
  const store = async (step) => {
    fetches++;
    await new Promise((r) => setTimeout(r, 5));
    const r = { start: next, end: next + BigInt(step) };
    next += BigInt(step);
    return r;
  };
  const seg = new Segment(store, { step: 100, thresholdPercent: 10 });
  assert.throws(() => seg.next(), (e) => e.code === 'segment_exhausted', 'dry until the first range arrives');
  await seg.ready();
  assert.equal(seg.remaining, 100);
  const first = Array.from({ length: 50 }, () => seg.next()); // crosses 10 %: a refill starts, next() keeps serving
  assert.equal(fetches, 2);
  assert.deepEqual(first.slice(0, 2), [1n, 2n]);
  const rest = [];
  for (let i = 0; i < 300; i++) rest.push(await seg.nextAsync()); // waits whenever memory runs dry
  const all = [...first, ...rest];
  assert.deepEqual(all, Array.from({ length: 350 }, (_, i) => BigInt(i + 1)));
});

test('a failing source is reported when memory is dry, and retried later', async () => {
  let fail = true;
  let next = 1;
  const seg = new Segment(
    async (step) => {
      if (fail) throw Object.assign(new Error('store down'), { code: 'ECONNREFUSED' });
      const r = { start: next, end: next + step };
      next += step;
      return r;
    },
    { step: 5 },
  );
  await assert.rejects(seg.ready(), /store down/);
  assert.throws(() => seg.next(), /store down|segment_exhausted/);
  await assert.rejects(seg.nextAsync(), /store down/);
  fail = false;
  assert.equal(await seg.nextAsync(), 1n);
});

test('a synchronous source that throws: the error surfaces, nothing loops', () => {
  let calls = 0;
  const seg = new Segment(() => {
    calls++;
    throw new Error('no database');
  });
  assert.throws(() => seg.next(), /no database/);
  assert.throws(() => seg.next(), /no database/);
  assert.ok(calls <= 4, `source called ${calls} times for two next() calls`);
});

test('a source breaking the contract is refused with invalid_range/invalid_type', () => {
  const bad = new Segment(() => ({ start: 10, end: 5 }));
  assert.throws(() => bad.next(), (e) => e instanceof RangeError && e.code === 'invalid_range');
  const shapeless = new Segment(() => 42);
  assert.throws(() => shapeless.next(), (e) => e instanceof TypeError && e.code === 'invalid_type');
  let start = 100;
  const backwards = new Segment(() => ({ start: (start -= 10), end: start + 5 }), { step: 5, thresholdPercent: 100 });
  for (let i = 0; i < 5; i++) backwards.next();
  assert.throws(() => backwards.next(), (e) => e.code === 'invalid_range', 'a range that goes back is refused');
  assert.throws(() => new Segment('db'), (e) => e instanceof TypeError && e.code === 'invalid_type');
  assert.throws(() => new Segment(new MemorySource(), { step: 0 }), (e) => e instanceof RangeError && e.code === 'invalid_argument');
  assert.throws(() => new Segment(new MemorySource(), { stride: 2, offset: 2 }), (e) => e.code === 'invalid_argument' && /offset/.test(e.message));
});
