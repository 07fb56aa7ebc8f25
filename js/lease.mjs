// A node leased from a store (docs/COORDINATION.md), shared by the Node
// package (idloom/stores, over pg, mysql2, ioredis, node-redis) and the wasm
// package (idloom-wasm/workers, over a Durable Object): renewed on a timer or
// on demand, fencing the generators made from it. Every decision is the
// core's (`native.LeaseMachine` wraps the core's lease Holder); this module
// makes the calls and keeps the schedule.
import { native } from './native.mjs';
import { _idloomError as idloomError, codeOf } from './errors.mjs';
import { Observed, report } from './events.mjs';

const now = () => Date.now();

/**
 * What `NodeLease.share()` gives a worker thread (structured-cloneable).
 * @typedef {{ idloomSharedLease: number, pid: number, namespace: string, node: number, epoch: number, layout: import('./layout.mjs').LayoutSpec }} SharedLease
 */

/**
 * A node leased from a store. `node`, `epoch` (the fencing token), `startMs`
 * and `fenceMs` (ID time) describe it. Renewed on an unref'd timer (it never
 * keeps the process alive) — or, with `renewOn: 'demand'` (Workers, where
 * timers do not outlive a request), whenever the host calls `renewIfDue()`.
 * `release()` stops every generator made from it and gives the node back
 * with its high-water.
 *
 * An event emitter (an `EventEmitter` under Node), in the core's words:
 * `lease_acquired`, `lease_renewed`, `lease_renewal_failed`, `lease_lost`,
 * `lease_expired`, `lease_released`, and `store_identity_changed` (the store
 * restarted without its data or was restored: the floor rose before this
 * grant); each with its facts (`node`, `epoch`, `fenceMs`, `code`, `inMs`).
 * `stats()` counts them.
 */
export class NodeLease extends Observed {
  /** @type {any} */ #store;
  /** @type {boolean} */ #timers;
  /** @type {any} */ #machine;
  /** @type {any[]} */ #handles = [];
  /** @type {string | null} */ #options = null;
  /** @type {ReturnType<typeof setTimeout> | null} */ #timer = null;
  /** @type {Promise<void> | null} */ #renewing = null;

  /**
   * @param {any} store @param {string} namespace @param {string} holder @param {import('./layout.mjs').Layout} layout
   * @param {number} ttlMs @param {number} maxSkewMs
   * @param {{ renewOn?: 'timer' | 'demand' }} [options]
   */
  constructor(store, namespace, holder, layout, ttlMs, maxSkewMs, options = {}) {
    super();
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

  /** Report the event of the machine's last step (the core names it), if any. */
  #reportStep() {
    const e = this.#machine.takeEvent();
    if (e) report(this, e.name, e.facts);
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
      await this.#store._release(this.namespace, grant.node, grant.epoch, grant.startMs, this.holder, grant.startMs);
      throw e;
    }
    // The floor rose first (the store forgot or was restored): the grant starts at or above it.
    if (grant.identityChanged) report(this, 'store_identity_changed', { node: grant.node, epoch: grant.epoch, fenceMs: grant.startMs });
    this.#reportStep(); // lease_acquired
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
      grant = await this.#store._renew(this.namespace, this.node, this.epoch, this.startMs, this.holder, proposed);
    } catch (e) {
      // The core decides: no answer (store_unavailable, a driver's own failure) retries; any other code ends renewals.
      const retry = this.#machine.renewFailed(codeOf(e));
      this.#reportStep(); // lease_renewal_failed, or lease_expired
      if (retry === null || retry === undefined) this.error = /** @type {Error} */ (e);
      else this.#retry(retry);
      return;
    }
    if (this.state !== 'active') return; // released meanwhile
    if (grant === null) {
      // Refused: another holder has the node from the fence on.
      this.error = idloomError('lease_lost', this.#machine.refused());
      for (const h of this.#handles) h.loseLease();
      this.#reportStep(); // lease_lost, once the generators stopped
      return;
    }
    // The renewal met another store identity: the floor rose first.
    if (grant.identityChanged) report(this, 'store_identity_changed', { node: grant.node, epoch: grant.epoch, fenceMs: grant.fenceMs });
    let kind, ms;
    try {
      [kind, ms] = this.#machine.renewed(grant, now());
    } catch (e) {
      this.error = /** @type {Error} */ (e); // clock_skew: the fence stays
      this.#reportStep(); // lease_expired
      return;
    }
    if (kind !== 'retry') for (const h of this.#handles) h.extendFence(ms);
    this.#reportStep(); // lease_renewed (the generators extended first), or lease_renewal_failed
    if (kind === 'retry') return this.#retry(ms); // answered too late to judge the clocks (a pause)
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
    const released = this.#machine.takeEvent(); // lease_released (fenceMs: the high-water)
    if (this.#renewing) await this.#renewing.catch(() => {});
    await this.#store._release(this.namespace, node, epoch, this.startMs, this.holder, highWater);
    if (released) report(this, released.name, released.facts); // once the store has it
    return highWater;
  }
}
