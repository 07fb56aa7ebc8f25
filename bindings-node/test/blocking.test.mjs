// The event loop is never held hostage: synchronous calls block at most
// MAX_SYNC_WAIT_MS (20 ms) per wait and throw `would_block` beyond, waits go
// through nextAsync(); a source that never answers times out with
// `store_unavailable`; batches too large for a JS string, and `bits` that
// cannot become a number, are typed errors up front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idloom } from './impl.mjs';

const { Layout, Snowflake, Segment, nanoidBatch, customAlphabet, encode, decode } = idloom;

/** A layout of its own per call (the registry remembers nodes), ticks of `tickMs`, 4 IDs a tick. */
let epochShift = 0;
const tiny = (tickMs, phaseMs) =>
  new Layout({ timeBits: 30, nodeBits: 4, sequenceBits: 2, tickMs, epochMs: Date.now() - phaseMs - 1000 * ++epochShift * tickMs });

test('a wait longer than 20 ms is would_block on next(), and nextAsync() waits on a timer instead', async () => {
  // One-day ticks whose boundary is 12 h away: the 5th ID needs a long wait.
  const gen = new Snowflake({ node: 1, layout: tiny(86_400_000, 43_200_000), exhausted: 'wait' });
  for (let i = 0; i < 4; i++) gen.next();
  const t = performance.now();
  assert.throws(() => gen.next(), (e) => e.code === 'would_block' && /nextAsync/.test(e.message));
  assert.throws(() => gen.nextBatch(1), (e) => e.code === 'would_block');
  assert.ok(performance.now() - t < 200, 'refused at once, not after waiting');

  // 200 ms ticks: nextAsync resolves in the next tick while timers keep running.
  const fast = new Snowflake({ node: 2, layout: tiny(200, 0), exhausted: 'wait' });
  for (let i = 0; i < 4; i++) fast.next();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const before = performance.now();
  const ids = [await fast.nextAsync(), await fast.nextAsync()];
  clearInterval(timer);
  assert.ok(ids[1] > ids[0]);
  if (performance.now() - before > 40) assert.ok(ticks >= 2, `the event loop ran during the wait (${ticks} ticks)`);
});

test('Segment: an async source that never answers fails with store_unavailable after timeoutMs', async () => {
  const seg = new Segment(() => new Promise(() => {}), { step: 10, timeoutMs: 50 });
  const t = performance.now();
  await assert.rejects(seg.ready(), (e) => e.code === 'store_unavailable' && /50 ms/.test(e.message));
  assert.ok(performance.now() - t < 5000);
  assert.throws(() => seg.next(), (e) => e.code === 'store_unavailable', 'dry, the fetch failure surfaces');
  assert.throws(() => new Segment(() => ({ start: 1, end: 2 }), { timeoutMs: 0 }), (e) => e.code === 'invalid_argument');
});

test("Segment: timeoutMs is bounded by the core's timeout_ms spec (1..=86,400,000), as a store call's is", () => {
  const source = () => ({ start: 1, end: 2 });
  for (const timeoutMs of [1, 3_600_001, 86_400_000]) new Segment(source, { timeoutMs });
  assert.throws(() => new Segment(source, { timeoutMs: 86_400_001 }), (e) => e.code === 'invalid_argument' && /timeoutMs must be in 1..=86400000/.test(e.message));
  assert.throws(() => new Segment(source, { timeoutMs: '10' }), (e) => e.code === 'invalid_type');
});

test('Segment: a slow source within timeoutMs still supplies its range', async () => {
  const seg = new Segment((step) => new Promise((resolve) => setTimeout(() => resolve({ start: 1, end: 1 + step }), 20)), { step: 5, timeoutMs: 2000 });
  await seg.ready();
  assert.equal(seg.next(), 1n);
});

test('nanoidBatch: count × size past the JS string limit is refused up front, with its code', () => {
  assert.throws(() => nanoidBatch(1 << 20, 1024), (e) => e instanceof RangeError && e.code === 'invalid_argument' && /chunks/.test(e.message));
  assert.throws(() => customAlphabet('abc').batch(1 << 20, 512), (e) => e.code === 'invalid_argument');
  assert.equal(nanoidBatch(1 << 14, 1024).length, 1 << 14, 'within the limit it works');
});

test('encode/decode: bits that cannot become a number are invalid_type, others invalid_argument', () => {
  for (const bits of [Symbol('b'), {}, [], '64', null]) {
    assert.throws(() => encode(1n, 'base62', bits), (e) => e instanceof TypeError && e.code === 'invalid_type', String(typeof bits));
    assert.throws(() => decode('00000000001', 'base62', bits), (e) => e instanceof TypeError && e.code === 'invalid_type');
  }
  assert.throws(() => encode(1n, 'base62', 32), (e) => e instanceof RangeError && e.code === 'invalid_argument');
  assert.equal(encode(1n, 'base62', 128n).length, 22);
});
