// The host-agnostic half of coordination (docs/COORDINATION.md), shared by the
// Node package (idloom/stores, over pg, mysql2, ioredis, node-redis) and the
// wasm package (idloom-wasm/workers, over a Durable Object): a leased node
// renewed on a timer or on demand, the namespace calls every store shares,
// and several segments as one source. Every decision is the core's
// (`native.LeaseMachine` wraps the core's lease Holder); this module makes
// the calls and keeps the schedule.
import { native } from './native.mjs';
import { Layout, Segment, _idloomError as idloomError } from './api.mjs';

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Date.now();

/** @param {unknown} v @param {string} name @param {number} lo @param {number} hi */
export function int(v, name, lo, hi) {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw idloomError(typeof v === 'number' ? 'invalid_argument' : 'invalid_type', `${name} must be an integer in ${lo}..=${hi}, got ${String(v)}`);
  }
  if (v < lo || v > hi) throw idloomError('invalid_argument', `${name} must be in ${lo}..=${hi}, got ${v}`);
  return v;
}

/**
 * A number checked against the core's spec of store argument `key`
 * (`nodes`, `ttl_ms`, `max_skew_ms`, `step`, `counter_step`, `floor`,
 * `count`, `servers`, `timeout_ms`): the value (a bigint past 2^53 - 1),
 * else `invalid_argument` naming the parameter and its range (`invalid_type`
 * for a non-number). One set of bounds for every binding.
 * @param {string} key @param {unknown} v
 * @returns {number}
 */
export function arg(key, v) {
  return native.storeCheckArg(key, v);
}

/** A string argument; a lone surrogate (not valid Unicode: the native side would see U+FFFD) is refused. @param {unknown} v @param {string} name */
export function str(v, name) {
  if (typeof v !== 'string') throw idloomError('invalid_type', `${name} must be a string, got ${v === null ? 'null' : typeof v}`);
  if (/\p{Cs}/u.test(v)) throw idloomError('invalid_argument', `${name} must be valid Unicode text (it holds a lone surrogate)`);
  return v;
}

/**
 * A string a caller gives a store, checked by the core before anything is
 * sent: the characters and length of input `kind` (`biz_tag`, `holder`,
 * `description`, `namespace`, `table`), else `invalid_argument`.
 * @param {'namespace' | 'biz_tag' | 'holder' | 'description' | 'table'} kind @param {unknown} v @param {string} name
 * @returns {string}
 */
export function input(kind, v, name) {
  native.storeCheckInput(kind, str(v, name));
  return /** @type {string} */ (v);
}

/** The idloom code of a failure, or undefined for a driver's own. @param {unknown} e */
export function codeOf(e) {
  const c = /** @type {any} */ (e)?.code;
  return typeof c === 'string' && native.errorCodes().some((/** @type {[string, boolean]} */ [k]) => k === c) ? c : undefined;
}

/**
 * What `NodeLease.share()` gives a worker thread (structured-cloneable).
 * @typedef {{ idloomSharedLease: number, pid: number, namespace: string, node: number, epoch: number, layout: import('./api.mjs').LayoutSpec }} SharedLease
 */

/**
 * A namespace's record.
 * @typedef {{ layout: string, nodes: number, ttlMs: number, maxSkewMs: number, floorMs: number }} Namespace
 */

/**
 * A node leased from a store. `node`, `epoch` (the fencing token), `startMs`
 * and `fenceMs` (ID time) describe it. Renewed on an unref'd timer (it never
 * keeps the process alive) — or, with `renewOn: 'demand'` (Workers, where
 * timers do not outlive a request), whenever the host calls `renewIfDue()`.
 * `release()` stops every generator made from it and gives the node back
 * with its high-water.
 */
export class NodeLease {
  /** @type {any} */ #store;
  /** @type {boolean} */ #timers;
  /** @type {any} */ #machine;
  /** @type {any[]} */ #handles = [];
  /** @type {string | null} */ #options = null;
  /** @type {ReturnType<typeof setTimeout> | null} */ #timer = null;
  /** @type {Promise<void> | null} */ #renewing = null;

