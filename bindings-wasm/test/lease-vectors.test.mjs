// The shared lease scripts (tests/vectors/lease_scripts.json), replayed on
// the wasm coordination build — the module a Worker isolate and the Durable
// Object run: the core's store model (leaseStore*), the holder (LeaseMachine)
// and a leased generator with Date.now pinned to each step's holder clock.
// The same answers as the Rust replay, step by step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Layout } from '../pkg/stores.mjs';
import { native } from '../pkg/lib/native.mjs';

const { scripts } = JSON.parse(readFileSync(new URL('../../tests/vectors/lease_scripts.json', import.meta.url), 'utf8'));
const POLICY = { backwards: 'logical', maxBackwardsMs: 1000, exhausted: 'wait', maxBorrowMs: 1000, sequenceStart: 'reset', seed: undefined };

/** `f()` with Date.now() reading `ms` (the wasm clock calls it). */
function at(ms, f) {
  const real = Date.now;
  Date.now = () => ms;
  try {
    return f();
  } finally {
    Date.now = real;
  }
}
const failure = (e) => {
  assert.ok(e.code, String(e));
  return { error: e.code };
};
const grant = (m) => {
  const [node, epoch, start, fence, skew] = m.snapshot();
  return { node, epoch, start, fence, skew };
};

for (const script of scripts) {
  test(`lease script ${script.name}`, () => {
    const store = native.leaseStoreNew(script.ttl_ms, script.max_skew_ms, script.nodes, script.identity, script.fresh, script.store_now);
    const holders = new Map();
    for (const [i, s] of script.steps.entries()) {
      let got;
      try {
        got = step(store, holders, script, s);
      } catch (e) {
        got = failure(e);
      }
      assert.deepEqual(got, s.expect, `step ${i} ${JSON.stringify(s)}`);
    }
  });
}

function step(store, holders, script, s) {
  switch (s.op) {
    case 'acquire': {
      const m = new native.LeaseMachine(script.ttl_ms, script.max_skew_ms);
      const proposed = m.beginAcquire(s.local);
      const [node, epoch, startMs, fenceMs, storeNowMs] = store.acquire(s.holder, proposed, s.identity, s.store);
      m.granted({ node, epoch, startMs, fenceMs, storeNowMs }, s.received);
      const gen = native.snowflakeLeased(Layout.TWITTER.spec, BigInt(node), POLICY);
      gen.setLease(startMs, m.snapshot()[3], epoch);
      holders.set(s.holder, { m, gen });
      return grant(m);
    }
    case 'mint': {
      const { gen } = holders.get(s.holder);
      return { id: String(at(s.local, () => gen.next())) };
    }
    case 'renew': {
      const { m, gen } = holders.get(s.holder);
      const proposed = m.beginRenew(s.local);
      if (proposed === null) return { due: false };
      const [node, epoch, start] = m.snapshot();
      let g;
      try {
        g = store.renew(node, epoch, start, s.holder, proposed, s.identity, s.store);
      } catch (e) {
        if (e.code !== 'lease_lost') throw e;
        m.refused();
        gen.loseLease();
        return { error: 'lease_lost' };
      }
      const [kind, fence] = m.renewed({ node: g[0], epoch: g[1], startMs: g[2], fenceMs: g[3], storeNowMs: g[4] }, s.received);
      if (kind !== 'renewed') return { error: 'store_unavailable' };
      gen.extendFence(fence);
      return grant(m);
    }
    case 'release': {
      const { m, gen } = holders.get(s.holder);
      const [, , start] = m.snapshot();
      const [node, epoch, highWater] = m.release(gen.stopLease() ?? undefined);
      store.release(node, epoch, start, s.holder, highWater);
      return { high_water: highWater };
    }
    case 'floor':
      return { floor: store.floorMs() };
    default:
      throw new Error(`unknown op ${s.op}`);
  }
}
