// idloom-wasm/workers: node leases and segment ranges from a Durable Object
// (docs/COORDINATION.md). The object is single-writer and strongly consistent:
// it answers with the core's store model (`MemoryStore`, the reference the
// SQL and Lua texts implement: the same answers and errors), keeps every
// record it changes in its transactional storage, and answers only after
// those writes are stored — so a restarted object never loses a fence.
// Isolates lease through `DurableObjectStore` (a store like the PostgreSQL
// and Redis ones) and renew on their own requests (`ctx.waitUntil`).
import { native } from './native.mjs';
import { Layout, Segment, _idloomError as idloomError } from './api.mjs';
import { Store } from './stores/store.mjs';
import { arg, input, int, str } from './args.mjs';
import { LIMITS } from './tables.mjs';

/** The object's answer. @param {unknown} body @param {number} [status] */
const reply = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The numbers of a node record in storage: [holder, epoch, expiresMs, startMs, fenceMs]. */
const NODE = (ns, k) => `node:${ns}:${k}`;

/**
 * Throw the core's refusal for a namespace or counter this object does not
 * have (`subject`: `{ namespace }` or `{ bizTag }`): the message table of
 * `idloom::stores::answer`, which reads a store's `state_lost` status as it.
 * No refusal text is written here.
 * @param {{ namespace?: string, bizTag?: string }} subject
 * @returns {never}
 */
function missing(subject) {
  native.storeRead('redis', subject.bizTag === undefined ? 'acquire' : 'incrby', subject, ['state_lost']);
  throw new Error('idloom: the core read state_lost as an answer'); // a bug: the core refuses it
}

/**
 * A call as the object takes it: every field checked inside the object, which
 * trusts no caller (a Worker with the binding can send it anything) — its
 * type (no string for a number, no coercion), its range (the core's limits)
 * and its characters (the core's input checks, as every store's). Only the
 * fields of the operation are kept.
 * @param {unknown} call
 */
function checked(call) {
  if (call === null || typeof call !== 'object' || Array.isArray(call)) {
    throw idloomError('store_schema', 'idloom coordinator: a call must be a JSON object');
  }
  const c = /** @type {Record<string, unknown>} */ (call);
  const safe = Number.MAX_SAFE_INTEGER;
  const n = (/** @type {string} */ name, /** @type {number} */ lo, /** @type {number} */ hi) => int(c[name], name, lo, hi);
  const bool = (/** @type {string} */ name) => {
    if (typeof c[name] !== 'boolean') throw idloomError('invalid_type', `${name} must be a boolean, got ${typeof c[name]}`);
    return /** @type {boolean} */ (c[name]);
  };
  const ns = () => input('namespace', c.ns, 'ns');
  const holder = () => input('holder', c.holder, 'holder');
  const tag = () => input('biz_tag', c.tag, 'tag');
  const lastNode = LIMITS.durableObjectMaxNodes - 1;
  switch (c.op) {
    case 'namespace_init': {
      const layout = str(c.layout, 'layout');
      if (layout.length === 0 || layout.length > 200 || !/^[\x20-\x7e]+$/.test(layout)) {
        throw idloomError('invalid_argument', 'layout must be 1 to 200 printable ASCII characters (a layout record)');
      }
      const ttlMs = n('ttlMs', 1, LIMITS.maxTtlMs);
      return { op: c.op, ns: ns(), layout, nodes: n('nodes', 1, LIMITS.durableObjectMaxNodes), ttlMs, maxSkewMs: n('maxSkewMs', 0, ttlMs - 1), fresh: bool('fresh') };
    }
    case 'namespace_get':
    case 'nodes':
      return { op: c.op, ns: ns() };
    case 'acquire':
      return { op: c.op, ns: ns(), holder: holder(), proposed: n('proposed', 0, safe) };
    case 'renew':
      return { op: c.op, ns: ns(), node: n('node', 0, lastNode), epoch: n('epoch', 0, safe), start: n('start', 0, safe), holder: holder(), proposed: n('proposed', 0, safe) };
    case 'release':
      return { op: c.op, ns: ns(), node: n('node', 0, lastNode), epoch: n('epoch', 0, safe), start: n('start', 0, safe), holder: holder(), highWater: n('highWater', 0, safe) };
    case 'segment_init':
      return { op: c.op, tag: tag(), floor: n('floor', 0, safe) };
    case 'segment_peek':
      return { op: c.op, tag: tag() };
    case 'segment_fetch':
      return { op: c.op, tag: tag(), step: n('step', 1, LIMITS.maxStep) };
    default:
      throw idloomError('store_schema', `idloom coordinator: no call ${typeof c.op === 'string' ? c.op.slice(0, 40) : typeof c.op}`);
  }
}

