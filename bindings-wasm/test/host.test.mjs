// Host facts the wasm build must survive, checked in Node against the built
// package: Workers refuse randomness at module scope, and deployed Workers
// freeze Date.now() between I/O.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const entry = new URL('../pkg/node.mjs', import.meta.url).href;
const run = (code) => spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });

test('importing draws no randomness and reads no clock; the first ID does', () => {
  const r = run(`
    const real = crypto.getRandomValues.bind(crypto);
    let draws = 0;
    crypto.getRandomValues = () => { throw new Error('randomness at module scope'); };
    const realNow = Date.now;
    let reads = 0;
    Date.now = () => { reads++; return realNow(); };
    const idloom = await import(${JSON.stringify(entry)});
    if (reads !== 0) throw new Error('Date.now read at import: ' + reads);
    crypto.getRandomValues = (a) => { draws++; return real(a); };
    const u = idloom.v4();
    if (draws === 0 || idloom.version(u) !== 4) throw new Error('v4 did not draw');
    console.log('ok');
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
});

test('a frozen Date.now(): 100,000 IDs by borrowing ahead, then a typed error; never a hang', () => {
  const r = run(`
    const frozen = Date.now();
    Date.now = () => frozen;
    const { Snowflake, Layout } = await import(${JSON.stringify(entry)});
    const gen = new Snowflake({ node: 1, layout: Layout.TWITTER, exhausted: 'borrow', maxBorrowMs: 30 });
    const ids = new BigUint64Array(100_000);
    for (let i = 0; i < ids.length; i++) ids[i] = gen.next();
    for (let i = 1; i < ids.length; i++) if (ids[i] <= ids[i - 1]) throw new Error('not increasing at ' + i);
    const lead = gen.decode(ids.at(-1)).timestampMs - frozen;
    if (lead < 20 || lead > 30) throw new Error('lead ' + lead);
    let minted = 0, code = null;
    try { for (;;) { gen.next(); minted++; } } catch (e) { code = e.code; }
    if (code !== 'lead_exceeded' || minted > 4096 * 31) throw new Error(code + ' after ' + minted);
    // The default policy waits for the next tick: bounded polling, then clock_stalled.
    const waiting = new Snowflake({ node: 2, layout: Layout.TWITTER });
    const t0 = performance.now();
    let stalled = null;
    try { for (let i = 0; i < 10_000; i++) waiting.next(); } catch (e) { stalled = e.code; }
    if (stalled !== 'clock_stalled') throw new Error('wait policy gave ' + stalled);
    console.log('ok', Math.round(performance.now() - t0));
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ok \d+/);
});
