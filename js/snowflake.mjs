// Snowflakes: a generator per node (given, leased from a store, shared by a
// worker thread, a host-local slot or a state file), its policy arguments,
// and the pure state machine.
import { native } from './native.mjs';
// The core's option names and limits (idloom::names, idloom::limits), generated from the core.
import { NAMES, LIMITS } from './tables.mjs';
import { codeError } from './errors.mjs';
import { MAX_SAFE, choice, small, typeName, u64 } from './args.mjs';
import { Layout } from './layout.mjs';
import { countsByKind } from './events.mjs';

/** @typedef {import('./layout.mjs').LayoutSpec} LayoutSpec */
/** @typedef {import('./layout.mjs').PresetName} PresetName */
/** @typedef {import('./layout.mjs').Parts} Parts */
/**
 * How a snowflake behaves under faults.
 * @typedef {object} SharedLeaseToken What `NodeLease.share()` returns, posted to a worker thread of the
 *   same process: `new Snowflake({ sharedLease })` there mints on the lease's own generator.
 * @property {number} idloomSharedLease
 * @property {number} pid
 * @property {number} node
 * @property {LayoutSpec} layout
 */

/**
 * @typedef {object} SnowflakeLease A node lease (`NodeLease` from `idloom/stores`): the generator mints only
 *   ticks inside its interval of ID time, and the lease moves or ends that interval.
 * @property {number} node
 * @property {Layout} layout
 * @property {(options: string) => any} _generator
 * @property {(handle: any, options: string) => void} _attach
 */

/**
 * Who the node is: given (`node`; idloom never guesses one), or leased from a
 * store (`lease`, a `NodeLease` from `idloom/stores`: fenced, never a duplicate),
 * or a lease another worker thread of this process shared (`sharedLease`).
 * A manual node may keep its fence in a state file (`stateDir`, `namespace`,
 * `stateLeadMs`): written ahead of use, so a restart on the node starts above
 * it. A host-local `slot` (cluster and PM2 workers) keeps one beside its lock.
 * @typedef {{ node: number | bigint, lease?: undefined, slot?: undefined, sharedLease?: undefined, stateDir?: string, namespace?: string, stateLeadMs?: number }
 *   | { lease: SnowflakeLease, node?: undefined, slot?: undefined, sharedLease?: undefined, stateDir?: undefined, namespace?: undefined, stateLeadMs?: undefined }
 *   | { slot: Slot, node?: undefined, lease?: undefined, sharedLease?: undefined, stateDir?: undefined, namespace?: undefined, stateLeadMs?: number }
 *   | { sharedLease: SharedLeaseToken, node?: undefined, lease?: undefined, slot?: undefined, stateDir?: undefined }} SnowflakeNode
 */

/**
 * @typedef {SnowflakeNode & SnowflakePolicy} SnowflakeOptions
 */

/**
 * @typedef {object} SnowflakePolicy
 * @property {Layout | PresetName} [layout] Default `twitter`.
 * @property {'logical' | 'wait' | 'fail'} [backwards] When the clock steps back: keep a logical clock ahead (default), wait, or throw `clock_moved_backwards`.
 * @property {number} [maxBackwardsMs] Bound for `logical` (lead) and `wait` (0..=3600000, default 1000).
 * @property {'wait' | 'borrow' | 'fail'} [exhausted] When a tick's sequence is used up: wait for the next tick (default), borrow ahead, or throw `sequence_exhausted`.
 * @property {number} [maxBorrowMs] How far `borrow` may run ahead of the clock (0..=3600000, default 1000).
 * @property {'reset' | 'continuous' | 'random'} [sequenceStart] Sequence at a new tick: 0 (default), carry on, or random.
 * @property {number | bigint} [seed] Seed for `random` (default: from the CSPRNG).
 * @property {'ticker' | 'system'} [clock] A background thread's millisecond (default) or the OS clock on every call.
 * @property {boolean} [exclusiveNode] idloom-wasm in a Node worker thread only: you promise no other worker of the
 *   process uses this node (each worker has a wasm instance and node registry of its own); without it, `node_in_use`.
 */

/**
 * @param {SnowflakeOptions} options
 * @returns {[Layout, bigint, object]}
 */
