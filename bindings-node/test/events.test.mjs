// Events in the core's vocabulary (tests/vectors/events.json), on the addon
// and on wasm: every kind with its level and meaning, every sample's
// one-line message, and a Segment's events — counted by stats(), emitted on
// the segment (an EventEmitter under Node), published on the `idloom`
// diagnostics_channel, handed to the hooks — with a throwing listener
// reported as a warning, never thrown into next().
import test from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import diagnosticsChannel from 'node:diagnostics_channel';
import { idloom, vectors } from './impl.mjs';

const { Segment, MemorySource, EVENT_KINDS, EVENT_CHANNEL, addEventHook, removeEventHook, eventMessage } = idloom;
const V = vectors('events.json');
const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

test('every kind is the core\'s, with its level and meaning', () => {
  assert.deepEqual(Object.keys(EVENT_KINDS), V.kinds.map((k) => k.kind));
  for (const k of V.kinds) assert.deepEqual({ ...EVENT_KINDS[k.kind] }, { level: k.level, what: k.what }, k.kind);
  assert.equal(EVENT_CHANNEL, 'idloom');
});

test('every sample event has the core\'s one-line message', () => {
  for (const { event, message } of V.samples) {
    const { kind, ...facts } = event;
    const f = Object.fromEntries(Object.entries(facts).map(([k, v]) => [camel(k), v]));
    assert.equal(eventMessage(kind, f), message);
  }
  assert.throws(() => eventMessage('lease_stolen'), (e) => e.code === 'invalid_argument' && /kind/.test(e.message));
  assert.throws(() => eventMessage('lease_lost', { node: '3' }), (e) => e.code === 'invalid_type' && /facts\.node/.test(e.message));
});

test('a segment reports fetched, fetch failed and ran dry, counted by stats()', () => {
  let fail = false;
  const seen = [];
  const src = (step) => {
    if (fail) throw Object.assign(new Error('down'), { code: 'store_unavailable' });
    return { start: 1n, end: 1n + BigInt(step) };
  };
  let next = 1n;
  const seg = new Segment((step) => {
    const r = src(step);
    const start = next;
    next += r.end - r.start;
    return { start, end: next };
  }, { step: 4, name: 'orders' });
  assert.ok(seg instanceof EventEmitter, 'an EventEmitter under Node');
  seg.on('event', (name, facts) => seen.push([name, facts]));
  const fetched = [];
  seg.on('segment_fetched', (facts) => fetched.push(facts));
  for (let i = 0; i < 8; i++) seg.next();
  assert.ok(fetched.length >= 2);
  assert.deepEqual(fetched[0], { amount: 4, detail: 'orders' });
  fail = true;
  assert.throws(() => {
    for (let i = 0; i < 16; i++) seg.next();
  }, (e) => e.code === 'store_unavailable');
  const names = seen.map(([n]) => n);
  assert.ok(names.includes('segment_fetch_failed'));
  assert.deepEqual(seen.find(([n]) => n === 'segment_ran_dry')[1], { code: 'store_unavailable', detail: 'orders' });
  const stats = seg.stats();
  assert.deepEqual(Object.keys(stats), V.kinds.map((k) => k.kind), 'every kind, in the core\'s order');
  assert.equal(stats.segment_fetched, fetched.length);
  assert.equal(stats.segment_ran_dry, names.filter((n) => n === 'segment_ran_dry').length);
  assert.equal(stats.lease_acquired, 0);
});

test('the channel and the hooks get every event; a throwing listener is a warning, not an error in next()', async () => {
  const seg = new Segment(new MemorySource(1), { step: 2 });
  const published = [];
  const onMessage = (m) => published.push(m);
  diagnosticsChannel.subscribe('idloom', onMessage);
  const hooked = [];
  const hook = addEventHook((name, facts, source) => hooked.push([name, facts, source]));
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  seg.on('segment_fetched', () => {
    throw new Error('a listener bug');
  });
  try {
    assert.equal(seg.next(), 1n, 'next() goes on');
    assert.equal(seg.next(), 2n);
  } finally {
    diagnosticsChannel.unsubscribe('idloom', onMessage);
    removeEventHook(hook);
  }
  assert.ok(published.length >= 1);
  assert.deepEqual(
    { ...published[0], source: published[0].source === seg },
    { name: 'segment_fetched', level: 'debug', message: 'segment_fetched amount=2', facts: { amount: 2 }, source: true },
  );
  assert.equal(hooked.length, published.length);
  assert.deepEqual(hooked[0].slice(0, 2), ['segment_fetched', { amount: 2 }]);
  assert.equal(hooked[0][2], seg);
  await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
  process.off('warning', onWarning);
  assert.ok(warnings.some((w) => /a listener of segment_fetched threw/.test(w.message) && w.code === 'IDLOOM_EVENT_LISTENER'));
  // Removed: no more calls.
  const before = hooked.length;
  seg.next();
  seg.next();
  assert.equal(hooked.length, before);
  assert.throws(() => addEventHook(42), (e) => e.code === 'invalid_type');
});

test("a Snowflake's stats() are the core's clock events of its node: borrowing started and ended", async () => {
  const { Snowflake, Layout } = idloom;
  // Two sequence bits: four IDs a millisecond, so a batch of 64 borrows ticks ahead of the clock.
  const layout = new Layout({ timeBits: 41, nodeBits: 10, sequenceBits: 2, epochMs: 1_600_000_000_000 });
  const gen = new Snowflake({ node: 1000 + Math.floor(Math.random() * 20), layout, exhausted: 'borrow', maxBorrowMs: 1000 });
  gen.nextBatch(64);
  const during = gen.stats();
  assert.deepEqual(Object.keys(during), V.kinds.map((k) => k.kind));
  assert.ok(during.borrowing_started >= 1);
  await new Promise((r) => setTimeout(r, 100)); // the clock passes the borrowed ticks
  gen.next();
  const after = gen.stats();
  assert.equal(after.borrowing_ended, after.borrowing_started);
  assert.equal(after.clock_stepped_back, 0);
  assert.equal(after.lease_acquired, 0);
});
