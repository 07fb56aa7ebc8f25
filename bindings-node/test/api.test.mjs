// The JS suite: shared vectors, bad input, worker_threads, both module systems.
// IDLOOM_IMPL selects the build under test (only `native` exists so far).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const impl = process.env.IDLOOM_IMPL ?? 'native';
if (impl !== 'native') throw new Error(`unknown IDLOOM_IMPL ${impl}`);
const idloom = await import('../lib/index.mjs');
const { Layout, Snowflake, SnowflakeMachine } = idloom;

const vectors = (name) => JSON.parse(readFileSync(new URL(`../../tests/vectors/${name}`, import.meta.url), 'utf8'));
const layoutFrom = (v) => new Layout({ timeBits: v.time_bits, nodeBits: v.node_bits, sequenceBits: v.sequence_bits, epochMs: v.epoch_ms, tickMs: v.tick_ms, order: v.order });
const outcome = (f) => {
  try {
    return f();
  } catch (e) {
    if (!e.code) throw e;
    return { error: e.code };
  }
};

test('layouts agree with the vectors', () => {
  const v = vectors('layouts.json');
  for (const entry of v.layouts) {
    const layout = layoutFrom(entry.layout);
    if (entry.preset) assert.deepEqual(Layout.preset(entry.name).spec, layout.spec);
    const cap = layout.capacity();
    assert.equal(cap.idsPerSecondPerNode, entry.capacity.ids_per_second_per_node);
    assert.equal(cap.runsOutAtMs, entry.capacity.runs_out_at_ms);
    assert.equal(cap.leavesJsSafeAtMs ?? null, entry.capacity.leaves_js_safe_at_ms);
    for (const c of entry.cases) {
      const id = BigInt(c.id);
      assert.equal(layout.compose(c.timestamp_ms, c.node, c.sequence), id);
      const p = layout.decode(id);
      assert.deepEqual([p.timestampMs, p.node, p.sequence], [c.parts.timestamp_ms, c.node, c.sequence]);
      assert.equal(p.timestamp.getTime(), c.parts.timestamp_ms);
      assert.equal(layout.friendly(id), c.parts.friendly);
      assert.equal(layout.parseFriendly(c.parts.friendly), id);
    }
    for (const bad of entry.bad_compose) {
      assert.deepEqual(outcome(() => layout.compose(bad.timestamp_ms, bad.node, bad.sequence)), bad.expect);
    }
    assert.deepEqual(outcome(() => layout.decode(BigInt(entry.bad_decode.id))), entry.bad_decode.expect);
  }
  for (const bad of v.invalid) {
    const e = outcome(() => new Layout({ timeBits: bad.time_bits, nodeBits: bad.node_bits, sequenceBits: bad.sequence_bits, epochMs: bad.epoch_ms, tickMs: bad.tick_ms }));
    assert.deepEqual(e, { error: bad.expect.error });
  }
});

test('snowflake scripts agree with the vectors', () => {
  const v = vectors('snowflake_scripts.json');
  for (const script of v.scripts) {
    const p = script.policy;
    const gen = new SnowflakeMachine({
      node: script.node,
      layout: layoutFrom(script.layout),
      backwards: p.on_backwards.kind,
      maxBackwardsMs: p.on_backwards.max_ms ?? p.on_backwards.max_lead_ms ?? 1000,
      exhausted: p.on_exhausted.kind,
      maxBorrowMs: p.on_exhausted.max_lead_ms ?? 1000,
      sequenceStart: p.sequence_start.kind,
      seed: p.sequence_start.seed === undefined ? undefined : BigInt(p.sequence_start.seed),
    });
    script.steps.forEach((step, i) => {
      const got = outcome(() => {
        if (step.fill !== undefined) {
          const { ids, retryAtMs } = gen.fillAt(step.now, step.fill);
          return { ids: [...ids].map(String), retry_at: retryAtMs };
        }
        const r = gen.nextAt(step.now);
        return typeof r === 'bigint' ? { id: String(r) } : { retry_at: r.retryAtMs };
      });
      assert.deepEqual(got, step.expect, `${script.name} step ${i}`);
    });
  }
  for (const bad of v.bad_nodes) {
    assert.deepEqual(outcome(() => new Snowflake({ node: bad.node, layout: layoutFrom(bad.layout) })), bad.expect);
  }
});

test('UUIDs and NanoIDs agree with the vectors', () => {
  const u = vectors('uuid.json');
  for (const c of u.v4) assert.equal(idloom.v4FromBytes(Buffer.from(c.random, 'hex')), c.uuid);
  for (const c of u.parse) {
    if (c.expect.error) {
      assert.deepEqual(outcome(() => idloom.parse(c.input)), c.expect);
      continue;
    }
    const bytes = idloom.parse(c.input);
    assert.equal(idloom.stringify(bytes), c.expect.hyphenated);
    assert.equal(idloom.version(c.input), c.expect.version);
    assert.equal(idloom.uuidTimestampMs(c.input), c.expect.timestamp_ms);
  }
  const n = vectors('nanoid.json');
  for (const c of n.cases) assert.equal(idloom.nanoidFromBytes(c.alphabet, c.size, Buffer.from(c.random, 'hex')), c.id);
  for (const bad of n.invalid) assert.deepEqual(outcome(() => idloom.customAlphabet(bad.alphabet, bad.size)), bad.expect);
});

