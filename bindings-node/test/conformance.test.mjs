// Every shared vector in tests/vectors, exactly as the Rust and Python suites read them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idloom, vectors, outcome, layoutFrom, hex } from './impl.mjs';

const { Layout, Snowflake, SnowflakeMachine, SegmentBuffer, Mask, V7Machine } = idloom;

test('layouts: presets, capacity, compose/decode/friendly, bad input', () => {
  const v = vectors('layouts.json');
  for (const entry of v.layouts) {
    const layout = layoutFrom(entry.layout);
    if (entry.preset) assert.deepEqual(Layout.preset(entry.name).spec, layout.spec);
    const cap = layout.capacity();
    assert.equal(cap.idsPerSecondPerNode, entry.capacity.ids_per_second_per_node);
    assert.equal(cap.runsOutAtMs, entry.capacity.runs_out_at_ms);
    assert.equal(cap.leavesJsSafeAtMs, entry.capacity.leaves_js_safe_at_ms);
    for (const c of entry.cases) {
      const id = BigInt(c.id);
      assert.equal(layout.compose(c.timestamp_ms, c.node, c.sequence), id);
      const p = layout.decode(id);
      assert.deepEqual([p.timestampMs, p.node, p.sequence], [c.parts.timestamp_ms, c.node, c.sequence]);
      assert.equal(p.timestamp.getTime(), c.parts.timestamp_ms);
      assert.deepEqual(layout.decode(c.id), p, 'decimal strings decode too');
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

test('snowflake scripts: stalls, backwards jumps, overflow, every policy', () => {
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

test('segment scripts: double buffer, source contract, interleaving, adaptive step', () => {
  const v = vectors('segment_scripts.json');
  const bufferFrom = (c) =>
    new SegmentBuffer({
      step: c.step.step ?? 1,
      adaptive: c.step.kind === 'adaptive' ? { min: c.step.min, max: c.step.max, targetMs: c.step.target_ms } : undefined,
      thresholdPercent: c.threshold_percent,
      maxPrefetched: c.max_prefetched,
      stride: BigInt(c.stride),
      offset: BigInt(c.offset),
    });
  for (const script of v.scripts) {
    const b = bufferFrom(script.config);
    script.steps.forEach((step, i) => {
      let got;
      if (step.op === 'next') got = outcome(() => ({ id: String(b.next()) }));
      else if (step.op === 'begin_fetch') got = { step: b.beginFetch(step.now) };
      else if (step.op === 'supply') got = outcome(() => (b.supply(BigInt(step.start), BigInt(step.end)), { ok: true }));
      else if (step.op === 'fetch_failed') got = (b.fetchFailed(), { ok: true });
      else got = { remaining: b.remaining };
      assert.deepEqual(got, step.expect, `${script.name} step ${i}`);
    });
  }
  for (const bad of v.invalid) assert.deepEqual(outcome(() => bufferFrom(bad.config)), { error: bad.expect.error });
});

test('UUIDs: v4 and v7 from given bytes, monotonic v7, parse and every format', () => {
  const u = vectors('uuid.json');
  for (const c of u.v4) assert.equal(idloom.v4FromBytes(hex(c.random)), c.uuid);
  for (const c of u.v7) {
    assert.deepEqual(outcome(() => ({ uuid: idloom.v7FromParts(c.unix_ms, hex(c.random)) })), c.uuid ? { uuid: c.uuid } : c.expect);
  }
  const m = new V7Machine();
  for (const s of u.v7_monotonic) assert.equal(m.nextFrom(s.now, hex(s.random)), s.uuid);
  // The core's parser (every form) is formatUuid's; parse/version/stringify
  // take npm uuid's standard hyphenated UUIDs only (npm-dropin.test.mjs).
  for (const c of u.parse) {
    if (c.expect.error) {
      assert.deepEqual(outcome(() => idloom.formatUuid(c.input, 'hyphenated')), c.expect, c.input);
      continue;
    }
    const hyphenated = idloom.formatUuid(c.input, 'hyphenated');
    assert.equal(hyphenated, c.expect.hyphenated);
    assert.equal(BigInt('0x' + idloom.formatUuid(c.input, 'simple')), BigInt(c.expect.u128));
    for (const form of ['hyphenated', 'simple', 'urn', 'braced']) assert.equal(idloom.formatUuid(c.input, form), c.expect[form]);
    if (idloom.validate(hyphenated)) {
      assert.equal(idloom.stringify(idloom.parse(hyphenated)), hyphenated);
      assert.equal(idloom.version(hyphenated), c.expect.version);
    }
    assert.equal(idloom.uuidTimestampMs(c.input), c.expect.timestamp_ms);
  }
});

test('NanoIDs from given bytes; invalid alphabets', () => {
  const n = vectors('nanoid.json');
  assert.equal(idloom.nanoidFromBytes(idloom.urlAlphabet, 21, hex(n.default.random)), n.default.id);
  for (const c of n.cases) assert.equal(idloom.nanoidFromBytes(c.alphabet, c.size, hex(c.random)), c.id);
  // The strict entry point (customAlphabet coerces sizes as npm nanoid does).
  for (const bad of n.invalid) assert.deepEqual(outcome(() => idloom.nanoidFromBytes(bad.alphabet, bad.size, new Uint8Array(64))), bad.expect);
});

test('encodings: fixed width, order preserving, strict', () => {
  const v = vectors('encodings.json');
  for (const [name, e] of Object.entries(v.encodings)) {
    for (const c of e.u64) {
      assert.equal(idloom.encode(BigInt(c.value), name), c.text);
      assert.equal(idloom.decode(c.text, name), BigInt(c.value));
    }
    for (const c of e.u128) {
      assert.equal(idloom.encode(BigInt(c.value), name, 128), c.text);
      assert.equal(idloom.decode(c.text, name, 128), BigInt(c.value));
    }
    for (const c of e.decode_u64) assert.deepEqual(outcome(() => ({ value: String(idloom.decode(c.text, name)) })), c.expect, `${name} ${c.text}`);
  }
});

test('masking: keyed permutation and its inverse', () => {
  const v = vectors('masking.json');
  for (const c of v.cases) {
    const m = new Mask(c.bits, hex(c.key), { version: c.version });
    if (c.version === 2) assert.equal(new Mask(c.bits, hex(c.key)).mask(1n), m.mask(1n), 'version 2 is the default');
    for (const pair of c.values) {
      assert.equal(m.mask(BigInt(pair.value)), BigInt(pair.masked));
      assert.equal(m.unmask(BigInt(pair.masked)), BigInt(pair.value));
    }
    if (c.out_of_range.value !== null) assert.deepEqual(outcome(() => m.mask(BigInt(c.out_of_range.value))), c.out_of_range.expect);
  }
  for (const bad of v.invalid_bits) assert.deepEqual(outcome(() => new Mask(bad.bits, new Uint8Array(16), { version: bad.version })), bad.expect);
  for (const bad of v.invalid_versions) assert.deepEqual(outcome(() => new Mask(32, new Uint8Array(16), { version: bad.version })), bad.expect);
});

test('masking: a fresh key, and the key never shown', async () => {
  const key = Mask.generateKey();
  assert.equal(key.length, 16);
  assert.notDeepEqual(key, Mask.generateKey());
  const m = new Mask(40, key);
  const hexKey = Buffer.from(key).toString('hex');
  // The key as hex or as a list of bytes (its first three: one byte alone, say 40, is in the text by chance).
  const { inspect } = await import('node:util');
  for (const shown of [String(m), inspect(m), JSON.stringify(m)]) assert.ok(!shown.includes(hexKey) && !shown.includes(Array.from(key.slice(0, 3)).join(',')), shown);
  assert.equal(String(m), 'Mask(bits=40, version=2, key=<secret>)');
  assert.equal(m.version, 2);
});

test('error codes: the core table, each thrown as its JS class', () => {
  const v = vectors('errors.json');
  assert.deepEqual(idloom.errorCodes(), v.codes.map((c) => ({ code: c.code, badInput: c.bad_input })));
});

test('ObjectIds: parts, a machine across a counter wrap, strict parsing', () => {
  const { ObjectId, ObjectIdMachine } = idloom;
  const v = vectors('objectid.json');
  for (const c of v.parts) {
    const oid = ObjectId.fromParts(c.seconds, hex(c.process), c.counter);
    assert.equal(oid.toHexString(), c.hex);
    assert.deepEqual([oid.seconds, Buffer.from(oid.process).toString('hex'), oid.counter], [c.seconds, c.process, c.counter & 0xffffff]);
  }
  const m = new ObjectIdMachine(hex('0908070605'), 0xfffffe);
  for (const step of v.sequence) assert.equal(m.nextAt(step.now_ms).toHexString(), step.hex);
  for (const c of v.parse) {
    if ('error' in c.expect) {
      assert.deepEqual(outcome(() => new ObjectId(c.input)), c.expect);
      assert.deepEqual(outcome(() => ObjectId.fromHexString(c.input)), c.expect);
      continue;
    }
    const oid = ObjectId.fromHexString(c.input);
    assert.deepEqual([oid.toHexString(), oid.seconds, oid.counter], [c.expect.hex, c.expect.seconds, c.expect.counter]);
  }
});