function snowflakeArgs(options) {
  if (options === null || typeof options !== 'object') {
    throw codeError(TypeError, 'invalid_type', `options must be an object with a node, got ${typeName(options)}`);
  }
  if (options.sharedLease !== undefined) return sharedLeaseArgs(options);
  const lease = options.lease;
  if (options.slot !== undefined) {
    if (!(options.slot instanceof Slot)) throw codeError(TypeError, 'invalid_type', `slot must be a Slot, got ${typeName(options.slot)}`);
    if (options.node !== undefined || lease !== undefined || options.stateDir !== undefined) {
      throw codeError(RangeError, 'invalid_argument', 'a slot gives the node and keeps its state file: no node, lease or stateDir with it');
    }
    return [options.slot.layout, BigInt(options.slot.node), policyArgs(options)];
  }
  if (options.stateDir !== undefined && typeof options.stateDir !== 'string') {
    throw codeError(TypeError, 'invalid_type', `stateDir must be a string, got ${typeName(options.stateDir)}`);
  }
  if (options.stateDir === undefined && (options.namespace !== undefined || options.stateLeadMs !== undefined)) {
    throw codeError(RangeError, 'invalid_argument', 'namespace and stateLeadMs go with stateDir (or a slot)');
  }
  if (lease !== undefined) {
    if (lease === null || typeof lease !== 'object' || typeof lease._attach !== 'function') {
      throw codeError(TypeError, 'invalid_type', `lease must be a NodeLease from idloom/stores, got ${typeName(lease)}`);
    }
    if (options.node !== undefined) throw codeError(RangeError, 'invalid_argument', 'Snowflake takes node or lease, not both');
    if (options.layout !== undefined && options.layout !== lease.layout) {
      throw codeError(Error, 'store_schema', "layout: a leased Snowflake uses its lease's namespace layout");
    }
  } else if (options.node === undefined) {
    throw codeError(TypeError, 'invalid_type', 'options.node is required: idloom never guesses a node ID');
  }
  const given = lease === undefined ? options.layout : lease.layout;
  const layout = given === undefined ? Layout.TWITTER : typeof given === 'string' ? Layout.preset(given) : given;
  if (!(layout instanceof Layout)) throw codeError(TypeError, 'invalid_type', 'layout must be a Layout or a preset name');
  const maxNode = (1n << BigInt(layout.nodeBits)) - 1n;
  if (options.exclusiveNode !== undefined && typeof options.exclusiveNode !== 'boolean') {
    throw codeError(TypeError, 'invalid_type', `exclusiveNode must be a boolean, got ${typeName(options.exclusiveNode)}`);
  }
  return [layout, u64(lease === undefined ? options.node : lease.node, 'node', 'node_out_of_range', maxNode), policyArgs(options)];
}

/**
 * A lease another thread of this process shared: its layout and node, and
 * no option of its own (the sharer's generator has its policy already).
 * @param {SnowflakeOptions} options
 * @returns {[Layout, bigint, object]}
 */
function sharedLeaseArgs(options) {
  const t = /** @type {any} */ (options.sharedLease);
  if (t === null || typeof t !== 'object' || typeof t.idloomSharedLease !== 'number') {
    throw codeError(TypeError, 'invalid_type', `sharedLease must be what NodeLease.share() returned, got ${typeName(t)}`);
  }
  const others = Object.keys(options).filter((k) => k !== 'sharedLease' && /** @type {any} */ (options)[k] !== undefined);
  if (others.length > 0) {
    throw codeError(RangeError, 'invalid_argument', `a shared lease mints with its sharer's generator and options: no ${others.join(', ')} with sharedLease`);
  }
  if (t.pid !== globalThis.process?.pid) {
    throw codeError(RangeError, 'invalid_argument', 'sharedLease: a shared lease is for the worker threads of the process that leased it; lease a node in this process');
  }
  return [new Layout(t.layout), BigInt(t.node), {}];
}

/**
 * The policy and clock options, every one checked whether or not it is used.
 * @param {SnowflakeOptions} options
 * @returns {any}
 */