/**
 * The Durable Object class: bind it (`[[durable_objects.bindings]]`, with a
 * `new_classes` migration) and export it from your Worker's main module.
 * `DurableObjectStore` gives each namespace and each segment counter an
 * object of its own (named from the store's `name`), so one app's segment
 * traffic never queues another's renewals; one object keeps at most
 * `LIMITS.durableObjectMaxNamespaces` namespaces and
 * `LIMITS.durableObjectMaxCounters` counters (reached only when shared).
 */
export class IdloomCoordinator {
  /** @type {any} */ #state;
  /** @type {Map<string, { record: any, store: any }>} */ #spaces = new Map();
  /** @type {string | null} */ #identity = null;

  /** @param {any} state @param {unknown} _env */
  constructor(state, _env) {
    this.#state = state;
  }

  /** @param {Request} request */
  async fetch(request) {
    let call;
    try {
      call = await request.json();
    } catch {
      return reply({ error: 'store_schema', message: 'idloom coordinator: a request that is not the idloom protocol' }, 400);
    }
    // One call at a time: the calls await storage, and the records in memory
    // must not interleave. A refusal is an answer, not a failure: an error
    // thrown out of blockConcurrencyWhile would reset the object.
    return reply(
      await this.#state.blockConcurrencyWhile(async () => {
        try {
          return { ok: await this.#call(call) };
        } catch (e) {
          return { error: /** @type {any} */ (e)?.code ?? 'store_schema', message: /** @type {any} */ (e)?.message ?? String(e) };
        }
      }),
    );
  }

  /** The object's identity (a store that lost its records would have another). */
  async #id() {
    if (this.#identity === null) {
      const storage = this.#state.storage;
      let id = await storage.get('identity');
      if (id === undefined) {
        id = crypto.randomUUID();
        await storage.put('identity', id);
      }
      this.#identity = /** @type {string} */ (id);
    }
    return this.#identity;
  }

  /** A namespace's record and store, loaded from storage once per object life. @param {string} ns */
  async #space(ns) {
    const known = this.#spaces.get(ns);
    if (known) return known;
    const storage = this.#state.storage;
    const record = await storage.get(`ns:${ns}`);
    if (record === undefined) return null;
    const saved = await storage.list({ prefix: `node:${ns}:` });
    const holders = Array.from({ length: record.nodes }, () => '');
    const numbers = new Float64Array(record.nodes * 4);
    for (const [key, [holder, ...nums]] of saved) {
      const k = Number(key.slice(key.lastIndexOf(':') + 1));
      holders[k] = holder;
      numbers.set(nums, 4 * k);
    }
    const store = native.leaseStoreRestore(record.ttlMs, record.maxSkewMs, record.floorMs, await this.#id(), holders, numbers);
    const space = { record, store };
    this.#spaces.set(ns, space);
    return space;
  }

  /** Persist node `k` and the floor (it may rise), then answer. */
  async #save(ns, space, k) {
    const record = { ...space.record, floorMs: space.store.floorMs() };
    space.record = record;
    await this.#state.storage.put({ [`ns:${ns}`]: record, [NODE(ns, k)]: [space.store.holder(k), ...space.store.record(k)] });
  }

  /** Refuse a new key of `prefix` past `max` of them on this object. @param {string} prefix @param {number} max @param {string} what */
  async #bound(prefix, max, what) {
    const have = await this.#state.storage.list({ prefix, limit: max });
    if (have.size >= max) throw idloomError('invalid_argument', `idloom coordinator: this object keeps at most ${max} ${what}`);
  }

  /** @param {unknown} call */
  async #call(call) {
    const c = checked(call);
    const now = Date.now(); // the object's own clock
    const lost = () => missing({ namespace: c.ns });
    switch (c.op) {
      case 'namespace_init': {
        const have = await this.#space(c.ns);
        if (have) return have.record;
        await this.#bound('ns:', LIMITS.durableObjectMaxNamespaces, 'namespaces');
        const store = native.leaseStoreNew(c.ttlMs, c.maxSkewMs, c.nodes, await this.#id(), c.fresh, now);
        const record = { layout: c.layout, nodes: c.nodes, ttlMs: c.ttlMs, maxSkewMs: c.maxSkewMs, floorMs: store.floorMs() };
        await this.#state.storage.put(`ns:${c.ns}`, record);
        this.#spaces.set(c.ns, { record, store });
        return record;
      }
      case 'namespace_get':
        return (await this.#space(c.ns))?.record ?? null;
      case 'acquire': {
        const space = (await this.#space(c.ns)) ?? lost();
        const g = space.store.acquire(c.holder, c.proposed, await this.#id(), now);
        await this.#save(c.ns, space, g[0]);
        return g;
      }
      case 'renew': {
        const space = await this.#space(c.ns);
        if (space === null) return null;
        let g;
        try {
          g = space.store.renew(c.node, c.epoch, c.start, c.holder, c.proposed, await this.#id(), now);
        } catch (e) {
          if (/** @type {any} */ (e).code === 'lease_lost') return null; // refused, as the SQL's zero rows
          throw e;
        }
        await this.#save(c.ns, space, c.node);
        return g;
      }
      case 'release': {
        const space = (await this.#space(c.ns)) ?? lost();
        space.store.release(c.node, c.epoch, c.start, c.holder, c.highWater);
        await this.#save(c.ns, space, c.node);
        return true;
      }
      case 'nodes': {
        const space = (await this.#space(c.ns)) ?? lost();
        return Array.from({ length: space.store.nodes() }, (_, k) => [space.store.holder(k), ...space.store.record(k)]);
      }
      case 'segment_init': {
        const key = `seg:${c.tag}`;
        const have = await this.#state.storage.get(key);
        if (have === undefined) await this.#bound('seg:', LIMITS.durableObjectMaxCounters, 'segment counters');
        if (have === undefined || have < c.floor) await this.#state.storage.put(key, c.floor); // never lowered
        return true;
      }
      case 'segment_peek':
      case 'segment_fetch': {
        const key = `seg:${c.tag}`;
        const start = await this.#state.storage.get(key);
        if (start === undefined) missing({ bizTag: c.tag });
        if (c.op === 'segment_peek') return [start, start];
        // The counter is a JS number, as a Redis counter is a Lua double: the core's bound for both.
        native.storeRedisCounterFloor(start, c.step);
        const end = start + c.step;
        await this.#state.storage.put(key, end);
        return [start, end];
      }
    }
  }
}

/**
 * A store over an `IdloomCoordinator` binding (`env.IDLOOM`): namespaces,
 * node leases and segment counters, as on PostgreSQL or Redis. Leases renew
 * on demand (`lease.renewIfDue()`, which `leaseNode` calls on each request):
 * a Worker's timers do not outlive its request.
 */
export class DurableObjectStore extends Store {
  /** @type {any} */ #binding;
  /** @type {string} */ #name;
  /** @type {boolean} */ #shared;

  /**
   * @param {any} binding a Durable Object namespace binding
   * @param {{ name?: string, shared?: boolean }} [options] `name`: the prefix of
   *   the objects' names (namespace NS lives on the object `NAME/ns/NS`,
   *   counter TAG on `NAME/seg/TAG`); `shared: true`: one object called
   *   `name` for everything (bounded: the layout before objects were per
   *   namespace)
   */
  constructor(binding, options = {}) {
    super();
    if (binding === null || typeof binding !== 'object' || typeof binding.idFromName !== 'function') {
      throw idloomError('invalid_type', 'DurableObjectStore needs a Durable Object namespace binding (env.IDLOOM)');
    }
    this.#binding = binding;
    this.#name = input('namespace', options.name ?? 'idloom', 'name');
    if (options.shared !== undefined && typeof options.shared !== 'boolean') throw idloomError('invalid_type', `shared must be a boolean, got ${typeof options.shared}`);
    this.#shared = options.shared ?? false;
  }

  /** The object a call goes to. @param {string} op @param {any} args */
  #objectName(op, args) {
    if (this.#shared) return this.#name;
    return op.startsWith('segment_') ? `${this.#name}/seg/${args.tag}` : `${this.#name}/ns/${args.ns}`;
  }

  get _renewOn() {
    return /** @type {'demand'} */ ('demand');
  }

  /** @param {string} op @param {object} args */
  async #call(op, args) {
    let body;
    try {
      // A stub per call: a lease made in one request renews in later ones, and
      // workerd refuses I/O through an object made for another request.
      const stub = this.#binding.get(this.#binding.idFromName(this.#objectName(op, args)));
      const res = await stub.fetch('https://idloom.coordinator/', { method: 'POST', body: JSON.stringify({ op, ...args }) });
      body = await res.json();
    } catch (e) {
      throw idloomError('store_unavailable', `idloom coordinator: ${/** @type {any} */ (e)?.message ?? String(e)}`);
    }
    if (body.error) throw idloomError(body.error, body.message);
    return body.ok;
  }

  /** @returns {Promise<import('./stores/store.mjs').Namespace>} */
  async _namespaceInit(/** @type {string} */ ns, /** @type {string} */ layout, /** @type {number} */ nodes, /** @type {number} */ ttlMs, /** @type {number} */ maxSkewMs, /** @type {boolean} */ fresh) {
    return this.#call('namespace_init', { ns, layout, nodes, ttlMs, maxSkewMs, fresh });
  }

  /** @param {string} ns */
  async _namespaceGet(ns) {
    return this.#call('namespace_get', { ns });
  }

  /** @param {any[]} g */
  static #grant(g) {
    return { node: g[0], epoch: g[1], startMs: g[2], fenceMs: g[3], storeNowMs: g[4] };
  }

  /** @param {string} ns @param {string} holder @param {number} proposed */
  async _acquire(ns, holder, proposed) {
    return DurableObjectStore.#grant(await this.#call('acquire', { ns, holder, proposed }));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} proposed */
  async _renew(ns, node, epoch, start, holder, proposed) {
    const g = await this.#call('renew', { ns, node, epoch, start, holder, proposed });
    return g === null ? null : DurableObjectStore.#grant(g);
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} highWater */
  async _release(ns, node, epoch, start, holder, highWater) {
    await this.#call('release', { ns, node, epoch, start, holder, highWater });
  }

  /**
   * Every node's holder, epoch, expiry, start and fence.
   * @param {string} namespace
   */
  async status(namespace) {
    const record = await this.namespace(namespace);
    const rows = await this.#call('nodes', { ns: namespace });
    return { record, nodes: rows.map((/** @type {any[]} */ r, /** @type {number} */ node) => ({ node, holder: r[0], epoch: r[1], expiresMs: r[2], startMs: r[3], fenceMs: r[4] })) };
  }

  /**
   * Create the counter `bizTag` at `floor` if missing (never lowered).
   * @param {string} bizTag @param {{ floor: number }} options
   */
  async initSegment(bizTag, options) {
    await this.#call('segment_init', { tag: input('biz_tag', bizTag, 'bizTag'), floor: int(options?.floor, 'floor', 0, Number.MAX_SAFE_INTEGER) });
  }

  /** Where the counter's next range starts (`store_state_lost` if missing). @param {string} bizTag @returns {Promise<number>} */
  async segmentPeek(bizTag) {
    return (await this.#call('segment_peek', { tag: input('biz_tag', bizTag, 'bizTag') }))[0];
  }

  /**
   * `source(step) => Promise<{ start, end }>` from the object's counter. In
   * a Worker use `segment()` below: a fetch a `Segment` starts ahead in one
   * request must be kept alive (`ctx.waitUntil`) for a later one to use it.
   * @param {string} bizTag
   */
  segmentSource(bizTag) {
    const tag = input('biz_tag', bizTag, 'bizTag');
    return async (/** @type {number} */ step) => {
      const [start, end] = await this.#call('segment_fetch', { tag, step: arg('step', step) });
      return { start, end };
    };
  }
}

/** This isolate's leases, by binding and namespace (an isolate serves many requests). */
const leases = new Map();

/**
 * This isolate's lease on a node of `namespace`, taken at its first request
 * and kept across requests: each later call starts a renewal when one is
 * due, handed to `ctx.waitUntil` so it completes after the response. A
 * lease that ended (lost, or its fence passed without a renewal) is
 * replaced by a new one. The namespace is created if missing — `fresh` by
 * default, since a Durable Object keeps its storage: a namespace it has no
 * record of was never used through it. Pass `fresh: false` if this
 * namespace's nodes minted IDs through another store before (the first
 * lease then starts above every fence an old holder could use: a TTL and
 * the skew bound from now).
 * @param {any} binding `env.IDLOOM`
 * @param {string} namespace
 * @param {{ ctx?: { waitUntil(p: Promise<unknown>): void }, layout?: Layout, nodes?: number, ttlMs?: number, maxSkewMs?: number, fresh?: boolean, name?: string, shared?: boolean }} [options]
 * @returns {Promise<import('./lease.mjs').NodeLease>}
 */
export async function leaseNode(binding, namespace, options = {}) {
  let byName = leases.get(binding);
  if (!byName) leases.set(binding, (byName = new Map()));
  const held = byName.get(namespace);
  if (held && held.state === 'active' && held.error === null) {
    const renewal = held.renewIfDue();
    if (renewal) {
      const done = renewal.catch(() => {});
      if (options.ctx) options.ctx.waitUntil(done);
      // A fence at hand (less than a third of the TTL left): wait for the renewal here.
      if (held.fenceMs - Date.now() < held.renewEveryMs) await done;
    }
    // Keep it unless it ended, or its fence passed with no renewal landing (one lost with a canceled request).
    if (held.state === 'active' && held.error === null && held.fenceMs > Date.now()) return held;
  }
  const store = new DurableObjectStore(binding, { name: options.name, shared: options.shared });
  const { ctx: _ctx, name: _name, shared: _shared, ...init } = options;
  await store.initNamespace(namespace, { fresh: true, ...init });
  const lease = await store.leaseNode(namespace, { layout: options.layout ?? Layout.TWITTER });
  byName.set(namespace, lease);
  return lease;
}

/** This isolate's segments, by binding and counter. */
const segments = new Map();

/**
 * This isolate's `Segment` over the object's counter `bizTag` (created at
 * its first request, with the counter at `floor` if missing), ready to hand
 * out IDs. Each call names the request's `ctx`: a range the segment fetches
 * ahead is kept alive with `ctx.waitUntil`, so the next request finds it
 * (workerd cancels a request's unfinished I/O when its response is sent).
 * @param {any} binding `env.IDLOOM`
 * @param {string} bizTag
 * @param {{ ctx?: { waitUntil(p: Promise<unknown>): void }, step?: number, floor?: number, name?: string, shared?: boolean }} [options]
 * @returns {Promise<Segment>}
 */
export async function segment(binding, bizTag, options = {}) {
  let byTag = segments.get(binding);
  if (!byTag) segments.set(binding, (byTag = new Map()));
  let entry = byTag.get(bizTag);
  if (!entry) {
    const store = new DurableObjectStore(binding, { name: options.name, shared: options.shared });
    await store.initSegment(bizTag, { floor: options.floor ?? 1 });
    const fetchRange = store.segmentSource(bizTag);
    const made = { ctx: options.ctx ?? null, seg: /** @type {Segment | null} */ (null) };
    const source = (/** @type {number} */ step) => {
      const p = fetchRange(step);
      made.ctx?.waitUntil(p.catch(() => {}));
      return p;
    };
    made.seg = new Segment(source, { step: options.step ?? 1000 });
    byTag.set(bizTag, (entry = made));
  }
  entry.ctx = options.ctx ?? null;
  await entry.seg.ready();
  return entry.seg;
}