  /**
   * @param {any} store @param {string} namespace @param {string} holder @param {Layout} layout
   * @param {number} ttlMs @param {number} maxSkewMs
   * @param {{ renewOn?: 'timer' | 'demand' }} [options]
   */
  constructor(store, namespace, holder, layout, ttlMs, maxSkewMs, options = {}) {
    this.#store = store;
    const renewOn = options.renewOn ?? 'timer';
    if (renewOn !== 'timer' && renewOn !== 'demand') throw idloomError('invalid_argument', `renewOn must be 'timer' or 'demand', got ${String(renewOn)}`);
    this.#timers = renewOn === 'timer';
    /** @readonly */ this.namespace = namespace;
    /** @readonly */ this.holder = holder;
    /** @readonly */ this.layout = layout;
    this.#machine = new native.LeaseMachine(ttlMs, maxSkewMs);
    /** The error that ended renewals (`lease_lost`, `clock_skew`), if any. @type {Error | null} */
    this.error = null;
    /** Renewals confirmed, and renewals that got no answer. */
    this.renewals = 0;
    this.renewalFailures = 0;
  }

  /** @param {number} i */
  #part(i) {
    return this.#machine.snapshot()[i];
  }
  /** The node leased. @returns {number} */
  get node() { return this.#part(0); }
  /** The fencing token: it grows on every acquisition of the node. @returns {number} */
  get epoch() { return this.#part(1); }
  /** ID time from which this holder mints. @returns {number} */
  get startMs() { return this.#part(2); }
  /** ID time before which every tick minted ends (the last confirmed fence). @returns {number} */
  get fenceMs() { return this.#part(3); }
  /** The store's clock minus this holder's, as last estimated. @returns {number} */
  get skewMs() { return this.#part(4); }
  /** Holder time from which the store may give the node away unless a renewal lands. @returns {number} */
  get expiresMs() { return this.#part(5); }
  /** `active`, `lost` or `released`. @returns {string} */
  get state() { return this.#machine.state; }
  /** How often it renews: every third of the TTL. @returns {number} */
  get renewEveryMs() { return this.#machine.renewEveryMs; }

  async _acquire() {
    const grant = await this.#store._acquire(this.namespace, this.holder, this.#machine.beginAcquire(now()));
    try {
      this.#machine.granted(grant, now());
    } catch (e) {
      // Clock skew past the bound: give the node back untouched.
      await this.#store._release(this.namespace, grant.node, grant.epoch, this.holder, grant.startMs);
      throw e;
    }
    this.#schedule();
  }

  /** @param {string} options @returns {any} */
  _generator(options) {
    if (this.#handles.length === 0) return null;
    if (options !== this.#options) {
      throw idloomError('node_in_use', `node ${this.node}: this lease already has a Snowflake with other options; use the same options`);
    }
    return this.#handles[0];
  }

  /**
   * A token for `worker_threads` of this process to mint on this lease: post
   * it to a worker and make `new Snowflake({ sharedLease: token })` there. The
   * workers share this lease's generator (one sequence, one fence, moved by
   * this thread's renewals and ended by `release()`), so they never repeat
   * each other. Make a `Snowflake` from the lease first. Not for other
   * processes: those lease nodes of their own.
   * @returns {SharedLease}
   */
  share() {
    if (this.state !== 'active') throw this.error ?? idloomError('lease_lost', `namespace ${this.namespace}, node ${this.node}: the lease is ${this.state}`);
    if (this.#handles.length === 0) throw idloomError('invalid_argument', 'lease: make a Snowflake from this lease before sharing it');
    return { idloomSharedLease: this.#handles[0].share(), pid: globalThis.process?.pid ?? 0, namespace: this.namespace, node: this.node, epoch: this.epoch, layout: this.layout.spec };
  }

  /** @param {any} handle @param {string} options */
  _attach(handle, options) {
    if (this.state !== 'active') {
      throw this.error ?? idloomError('lease_lost', `namespace ${this.namespace}, node ${this.node}: the lease is ${this.state}; lease a node again`);
    }
    handle.setLease(this.startMs, this.fenceMs, this.epoch);
    this.#handles.push(handle);
    this.#options = options;
  }

  /** The next renewal on a timer: when the core says it is due, or in `delayMs`. @param {number} [delayMs] */
  #schedule(delayMs) {
    if (!this.#timers || this.state !== 'active' || this.error !== null) return;
    this.#timer = setTimeout(() => {
      this.#renewing = this.#renew().finally(() => {
        this.#renewing = null;
      });
    }, delayMs ?? this.#machine.nextRenewalInMs(now()));
    /** @type {any} */ (this.#timer).unref?.();
  }

  /** A retry the core asked for, in `ms`: on the timer, or at the next `renewIfDue()`. @param {number} ms */
  #retry(ms) {
    this.renewalFailures += 1; // the fence stands
    if (this.#timers) this.#schedule(ms);
    else this.#retryAt = now() + ms;
  }

  #retryAt = 0;

  /**
   * With `renewOn: 'demand'`: start a renewal if one is due now (and none is
   * in flight); resolves when it is done. Null when none is due. A Worker
   * calls it on each request and hands the promise to `ctx.waitUntil`.
   * @returns {Promise<void> | null}
   */
  renewIfDue() {
    if (this.#renewing !== null || this.state !== 'active' || this.error !== null) return null;
    const t = now();
    if (t < this.#retryAt || this.#machine.nextRenewalInMs(t) > 0) return null;
    this.#renewing = this.#renew().finally(() => {
      this.#renewing = null;
    });
    return this.#renewing;
  }

  async #renew() {
    const proposed = this.#machine.beginRenew(now());
    if (proposed === null || proposed === undefined) return this.#schedule();
    let grant;
    try {
      grant = await this.#store._renew(this.namespace, this.node, this.epoch, this.holder, proposed);
    } catch (e) {
      // The core decides: no answer (store_unavailable, a driver's own failure) retries; any other code ends renewals.
      const retry = this.#machine.renewFailed(codeOf(e));
      if (retry === null || retry === undefined) this.error = /** @type {Error} */ (e);
      else this.#retry(retry);
      return;
    }
    if (this.state !== 'active') return; // released meanwhile
    if (grant === null) {
      // Refused: another holder has the node from the fence on.
      this.error = idloomError('lease_lost', this.#machine.refused());
      for (const h of this.#handles) h.loseLease();
      return;
    }
    let kind, ms;
    try {
      [kind, ms] = this.#machine.renewed(grant, now());
    } catch (e) {
      this.error = /** @type {Error} */ (e); // clock_skew: the fence stays
      return;
    }
    if (kind === 'retry') return this.#retry(ms); // answered too late to judge the clocks (a pause)
    for (const h of this.#handles) h.extendFence(ms);
    this.renewals += 1;
    this.#schedule();
  }

  /**
   * Stop every generator made from this lease, then give the node back with
   * the end of the last tick minted: the next holder starts there at once.
   * Resolves to the high-water sent (null if the lease was lost or released).
   * @returns {Promise<number | null>}
   */
  async release() {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.state !== 'active') return null;
    let high = null;
    for (const h of this.#handles) {
      const m = h.stopLease();
      if (m !== null && m !== undefined && (high === null || m > high)) high = m;
    }
    const [node, epoch, highWater] = this.#machine.release(high ?? undefined);
    if (this.#renewing) await this.#renewing.catch(() => {});
    await this.#store._release(this.namespace, node, epoch, this.holder, highWater);
    return highWater;
  }
}

/** What every store shares: namespaces and leases over three calls. */
export class Store {
  /**
   * The engine, for the core's per-engine node bounds (`postgres`, `mysql`,
   * `redis`; `memory` — the reference model a Durable Object keeps — here).
   * @returns {string}
   */
  get engine() {
    return 'memory';
  }

  /**
   * Create the tables (if any) and the namespace if missing; resolve its
   * record. `fresh: true` (first deployment, tests) starts at floor 0;
   * otherwise above every fence a holder from before could still use.
   * Another layout or node count is `store_schema`.
   * @param {string} namespace
   * @param {{ layout?: Layout, nodes?: number, ttlMs?: number, maxSkewMs?: number, fresh?: boolean }} [options]
   * @returns {Promise<Namespace>}
   */
  async initNamespace(namespace, options = {}) {
    native.storeCheckNamespace(str(namespace, 'namespace'));
    const layout = options.layout ?? Layout.TWITTER;
    if (!(layout instanceof Layout)) throw idloomError('invalid_type', 'layout must be a Layout');
    // The core's default (1,024, at most the layout's node count) and bound (per engine).
    const nodes = native.storeNamespaceNodes(this.engine, layout.spec, options.nodes === undefined ? undefined : Number(arg('nodes', options.nodes)));
    const ttlMs = arg('ttl_ms', options.ttlMs ?? 10_000);
    const maxSkewMs = arg('max_skew_ms', options.maxSkewMs ?? 1_000);
    new native.LeaseMachine(ttlMs, maxSkewMs); // the core's lease config: the skew below the TTL
    const fresh = options.fresh ?? false;
    if (typeof fresh !== 'boolean') throw idloomError('invalid_type', `fresh must be a boolean, got ${typeof fresh}`);
    const record = native.storeLayoutRecord(layout.spec);
    await this.init();
    const got = await this._namespaceInit(namespace, record, nodes, ttlMs, maxSkewMs, fresh);
    if (got.layout !== record || got.nodes !== nodes) {
      throw idloomError('store_schema', `namespace ${namespace} exists with layout ${got.layout} and ${got.nodes} nodes, not ${record} and ${nodes}`);
    }
    return got;
  }

  /** @returns {Promise<void>} */
  async init() {}

  /** How leases of this store renew: on a timer (a process) or on demand (a Worker). @type {'timer' | 'demand'} */
  get _renewOn() {
    return 'timer';
  }

  /** A holder name when none is given: unique enough for humans reading `status`. @returns {Promise<string>} */
  async _defaultHolder() {
    return `holder:${Math.random().toString(16).slice(2, 10)}`;
  }

  /**
   * Each store's own: create a namespace if missing, answer its record.
   * @param {string} _ns @param {string} _record @param {number} _nodes @param {number} _ttlMs @param {number} _maxSkewMs @param {boolean} _fresh
   * @returns {Promise<Namespace>}
   */
  async _namespaceInit(_ns, _record, _nodes, _ttlMs, _maxSkewMs, _fresh) {
    throw idloomError('store_schema', 'not a store');
  }

  /**
   * Each store's own: a namespace's record, or null.
   * @param {string} _ns
   * @returns {Promise<Namespace | null>}
   */
  async _namespaceGet(_ns) {
    throw idloomError('store_schema', 'not a store');
  }

  /**
   * The namespace's record (`store_state_lost` if the store has none).
   * @param {string} namespace
   * @returns {Promise<Namespace>}
   */
  async namespace(namespace) {
    native.storeCheckNamespace(str(namespace, 'namespace'));
    const got = await this._namespaceGet(namespace);
    // The core's refusal for a namespace the store lacks (the same message on
    // every engine; read as a lease call that found no namespace).
    if (got === null) native.storeRead('postgres', 'acquire', { namespace }, null);
    return /** @type {Namespace} */ (got);
  }

  /**
   * Lease a node (the holder's previous one first: sticky restarts) and renew it on a timer.
   * @param {string} namespace
   * @param {{ layout?: Layout, holder?: string }} [options]
   * @returns {Promise<NodeLease>}
   */
  async leaseNode(namespace, options = {}) {
    const record = await this.namespace(namespace);
    const layout = options.layout ?? Layout.TWITTER;
    if (!(layout instanceof Layout)) throw idloomError('invalid_type', 'layout must be a Layout');
    const want = native.storeLayoutRecord(layout.spec);
    if (record.layout !== want) throw idloomError('store_schema', `namespace ${namespace} uses layout ${record.layout}, not ${want}`);
    const holder = input('holder', options.holder ?? (await this._defaultHolder()), 'holder');
    const lease = new NodeLease(this, namespace, holder, layout, record.ttlMs, record.maxSkewMs, { renewOn: this._renewOn });
    await lease._acquire();
    return lease;
  }
}


/**
 * Several stores as one source of IDs: the seeds' "N databases, step N",
 * "N Redis servers, each with its offset" and "two ticket servers, odd and
 * even". Each store keeps a `Segment` of its own (its ranges stay in order
 * and never meet the others' by construction: offsets and strides, sequence
 * starts, ticket parity); the group takes IDs from them in turn and skips
 * one that is down. `skipped` counts the segments passed over because they
 * failed.
 */
export class SegmentGroup {
  /** @type {Segment[]} */ #segments;
  #turn = 0;

  /** @param {Segment[]} segments */
  constructor(segments) {
    if (!Array.isArray(segments) || segments.length === 0 || !segments.every((s) => s instanceof Segment)) {
      throw idloomError('invalid_type', 'segments must be a non-empty array of Segment');
    }
    this.#segments = [...segments];
    this.skipped = 0;
  }

  /**
   * Where this turn starts (each turn one further): walk `(start + i) % n` —
   * no array per ID. The core's `stores::group::Turn`, kept here: a counter
   * and a modulo per ID are cheaper than a native call.
   */
  #start() {
    const k = this.#turn;
    this.#turn = (k + 1) % this.#segments.length;
    return k;
  }

  /**
   * The next ID from the first segment in turn with IDs in memory.
   * Synchronous: when every memory is dry it throws the last segment's
   * error (`segment_exhausted`, or its store's failure); see `nextAsync`.
   * @returns {bigint}
   */
  next() {
    const segs = this.#segments;
    const k = this.#start();
    /** @type {unknown} */ let last = null;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < segs.length; i++) {
        const seg = segs[(k + i) % segs.length];
        if (pass === 0 && seg.remaining === 0) continue;
        try {
          return seg.next(); // a dry one starts its fetch
        } catch (e) {
          this.skipped += 1;
          last = e;
        }
      }
    }
    throw last;
  }

  /**
   * The next ID; when every memory is dry, each segment is waited for in
   * turn (at most its own `timeoutMs`) and the last failure is thrown only
   * if none answers.
   * @returns {Promise<bigint>}
   */
  async nextAsync() {
    const segs = this.#segments;
    const k = this.#start();
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[(k + i) % segs.length];
      if (seg.remaining > 0) {
        try {
          return seg.next();
        } catch {
          this.skipped += 1;
        }
      }
    }
    /** @type {unknown} */ let last = null;
    for (let i = 0; i < segs.length; i++) {
      try {
        return await segs[(k + i) % segs.length].nextAsync();
      } catch (e) {
        this.skipped += 1;
        last = e;
      }
    }
    throw last;
  }

  /**
   * Resolves once any segment has IDs in memory; rejects with the last
   * failure if none gets any.
   * @returns {Promise<void>}
   */
  async ready() {
    try {
      await Promise.any(this.#segments.map((s) => s.ready()));
    } catch (e) {
      throw /** @type {AggregateError} */ (e).errors.at(-1);
    }
  }

  /** IDs in memory across the segments. @type {number} */
  get remaining() {
    return this.#segments.reduce((n, s) => n + s.remaining, 0);
  }
}