function policyArgs(options) {
  return {
    backwards: choice(options.backwards ?? 'logical', 'backwards', NAMES.backwards),
    maxBackwardsMs: small(options.maxBackwardsMs ?? 1000, 'maxBackwardsMs', 0, LIMITS.maxPolicyMs),
    exhausted: choice(options.exhausted ?? 'wait', 'exhausted', NAMES.exhausted),
    maxBorrowMs: small(options.maxBorrowMs ?? 1000, 'maxBorrowMs', 0, LIMITS.maxPolicyMs),
    sequenceStart: choice(options.sequenceStart ?? 'reset', 'sequenceStart', NAMES.sequenceStart),
    seed: options.seed === undefined ? undefined : u64(options.seed, 'seed', 'invalid_argument'),
    clock: choice(options.clock ?? 'ticker', 'clock', ['ticker', 'system']),
  };
}

/**
 * A host-local slot for `cluster` and PM2 workers (no store at all): slot
 * *k* of `count` under `dir/namespace`, held by an exclusive file lock that
 * the kernel frees when the process dies; node = `hostBase + k`. A
 * `Snowflake({ slot })` keeps its fence in the slot's state file, so a
 * restarted worker on the slot starts above its predecessor. Claim it in
 * the worker, not the primary. Native addon only.
 */
export class Slot {
  /** @type {any} */
  #native;
  /** @param {any} handle @param {Layout} layout */
  constructor(handle, layout) {
    if (handle === null || typeof handle !== 'object' || !('node' in handle) || !(layout instanceof Layout)) {
      throw codeError(TypeError, 'invalid_type', 'use Slot.claim(dir, namespace, count)');
    }
    this.#native = handle;
    /** The layout the node was checked against. @readonly @type {Layout} */
    this.layout = layout;
  }

  /**
   * Claim the first free slot of `count`; `no_free_node` when every slot is held by a live process.
   * @param {string} dir a directory local to the host, e.g. /run/myapp
   * @param {string} namespace
   * @param {number} count
   * @param {{ hostBase?: number, layout?: Layout }} [options]
   * @returns {Slot}
   */
  static claim(dir, namespace, count, options = {}) {
    if (typeof native.Slot !== 'function') throw codeError(Error, 'invalid_argument', 'slots need the native addon (npm idloom)');
    if (typeof dir !== 'string') throw codeError(TypeError, 'invalid_type', `dir must be a string, got ${typeName(dir)}`);
    if (typeof namespace !== 'string') throw codeError(TypeError, 'invalid_type', `namespace must be a string, got ${typeName(namespace)}`);
    const layout = options.layout ?? Layout.TWITTER;
    if (!(layout instanceof Layout)) throw codeError(TypeError, 'invalid_type', 'layout must be a Layout');
    const nodes = 2 ** layout.nodeBits;
    return new Slot(native.Slot.claim(dir, namespace, small(count, 'count', 1, nodes), small(options.hostBase ?? 0, 'hostBase', 0, nodes - 1), layout.spec), layout);
  }

  /**
   * Claim a slot of a Kubernetes StatefulSet pod: the ordinal is the number
   * after the last `-` of `hostname` (default `$HOSTNAME`, the pod's name,
   * e.g. `web-3`); node = `base + ordinal × slots + k` for slot *k* of the
   * pod's `slots` (one per worker process). `dir` is on the pod's volume, so
   * a restarted pod starts above the fence its predecessor wrote; a process
   * beyond `slots` gets `no_free_node`.
   * @param {string} dir a directory on the pod's persistent volume, e.g. /data/idloom
   * @param {string} namespace
   * @param {{ base?: number, slots?: number, hostname?: string, layout?: Layout }} [options]
   * @returns {Slot}
   */
  static statefulset(dir, namespace, options = {}) {
    if (typeof native.Slot !== 'function') throw codeError(Error, 'invalid_argument', 'slots need the native addon (npm idloom)');
    if (typeof dir !== 'string') throw codeError(TypeError, 'invalid_type', `dir must be a string, got ${typeName(dir)}`);
    if (typeof namespace !== 'string') throw codeError(TypeError, 'invalid_type', `namespace must be a string, got ${typeName(namespace)}`);
    const { hostname } = options;
    if (hostname !== undefined && typeof hostname !== 'string') throw codeError(TypeError, 'invalid_type', `hostname must be a string, got ${typeName(hostname)}`);
    const layout = options.layout ?? Layout.TWITTER;
    if (!(layout instanceof Layout)) throw codeError(TypeError, 'invalid_type', 'layout must be a Layout');
    const nodes = 2 ** layout.nodeBits;
    const base = small(options.base ?? 0, 'base', 0, nodes - 1, 'node_out_of_range');
    const slots = small(options.slots ?? 1, 'slots', 1, nodes);
    return new Slot(native.Slot.statefulset(dir, namespace, base, slots, hostname ?? null, layout.spec), layout);
  }

