// The store protocol is the core's (idloom::stores): tests/vectors/store_protocol.json
// — driver failures classified, store answers read, arguments bounded, Leaf's
// compare-and-set loop — replayed through the native functions js/stores/
// calls (storeClassify, storeRead, storeCheckArg, CasLoop): the same codes and
// messages as the Rust and Python replays. The napi addon and the wasm build
// export the same names and shapes; bindings-wasm/test/store-protocol.test.mjs
// runs this file on the wasm build. Then a real driver's failures on the real
// servers (a missing table, a refused connection, an error reply), classified.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { idloom, implName } from './impl.mjs';
import { freePort } from './servers.mjs';

const nativeUrl = implName === 'wasm' ? '../../bindings-wasm/pkg/lib/native.mjs' : '../lib/native.mjs';
const { native } = await import(new URL(nativeUrl, import.meta.url).href);
const { MySQLStore, PostgresStore, RedisStore } = idloom;

// Integers of 16 digits or more (past what a double holds exactly) stay decimal strings.
const text = readFileSync(new URL('../../tests/vectors/store_protocol.json', import.meta.url), 'utf8');
const vectors = JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
/** Numbers and bigints as decimal strings, so that 2^63 - 1 compares exactly. */
const exact = (x) => JSON.parse(JSON.stringify(x, (_, v) => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : v)));
/** A vector's number: a JS number when safe, else a bigint. */
const value = (s) => (Number.isSafeInteger(Number(s)) ? Number(s) : BigInt(s));
const failed = (e) => {
  assert.ok(e instanceof Error && typeof e.code === 'string', String(e));
  return { error: e.code, message: e.message };
};

/** A reading (`[kind, ...numbers]`) in the vectors' JSON shape. */
function shaped(r) {
  const [kind, ...v] = r;
  switch (kind) {
    case 'grant': {
      assert.ok(v[5] === 0 || v[5] === 1, 'identity_changed is 0 or 1');
      const grant = { node: v[0], epoch: v[1], start_ms: v[2], fence_ms: v[3], store_now_ms: v[4] };
      return { grant: v[5] === 1 ? { ...grant, identity_changed: true } : grant };
    }
    case 'nodes': {
      assert.equal(v.length % 6, 0, 'six parts a node');
      return { nodes: Array.from({ length: v.length / 6 }, (_, i) => v.slice(i * 6, i * 6 + 6)) };
    }
    case 'namespace':
      return { namespace: { layout: v[0], nodes: v[1], ttl_ms: v[2], max_skew_ms: v[3], floor_ms: v[4] } };
    case 'range':
      return { range: v };
    case 'value':
      return { value: v[0] };
    case 'lock':
      return { lock: { ttl_ms: v[0], floor_ms: v[1], now_ms: v[2] } };
    case 'node':
      return { node: v[0] };
    case 'held':
      return { held: { epoch: v[0], start_ms: v[1], fence_ms: v[2] } };
    default:
      assert.equal(v.length, 0, `${kind} carries no numbers`);
      return { [kind]: true };
  }
}

test('store protocol: every driver failure is the core\'s error, returned (not thrown) with its code and message', () => {
  assert.ok(vectors.failures.length > 30);
  for (const f of vectors.failures) {
    const got = (() => {
      try {
        const e = native.storeClassify(f.engine, f.kind, f.code, f.detail);
        assert.ok(e instanceof Error, 'an Error object');
        return { code: e.code, message: e.message };
      } catch (e) {
        return failed(e); // an unknown engine or kind
      }
    })();
    assert.deepEqual(got, f.expect, JSON.stringify(f));
  }
});

test('store protocol: every answer is read by the core, a refusal thrown with the one message table', () => {
  assert.ok(vectors.answers.length > 50 && vectors.answers_more.length > 10);
  for (const a of [...vectors.answers, ...vectors.answers_more]) {
    let got;
    try {
      got = shaped(native.storeRead(a.engine, a.call, a.subject, a.answer));
    } catch (e) {
      got = failed(e);
    }
    assert.deepEqual(exact(got), exact(a.expect), JSON.stringify(a));
  }
  // The subject's JS spelling (bizTag) is the vectors' biz_tag.
  assert.throws(() => native.storeRead('redis', 'incrby', { bizTag: 'invoice' }, ['state_lost']), /^Error: biz_tag invoice: no such counter/);
});

test("store protocol: a create text's concurrent-create race is the core's to name, and how often to run it again", () => {
  assert.ok(vectors.create_races.length > 3);
  for (const r of vectors.create_races) assert.equal(native.storeCreateRace(r.engine, r.code), r.race, JSON.stringify(r));
  assert.equal(native.storeCreateTries(), vectors.create_tries);
});

test('store protocol: readings past 2^53 are bigints, below it numbers; a cell that is no cell is refused', () => {
  assert.deepEqual(native.storeRead('postgres', 'segment_fetch', { bizTag: 't' }, ['9223372036854775000', 9223372036854775807n]), ['range', 9223372036854775000n, 9223372036854775807n]);
  assert.deepEqual(native.storeRead('postgres', 'segment_fetch', { bizTag: 't' }, [1000n, '2000']), ['range', 1000, 2000]);
  assert.throws(() => native.storeRead('postgres', 'segment_fetch', null, [{}, 1]), (e) => e.code === 'invalid_type');
  assert.throws(() => native.storeRead('postgres', 'segment_fetch', null, [1.5, 2]), (e) => e.code === 'invalid_argument');
});