test('npm uuid and nanoid shapes', () => {
  const a = idloom.v7();
  const b = idloom.v7();
  assert.ok(a < b && idloom.validate(a) && idloom.version(a) === 7);
  assert.equal(idloom.version(idloom.v4()), 4);
  assert.ok(!idloom.validate('nope') && !idloom.validate(42));
  assert.equal(idloom.stringify(idloom.parse(idloom.NIL)), idloom.NIL);
  assert.match(idloom.nanoid(), /^[A-Za-z0-9_-]{21}$/);
  assert.equal(idloom.nanoid(8).length, 8);
  const pin = idloom.customAlphabet('0123456789', 6);
  assert.match(pin(), /^\d{6}$/);
  assert.match(pin(3), /^\d{3}$/);
});

test('snowflake: next, strings, batches, iteration, decode', () => {
  const gen = new Snowflake({ node: 12, layout: 'sonyflake', exhausted: 'borrow', maxBorrowMs: 10_000 });
  const ids = Array.from({ length: 10_000 }, () => gen.next());
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]));
  assert.equal(typeof gen.nextString(), 'string');
  const batch = gen.nextBatch(5000);
  assert.ok(batch instanceof BigUint64Array && batch.length === 5000 && batch[0] > ids.at(-1));
  const [first] = gen;
  assert.ok(first > batch[4999]);
  assert.equal(gen.decode(first).node, 12);
  assert.ok(gen.decode(first).timestamp instanceof Date);
});

test('bad input is a RangeError/TypeError with a code, never wrapped', () => {
  const cases = [
    [() => new Snowflake({ node: 1024 }), RangeError, 'node_out_of_range', 'node must be in 0..=1023, got 1024'],
    [() => new Snowflake({ node: -1 }), RangeError, 'node_out_of_range', 'node must be in 0..=1023, got -1'],
    [() => new Snowflake({ node: 1.5 }), RangeError, 'node_out_of_range', 'node must be an integer, got 1.5'],
    [() => new Snowflake({ node: 2n ** 64n }), RangeError, 'node_out_of_range', 'node must be in 0..=1023, got 18446744073709551616'],
    [() => new Snowflake({ node: '3' }), TypeError, 'invalid_type', 'node must be a bigint or an integer number, got string'],
    [() => new Snowflake({}), TypeError, 'invalid_type', 'options.node is required: idloom never guesses a node ID'],
    [() => new Snowflake({ node: 1, backwards: 'sometimes' }), RangeError, 'invalid_argument', 'backwards must be one of logical, wait, fail, got "sometimes"'],
    [() => new Layout({ timeBits: 42, nodeBits: 10, sequenceBits: 12, epochMs: 0 }), RangeError, 'invalid_layout', 'time_bits + node_bits + sequence_bits must be in 2..=63, got 64'],
    [() => Layout.TWITTER.decode(-1n), RangeError, 'id_out_of_range', 'id must be in 0..=18446744073709551615, got -1'],
    [() => idloom.nanoid(-1), RangeError, 'invalid_argument', 'size must be in 1..=1024, got -1'],
    [() => idloom.customAlphabet('aa'), RangeError, 'invalid_alphabet', 'alphabet: symbols must be distinct'],
    [() => idloom.parse('not-a-uuid'), RangeError, 'invalid_uuid', 'uuid length must be in 32..=45, got 10'],
    [() => new Snowflake({ node: 1, layout: 'baidu' }), Error, 'layout_exhausted', null],
  ];
  for (const [f, Cls, code, message] of cases) {
    assert.throws(f, (e) => e instanceof Cls && e.code === code && (message === null || e.message === message), String(f));
  }
});

test('one generator per layout and node, also across worker_threads', async () => {
  const layout = new Layout({ timeBits: 41, nodeBits: 10, sequenceBits: 12, epochMs: 1_600_000_000_000 });
  const a = new Snowflake({ node: 77, layout });
  const b = new Snowflake({ node: 77, layout });
  const ids = Array.from({ length: 4000 }, (_, i) => (i % 2 ? a.next() : b.next()));
  assert.equal(new Set(ids).size, ids.length);
  assert.throws(() => new Snowflake({ node: 77, layout, backwards: 'fail' }), (e) => e instanceof RangeError && e.code === 'node_in_use');

  const url = new URL('../lib/index.js', import.meta.url);
  const source = `
    const { parentPort } = require('node:worker_threads');
    const { Snowflake, Layout } = require(${JSON.stringify(url.pathname)});
    const layout = new Layout({ timeBits: 41, nodeBits: 10, sequenceBits: 12, epochMs: 1_600_000_000_000 });
    const gen = new Snowflake({ node: 5, layout });
    const ids = new BigUint64Array(100_000);
    for (let i = 0; i < ids.length; i++) ids[i] = gen.next();
    parentPort.postMessage(ids);`;
  const results = await Promise.all(
    Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
      const w = new Worker(source, { eval: true });
      w.once('message', resolve);
      w.once('error', reject);
    })),
  );
  const all = new Set();
  for (const r of results) for (const id of r) all.add(id);
  assert.equal(all.size, 400_000, 'no duplicate across 4 workers sharing node 5');
});

test('require() and import give the same module', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('../lib/index.js');
  assert.equal(cjs.Snowflake, Snowflake);
  assert.equal(typeof cjs.v7, 'function');
});