  /** @internal The native slot. */
  get _native() {
    return this.#native;
  }
  /** The slot index *k*. @type {number} */
  get index() {
    return this.#native.index;
  }
  /** The node: `hostBase + k`. @type {number} */
  get node() {
    return this.#native.node;
  }
  /** Whether this object still holds the lock. @type {boolean} */
  get held() {
    return this.#native.held;
  }
  /** Let the slot go now (it also goes when the process dies). @returns {void} */
  release() {
    this.#native.release();
  }
}

/**
 * A snowflake generator for one node. Every `Snowflake` of the same layout
 * and node in one process — across `worker_threads` too — shares one
 * sequence, so they never repeat each other; asking for the same node with
 * different policies throws `node_in_use`.
 */
export class Snowflake {
  /** @type {any} */
  #native;
  /** @type {boolean} */
  #leased = false;
  /**
   * @param {SnowflakeOptions} options
   */
  constructor(options) {
    const [layout, node, opts] = snowflakeArgs(options);
    if (native.registryPerInstance && options.exclusiveNode !== true) {
      throw codeError(
        Error,
        'node_in_use',
        `node ${node}: idloom-wasm in a worker thread has a wasm instance and node registry of its own, so two workers on one ` +
          'node would repeat each other\'s IDs. Use the native addon (npm idloom: one registry per process), or give this ' +
          'worker a node no other worker uses and pass { exclusiveNode: true }',
      );
    }
    let h;
    if (options.sharedLease !== undefined) {
      if (typeof native.snowflakeJoinLease !== 'function') {
        throw codeError(Error, 'invalid_argument', 'leases need the native addon (npm idloom); this build has none');
      }
      h = native.snowflakeJoinLease(/** @type {any} */ (options.sharedLease).idloomSharedLease);
      this.#leased = true;
    } else if (options.lease !== undefined) {
      // A lease fences a generator of its own, shared by every Snowflake made from it.
      if (typeof native.snowflakeLeased !== 'function') {
        throw codeError(Error, 'invalid_argument', 'leases need the native addon (npm idloom); this build has none');
      }
      const key = Object.values(opts).map(String).join('|');
      h = options.lease._generator(key);
      if (h === undefined || h === null) {
        h = native.snowflakeLeased(layout.spec, node, opts);
        options.lease._attach(h, key);
      }
    } else if (options.slot !== undefined || options.stateDir !== undefined) {
      const lead = small(options.stateLeadMs ?? 1000, 'stateLeadMs', 1, LIMITS.maxPolicyMs);
      if (options.namespace !== undefined && typeof options.namespace !== 'string') {
        throw codeError(TypeError, 'invalid_type', `namespace must be a string, got ${typeName(options.namespace)}`);
      }
      h = options.slot !== undefined
        ? native.snowflakeOnFile(layout.spec, undefined, opts, options.slot._native, undefined, undefined, lead)
        : native.snowflakeOnFile(layout.spec, node, opts, undefined, options.stateDir, options.namespace, lead);
      this.#leased = true; // the node is the slot's or the file's: no rekey
    } else {
      h = native.snowflakeCreate(layout.spec, node, opts);
    }
    this.#native = h;
    this.#leased ||= options.lease !== undefined;
    /** The layout. @readonly @type {Layout} */
    this.layout = layout;
    /**
     * The next ID as a bigint. A native function of its own (no `this`), so
     * `const next = gen.next` works and costs nothing extra.
     * @readonly @type {() => bigint}
     */
    this.next = h.next;
    /** The next ID as a decimal string. @readonly @type {() => string} */
    this.nextString = h.nextString;
  }

