// The example Worker under miniflare (workerd) on 127.0.0.1: IDs of every
// kind minted inside `fetch`, decoded and checked here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';

const root = new URL('..', import.meta.url).pathname;
let mf, readmeWorker, frozenWorker;

/** A module worker under workerd on 127.0.0.1, as wrangler would deliver it. */
const start = (scriptPath) =>
  new Miniflare({
    host: '127.0.0.1',
    modules: true,
    modulesRoot: root,
    scriptPath,
    // wasm-bindgen's glue is an ES module named .js; the .wasm arrives compiled, as wrangler delivers it.
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2025-07-01',
    bindings: { NODE_ID: '7' },
  });

before(async () => {
  mf = start(`${root}examples/worker/worker.mjs`);
  // The README's Worker quickstart; the package name resolves to the workerd entry, as wrangler's `workerd` condition does.
  const code = /```js\n(import \{ Snowflake \} from 'idloom-wasm';[\s\S]*?)```/.exec(readFileSync(`${root}README.md`, 'utf8'))[1];
  mkdirSync(`${root}build`, { recursive: true });
  writeFileSync(`${root}build/readme-worker.mjs`, code.replace("'idloom-wasm'", "'../pkg/workerd.mjs'"));
  readmeWorker = start(`${root}build/readme-worker.mjs`);
  frozenWorker = start(`${root}fixtures/frozen-worker.mjs`); // outside test/: node --test would run it
  await Promise.all([mf.ready, readmeWorker.ready, frozenWorker.ready]);
});

after(async () => {
  await mf?.dispose();
  await readmeWorker?.dispose();
  await frozenWorker?.dispose();
});

test('workerd: Date.now pinned inside the handler — borrowing runs to its bound, then typed errors, never a hang', async () => {
  // Local workerd advances Date.now() within a request; deployed Workers do
  // not, so the handler pins it and this tests what a deployment sees.
  const r = await (await frozenWorker.dispatchFetch('http://127.0.0.1/?node=20')).json();
  assert.ok(r.stillPinned, 'the clock stayed frozen for the whole request');
  assert.equal(r.firstMs, r.pinned);
  assert.equal(r.count, 4096 * 1001, 'every sequence of the pinned tick and the 1000 ms borrowing bound, and no more');
  assert.equal(r.lastMs, r.pinned + 1000);
  assert.ok(r.increasing);
  assert.equal(r.code, 'lead_exceeded');
  assert.equal(r.waitCode, 'clock_stalled', 'a wait policy on a frozen clock ends, typed');
});

test('workerd: the README Worker quickstart', async () => {
  const r = await (await readmeWorker.dispatchFetch('http://127.0.0.1/')).json();
  const id = BigInt(r.id);
  assert.equal((id >> 12n) & 1023n, 7n, 'node 7 from the NODE_ID binding (Twitter layout)');
});

test('workerd: every kind minted in fetch, node from the NODE_ID binding', async () => {
  const res = await mf.dispatchFetch('http://127.0.0.1/?n=5');
  assert.equal(res.status, 200, await res.clone().text());
  const r = await res.json();
  assert.equal(r.node, 7);
  const ids = r.snowflake.map(BigInt);
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]));
  assert.equal(r.decoded.node, 7);
  assert.ok(Math.abs(Date.parse(r.decoded.timestamp) - Date.now()) < 60_000);
  assert.deepEqual(r.segment, ['1', '2']);
  assert.match(r.v4, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(r.v7, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(r.nanoid, /^[A-Za-z0-9_-]{21}$/);
  assert.equal(r.base62.length, 11);
  assert.ok(r.base62RoundTrip && r.maskRoundTrip);
  assert.equal(r.capacity, 4_096_000);
});

test('workerd: 100,000 IDs in one request, increasing across requests, a node per request', async () => {
  const a = await (await mf.dispatchFetch('http://127.0.0.1/?n=100000')).json();
  assert.equal(a.count, 100_000);
  const b = await (await mf.dispatchFetch('http://127.0.0.1/?n=1')).json();
  assert.ok(BigInt(b.snowflake[0]) > BigInt(a.last));
  const c = await (await mf.dispatchFetch('http://127.0.0.1/?n=1&node=9')).json();
  assert.equal(c.decoded.node, 9);
});
