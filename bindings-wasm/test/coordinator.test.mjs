// Node leases and segments from a Durable Object, under miniflare (workerd):
// 8 Worker isolates share one IdloomCoordinator (examples/coordinated). No
// (node, epoch) twice, nothing minted at or past a fence, no duplicate across
// isolates with Date.now pinned, fences and leases kept across a restart of
// the object (its storage persisted), segments without overlap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';

const root = new URL('..', import.meta.url).pathname;
const persist = mkdtempSync(join(tmpdir(), 'idloom-do-'));
const ISOLATES = 8;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let mf;

const worker = (name, durableObjects) => ({
  name,
  modules: true,
  modulesRoot: root,
  scriptPath: `${root}examples/coordinated/worker.mjs`,
  modulesRules: [
    { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
    { type: 'CompiledWasm', include: ['**/*.wasm'] },
  ],
  compatibilityDate: '2025-07-01',
  durableObjects,
});
const options = () => ({
  host: '127.0.0.1',
  durableObjectsPersist: persist, // the object's storage survives a restart
  workers: [
    worker('coord', { IDLOOM: 'IdloomCoordinator' }),
    ...Array.from({ length: ISOLATES }, (_, k) => worker(`w${k}`, { IDLOOM: { className: 'IdloomCoordinator', scriptName: 'coord' } })),
  ],
});

before(async () => {
  mf = new Miniflare(options());
  await mf.ready;
});
after(async () => {
  await mf?.dispose();
  rmSync(persist, { recursive: true, force: true });
});

/** GET `path` on isolate `k`: its JSON. */
async function call(k, path) {
  const w = await mf.getWorker(`w${k}`);
  const res = await w.fetch(`http://127.0.0.1${path}`);
  return res.json();
}
const unique = (tag) => `${tag}-${Math.random().toString(16).slice(2, 10)}`;
const TWITTER_EPOCH = 1288834974657;
const tsOf = (id) => Number(BigInt(id) >> 22n) + TWITTER_EPOCH;
const nodeOf = (id) => Number((BigInt(id) >> 12n) & 1023n);

test('8 isolates on 4 nodes, short TTLs: no (node, epoch) twice, nothing at or past a fence, no duplicate', async () => {
  const ns = unique('four');
  const q = `ns=${ns}&nodes=4&ttl=600&skew=200&n=3000`;
  const owners = new Map(); // "node/epoch" -> isolate
  const ids = new Set();
  let minted = 0;
  const take = (k, r) => {
    if (r.code === 'no_free_node' && r.ids === undefined) return false;
    assert.ok(r.ids, JSON.stringify(r));
    const key = `${r.node}/${r.epoch}`;
    assert.ok(!owners.has(key) || owners.get(key) === k, `${key} held by isolates ${owners.get(key)} and ${k}`);
    owners.set(key, k);
    for (const id of r.ids) {
      assert.equal(nodeOf(id), r.node);
      const t = tsOf(id);
      assert.ok(t >= r.startMs && t < r.fenceMs, `a tick at ${t} outside [${r.startMs}, ${r.fenceMs})`);
      ids.add(id);
    }
    minted += r.ids.length;
    return true;
  };
  // Round 1: four isolates get the four nodes; the others find none free.
  const first = await Promise.all(Array.from({ length: ISOLATES }, (_, k) => call(k, `/mint?${q}`)));
  const winners = first.map((r, k) => (take(k, r) ? k : -1)).filter((k) => k >= 0);
  assert.equal(winners.length, 4, JSON.stringify(first.map((r) => r.code ?? r.node)));
  // The winners go quiet past their TTL; the others take the nodes (epoch 2).
  await sleep(800);
  const losers = [...Array(ISOLATES).keys()].filter((k) => !winners.includes(k));
  const second = await Promise.all(losers.map((k) => call(k, `/mint?${q}`)));
  second.forEach((r, i) => assert.ok(take(losers[i], r), JSON.stringify(r)));
  assert.ok(second.every((r) => r.epoch === 2));
  // The first holders come back: their renewal is refused, they mint nothing
  // on the old lease, and find no node free while the new holders live.
  const third = await Promise.all(winners.map((k) => call(k, `/mint?${q}`)));
  for (const r of third) assert.equal(r.code, 'no_free_node', JSON.stringify(r));
  assert.equal(ids.size, minted, 'no duplicate');
  assert.equal(owners.size, 8);
});

test('200,000 IDs on 8 isolates at once with Date.now pinned: no duplicate; the bounds end typed', async () => {
  const ns = unique('pinned');
  const results = await Promise.all(Array.from({ length: ISOLATES }, (_, k) => call(k, `/mint?ns=${ns}&nodes=16&n=25000&pin=1`)));
  const all = results.flatMap((r) => r.ids);
  assert.equal(all.length, 200_000, JSON.stringify(results.map((r) => r.code)));
  assert.equal(new Set(all).size, 200_000);
  assert.equal(new Set(results.map((r) => r.node)).size, ISOLATES, 'one node per isolate');
  // Borrowing ahead of a pinned clock ends at its bound (lead_exceeded) ...
  const lead = await call(0, `/mint?ns=${ns}&nodes=16&n=8000000&pin=1&borrow=1000&tail`);
  assert.equal(lead.code, 'lead_exceeded');
  assert.ok(lead.count >= 4096 * 1000 && lead.count <= 4096 * 1001, String(lead.count));
  // ... or at the lease's fence, whichever is nearer (lease_expired), never past it.
  const fenced = await call(1, `/mint?ns=${unique('near')}&nodes=2&ttl=1500&skew=200&n=20000000&pin=1&borrow=60000&tail`);
  assert.equal(fenced.code, 'lease_expired');
  const last = tsOf(fenced.ids.at(-1));
  assert.ok(last < fenced.fenceMs && last >= fenced.fenceMs - 2, `stopped at ${last}, fence ${fenced.fenceMs}`);
});

test('segments from the object, drawn by 8 isolates: no overlap', async () => {
  const tag = unique('seg');
  const got = await Promise.all(Array.from({ length: ISOLATES }, (_, k) => call(k, `/segment?tag=${tag}&n=500&step=50`)));
  const all = got.flatMap((r) => r.ids);
  assert.equal(all.length, 4000);
  assert.equal(new Set(all).size, 4000);
});

test('the object restarted with its storage: leases and fences survive, new holders start above them', async () => {
  const ns = unique('restart');
  const q = `ns=${ns}&nodes=2&ttl=3000&skew=500&n=2000`;
  const before = await Promise.all([0, 1].map((k) => call(k, `/mint?${q}`)));
  const status = await call(0, `/status?ns=${ns}`);
  await mf.setOptions(options()); // workerd restarts: the object and every isolate
  const kept = await call(2, `/status?ns=${ns}`);
  assert.deepEqual(kept, status, 'every record as it was');
  // Both nodes are still leased (their TTL runs): a third isolate finds none free.
  assert.equal((await call(2, `/mint?${q}`)).code, 'no_free_node');
  await sleep(3200);
  const after = await Promise.all([2, 3].map((k) => call(k, `/mint?${q}`)));
  for (const r of after) {
    const old = kept.nodes[r.node];
    assert.equal(r.epoch, old.epoch + 1);
    assert.ok(r.startMs >= old.fenceMs, `start ${r.startMs} below the old fence ${old.fenceMs}`);
  }
  const all = [...before, ...after].flatMap((r) => r.ids);
  assert.equal(new Set(all).size, all.length);
});

test("the README's Worker quickstart: a node per isolate and segments from the object", async () => {
  const code = /```js\n(import \{ Snowflake, IdloomCoordinator[\s\S]*?)```/.exec(readFileSync(`${root}README.md`, 'utf8'))[1];
  mkdirSync(`${root}build`, { recursive: true });
  writeFileSync(`${root}build/readme-do-worker.mjs`, code.replace("'idloom-wasm/workers'", "'../pkg/workers.mjs'"));
  const readme = new Miniflare({ host: '127.0.0.1', ...worker('readme', { IDLOOM: 'IdloomCoordinator' }), scriptPath: `${root}build/readme-do-worker.mjs` });
  try {
    const a = await (await readme.dispatchFetch('http://127.0.0.1/')).json();
    const b = await (await readme.dispatchFetch('http://127.0.0.1/')).json();
    assert.equal(a.node, b.node, 'the isolate keeps its lease');
    assert.equal(nodeOf(a.id), a.node);
    assert.ok(BigInt(b.id) > BigInt(a.id));
    assert.equal(BigInt(b.invoice), BigInt(a.invoice) + 1n);
  } finally {
    await readme.dispose();
  }
});

test('the object trusts nothing: every field is checked inside it, with the codes every store gives', async () => {
  const objects = await mf.getDurableObjectNamespace('IDLOOM', 'coord');
  const stub = objects.get(objects.idFromName(unique('raw')));
  const send = async (body) => (await stub.fetch('http://127.0.0.1/', { method: 'POST', body: JSON.stringify(body) })).json();
  const ns = unique('raw');
  const init = { op: 'namespace_init', ns, layout: 'twitter', nodes: 4, ttlMs: 2000, maxSkewMs: 200, fresh: true };
  const refused = [
    [null, 'store_schema'],
    [[1, 2], 'store_schema'],
    [{ op: 'drop_everything' }, 'store_schema'],
    [{ ...init, ns: 'a:b' }, 'invalid_argument'], // no `:` tricks in the keys
    [{ ...init, ns: 'x'.repeat(65) }, 'invalid_argument'],
    [{ ...init, nodes: '4' }, 'invalid_type'], // no coercion
    [{ ...init, nodes: 4_194_304 }, 'invalid_argument'], // more than an object holds
    [{ ...init, nodes: 0 }, 'invalid_argument'],
    [{ ...init, ttlMs: 0 }, 'invalid_argument'],
    [{ ...init, maxSkewMs: 2000 }, 'invalid_argument'],
    [{ ...init, fresh: 'yes' }, 'invalid_type'],
    [{ ...init, layout: '' }, 'invalid_argument'],
    [{ op: 'acquire', ns, holder: 'h\n', proposed: 1 }, 'invalid_argument'],
    [{ op: 'acquire', ns, holder: 'h', proposed: 1e300 }, 'invalid_argument'],
    [{ op: 'renew', ns, node: -1, epoch: 1, holder: 'h', proposed: 1 }, 'invalid_argument'],
    [{ op: 'release', ns, node: 0, epoch: 1.5, holder: 'h', highWater: 1 }, 'invalid_argument'],
    [{ op: 'segment_init', tag: 'a{b}', floor: 1 }, 'invalid_argument'],
    [{ op: 'segment_init', tag: 'ok', floor: -5 }, 'invalid_argument'],
    [{ op: 'segment_fetch', tag: 'ok', step: 0 }, 'invalid_argument'], // step ≥ 1
    [{ op: 'segment_fetch', tag: 'ok', step: 2 ** 41 }, 'invalid_argument'],
  ];
  for (const [body, code] of refused) assert.equal((await send(body)).error, code, JSON.stringify(body));
  assert.equal((await send({ op: 'namespace_get', ns })).ok, null, 'nothing refused was stored');
  // A counter is never lowered by a later init.
  assert.equal((await send({ op: 'segment_init', tag: 'ok', floor: 100 })).ok, true);
  assert.equal((await send({ op: 'segment_init', tag: 'ok', floor: 5 })).ok, true);
  assert.deepEqual((await send({ op: 'segment_fetch', tag: 'ok', step: 10 })).ok, [100, 110]);
  // One object keeps a bounded number of namespaces.
  const shared = objects.get(objects.idFromName(unique('bounded')));
  const sendTo = async (body) => (await shared.fetch('http://127.0.0.1/', { method: 'POST', body: JSON.stringify(body) })).json();
  for (let k = 0; k < 64; k++) assert.ok((await sendTo({ ...init, ns: `b${k}` })).ok, `namespace ${k}`);
  assert.equal((await sendTo({ ...init, ns: 'b64' })).error, 'invalid_argument');
  assert.ok((await sendTo({ ...init, ns: 'b3' })).ok, 'an existing namespace is still answered');
});

test('each namespace and each counter lives on an object of its own', async () => {
  const ns = unique('own');
  const minted = await call(0, `/mint?ns=${ns}&nodes=2&n=10`);
  assert.equal(minted.count, 10, JSON.stringify(minted));
  const objects = await mf.getDurableObjectNamespace('IDLOOM', 'coord');
  const ask = async (name, body) => (await objects.get(objects.idFromName(name)).fetch('http://127.0.0.1/', { method: 'POST', body: JSON.stringify(body) })).json();
  assert.equal((await ask(`idloom/ns/${ns}`, { op: 'namespace_get', ns })).ok.nodes, 2);
  assert.equal((await ask('idloom', { op: 'namespace_get', ns })).ok, null, 'not on a shared object');
  const tag = unique('own');
  await call(1, `/segment?tag=${tag}&n=3&step=10`);
  const [next] = (await ask(`idloom/seg/${tag}`, { op: 'segment_peek', tag })).ok; // one range taken, maybe one more ahead
  assert.ok(next === 11 || next === 21, `the counter's own object moved: ${next}`);
  // The object's refusals are the core's (its message table), not text of its own.
  const gone = await ask(`idloom/ns/${ns}`, { op: 'segment_peek', tag });
  assert.equal(gone.error, 'store_state_lost');
  assert.match(gone.message, new RegExp(`^biz_tag ${tag}: no such counter; init_segment it with a floor above every ID handed out$`));
  const noNs = await ask(`idloom/seg/${tag}`, { op: 'acquire', ns, holder: 'h', proposed: 1 });
  assert.equal(noNs.error, 'store_state_lost');
  assert.match(noNs.message, new RegExp(`^namespace ${ns}: missing on this store .*init it \\(not fresh\\)`));
  const high = unique('high');
  assert.equal((await ask(`idloom/seg/${high}`, { op: 'segment_init', tag: high, floor: 2 ** 53 - 8 })).ok, true);
  const past = await ask(`idloom/seg/${high}`, { op: 'segment_fetch', tag: high, step: 10 });
  assert.equal(past.error, 'invalid_range', 'a counter past 2^53 - 1 is refused as on Redis (both keep doubles)');
});

test('the example Worker allow-lists names and clamps numbers from the query string', async () => {
  for (const q of ['/mint?ns=Orders', '/mint?ns=a:b', '/segment?tag=x%7By%7D', `/mint?ns=${'a'.repeat(40)}`]) {
    const w = await mf.getWorker('w0');
    const res = await w.fetch(`http://127.0.0.1${q}`);
    assert.equal(res.status, 400, q);
    assert.equal((await res.json()).code, 'invalid_argument', q);
  }
  const ns = unique('clamp');
  const big = await call(2, `/mint?ns=${ns}&nodes=99999&ttl=1&skew=100&n=3`);
  assert.equal(big.count, 3, JSON.stringify(big));
  const { record } = await call(2, `/status?ns=${ns}`);
  assert.deepEqual([record.nodes, record.ttlMs, record.maxSkewMs], [1024, 500, 100], 'nodes and ttl clamped');
});
