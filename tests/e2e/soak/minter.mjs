// The Node minter of the soak, on the addon (IDLOOM_IMPL=native) or on the
// wasm package (IDLOOM_IMPL=wasm: idloom-wasm/stores). The protocol of
// stores/examples/soak_minter.rs:
//
//   minter.mjs ENGINE LEASE_URL SEG_URL NS TAG NODES,TTL,SKEW OUT HOLDER
//
// It leases a node (renewed by the lease's own timer), mints on it with
// Snowflake({ lease }), draws segment IDs from one Leaf row (a Redis counter
// on Redis) and logs every grant, end and error to OUT.log.
import { appendFileSync, existsSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const impl = process.env.IDLOOM_IMPL ?? 'native';
const entries = impl === 'wasm' ? ['../../../bindings-wasm/pkg/stores.mjs'] : ['../../../bindings-node/lib/index.mjs', '../../../bindings-node/lib/stores.mjs'];
const idloom = Object.assign({}, ...(await Promise.all(entries.map((e) => import(new URL(e, import.meta.url).href)))));
const { Snowflake, Segment, SegmentGroup, Layout, PostgresStore, MySQLStore, RedisStore, ZooKeeperStore, EtcdStore } = idloom;

const [engine, leaseUrl, segUrl, ns, tag, conf, out, holder, extraSpec] = process.argv.slice(2);
const [nodes, ttlMs, maxSkewMs] = conf.split(',').map(Number);
const Store = { postgres: PostgresStore, mysql: MySQLStore, redis: RedisStore, zookeeper: ZooKeeperStore, etcd: EtcdStore }[engine];
const line = (s) => appendFileSync(`${out}.log`, `${Date.now()} ${s}\n`);
let lastError = '';
const error = (where, e) => {
  const code = e?.code ?? `not_idloom:${String(e?.message ?? e).split('\n')[0].replaceAll(' ', '_')}`;
  if (`${where} ${code}` !== lastError) line(`error ${where} ${code}`);
  lastError = `${where} ${code}`;
  return code;
};
// A store that is down when the process starts is retried, as after any failure.
async function connect(url) {
  for (;;) {
    try {
      return await Store.fromUrl(url);
    } catch (e) {
      error('connect', e);
      await sleep(100);
    }
  }
}
const store = await connect(leaseUrl);
// What a failed call really was (the lease counts a renewal that got no
// answer, whatever the driver said): a `detail` line, kept for a failed run's files.
for (const call of ['_acquire', '_renew', '_release']) {
  const f = store[call].bind(store);
  store[call] = async (...args) => {
    try {
      return await f(...args);
    } catch (e) {
      if (e?.code !== 'no_free_node') line(`detail ${call} ${e?.code ?? '-'} ${String(e?.message ?? e).split('\n')[0]}`);
      throw e;
    }
  };
}
const segStore = await connect(segUrl);
const seg = new Segment(segStore.segmentSource(tag), { step: 200, timeoutMs: 2000 });
const segFd = openSync(`${out}.seg`, 'a');
// The optional extra source, several servers as one SegmentGroup:
// group:URL,URL,URL (Redis INCRBY, offset k, stride 3) or tickets:ODD,EVEN
// (Flickr ticket servers). A member connects on its first fetch, so one that
// is down when this process starts is skipped like one that went down later.
let extra = null;
if (extraSpec) {
  const at = extraSpec.indexOf(':');
  const [kind, urls] = [extraSpec.slice(0, at), extraSpec.slice(at + 1).split(',')];
  const lazy = (Store, url, make) => {
    let source = null;
    return async (step) => {
      source ??= make(await Store.fromUrl(url));
      return source(step);
    };
  };
  extra = new SegmentGroup(
    urls.map((url, k) =>
      kind === 'group'
        ? new Segment(lazy(RedisStore, url, (s) => s.segmentSource(tag)), { step: 100, stride: urls.length, offset: k, timeoutMs: 1000 })
        : new Segment(lazy(MySQLStore, url, (s) => s.ticketSource('soak_tickets', { servers: 2, index: k + 1 })), { step: 1, timeoutMs: 1000 }),
    ),
  );
}
const extraFd = openSync(`${out}.extra`, 'a');
let turn = 0;
const bytes = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

let grants = 0;
let held = null; // { k, lease, gen, fd, failures, expiredSince, until }
let stopping;
// Turns: a holder releases its node (cleanly, with the high-water) after 3
// to 6 s and waits before asking again, so the minters that wait get nodes
// too — five minters on three nodes, and one that lost every race for a
// freed node once minted nothing in a whole soak.
const HOLD_MS = [3000, 6000];
const AFTER_TURN_MS = 300;
let notBefore = 0;
/**
 * Segment IDs (and the group's), every turn: with a lease or without one, so
 * that a failed refill is seen while its fault lasts, not after a wait for a node.
 */
async function draw() {
  const drawn = [];
  for (let i = 0; i < 5; i++) {
    try {
      drawn.push(await seg.nextAsync()); // waits on the event loop for a refill, up to timeoutMs
    } catch (e) {
      error('segment', e);
      break;
    }
  }
  if (drawn.length) writeSync(segFd, bytes(BigUint64Array.from(drawn)));
  if (extra && turn++ % 10 === 0) {
    try {
      writeSync(extraFd, bytes(BigUint64Array.of(await extra.nextAsync())));
    } catch (e) {
      error('extra', e);
    }
  }
}

while (!existsSync(`${out}.stop`)) {
  if (held === null) {
    if (Date.now() < notBefore) {
      await draw();
      await sleep(Math.max(0, Math.min(50, notBefore - Date.now())));
      continue;
    }
    try {
      const lease = await store.leaseNode(ns, { holder });
      grants += 1;
      const until = Date.now() + HOLD_MS[0] + Math.random() * (HOLD_MS[1] - HOLD_MS[0]);
      held = { k: grants, lease, gen: new Snowflake({ lease }), fd: openSync(`${out}.g${grants}`, 'a'), failures: 0, expiredSince: 0, reported: false, until };
      line(`grant ${grants} ${lease.node} ${lease.epoch} ${lease.startMs} ${lease.fenceMs}`);
    } catch (e) {
      if (error('acquire', e) === 'store_state_lost') {
        await store.initNamespace(ns, { layout: Layout.TWITTER, nodes, ttlMs, maxSkewMs, fresh: false }).catch((e2) => error('init', e2));
      }
      await draw();
      await sleep(50);
      continue;
    }
  }
  const h = held;
  if (h.lease.renewalFailures > h.failures) {
    h.failures = h.lease.renewalFailures;
    error('renew', { code: 'store_unavailable' });
  }
  if (h.lease.error && !h.reported) {
    h.reported = true;
    error('renew', h.lease.error);
  }
  const ids = [];
  let ended = null;
  for (let i = 0; i < 50; i++) {
    try {
      ids.push(h.gen.next());
    } catch (e) {
      if (e?.code === 'would_block') {
        // A wait longer than a synchronous call may take (wasm): wait on the event loop instead.
        ids.push(await h.gen.nextAsync().catch((e2) => e2));
        if (typeof ids.at(-1) === 'bigint') continue;
        e = ids.pop(); // eslint-disable-line no-ex-assign -- the awaited retry's error is the one to report
      }
      const code = error('mint', e);
      if (code === 'clock_moved_backwards' && h.lease.startMs > Date.now()) {
        // A lease that starts ahead of this clock (the floor a store that lost
        // its state set): wait for the clock to reach it, keeping the lease.
        await sleep(Math.min(50, h.lease.startMs - Date.now()));
        break;
      }
      // At the fence: wait (bounded) for the renewal in flight; a lost lease,
      // or one whose renewals ended, has nothing to wait for.
      h.expiredSince ||= Date.now();
      if (code !== 'lease_expired' || h.lease.error || Date.now() - h.expiredSince > ttlMs) ended = code;
      break;
    }
  }
  if (ids.length) {
    h.expiredSince = 0;
    writeSync(h.fd, bytes(BigUint64Array.from(ids)));
  }
  if (ended) {
    line(`end ${h.k} ${ended}`);
    held = null;
    if (ended !== 'lease_lost') await h.lease.release().catch((e) => error('release', e));
  } else if (Date.now() >= h.until) {
    // This holder's turn is over: a clean release, then a pause before asking again.
    held = null;
    notBefore = Date.now() + AFTER_TURN_MS;
    try {
      const hw = await h.lease.release();
      line(hw === null ? `end ${h.k} ${h.lease.error?.code ?? 'lease_lost'}` : `released ${h.k} ${hw}`);
    } catch (e) {
      // The generators stopped before the store was asked: the lease ended here
      // (the store gives the node away a TTL later).
      line(`end ${h.k} ${error('release', e)}`);
    }
  }
  await draw();
  await sleep(2); // the lease's renewal timer runs here
}
stopping = true;
if (held) {
  try {
    const hw = await held.lease.release();
    line(hw === null ? `end ${held.k} ${held.lease.error?.code ?? 'lease_lost'}` : `released ${held.k} ${hw}`);
  } catch (e) {
    line(`end ${held.k} ${error('release', e)}`); // stopped before the store was asked, as above
  }
}
line('exit');
await Promise.all([store.close?.(), segStore.close?.()].map((p) => Promise.resolve(p).catch(() => {})));
process.exit(stopping ? 0 : 1);
