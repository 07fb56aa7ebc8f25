// What every store shares (the SQL and Redis engines and idloom-wasm's
// Durable Object): a namespace's record and node leases over three calls.
import { native } from '../native.mjs';
import { _idloomError as idloomError } from '../errors.mjs';
import { arg, input, str } from '../args.mjs';
import { Layout } from '../layout.mjs';
import { NodeLease } from '../lease.mjs';

/**
 * A namespace's record.
 * @typedef {{ layout: string, nodes: number, ttlMs: number, maxSkewMs: number, floorMs: number }} Namespace
 */

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