test('store protocol: every argument is bounded by the core\'s specs (numbers and bigints alike)', () => {
  assert.ok(vectors.args.length > 20);
  for (const a of vectors.args) {
    for (const v of new Set([value(a.value), BigInt(a.value)])) {
      let got;
      try {
        got = { ok: native.storeCheckArg(a.key, v) };
        assert.equal(typeof got.ok, Number.isSafeInteger(Number(a.value)) ? 'number' : 'bigint');
      } catch (e) {
        got = failed(e);
      }
      assert.deepEqual(exact(got), exact(a.expect), `${a.key} ${a.value} (${typeof v})`);
    }
  }
  assert.throws(() => native.storeCheckArg('step', '5'), (e) => e instanceof TypeError && e.code === 'invalid_type');
  assert.throws(() => native.storeCheckArg('floor', 2 ** 60), (e) => e.code === 'invalid_argument' && /safe integer or a bigint/.test(e.message));
});

test('store protocol: Leaf\'s compare-and-set loop is the core\'s state machine', () => {
  assert.ok(vectors.cas.length >= 6);
  const subject = { biz_tag: 'invoice' };
  for (const c of vectors.cas) {
    let cas;
    try {
      cas = new native.CasLoop(c.step);
    } catch (e) {
      assert.deepEqual(exact([failed(e)]), exact(c.expect), c.name);
      continue;
    }
    const got = c.events.map((ev) => {
      let out;
      try {
        const [kind, ...v] = 'read' in ev ? cas.read(ev.read, subject) : cas.swapped(ev.swapped, ev.unit, subject);
        out = kind === 'pause' ? { pause_us: v[0] } : { [kind]: v };
      } catch (e) {
        out = failed(e);
      }
      return { ...out, retries: cas.retries };
    });
    assert.deepEqual(exact(got), exact(c.expect), c.name);
  }
});

// --- a real driver's failures on the real servers

const PG = process.env.IDLOOM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.IDLOOM_REDIS ?? 'redis://127.0.0.1:6379/';
const MYSQL = process.env.IDLOOM_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';
const missing = `idloom_missing_${process.pid}`;
/** The URL with its port moved to one nothing listens on. */
const refusedUrl = async (url) => {
  const u = new URL(url);
  u.port = String(await freePort());
  return u.href;
};

test.after(() => setTimeout(() => process.exit(0), 50).unref()); // pools and clients hold sockets

test('postgres: a missing table is store_schema with the core\'s message; a refused connection store_unavailable', async () => {
  const store = await PostgresStore.fromUrl(PG, { table: missing });
  await assert.rejects(store.segmentPeek('t'), (e) => e.code === 'store_schema' && e.message === `postgres: a table is missing (run init): relation "${missing}" does not exist`);
  const down = await PostgresStore.fromUrl(await refusedUrl(PG));
  await assert.rejects(down.namespace('ns'), (e) => e.code === 'store_unavailable' && e.message.startsWith('postgres: the connection failed or was lost: '));
});

test('mysql: a missing table is store_schema with the core\'s message; a refused connection store_unavailable', async () => {
  const store = await MySQLStore.fromUrl(MYSQL, { table: missing });
  await assert.rejects(store.segmentPeek('t'), (e) => e.code === 'store_schema' && /^mysql: a table is missing \(run init\): Table '\w+\.idloom_missing_\d+' doesn't exist$/.test(e.message), String);
  const down = await MySQLStore.fromUrl(await refusedUrl(MYSQL));
  await assert.rejects(down.namespace('ns'), (e) => e.code === 'store_unavailable' && e.message.startsWith('mysql: the connection failed or was lost: '));
});

for (const driver of ['ioredis', 'redis']) {
  test(`redis (${driver}): an error reply is classified by its word (WRONGTYPE: store_schema); a refused connection store_unavailable`, async () => {
    const store = await RedisStore.fromUrl(REDIS, { driver });
    const tag = `proto${process.pid}${driver}`;
    const Redis = (await import('ioredis')).default;
    const raw = new Redis(REDIS);
    try {
      await raw.hset(`{idloom:seg:${tag}}`, 'x', '1'); // the counter's key, holding a hash
      await assert.rejects(store.segmentSource(tag)(10), (e) => e.code === 'store_schema' && e.message.startsWith('redis: the server refused an idloom script: ') && e.message.includes('WRONGTYPE'));
    } finally {
      await raw.del(`{idloom:seg:${tag}}`);
      raw.disconnect();
    }
    const url = await refusedUrl(REDIS);
    const refused = (e) => e.code === 'store_unavailable' && e.message.startsWith('redis: the connection failed or was lost: ');
    if (driver === 'redis') await assert.rejects(RedisStore.fromUrl(url, { driver }), refused); // node-redis connects first
    else await assert.rejects((await RedisStore.fromUrl(url, { driver })).namespace('ns'), refused);
  });
}
