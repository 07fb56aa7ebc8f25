// npm `uuid` (v11+) and npm `nanoid` (v5) behaviour for the functions idloom
// claims in their shapes: these cases are ported from those packages' own
// test files (uuid src/test/{v4,v7,validate,version,parse,stringify}.test.ts
// and test_constants.ts; nanoid test/index.test.js). Cases that test their
// internals (mocked crypto.randomUUID, updateV7State, customRandom) are left
// out; deliberate differences are tested as such and listed in the README.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { idloom } from './impl.mjs';

const { v4, v7, validate, version, parse, stringify, NIL, MAX, nanoid, customAlphabet, urlAlphabet } = idloom;

// ------------------------------------------------------------------ uuid: test_constants.ts
const TESTS = [
  { value: NIL, expectedValidate: true, expectedVersion: 0 },
  { value: MAX, expectedValidate: true, expectedVersion: 15 },
];
for (let v = 1; v <= 8; v++) {
  TESTS.push({ value: `00000000-0000-${v}000-8000-000000000000`, expectedValidate: true, expectedVersion: v });
  TESTS.push({ value: `ffffffff-ffff-${v}fff-${v === 1 ? '8' : 'b'}fff-ffffffffffff`, expectedValidate: true, expectedVersion: v });
}
for (const v of '9abcde') {
  TESTS.push({ value: `00000000-0000-${v}000-8000-000000000000`, expectedValidate: false });
  TESTS.push({ value: `ffffffff-ffff-${v}fff-bfff-ffffffffffff`, expectedValidate: false });
}
TESTS.push(
  { value: 'd9428888-122b-11e1-b85c-61cd3cbb3210', expectedValidate: true, expectedVersion: 1 },
  { value: '000003e8-2363-21ef-b200-325096b39f47', expectedValidate: true, expectedVersion: 2 },
  { value: 'a981a0c2-68b1-35dc-bcfc-296e52ab01ec', expectedValidate: true, expectedVersion: 3 },
  { value: '109156be-c4fb-41ea-b1b4-efe1671c5836', expectedValidate: true, expectedVersion: 4 },
  { value: '90123e1c-7512-523e-bb28-76fab9f2f73d', expectedValidate: true, expectedVersion: 5 },
  { value: '1ef21d2f-1207-6660-8c4f-419efbd44d48', expectedValidate: true, expectedVersion: 6 },
  { value: '017f22e2-79b0-7cc3-98c4-dc0c0c07398f', expectedValidate: true, expectedVersion: 7 },
  { value: '0d8f23a0-697f-83ae-802e-48f3756dd581', expectedValidate: true, expectedVersion: 8 },
);
for (const variant of '0123456789abcdef') {
  const ok = '89ab'.includes(variant);
  TESTS.push({ value: `00000000-0000-1000-${variant}000-000000000000`, expectedValidate: ok, expectedVersion: ok ? 1 : undefined });
}
TESTS.push(
  { value: '00000000000000000000000000000000', expectedValidate: false },
  { value: '', expectedValidate: false },
  { value: 'invalid uuid string', expectedValidate: false },
  { value: '=Y00a-f*vb*-c-d#-p00f\b-g0h-#i^-j*3&-L00k-\nl---00n-fg000-00p-00r+', expectedValidate: false },
  { value: undefined, expectedValidate: false },
  { value: null, expectedValidate: false },
  { value: 123, expectedValidate: false },
  { value: /regex/, expectedValidate: false },
  { value: new Date(0), expectedValidate: false },
  { value: false, expectedValidate: false },
);
for (let charIndex = 0; charIndex < 36; charIndex++) {
  if ([8, 13, 14, 18, 23].includes(charIndex)) continue;
  const nilChars = NIL.split('');
  const maxChars = MAX.split('');
  for (let i = 0; i < 4; i++) {
    nilChars[charIndex] = (0x0 ^ (1 << i)).toString(16);
    TESTS.push({ value: nilChars.join(''), expectedValidate: false });
    maxChars[charIndex] = (0xf ^ (1 << i)).toString(16);
    TESTS.push({ value: maxChars.join(''), expectedValidate: false });
  }
}

