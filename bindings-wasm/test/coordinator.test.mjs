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
