// The API beyond the vectors: npm uuid/nanoid shapes, snowflake calls, bad
// input, worker_threads sharing a node, and both module systems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { idloom, entry, implName } from './impl.mjs';

const { Layout, Snowflake } = idloom;

test('npm uuid shapes: v4, v7, validate, version, parse, stringify, NIL, MAX', () => {
  const a = idloom.v7();
  const b = idloom.v7();
  assert.ok(a < b && idloom.validate(a) && idloom.version(a) === 7);
  assert.ok(Math.abs(idloom.uuidTimestampMs(a) - Date.now()) < 60_000);
  const v4s = new Set(Array.from({ length: 10_000 }, () => idloom.v4()));
  assert.equal(v4s.size, 10_000);
  for (const u of v4s) assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(!idloom.validate('nope') && !idloom.validate(42) && !idloom.validate('{' + a + '}'));
  assert.ok(idloom.validate(idloom.NIL) && idloom.validate(idloom.MAX));
  assert.equal(idloom.stringify(idloom.parse(idloom.NIL)), idloom.NIL);
  assert.equal(idloom.parse(a).length, 16);
  assert.equal(idloom.uuidTimestampMs(idloom.v4()), null);
});

test('v7 stays increasing over many calls in one millisecond', () => {
  const ids = Array.from({ length: 50_000 }, () => idloom.v7());
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `v7 #${i} not increasing`);
});

test('npm nanoid shapes: nanoid(size?), customAlphabet(alphabet, size?), batches', () => {
  assert.match(idloom.nanoid(), /^[A-Za-z0-9_-]{21}$/);
  assert.equal(idloom.nanoid(8).length, 8);
  assert.equal(idloom.urlAlphabet.length, 64);
  const pin = idloom.customAlphabet('0123456789', 6);
  assert.match(pin(), /^\d{6}$/);
  assert.match(pin(3), /^\d{3}$/);
  const batch = idloom.nanoidBatch(1000);
  assert.equal(batch.length, 1000);
  assert.equal(new Set(batch).size, 1000);
  assert.ok(batch.every((s) => /^[A-Za-z0-9_-]{21}$/.test(s)));
  assert.deepEqual(idloom.nanoidBatch(0), []);
  assert.ok(pin.batch(50, 4).every((s) => /^\d{4}$/.test(s)));
  // Every symbol of a 62-symbol alphabet shows up (no modulo-bias shortcut drops any).
  const seen = new Set(idloom.customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 64).batch(200).join(''));
  assert.equal(seen.size, 62);
  assert.throws(() => idloom.customAlphabet('äöü', 4).batch(2), (e) => e.code === 'invalid_alphabet');
  assert.match(idloom.customAlphabet('äöü', 4)(), /^[äöü]{4}$/u);
});

test('snowflake: next, strings, batches, iteration, decode, friendly', () => {
  const gen = new Snowflake({ node: 12, layout: 'sonyflake', exhausted: 'borrow', maxBorrowMs: 10_000 });
  const ids = Array.from({ length: 10_000 }, () => gen.next());
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]));
  const s = gen.nextString();
  assert.match(s, /^\d+$/);
  assert.ok(BigInt(s) > ids.at(-1));
  const batch = gen.nextBatch(5000);
  assert.ok(batch instanceof BigUint64Array && batch.length === 5000 && batch[0] > BigInt(s));
  assert.ok(batch.every((id, i) => i === 0 || id > batch[i - 1]));
  const [first] = gen;
  assert.ok(first > batch[4999]);
  const parts = gen.decode(first);
  assert.equal(parts.node, 12);
  assert.ok(parts.timestamp instanceof Date && Math.abs(parts.timestamp.getTime() - Date.now()) < 60_000);
  assert.deepEqual(gen.decode(String(first)), parts);
  assert.equal(gen.layout.parseFriendly(gen.friendly(first)), first);
  assert.equal(gen.node, 12);
  const next = gen.next; // detached: a native closure, no `this`
  assert.ok(next() > first);
});

test('snowflake with a system clock reaches past one tick of sequence', () => {
  const gen = new Snowflake({ node: 3, layout: new Layout({ timeBits: 41, nodeBits: 10, sequenceBits: 4, epochMs: 1_600_000_000_000 }), clock: 'system' });
  const ids = gen.nextBatch(200); // 16 per ms: waits for at least 12 ticks, never repeats
  assert.equal(new Set(ids).size, 200);
  assert.ok(gen.decode(ids[199]).tick - gen.decode(ids[0]).tick >= 12);
});