  /**
   * The next ID, waiting on a timer where the policy asks to wait (a clock
   * step back under `backwards: 'wait'`, an exhausted 1 s tick) instead of
   * blocking the event loop. `next()` blocks at most 20 ms per wait and
   * throws `would_block` beyond. Bounded: a clock that has not reached the
   * time the policy waits for after that wait plus a second of sleeping
   * (a frozen `Date.now()`) ends in `clock_stalled`.
   * @returns {Promise<bigint>}
   */
  async nextAsync() {
    // The budget (the first wait plus a second) counts the time slept, not
    // Date.now(), which a host may freeze: a clock that never gets there ends.
    let budget = -1;
    for (;;) {
      const r = this.#native.tryNext();
      if (typeof r === 'bigint') return r;
      const now = Date.now();
      const sleep = Math.min(Math.max(1, r - now), 1000);
      if (budget < 0) budget = Math.max(1, r - now) + 1000;
      if ((budget -= sleep) < 0) throw codeError(Error, 'clock_stalled', `clock stalled at ${now} ms while waiting for ${r} ms`);
      await new Promise((resolve) => setTimeout(resolve, sleep));
    }
  }

  /**
   * `n` increasing IDs in a BigUint64Array (0..=1048576), one crossing into native code.
   * @param {number} n
   * @returns {BigUint64Array}
   */
  nextBatch(n) {
    return this.#native.nextBatch(small(n, 'n', 0, LIMITS.maxBatch));
  }

  /** The node ID. @type {number} */
  get node() {
    return this.#native.node();
  }

  /**
   * The clock events of this node's generator, every event name with its
   * count: `clock_stepped_back` (absorbed, waited or refused), `borrowing_started`,
   * `borrowing_ended` (the others 0). The core counts them on its slow paths
   * only; every Snowflake on this node in the process shares them.
   * @returns {Record<string, number>}
   */
  stats() {
    return countsByKind(this.#native.stats());
  }

  /**
   * Move this generator — and every handle sharing it — to another node
   * (after a fork-like event, or when a lease on a node ID changes).
   * @param {number | bigint} node
   * @returns {void}
   */
  rekey(node) {
    if (this.#leased) throw codeError(RangeError, 'invalid_argument', "rekey: this Snowflake's node comes from a lease, a slot or a state file; make a new one");
    this.#native.rekey(u64(node, 'node', 'node_out_of_range'));
  }

  /**
   * Decode an ID of this layout.
   * @param {bigint | number | string} id
   * @returns {Parts}
   */
  decode(id) {
    return this.layout.decode(id);
  }

  /**
   * The friendly form of an ID of this layout.
   * @param {bigint | number | string} id
   * @returns {string}
   */
  friendly(id) {
    return this.layout.friendly(id);
  }

  /**
   * An endless iterator of IDs.
   * @returns {IterableIterator<bigint>}
   */
  [Symbol.iterator]() {
    const next = this.next;
    return {
      next: () => ({ value: next(), done: false }),
      [Symbol.iterator]() {
        return this;
      },
    };
  }
}

/**
 * The pure snowflake state machine: the host passes every time and nothing
 * reads a clock. For replaying scripts and simulations; it is not shared per
 * node, so do not mint production IDs with it (use `Snowflake`).
 */
export class SnowflakeMachine {
  /** @type {any} */
  #native;
  /**
   * @param {SnowflakeOptions} options (`clock` is ignored)
   */
  constructor(options) {
    for (const k of /** @type {const} */ (['lease', 'sharedLease', 'slot', 'stateDir'])) {
      if (/** @type {any} */ (options)?.[k] !== undefined) throw codeError(RangeError, 'invalid_argument', `${k}: a SnowflakeMachine takes a node, never a lease, slot or state file`);
    }
    const [layout, node, opts] = snowflakeArgs(options);
    this.#native = native.snowflakeMachine(layout.spec, node, opts);
    /** The layout. @readonly @type {Layout} */
    this.layout = layout;
  }

  /**
   * One step at `nowMs` (Unix ms): an ID, or the time to retry at.
   * @param {number} nowMs
   * @returns {bigint | { retryAtMs: number }}
   */
  nextAt(nowMs) {
    const r = this.#native.nextAt(small(nowMs, 'nowMs', 0, MAX_SAFE));
    return typeof r === 'bigint' ? r : { retryAtMs: r };
  }

  /**
   * Up to `n` IDs at `nowMs`, and the time to retry at when fewer came.
   * @param {number} nowMs
   * @param {number} n
   * @returns {{ ids: BigUint64Array, retryAtMs: number | null }}
   */
  fillAt(nowMs, n) {
    const [ids, retryAtMs] = this.#native.fillAt(small(nowMs, 'nowMs', 0, MAX_SAFE), small(n, 'n', 0, LIMITS.maxBatch));
    return { ids, retryAtMs: retryAtMs ?? null };
  }
}