describe('npm uuid: validate()', () => {
  test('TESTS cases', () => {
    for (const { value, expectedValidate } of TESTS) {
      assert.strictEqual(validate(value), expectedValidate, `validate(${value}) should be ${expectedValidate}`);
    }
  });
});

describe('npm uuid: version()', () => {
  test('TESTS cases', () => {
    for (const { value, expectedValidate, expectedVersion } of TESTS) {
      try {
        const actualVersion = version(value);
        assert.ok(expectedValidate, `version(${value}) should throw`);
        assert.strictEqual(actualVersion, expectedVersion);
      } catch (e) {
        assert.ok(!expectedValidate, `version(${value}) threw unexpectedly`);
        assert.ok(e instanceof TypeError && e.code === 'invalid_uuid', 'a TypeError, as npm uuid throws, with a code');
      }
    }
  });
});

describe('npm uuid: parse()', () => {
  test('String -> bytes parsing', () => {
    assert.deepStrictEqual(
      parse('0f5abcd1-c194-47f3-905b-2df7263a084b'),
      Uint8Array.from([0x0f, 0x5a, 0xbc, 0xd1, 0xc1, 0x94, 0x47, 0xf3, 0x90, 0x5b, 0x2d, 0xf7, 0x26, 0x3a, 0x08, 0x4b]),
    );
  });
  test('String -> bytes -> string symmetry for assorted uuids', () => {
    let a = 0x12345678;
    const rand = () => {
      a = (a + 0x9e3779b9) | 0;
      let t = a ^ (a >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return ((t ^ (t >>> 15)) >>> 0) / 4294967296;
    };
    const rng = (bytes = new Uint8Array(16)) => {
      for (let i = 0; i < 16; i++) bytes[i] = rand() * 256;
      return bytes;
    };
    for (let i = 0; i < 1000; i++) {
      const uuid = v4({ rng });
      assert.equal(stringify(parse(uuid)), uuid);
    }
  });
  test('Case neutrality', () => {
    assert.deepStrictEqual(parse('0f5abcd1-c194-47f3-905b-2df7263a084b'), parse('0f5abcd1-c194-47f3-905b-2df7263a084b'.toUpperCase()));
  });
  test('Null UUID case', () => {
    assert.deepStrictEqual(parse('00000000-0000-0000-0000-000000000000'), Uint8Array.from(new Array(16).fill(0)));
  });
  test('UUID validation', () => {
    assert.throws(() => parse());
    assert.throws(() => parse('invalid uuid'));
    assert.throws(() => parse('zyxwvuts-rqpo-nmlk-jihg-fedcba000000'));
    // Only the hyphenated form, as npm: other forms go through formatUuid/uuidTimestampMs.
    assert.throws(() => parse('0f5abcd1c19447f3905b2df7263a084b'), (e) => e instanceof TypeError && e.code === 'invalid_uuid');
  });
});

describe('npm uuid: stringify()', () => {
  const BYTES = Uint8Array.of(0x0f, 0x5a, 0xbc, 0xd1, 0xc1, 0x94, 0x47, 0xf3, 0x90, 0x5b, 0x2d, 0xf7, 0x26, 0x3a, 0x08, 0x4b);
  test('Stringify Array', () => {
    assert.equal(stringify(BYTES), '0f5abcd1-c194-47f3-905b-2df7263a084b');
    assert.equal(stringify([...BYTES]), '0f5abcd1-c194-47f3-905b-2df7263a084b', 'a plain array too');
  });
  test('Stringify w/ offset', () => {
    const bytes = new Uint8Array(19).fill(0);
    bytes.set(BYTES, 3);
    assert.equal(stringify(bytes, 3), '0f5abcd1-c194-47f3-905b-2df7263a084b');
  });
  test('Throws on not enough values', () => {
    assert.throws(() => stringify(BYTES.slice(0, 15)));
  });
  test('Throws on an invalid version, as npm (TypeError)', () => {
    const bad = Uint8Array.from(BYTES);
    bad[6] = 0x97; // version 9
    assert.throws(() => stringify(bad), (e) => e instanceof TypeError && e.code === 'invalid_uuid');
    assert.throws(() => stringify([...BYTES.slice(0, 15), 256]), TypeError);
  });
});

// npm uuid's checks of a generator's random bytes and buffer offset, the
// same for v4 and v7 (uuid's own v7 suite leaves the error type of a bad
// offset unchecked; both are RangeErrors here, as the test's name says).
function refusesShortRandomAndBadOffsets(generate) {
  test('throws when option.random is too short', () => {
    assert.throws(() => generate({ random: Uint8Array.of(16) }, new Uint8Array(16).fill(0)));
  });
  test('throws when options.rng() is too short', () => {
    assert.throws(() => generate({ rng: () => Uint8Array.of(0) }, new Uint8Array(16)));
  });
  test('throws RangeError for out-of-range indexes', () => {
    const buf15 = new Uint8Array(15);
    const buf30 = new Uint8Array(30);
    assert.throws(() => generate({}, buf15), RangeError);
    assert.throws(() => generate({}, buf30, -1), RangeError);
    assert.throws(() => generate({}, buf30, 15), RangeError);
  });
}

describe('npm uuid: v4()', () => {
  const randomBytesFixture = Uint8Array.of(0x10, 0x91, 0x56, 0xbe, 0xc4, 0xfb, 0xc1, 0xea, 0x71, 0xb4, 0xef, 0xe1, 0x67, 0x1c, 0x58, 0x36);
  const expectedBytes = Uint8Array.of(16, 145, 86, 190, 196, 251, 65, 234, 177, 180, 239, 225, 103, 28, 88, 54);
  test('subsequent UUIDs are different', () => {
    assert.ok(v4() !== v4());
  });
  test('explicit options.random produces expected result', () => {
    assert.strictEqual(v4({ random: randomBytesFixture }), '109156be-c4fb-41ea-b1b4-efe1671c5836');
  });
  test('explicit options.rng produces expected result', () => {
    assert.strictEqual(v4({ rng: () => randomBytesFixture }), '109156be-c4fb-41ea-b1b4-efe1671c5836');
  });
  test('fills one UUID into a buffer as expected', () => {
    const buffer = new Uint8Array(16);
    const result = v4({ random: randomBytesFixture }, buffer);
    assert.deepEqual(buffer, expectedBytes);
    assert.strictEqual(buffer, result);
  });
  test('fills two UUIDs into a buffer as expected', () => {
    const buffer = new Uint8Array(32);
    v4({ random: randomBytesFixture }, buffer, 0);
    v4({ random: randomBytesFixture }, buffer, 16);
    const expectedBuf = new Uint8Array(32);
    expectedBuf.set(expectedBytes);
    expectedBuf.set(expectedBytes, 16);
    assert.deepEqual(buffer, expectedBuf);
  });
  test('no options, a buffer: fresh random bytes written', () => {
    const buffer = new Uint8Array(16);
    v4(undefined, buffer);
    assert.ok(validate(stringify(buffer)) && version(stringify(buffer)) === 4);
  });
  refusesShortRandomAndBadOffsets(v4);
});

describe('npm uuid: v7()', () => {
  const RFC_V7 = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';
  const RFC_V7_BYTES = parse(RFC_V7);
  const RFC_MSECS = 0x17f22e279b0;
  const RFC_SEQ = (0x0cc3 << 20) | (0x98c4dc >> 2);
  const RFC_RANDOM = Uint8Array.of(0x10, 0x91, 0x56, 0xbe, 0xc4, 0xfb, 0x0c, 0xc3, 0x18, 0xc4, 0x6c, 0x0c, 0x0c, 0x07, 0x39, 0x8f);

  test('subsequent UUIDs are different', () => {
    assert.ok(v7() !== v7());
  });
  test('explicit options.random and options.msecs produces expected result', () => {
    assert.strictEqual(v7({ random: RFC_RANDOM, msecs: RFC_MSECS, seq: RFC_SEQ }), RFC_V7);
  });
  test('explicit options.rng produces expected result', () => {
    assert.strictEqual(v7({ rng: () => RFC_RANDOM, msecs: RFC_MSECS, seq: RFC_SEQ }), RFC_V7);
  });
  test('explicit options.msecs produces expected result', () => {
    assert.strictEqual(v7({ msecs: RFC_MSECS }).indexOf('017f22e2'), 0);
  });
  test('fills one UUID into a buffer as expected', () => {
    const buffer = new Uint8Array(16);
    const result = v7({ random: RFC_RANDOM, msecs: RFC_MSECS, seq: RFC_SEQ }, buffer);
    assert.deepEqual(buffer, RFC_V7_BYTES);
    assert.strictEqual(buffer, result);
  });
  test('fills two UUIDs into a buffer as expected', () => {
    const buffer = new Uint8Array(32);
    v7({ random: RFC_RANDOM, msecs: RFC_MSECS, seq: RFC_SEQ }, buffer, 0);
    v7({ random: RFC_RANDOM, msecs: RFC_MSECS, seq: RFC_SEQ }, buffer, 16);
    const expected = new Uint8Array(32);
    expected.set(RFC_V7_BYTES);
    expected.set(RFC_V7_BYTES, 16);
    assert.deepEqual(buffer, expected);
  });
  test('lexicographical sorting is preserved', () => {
    let prior;
    let msecs = RFC_MSECS;
    for (let i = 0; i < 20000; ++i) {
      if (i % 1500 === 0) msecs += 1;
      const id = v7({ msecs, seq: i });
      if (prior !== undefined) assert.ok(prior < id, `${prior} < ${id}`);
      prior = id;
    }
  });
  test('can supply seq', () => {
    assert.strictEqual(v7({ msecs: RFC_MSECS, seq: 0x12345 }).substr(0, 25), '017f22e2-79b0-7000-848d-1');
    assert.strictEqual(v7({ msecs: RFC_MSECS, seq: 0x6fffffff }).substring(0, 25), '017f22e2-79b0-76ff-bfff-f');
  });
  test('internal seq is reset upon timestamp change', () => {
    v7({ msecs: RFC_MSECS, seq: 0x6fffffff });
    assert.ok(v7({ msecs: RFC_MSECS + 1 }).indexOf('fff') !== 15);
  });
  test('flipping bits changes the result', () => {
    const asBigInt = (buf) => buf.reduce((acc, v) => (acc << 8n) | BigInt(v), 0n);
    const asNumber = (bits, data) => Number(BigInt.asUintN(bits, data));
    const flip = (data, n) => data ^ (1n << BigInt(127 - n));
    const optionsFrom = (data) => {
      const ms = asNumber(48, data >> 80n);
      const hi = asNumber(12, data >> 64n);
      const lo = asNumber(20, data >> 42n);
      const r = BigInt.asUintN(42, data);
      return {
        msecs: ms,
        seq: (hi << 20) | lo,
        random: Uint8Array.from([
          ...Array(10).fill(0),
          ...Array(6)
            .fill(0)
            .map((_, i) => asNumber(8, r >> (BigInt(i) * 8n)))
            .reverse(),
        ]),
      };
    };
    const buf = new Uint8Array(16);
    const data = asBigInt(v7({}, buf));
    const id = stringify(buf);
    const reserved = [48, 49, 50, 51, 64, 65];
    for (let i = 0; i < 128; ++i) {
      if (reserved.includes(i)) continue;
      const flipped = flip(data, i);
      assert.strictEqual(asBigInt(v7(optionsFrom(flipped), buf)).toString(16), flipped.toString(16), `Unequal uuids at bit ${i}`);
      assert.notStrictEqual(stringify(buf), id);
    }
  });
  refusesShortRandomAndBadOffsets(v7);
  test('no options with a buffer: the monotonic v7 written', () => {
    const buf = new Uint8Array(20);
    assert.strictEqual(v7(undefined, buf, 4), buf);
    assert.equal(version(stringify(buf, 4)), 7);
  });
  test('deliberate: a seq or msecs npm would wrap silently is a typed error', () => {
    assert.equal(v7({ msecs: 0, seq: -1, random: new Uint8Array(16) }), v7({ msecs: 0, seq: 0xffffffff, random: new Uint8Array(16) }), 'int32 -1 is 0xffffffff, as npm');
    assert.throws(() => v7({ seq: -(2 ** 31) - 1 }), (e) => e instanceof RangeError && e.code === 'invalid_argument');
    assert.throws(() => v7({ seq: 2 ** 32 }), (e) => e.code === 'invalid_argument');
    assert.throws(() => v7({ msecs: 2 ** 48 }), (e) => e.code === 'timestamp_out_of_range');
    assert.throws(() => v7({ msecs: 1.5 }), (e) => e.code === 'timestamp_out_of_range');
  });
});

// ------------------------------------------------------------------ nanoid: test/index.test.js (v6)
describe('npm nanoid', () => {
  test('generates URL-friendly IDs', () => {
    for (let i = 0; i < 100; i++) {
      const id = nanoid();
      assert.equal(id.length, 21);
      assert.equal(typeof id, 'string');
      for (const char of id) assert.ok(urlAlphabet.includes(char));
    }
  });
  test('changes ID length', () => {
    assert.equal(nanoid(10).length, 10);
  });
  test('accepts string', () => {
    assert.equal(nanoid('10').length, 10);
  });
  test('size | 0 coercion: 0 and null give an empty ID, negatives throw; objects go through valueOf', () => {
    assert.equal(nanoid(0), '');
    assert.throws(() => nanoid(-5), (e) => e instanceof RangeError && e.code === 'invalid_argument');
    assert.equal(nanoid(null), '');
    assert.equal(nanoid(7.9).length, 7);
    assert.equal(nanoid({ valueOf: () => 12 }).length, 12);
    assert.throws(() => nanoid(Symbol('x')), (e) => e instanceof TypeError && e.code === 'invalid_type');
  });
  test('sizes above 1024 work (joined from independent runs)', () => {
    const id = nanoid(5000);
    assert.equal(id.length, 5000);
    assert.ok([...id].every((c) => urlAlphabet.includes(c)));
    assert.equal(customAlphabet('abc', 3000)().length, 3000);
  });
  test('has no collisions', () => {
    const used = new Set();
    for (let i = 0; i < 50 * 1000; i++) {
      const id = nanoid();
      assert.ok(!used.has(id));
      used.add(id);
    }
  });
  // nanoid's own check: over `count` IDs of `length`, every symbol of
  // `alphabet` appears, and each one's share stays within 5 % of the others'.
  const assertFlat = (generate, alphabet, count, length) => {
    const chars = {};
    for (let i = 0; i < count; i++) for (const char of generate()) chars[char] = (chars[char] ?? 0) + 1;
    assert.equal(Object.keys(chars).length, alphabet.length);
    const shares = Object.values(chars).map((n) => (n * alphabet.length) / (count * length));
    assert.ok(Math.max(...shares) - Math.min(...shares) <= 0.05);
  };
  test('has flat distribution', () => {
    assertFlat(nanoid, urlAlphabet, 100 * 1000, nanoid().length);
  });
  test('customAlphabet / has flat distribution', () => {
    const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
    assertFlat(customAlphabet(ALPHABET, 30), ALPHABET, 50 * 1000, 30);
  });
  test('customAlphabet / changes size, and 0 gives an empty ID', () => {
    assert.equal(customAlphabet('ab')(10).length, 10);
    assert.equal(customAlphabet('ab', 0)(), '');
    assert.equal(customAlphabet('ab')(0), '');
  });
  test('deliberate: a one-symbol alphabet (zero entropy: every ID equal) is invalid_alphabet', () => {
    assert.throws(() => customAlphabet('a', 5), (e) => e instanceof RangeError && e.code === 'invalid_alphabet');
  });
  test('urlAlphabet / is string without duplicates', () => {
    assert.equal(typeof urlAlphabet, 'string');
    for (let i = 0; i < urlAlphabet.length; i++) assert.equal(urlAlphabet.lastIndexOf(urlAlphabet[i]), i);
  });
});