test('bad input is a RangeError/TypeError with a code, never wrapped', () => {
  const cases = [
    [() => new Snowflake({ node: 1024 }), RangeError, 'node_out_of_range', 'node must be in 0..=1023, got 1024'],
    [() => new Snowflake({ node: -1 }), RangeError, 'node_out_of_range', 'node must be in 0..=1023, got -1'],
    [() => new Snowflake({ node: 1.5 }), RangeError, 'node_out_of_range', 'node must be an integer, got 1.5'],
    [() => new Snowflake({ node: 2n ** 64n }), RangeError, 'node_out_of_range', 'node must be in 0..=1023, got 18446744073709551616'],
    [() => new Snowflake({ node: 2 ** 60 }), RangeError, 'node_out_of_range', 'node must be a safe integer or a bigint, got 1152921504606847000'], // as JS prints it,
    [() => new Snowflake({ node: '3' }), TypeError, 'invalid_type', 'node must be a bigint or an integer number, got string'],
    [() => new Snowflake({}), TypeError, 'invalid_type', 'options.node is required: idloom never guesses a node ID'],
    [() => new Snowflake(), TypeError, 'invalid_type', 'options must be an object with a node, got undefined'],
    [() => new Snowflake({ node: 1, backwards: 'sometimes' }), RangeError, 'invalid_argument', 'backwards must be one of logical, wait, fail, got "sometimes"'],
    [() => new Snowflake({ node: 1, maxBorrowMs: 1e9 }), RangeError, 'invalid_argument', 'maxBorrowMs must be in 0..=3600000, got 1000000000'],
    [() => new Snowflake({ node: 1, layout: 'nope' }), RangeError, 'invalid_layout', null],
    [() => new Layout({ timeBits: 42, nodeBits: 10, sequenceBits: 12, epochMs: 0 }), RangeError, 'invalid_layout', 'time_bits + node_bits + sequence_bits must be in 2..=63, got 64'],
    [() => Layout.TWITTER.decode(-1n), RangeError, 'id_out_of_range', 'id must be in 0..=18446744073709551615, got -1'],
    [() => Layout.TWITTER.decode('12x'), RangeError, 'id_out_of_range', 'id must be a decimal string of 1..=20 digits, got "12x"'],
    [() => Layout.TWITTER.decode('18446744073709551616'), RangeError, 'id_out_of_range', 'id must be in 0..=18446744073709551615, got 18446744073709551616'],
    [() => new Snowflake({ node: 1 }).nextBatch(-1), RangeError, 'invalid_argument', 'n must be in 0..=1048576, got -1'],
    [() => idloom.nanoid(2 ** 29), RangeError, 'invalid_argument', 'size must be in 0..=16777216, got 536870912'],
    [() => idloom.nanoid(Symbol('5')), TypeError, 'invalid_type', 'size must be a number, got symbol'],
    [() => idloom.customAlphabet('aa'), RangeError, 'invalid_alphabet', 'alphabet: symbols must be distinct'],
    [() => idloom.parse('not-a-uuid'), TypeError, 'invalid_uuid', 'Invalid UUID: "not-a-uuid"'],
    [() => idloom.formatUuid('not-a-uuid', 'urn'), RangeError, 'invalid_uuid', 'uuid length must be in 32..=45, got 10'],
    [() => idloom.stringify([1, 2]), TypeError, 'invalid_uuid', 'Stringified UUID is invalid'],
    [() => idloom.stringify('12'), TypeError, 'invalid_type', 'arr must be a Uint8Array or an array of bytes, got string'],
    [() => idloom.stringify(new Uint8Array(3)), TypeError, 'invalid_uuid', 'Stringified UUID is invalid'],
    [() => idloom.encode(-5n), RangeError, 'id_out_of_range', 'value must be in 0..=18446744073709551615, got -5'],
    [() => idloom.encode(1n, 'base64'), RangeError, 'invalid_argument', null],
    [() => idloom.encode(1n, 'hex', 32), RangeError, 'invalid_argument', 'bits must be 64 or 128, got 32'],
    [() => new idloom.Mask(8, new Uint8Array(15)), RangeError, 'invalid_argument', 'key length must be in 16..=16, got 15'],
    [() => new idloom.Mask(8, new Uint8Array(16), { version: 1 }).mask(256), RangeError, 'id_out_of_range', 'value must be in 0..=255, got 256'],
    [() => new Snowflake({ node: 1, layout: 'baidu' }), Error, 'layout_exhausted', null],
  ];
  for (const [f, Cls, code, message] of cases) {
    assert.throws(f, (e) => {
      assert.ok(e instanceof Cls, `${f}: ${e.constructor.name} is not ${Cls.name}`);
      assert.equal(e.code, code, String(f));
      if (message !== null) assert.equal(e.message, message, String(f));
      if (Cls === Error) assert.ok(!(e instanceof RangeError) && !(e instanceof TypeError));
      return true;
    });
  }
});

