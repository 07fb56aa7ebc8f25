// idloom's npm-shaped functions against npm `uuid` 14 and `nanoid` 6
// themselves, in the same process: the same inputs must give the same
// answers, except where the README's differences table says otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as uuid from 'uuid';
import * as npmNanoid from 'nanoid';
import { idloom } from './impl.mjs';

/** A deterministic byte stream (splitmix32), so a failure replays. */
function bytesFrom(seed) {
  let a = seed;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      a = (a + 0x9e3779b9) | 0;
      let t = a ^ (a >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      out[i] = (t ^ (t >>> 15)) & 0xff;
    }
    return out;
  };
}

test('v4 and v7 with explicit options give npm uuid\'s UUID, as strings and into buffers', () => {
  const rnd = bytesFrom(7);
  for (let i = 0; i < 2000; i++) {
    const random = rnd(16);
    assert.equal(idloom.v4({ random: Uint8Array.from(random) }), uuid.v4({ random: Uint8Array.from(random) }));
    const [m] = new Float64Array([Number(new DataView(rnd(8).buffer).getBigUint64(0) >> 16n)]);
    const opts = { random, msecs: m, ...(i % 2 ? { seq: new DataView(rnd(4).buffer).getInt32(0) } : {}) };
    assert.equal(idloom.v7({ ...opts, random: Uint8Array.from(random) }), uuid.v7({ ...opts, random: Uint8Array.from(random) }), JSON.stringify({ ...opts, random: [...random] }));
    const a = new Uint8Array(20);
    const b = new Uint8Array(20);
    idloom.v7({ ...opts, random: Uint8Array.from(random) }, a, 3);
    uuid.v7({ ...opts, random: Uint8Array.from(random) }, b, 3);
    assert.deepEqual(a, b);
  }
});

test('validate, version, parse and stringify agree with npm uuid on valid, near-valid and random strings', () => {
  const rnd = bytesFrom(11);
  const hex = '0123456789abcdefABCDEF-xg';
  const samples = [uuid.NIL, uuid.MAX, uuid.v1(), uuid.v4(), uuid.v6(), uuid.v7(), '', 'x'.repeat(36)];
  for (let i = 0; i < 3000; i++) {
    const base = [...uuid.v4({ random: rnd(16) })];
    const r = rnd(3);
    base[r[0] % 36] = hex[r[1] % hex.length]; // one character changed: version, variant, hyphen or digit
    if (r[2] & 1) base[14] = hex[r[2] % 16];
    samples.push(base.join(''));
  }
  for (const s of samples) {
    assert.equal(idloom.validate(s), uuid.validate(s), s);
    if (uuid.validate(s)) {
      assert.equal(idloom.version(s), uuid.version(s), s);
      assert.deepEqual(idloom.parse(s), uuid.parse(s), s);
      assert.equal(idloom.stringify(uuid.parse(s)), uuid.stringify(uuid.parse(s)));
    } else {
      assert.throws(() => uuid.version(s), TypeError);
      assert.throws(() => idloom.version(s), TypeError);
      assert.throws(() => idloom.parse(s), TypeError);
    }
  }
  for (let i = 0; i < 2000; i++) {
    const b = rnd(16);
    const theirs = (() => {
      try {
        return uuid.stringify(b);
      } catch {
        return 'threw';
      }
    })();
    const ours = (() => {
      try {
        return idloom.stringify(b);
      } catch (e) {
        assert.ok(e instanceof TypeError && e.code === 'invalid_uuid');
        return 'threw';
      }
    })();
    assert.equal(ours, theirs, [...b].join(','));
  }
});

test('nanoid sizes coerce like npm nanoid; customAlphabet keeps its alphabet and size', () => {
  for (const size of [undefined, 0, null, '10', 7.9, 1, 21, 64, 1025, '3000', { valueOf: () => 5 }]) {
    assert.equal(idloom.nanoid(size).length, npmNanoid.nanoid(size).length, String(size));
  }
  assert.throws(() => npmNanoid.nanoid(-3), RangeError);
  assert.throws(() => idloom.nanoid(-3), RangeError);
  for (const [alphabet, size] of [['abc', 5], ['0123456789', 12], [npmNanoid.urlAlphabet, 21], ['ab', 0]]) {
    const ours = idloom.customAlphabet(alphabet, size);
    const theirs = npmNanoid.customAlphabet(alphabet, size);
    for (const call of [undefined, 3, 0, 40, '7']) {
      const a = ours(call);
      assert.equal(a.length, theirs(call).length, `${alphabet} ${size} ${call}`);
      assert.ok([...a].every((c) => alphabet.includes(c)));
    }
  }
  assert.equal(idloom.urlAlphabet.length, npmNanoid.urlAlphabet.length);
  assert.equal([...idloom.urlAlphabet].sort().join(''), [...npmNanoid.urlAlphabet].sort().join(''));
});
