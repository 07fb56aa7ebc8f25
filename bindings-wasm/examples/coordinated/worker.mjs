// A Worker that leases its node from a Durable Object (idloom-wasm/workers):
// each isolate takes a node of `namespace` at its first request and keeps it
// across requests, renewing it (ctx.waitUntil) when due; a fenced Snowflake
// over the lease never mints past the fence, so an isolate that was idle
// while its node went to another never repeats the other's IDs. Segments
// come from the same object.
//
// wrangler.toml:
//   [[durable_objects.bindings]]
//   name = "IDLOOM"
//   class_name = "IdloomCoordinator"
//   [[migrations]]
//   tag = "v1"
//   new_classes = ["IdloomCoordinator"]
import { Snowflake, DurableObjectStore, IdloomCoordinator, leaseNode, segment } from '../../pkg/workers.mjs';

export { IdloomCoordinator }; // the Durable Object class, exported from the main module

// What a caller may ask for, allow-listed and clamped: a public endpoint must
// not let anyone create namespaces or counters at will, size them, or mint
// without bound. Names: a lower-case word, a dash and up to 32 more (the
// tests' random names); numbers: clamped into the ranges below.
const NAME = /^[a-z]{1,16}(-[a-z0-9]{1,32})?$/;
const RANGES = {
  n: [1, 20_000_000], // IDs one request mints (a run to the borrowing bound mints millions)
  nodes: [1, 1024],
  ttl: [500, 60_000],
  skew: [0, 10_000],
  borrow: [0, 60_000],
  step: [1, 10_000],
};
const num = (url, name, dflt) => {
  const [lo, hi] = RANGES[name];
  const v = Number(url.searchParams.get(name) ?? dflt);
  return Number.isSafeInteger(v) ? Math.min(hi, Math.max(lo, v)) : dflt;
};
const name = (url, param, dflt) => {
  const v = url.searchParams.get(param) ?? dflt;
  if (!NAME.test(v)) throw Object.assign(new Error(`${param} must match ${NAME}`), { code: 'invalid_argument' });
  return v;
};

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/segment') {
        // This isolate's Segment over the object's counter; ranges fetched ahead are kept alive by ctx.waitUntil.
        const seg = await segment(env.IDLOOM, name(url, 'tag', 'orders'), { ctx, step: num(url, 'step', 100) });
        const ids = [];
        for (let i = num(url, 'n', 10); i > 0; i--) ids.push(String(await seg.nextAsync()));
        return Response.json({ ids });
      }
      const ns = name(url, 'ns', 'orders');
      if (url.pathname === '/status') return Response.json(await new DurableObjectStore(env.IDLOOM).status(ns));
      const lease = await leaseNode(env.IDLOOM, ns, { ctx, nodes: num(url, 'nodes', 1024), ttlMs: num(url, 'ttl', 10_000), maxSkewMs: num(url, 'skew', 1_000) });
      // Deployed Workers freeze Date.now() between I/O: borrow ahead, bounded by maxBorrowMs and by the lease's fence.
      const gen = new Snowflake({ lease, exhausted: 'borrow', maxBorrowMs: num(url, 'borrow', 1000) });
      const realNow = Date.now;
      const pinned = realNow();
      if (url.searchParams.has('pin')) Date.now = () => pinned; // what a deployment sees within one request
      const ids = [];
      let code = null;
      try {
        for (let n = num(url, 'n', 5); n > 0; n -= 4096) ids.push(...gen.nextBatch(Math.min(n, 4096)));
      } catch (e) {
        code = e.code;
      } finally {
        Date.now = realNow;
      }
      const shown = url.searchParams.has('tail') ? ids.slice(-3) : ids; // ?tail: the last three (a run to a bound mints millions)
      return Response.json({ node: lease.node, epoch: lease.epoch, startMs: lease.startMs, fenceMs: lease.fenceMs, count: ids.length, ids: shown.map(String), code });
    } catch (e) {
      return Response.json({ code: e.code ?? 'error', message: e.message }, { status: e.code === 'invalid_argument' ? 400 : 503 });
    }
  },
};