test('encodings keep order; masks round-trip', () => {
  const values = [0n, 1n, 61n, 62n, 2n ** 53n, 2n ** 64n - 1n];
  for (const enc of ['base62', 'base36', 'base32', 'hex']) {
    const texts = values.map((v) => idloom.encode(v, enc));
    assert.deepEqual([...texts].sort(), texts, enc);
    assert.deepEqual(texts.map((t) => idloom.decode(t, enc)), values);
  }
  const m = new idloom.Mask(64, new Uint8Array(16).fill(7));
  const gen = new Snowflake({ node: 9 });
  for (const id of gen.nextBatch(1000)) assert.equal(m.unmask(m.mask(id)), id);
});

test('one generator per layout and node; worker_threads share it (native) or use their own node (wasm)', async () => {
  const layout = new Layout({ timeBits: 41, nodeBits: 10, sequenceBits: 12, epochMs: 1_600_000_000_000 });
  const a = new Snowflake({ node: 77, layout });
  const b = new Snowflake({ node: 77, layout });
  const ids = Array.from({ length: 4000 }, (_, i) => (i % 2 ? a.next() : b.next()));
  assert.equal(new Set(ids).size, ids.length);
  assert.throws(() => new Snowflake({ node: 77, layout, backwards: 'fail' }), (e) => e instanceof RangeError && e.code === 'node_in_use');

  // The addon is loaded once per process, so workers asking for node 5 share
  // one generator. A wasm instance is per worker (its own memory), so there
  // each worker must get its own node ID — the suite checks that pattern.
  const shared = implName === 'native';
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.entry).then(({ Snowflake, Layout }) => {
      const layout = new Layout({ timeBits: 41, nodeBits: 10, sequenceBits: 12, epochMs: 1_600_000_000_000 });
      const gen = new Snowflake({ node: workerData.node, layout, ...(workerData.exclusive ? { exclusiveNode: true } : {}) });
      const ids = new BigUint64Array(100_000);
      for (let i = 0; i < ids.length; i++) ids[i] = i % 2 ? gen.next() : BigInt(gen.nextString());
      parentPort.postMessage(ids);
    });`;
  const results = await Promise.all(
    Array.from(
      { length: 4 },
      (_, i) =>
        new Promise((resolve, reject) => {
          const w = new Worker(source, { eval: true, workerData: { entry: entry.href, node: shared ? 5 : 5 + i, exclusive: !shared } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  const all = new Set();
  for (const r of results) for (const id of r) all.add(id);
  assert.equal(all.size, 400_000, shared ? 'no duplicate across 4 workers sharing node 5' : 'no duplicate across 4 workers with nodes 5..8');
});

test('wasm in a worker thread refuses a snowflake unless the node is vouched for (its registry is per instance)', async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.entry).then(({ Snowflake }) => {
      const out = {};
      try { new Snowflake({ node: 5 }).next(); out.plain = 'minted'; } catch (e) { out.plain = e.code; out.message = e.message; }
      try { new Snowflake({ node: 6, exclusiveNode: true }).next(); out.vouched = 'minted'; } catch (e) { out.vouched = e.code; }
      try { new Snowflake({ node: 7, exclusiveNode: 'yes' }); } catch (e) { out.badType = e.code; }
      parentPort.postMessage(out);
    });`;
  const out = await new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData: { entry: entry.href } });
    w.once('message', resolve);
    w.once('error', reject);
  });
  if (implName === 'wasm') {
    assert.equal(out.plain, 'node_in_use');
    assert.match(out.message, /worker thread.*exclusiveNode/s);
  } else {
    assert.equal(out.plain, 'minted', 'the addon shares one registry across workers');
  }
  assert.equal(out.vouched, 'minted');
  assert.equal(out.badType, 'invalid_type');
});

test('require() and import give the same module', { skip: implName !== 'native' }, () => {
  const require = createRequire(import.meta.url);
  const cjs = require('../lib/index.js');
  assert.equal(cjs.Snowflake, Snowflake);
  assert.equal(typeof cjs.v7, 'function');
  const self = require('idloom'); // the package's own exports map
  assert.equal(self.Layout, Layout);
});
