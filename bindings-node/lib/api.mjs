// The public JavaScript API of idloom, shared by every JS host. It checks
// JavaScript types (integer numbers, BigInt width, strings) and shapes the
// API like npm `uuid` and `nanoid`; every algorithm runs in the Rust core.
// `lib/index.d.ts` is generated from the JSDoc here (`npm run build`).
import { native, whenInstalled } from './native.mjs';
// The core's option names and limits (idloom::names, idloom::limits), generated from the core.
import { NAMES, LIMITS } from './tables.mjs';

const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The stable error codes, the same in every language (see the README's table).
 * @typedef {'invalid_layout'|'node_out_of_range'|'node_in_use'|'sequence_out_of_range'|'timestamp_out_of_range'|'id_out_of_range'
 *   |'epoch_in_future'|'invalid_argument'|'clock_moved_backwards'|'clock_stalled'|'sequence_exhausted'|'lead_exceeded'
 *   |'layout_exhausted'|'segment_exhausted'|'invalid_range'|'invalid_alphabet'|'invalid_encoding'|'invalid_uuid'
 *   |'random_unavailable'|'invalid_type'|'forked'|'would_block'|'store_unavailable'|'lease_expired'|'lease_lost'
 *   |'no_free_node'|'clock_skew'|'store_schema'|'store_state_lost'} ErrorCode
 */

/**
 * Every idloom error is a `RangeError` (bad input), a `TypeError` (wrong
 * type) or an `Error` (a generator refused: clock, exhaustion) carrying the
 * core's stable `code`.
 * @typedef {Error & { code: ErrorCode }} IdloomError
 */

/**
 * @param {ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor} Cls
 * @param {ErrorCode} code
 * @param {string} message
 * @returns {IdloomError}
 */
function codeError(Cls, code, message) {
  const e = /** @type {IdloomError} */ (new Cls(message));
  e.code = code;
  return e;
}

/**
 * Every error code, and whether it means bad input (thrown as `RangeError`
 * or, for `invalid_type`, `TypeError`) rather than a generator's refusal
 * (thrown as `Error`). The same table as every other binding's.
 * @returns {{ code: ErrorCode, badInput: boolean }[]}
 */
export function errorCodes() {
  return native.errorCodes().map((/** @type {[ErrorCode, boolean]} */ [code, badInput]) => ({ code, badInput }));
}

/**
 * An idloom error of `code` with `message`, of the class the code's table
 * says (for `idloom/stores`, which maps driver failures to codes).
 * @param {ErrorCode} code
 * @param {string} message
 * @returns {IdloomError}
 */
export function _idloomError(code, message) {
  const badInput = native.errorCodes().find((/** @type {[string, boolean]} */ [c]) => c === code)?.[1] ?? false;
  return codeError(code === 'invalid_type' ? TypeError : badInput ? RangeError : Error, code, message);
}

/** @param {unknown} v */
function typeName(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * A u64 argument as a BigInt: a bigint or a safe integer number; nothing wrapped.
 * @param {unknown} value
 * @param {string} param
 * @param {ErrorCode} code
 * @param {bigint} [max]
 * @returns {bigint}
 */
function u64(value, param, code, max = U64_MAX) {
  let v;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw codeError(RangeError, code, `${param} must be an integer, got ${value}`);
    if (!Number.isSafeInteger(value)) throw codeError(RangeError, code, `${param} must be a safe integer or a bigint, got ${value}`);
    v = BigInt(value);
  } else throw codeError(TypeError, 'invalid_type', `${param} must be a bigint or an integer number, got ${typeName(value)}`);
  if (v < 0n || v > max) throw codeError(RangeError, code, `${param} must be in 0..=${max}, got ${v}`);
  return v;
}

/**
 * A small integer argument: a number (or bigint) in min..=max.
 * @param {unknown} value
 * @param {string} param
 * @param {number} min
 * @param {number} max
 * @param {ErrorCode} [code]
 * @returns {number}
 */
function small(value, param, min, max, code = 'invalid_argument') {
  if (typeof value !== 'number' && typeof value !== 'bigint') {
    throw codeError(TypeError, 'invalid_type', `${param} must be an integer, got ${typeName(value)}`);
  }
  const v = Number(value);
  if (!Number.isInteger(v) || v < min || v > max) throw codeError(RangeError, code, `${param} must be in ${min}..=${max}, got ${value}`);
  return v;
}

/**
 * @template {string} T
 * @param {unknown} value
 * @param {string} param
 * @param {readonly T[]} allowed
 * @returns {T}
 */
function choice(value, param, allowed) {
  if (typeof value !== 'string') throw codeError(TypeError, 'invalid_type', `${param} must be a string, got ${typeName(value)}`);
  if (!allowed.includes(/** @type {T} */ (value))) {
    throw codeError(RangeError, 'invalid_argument', `${param} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return /** @type {T} */ (value);
}

/**
 * @param {unknown} value
 * @param {string} param
 * @returns {string}
 */
function text(value, param) {
  if (typeof value !== 'string') throw codeError(TypeError, 'invalid_type', `${param} must be a string, got ${typeName(value)}`);
  return value;
}

/**
 * @param {unknown} value
 * @param {string} param
 * @returns {Uint8Array}
 */
function bytes(value, param) {
  if (!(value instanceof Uint8Array)) throw codeError(TypeError, 'invalid_type', `${param} must be a Uint8Array, got ${typeName(value)}`);
  return value;
}

// ---------------------------------------------------------------- layouts

/** @typedef {'time_node_sequence' | 'time_sequence_node'} FieldOrder */
/** @typedef {'twitter' | 'sonyflake' | 'baidu' | 'js_safe'} PresetName */

/**
 * A layout of a 64-bit ID: bits for time, node and sequence, the epoch and
 * the tick length.
 * @typedef {object} LayoutSpec
 * @property {number} timeBits
 * @property {number} nodeBits
 * @property {number} sequenceBits
 * @property {number} epochMs Unix milliseconds of tick 0.
 * @property {number} [tickMs] Milliseconds per tick (default 1).
 * @property {FieldOrder} [order] Field order (default time_node_sequence).
 */

/**
 * What a layout can do.
 * @typedef {object} Capacity
 * @property {number} idsPerTick
 * @property {number} idsPerSecondPerNode
 * @property {number} nodes
 * @property {number} runsOutAtMs
 * @property {Date} runsOutAt The first instant the time field cannot hold.
 * @property {number | null} leavesJsSafeAtMs
 * @property {Date | null} leavesJsSafeAt When IDs pass Number.MAX_SAFE_INTEGER (null: never).
 */

/**
 * The parts of an ID.
 * @typedef {object} Parts
 * @property {Date} timestamp The tick's start as a Date.
 * @property {number} timestampMs The tick's start in Unix milliseconds.
 * @property {number} tick Ticks since the epoch.
 * @property {number} node
 * @property {number} sequence
 */

/** A validated bit layout for 64-bit time-ordered IDs. */
export class Layout {
  /**
   * @param {LayoutSpec} spec
   */
  constructor(spec) {
    if (spec === null || typeof spec !== 'object') throw codeError(TypeError, 'invalid_type', `layout must be an object, got ${typeName(spec)}`);
    const s = {
      timeBits: small(spec.timeBits, 'timeBits', 0, 63, 'invalid_layout'),
      nodeBits: small(spec.nodeBits, 'nodeBits', 0, 63, 'invalid_layout'),
      sequenceBits: small(spec.sequenceBits, 'sequenceBits', 0, 63, 'invalid_layout'),
      epochMs: small(spec.epochMs, 'epochMs', 0, MAX_SAFE, 'invalid_layout'),
      tickMs: small(spec.tickMs ?? 1, 'tickMs', 1, LIMITS.maxTickMs, 'invalid_layout'),
      order: /** @type {FieldOrder} */ (choice(spec.order ?? 'time_node_sequence', 'order', NAMES.order)),
    };
    native.layoutCheck(s);
    /** The validated numbers. @readonly @type {Readonly<Required<LayoutSpec>>} */
    this.spec = Object.freeze(s);
    Object.freeze(this);
  }

  /**
   * A preset: `twitter` (41/10/12 in ms), `sonyflake` (39/16/8 in 10 ms),
   * `baidu` (28/22/13 in s), `js_safe` (IDs below 2^53).
   * @param {PresetName} name
   * @returns {Layout}
   */
  static preset(name) {
    return new Layout(native.layoutPreset(text(name, 'name')));
  }

  /** Bits of the time field. */
  get timeBits() {
    return this.spec.timeBits;
  }
  /** Bits of the node field. */
  get nodeBits() {
    return this.spec.nodeBits;
  }
  /** Bits of the sequence field. */
  get sequenceBits() {
    return this.spec.sequenceBits;
  }
  /** Unix milliseconds of tick 0. */
  get epochMs() {
    return this.spec.epochMs;
  }
  /** Milliseconds per tick. */
  get tickMs() {
    return this.spec.tickMs;
  }
  /** Field order. */
  get order() {
    return this.spec.order;
  }

  /**
   * Rates, node count and the dates the layout runs out.
   * @returns {Capacity}
   */
  capacity() {
    const c = native.layoutCapacity(this.spec);
    return {
      idsPerTick: c.idsPerTick,
      idsPerSecondPerNode: c.idsPerSecondPerNode,
      nodes: c.nodes,
      runsOutAtMs: c.runsOutAtMs,
      runsOutAt: new Date(c.runsOutAtMs),
      leavesJsSafeAtMs: c.leavesJsSafeAtMs ?? null,
      leavesJsSafeAt: c.leavesJsSafeAtMs == null ? null : new Date(c.leavesJsSafeAtMs),
    };
  }

  /**
   * An ID from Unix milliseconds (floored to the tick), node and sequence.
   * @param {number | bigint} timestampMs
   * @param {number | bigint} node
   * @param {number | bigint} sequence
   * @returns {bigint}
   */
  compose(timestampMs, node, sequence) {
    return native.layoutCompose(
      this.spec,
      u64(timestampMs, 'timestampMs', 'timestamp_out_of_range'),
      u64(node, 'node', 'node_out_of_range'),
      u64(sequence, 'sequence', 'sequence_out_of_range'),
    );
  }

  /**
   * The parts of an ID.
   * @param {bigint | number | string} id A bigint, a safe integer, or a decimal string.
   * @returns {Parts}
   */
  decode(id) {
    const p = native.layoutDecompose(this.spec, idArg(id));
    return { timestamp: new Date(p.timestampMs), timestampMs: p.timestampMs, tick: p.tick, node: p.node, sequence: p.sequence };
  }

  /**
   * The friendly form `yyyyMMddHHmmssSSS-node-sequence` (UTC).
   * @param {bigint | number | string} id
   * @returns {string}
   */
  friendly(id) {
    return native.layoutFriendly(this.spec, idArg(id));
  }

  /**
   * The ID of a friendly string (strict).
   * @param {string} value
   * @returns {bigint}
   */
  parseFriendly(value) {
    return native.layoutParseFriendly(this.spec, text(value, 'text'));
  }

  /** Twitter: 41 time bits (ms since 2010-11-04), 10 node bits, 12 sequence bits. @type {Layout} */
  static TWITTER;
  /** Sonyflake: 39 time bits of 10 ms since 2014-09-01, 16 node bits, 8 sequence bits. @type {Layout} */
  static SONYFLAKE;
  /** Baidu uid-generator: 28 time bits of 1 s since 2016-05-20, 22 node bits, 13 sequence bits. @type {Layout} */
  static BAIDU;
  /** Below 2^53, safe as a JS number. @type {Layout} */
  static JS_SAFE;
}

whenInstalled(() => {
  Layout.TWITTER = Layout.preset('twitter');
  Layout.SONYFLAKE = Layout.preset('sonyflake');
  Layout.BAIDU = Layout.preset('baidu');
  Layout.JS_SAFE = Layout.preset('js_safe');
});

/**
 * An ID argument: a bigint, a safe integer, or a decimal string (as
 * `nextString()` returns).
 * @param {unknown} id
 * @returns {bigint}
 */
function idArg(id) {
  if (typeof id === 'string') {
    if (!/^[0-9]{1,20}$/.test(id)) throw codeError(RangeError, 'id_out_of_range', `id must be a decimal string of 1..=20 digits, got "${id}"`);
    return u64(BigInt(id), 'id', 'id_out_of_range');
  }
  return u64(id, 'id', 'id_out_of_range');
}

// -------------------------------------------------------------- snowflake

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

// --------------------------------------------------------------- segments

/**
 * A range of counters `[start, end)` from a store.
 * @typedef {{ start: bigint | number, end: bigint | number }} SegmentRange
 */

/**
 * The host's store: returns `step` counters (or another count it decides)
 * that no other caller will ever receive — e.g. a compare-and-set
 * `UPDATE … SET max_id = max_id + step`, or Redis `INCRBY`.
 * @typedef {(step: number) => SegmentRange | PromiseLike<SegmentRange>} SegmentSource
 */

/**
 * How a segment buffers and prefetches.
 * @typedef {object} SegmentOptions
 * @property {number} [step] Counters per fetch, 1..=2^40 (default 1000; Leaf's `step`).
 * @property {{ min: number, max: number, targetMs: number }} [adaptive] Size each fetch to last about `targetMs` (Leaf's dynamic step).
 * @property {number} [thresholdPercent] Prefetch once this much of the current range is used, 0..=100 (default 10, Leaf's).
 * @property {number} [maxPrefetched] Ranges held beyond the current one, 1..=16 (default 1: Leaf's double buffer).
 * @property {number | bigint} [stride] ID = counter × stride + offset (default 1), for interleaved stores.
 * @property {number | bigint} [offset] Below `stride` (default 0).
 * @property {number} [timeoutMs] `Segment` only: how long an asynchronous source may take, 1..=3600000 ms
 *   (default 10000); past it the fetch fails with `store_unavailable` and a late answer is dropped (a gap, never a repeat).
 */

/**
 * @param {SegmentOptions} o
 */
function segmentOptions(o) {
  if (o === null || typeof o !== 'object') throw codeError(TypeError, 'invalid_type', `options must be an object, got ${typeName(o)}`);
  let adaptive;
  if (o.adaptive !== undefined) {
    const a = o.adaptive;
    if (a === null || typeof a !== 'object') throw codeError(TypeError, 'invalid_type', 'adaptive must be { min, max, targetMs }');
    adaptive = [small(a.min, 'adaptive.min', 0, MAX_SAFE), small(a.max, 'adaptive.max', 0, MAX_SAFE), small(a.targetMs, 'adaptive.targetMs', 0, MAX_SAFE)];
  }
  return {
    step: small(o.step ?? 1000, 'step', 0, MAX_SAFE),
    thresholdPercent: small(o.thresholdPercent ?? 10, 'thresholdPercent', 0, 100),
    maxPrefetched: small(o.maxPrefetched ?? 1, 'maxPrefetched', 0, 16),
    stride: u64(o.stride ?? 1, 'stride', 'invalid_argument'),
    offset: u64(o.offset ?? 0, 'offset', 'invalid_argument'),
    adaptive,
  };
}

/**
 * The host-agnostic buffer behind `Segment`, for hosts that fetch on their
 * own: it says when and how much to fetch, accepts ranges, and serves IDs
 * from memory.
 */
export class SegmentBuffer {
  /** @type {any} */
  #native;
  /**
   * @param {SegmentOptions} [options]
   */
  constructor(options = {}) {
    this.#native = native.segmentBuffer(segmentOptions(options));
  }

  /**
   * The next ID from memory; throws `segment_exhausted` when dry.
   * @returns {bigint}
   */
  next() {
    const id = this.#native.next();
    return typeof id === 'bigint' ? id : id[0]; // [id]: a fetch is due (see beginFetch)
  }

  /**
   * If a fetch should start now, mark it in flight and return its step; else null.
   * @param {number} nowMs Unix ms (feeds the adaptive step).
   * @returns {number | null}
   */
  beginFetch(nowMs) {
    return this.#native.beginFetch(small(nowMs, 'nowMs', 0, MAX_SAFE)) ?? null;
  }

  /**
   * Accept counters `[start, end)` from the source (`invalid_range` if they
   * overlap or go back).
   * @param {number | bigint} start
   * @param {number | bigint} end
   * @returns {void}
   */
  supply(start, end) {
    this.#native.supply(u64(start, 'range.start', 'invalid_range'), u64(end, 'range.end', 'invalid_range'));
  }

  /** The fetch failed: another is wanted after a tenth of what is left is used. @returns {void} */
  fetchFailed() {
    this.#native.fetchFailed();
  }

  /** IDs left in memory. @type {number} */
  get remaining() {
    return this.#native.remaining();
  }
}

/**
 * An in-memory store: one counter for every segment that uses it. For tests
 * and single-process use; it does not survive a restart.
 */
export class MemorySource {
  /** @type {any} */
  #native;
  /**
   * @param {number | bigint} [start] First counter (default 1).
   */
  constructor(start = 1) {
    this.#native = native.memorySource(u64(start, 'start', 'invalid_argument'));
  }

  /**
   * Take `step` counters.
   * @param {number | bigint} step
   * @returns {{ start: bigint, end: bigint }}
   */
  take(step) {
    const [start, end] = this.#native.take(u64(step, 'step', 'invalid_argument'));
    return { start, end };
  }
}

/**
 * IDs from ranges a store hands out (Leaf-style), served from memory.
 * `next()` is synchronous; crossing the prefetch threshold calls the source
 * in the background (a Promise it returns is awaited without blocking
 * `next()`). When memory is dry, `next()` throws `segment_exhausted` — or the
 * source's own error if its last fetch failed — and `nextAsync()` waits for
 * the fetch instead.
 */
export class Segment {
  /** @type {any} */
  #native;
  /** @type {(step: number) => unknown} */
  #source;
  /** @type {Promise<unknown> | null} resolves to the fetch's error, or null */
  #pending = null;
  /** @type {unknown} */
  #lastError = null;
  /** How long an asynchronous source call may take. */
  #timeoutMs;

  /**
   * @param {SegmentSource | MemorySource} source
   * @param {SegmentOptions} [options]
   */
  constructor(source, options = {}) {
    if (source instanceof MemorySource) this.#source = (step) => source.take(step);
    else if (typeof source === 'function') this.#source = source;
    else throw codeError(TypeError, 'invalid_type', `source must be a MemorySource or a function step => { start, end }, got ${typeName(source)}`);
    this.#native = native.segmentBuffer(segmentOptions(options));
    this.#timeoutMs = small(options.timeoutMs ?? 10_000, 'timeoutMs', 1, LIMITS.maxPolicyMs);
  }

  /**
   * The next ID. Synchronous; see the class notes for when it throws.
   * @returns {bigint}
   */
  next() {
    let id;
    try {
      id = this.#native.next();
    } catch (e) {
      return this.#dry(e);
    }
    if (typeof id === 'bigint') return id;
    this.#fetch(); // native next() answers [id] when a fetch is due
    return id[0];
  }

  /**
   * The next ID, waiting for an in-flight fetch when memory is dry. Rejects
   * with the source's error if that fetch fails.
   * @returns {Promise<bigint>}
   */
  async nextAsync() {
    for (;;) {
      try {
        return this.next();
      } catch (e) {
        if (this.#pending === null) throw e;
      }
      const failure = await this.#pending;
      if (failure !== null) throw failure;
    }
  }

  /**
   * Resolves once IDs are in memory (starting a fetch if none is in flight);
   * rejects with the source's error if that fetch fails.
   * @returns {Promise<void>}
   */
  async ready() {
    while (this.#native.remaining() === 0) {
      if (this.#pending === null) {
        if (this.#native.wantsFetch()) this.#fetch();
        else if (this.#lastError !== null) throw this.#lastError;
      }
      if (this.#pending === null) {
        if (this.#native.remaining() === 0) throw this.#lastError ?? codeError(Error, 'segment_exhausted', 'segment: no range arrived');
        return;
      }
      const failure = await this.#pending;
      if (failure !== null) throw failure;
    }
  }

  /** IDs left in memory. @type {number} */
  get remaining() {
    return this.#native.remaining();
  }

  /**
   * An endless iterator of IDs (throws when memory is dry; see `next`).
   * @returns {IterableIterator<bigint>}
   */
  [Symbol.iterator]() {
    return {
      next: () => ({ value: this.next(), done: false }),
      [Symbol.iterator]() {
        return this;
      },
    };
  }

  /** @param {unknown} e */
  #dry(e) {
    if (/** @type {IdloomError} */ (e).code !== 'segment_exhausted') throw e;
    if (this.#native.wantsFetch()) {
      this.#fetch(); // a synchronous source refills at once
      try {
        const id = this.#native.next();
        return typeof id === 'bigint' ? id : id[0]; // a fetch due again is begun on the next call
      } catch {
        // begun again on the next call, not in a loop here
      }
    }
    throw this.#lastError ?? e;
  }

  /** Start the fetch the buffer wants (its result may arrive later). */
  #fetch() {
    const step = this.#native.beginFetch(Date.now());
    if (step == null) return;
    let r;
    try {
      r = this.#source(step);
    } catch (err) {
      this.#failed(err);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (/** @type {any} */ (r).then) === 'function') {
      const ms = this.#timeoutMs;
      /** @type {any} */
      let timer;
      // Not unref'd: whoever awaits the fetch gets its answer or the timeout,
      // never a process that exits under a pending promise; cleared on answer.
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(codeError(Error, 'store_unavailable', `segment: the source did not answer within ${ms} ms (timeoutMs)`)),
          ms,
        );
      });
      this.#pending = Promise.race([Promise.resolve(r).finally(() => clearTimeout(timer)), timeout]).then(
        (range) => {
          this.#pending = null;
          return this.#supply(range);
        },
        (err) => {
          this.#pending = null;
          this.#failed(err);
          return err;
        },
      );
    } else this.#supply(r);
  }

  /**
   * @param {unknown} range
   * @returns {unknown} the error, or null
   */
  #supply(range) {
    try {
      if (range === null || typeof range !== 'object') {
        throw codeError(TypeError, 'invalid_type', `source must return { start, end }, got ${typeName(range)}`);
      }
      const r = /** @type {SegmentRange} */ (range);
      this.#native.supply(u64(r.start, 'range.start', 'invalid_range'), u64(r.end, 'range.end', 'invalid_range'));
      this.#lastError = null;
      return null;
    } catch (err) {
      this.#failed(err);
      return err;
    }
  }

  /** @param {unknown} err */
  #failed(err) {
    this.#native.fetchFailed();
    this.#lastError = err;
  }
}

// ------------------------------------------------------------------ UUIDs

/**
 * Options of `v4`/`v7`, as npm `uuid` takes them.
 * @typedef {object} UuidOptions
 * @property {Uint8Array | number[]} [random] 16 (or more) random bytes to use instead of fresh ones.
 * @property {() => Uint8Array | number[]} [rng] A function returning such bytes.
 * @property {number} [msecs] `v7` only: Unix milliseconds, 0..=2^48-1 (default `Date.now()`).
 * @property {number} [seq] `v7` only: the 32-bit counter, -2^31..=0xffffffff (a negative int32 as its unsigned twin, like npm; default drawn from the random bytes).
 */

/**
 * A random (v4) UUID, like npm `uuid`'s `v4(options?, buf?, offset?)`:
 * a string, or the 16 bytes written into `buf` at `offset` (and `buf` returned).
 * @overload
 * @param {UuidOptions | null} [options]
 * @returns {string}
 */
/**
 * @overload
 * @param {UuidOptions | null | undefined} options
 * @param {Uint8Array} buf
 * @param {number} [offset]
 * @returns {Uint8Array}
 */
/**
 * @param {UuidOptions | null} [options]
 * @param {Uint8Array} [buf]
 * @param {number} [offset]
 * @returns {string | Uint8Array}
 */
export function v4(options, buf, offset) {
  if (!options && buf === undefined) {
    // Like crypto.randomUUID()'s entropy cache: one native call mints
    // UUID_POOL UUIDs and each call slices one off.
    if (uuidAt === uuidPool.length) {
      uuidPool = native.v4Batch(UUID_POOL);
      uuidAt = 0;
    }
    return uuidPool.slice(uuidAt, (uuidAt += 36));
  }
  const id = native.v4FromBytes(randomOption(uuidOptions(options, 'v4')));
  return buf === undefined ? id : writeUuid(id, buf, offset);
}

/** v4 UUIDs minted ahead (one native call per UUID_POOL). */
const UUID_POOL = 64;
let uuidPool = '';
let uuidAt = 0;

/**
 * A time-ordered (v7) UUID, like npm `uuid`'s `v7(options?, buf?, offset?)`.
 * Without options it is monotonic across the process (RFC 9562 §6.2
 * method 1); with options it depends on them alone (npm's layout: 32-bit
 * `seq` after the 48-bit `msecs`).
 * @overload
 * @param {UuidOptions | null} [options]
 * @returns {string}
 */
/**
 * @overload
 * @param {UuidOptions | null | undefined} options
 * @param {Uint8Array} buf
 * @param {number} [offset]
 * @returns {Uint8Array}
 */
/**
 * @param {UuidOptions | null} [options]
 * @param {Uint8Array} [buf]
 * @param {number} [offset]
 * @returns {string | Uint8Array}
 */
export function v7(options, buf, offset) {
  let id;
  if (!options) id = native.v7();
  else {
    const o = uuidOptions(options, 'v7');
    const random = randomOption(o);
    const msecs = o.msecs == null ? Date.now() : small(o.msecs, 'msecs', 0, 2 ** 48 - 1, 'timestamp_out_of_range');
    // npm passes the counter through 32-bit arithmetic: a negative int32 is its unsigned twin.
    const seq = o.seq == null ? -1 : small(o.seq, 'seq', -(2 ** 31), 0xffffffff) >>> 0;
    id = native.v7Counter(msecs, seq, random);
  }
  return buf === undefined ? id : writeUuid(id, buf, offset);
}

/**
 * @param {unknown} options
 * @param {string} fn
 * @returns {UuidOptions}
 */
function uuidOptions(options, fn) {
  if (options === undefined || options === null || options === false) return {};
  if (typeof options !== 'object') throw codeError(TypeError, 'invalid_type', `${fn} options must be an object, got ${typeName(options)}`);
  return /** @type {UuidOptions} */ (options ?? {});
}

/**
 * The 16 random bytes of `options.random ?? options.rng?.()`, or fresh ones.
 * @param {UuidOptions} o
 * @returns {Uint8Array}
 */
function randomOption(o) {
  let r;
  if (o.random != null) r = o.random;
  else if (o.rng != null) {
    if (typeof o.rng !== 'function') throw codeError(TypeError, 'invalid_type', `rng must be a function, got ${typeName(o.rng)}`);
    r = o.rng();
  } else return globalThis.crypto.getRandomValues(new Uint8Array(16));
  const got = byteList(r, 'random');
  if (got.length < 16) throw codeError(RangeError, 'invalid_argument', `random must hold at least 16 bytes, got ${got.length}`);
  return got.subarray(0, 16);
}

/**
 * Bytes from a Uint8Array or an array of integers 0..=255.
 * @param {unknown} v
 * @param {string} param
 * @returns {Uint8Array}
 */
function byteList(v, param) {
  if (v instanceof Uint8Array) return v;
  if (!Array.isArray(v)) throw codeError(TypeError, 'invalid_type', `${param} must be a Uint8Array or an array of bytes, got ${typeName(v)}`);
  for (const b of v) {
    if (!Number.isInteger(b) || b < 0 || b > 255) throw codeError(RangeError, 'invalid_argument', `${param} must hold integers in 0..=255, got ${String(b)}`);
  }
  return Uint8Array.from(v);
}

/**
 * Write the 16 bytes of a hyphenated UUID into `buf` at `offset`.
 * @template {Uint8Array} B
 * @param {string} id
 * @param {B} buf
 * @param {unknown} offset
 * @returns {B}
 */
function writeUuid(id, buf, offset) {
  if (!(buf instanceof Uint8Array)) throw codeError(TypeError, 'invalid_type', `buf must be a Uint8Array, got ${typeName(buf)}`);
  const at = offset === undefined || offset === 0 ? 0 : small(offset, 'offset', -MAX_SAFE, MAX_SAFE);
  if (at < 0 || at + 16 > buf.length) {
    throw codeError(RangeError, 'invalid_argument', `UUID byte range ${at}:${at + 15} is out of buffer bounds`);
  }
  buf.set(native.parse(id), at);
  return buf;
}

/**
 * Whether a value is a standard UUID string, like npm `uuid`'s `validate`:
 * hyphenated, version 1 to 8 with the RFC 9562 variant, or nil, or max.
 * @param {unknown} value
 * @returns {boolean}
 */
export function validate(value) {
  return typeof value === 'string' && native.validate(value);
}

/**
 * @param {unknown} uuid
 * @returns {string}
 */
function standard(uuid) {
  if (!validate(uuid)) throw codeError(TypeError, 'invalid_uuid', `Invalid UUID: ${typeof uuid === 'string' ? JSON.stringify(uuid) : typeName(uuid)}`);
  return /** @type {string} */ (uuid);
}

/**
 * The version nibble of a standard UUID string, like npm `uuid`'s
 * `version` (a `TypeError` with code `invalid_uuid` for anything else).
 * @param {string} uuid
 * @returns {number}
 */
export function version(uuid) {
  return native.version(standard(uuid));
}

/**
 * The 16 bytes of a standard UUID string, like npm `uuid`'s `parse`
 * (a `TypeError` with code `invalid_uuid` for anything else; other forms:
 * `formatUuid`).
 * @param {string} uuid
 * @returns {Uint8Array}
 */
export function parse(uuid) {
  return native.parse(standard(uuid));
}

/**
 * The hyphenated string of 16 bytes at `offset`, like npm `uuid`'s
 * `stringify` (a `TypeError` with code `invalid_uuid` when the bytes are
 * not a standard UUID).
 * @param {Uint8Array | number[]} arr
 * @param {number} [offset]
 * @returns {string}
 */
export function stringify(arr, offset = 0) {
  if (!(arr instanceof Uint8Array) && !Array.isArray(arr)) {
    throw codeError(TypeError, 'invalid_type', `arr must be a Uint8Array or an array of bytes, got ${typeName(arr)}`);
  }
  const at = small(offset, 'offset', 0, MAX_SAFE);
  const slice = Array.prototype.slice.call(arr, at, at + 16);
  const ok = slice.length === 16 && slice.every((/** @type {unknown} */ b) => Number.isInteger(b) && /** @type {number} */ (b) >= 0 && /** @type {number} */ (b) <= 255);
  const id = ok ? native.stringify(Uint8Array.from(slice)) : '';
  if (!ok || !native.validate(id)) throw codeError(TypeError, 'invalid_uuid', 'Stringified UUID is invalid');
  return id;
}

/**
 * A UUID string in another form.
 * @param {string} uuid
 * @param {'hyphenated' | 'simple' | 'urn' | 'braced'} form
 * @returns {string}
 */
export function formatUuid(uuid, form) {
  return native.formatUuid(text(uuid, 'uuid'), choice(form, 'form', NAMES.form));
}

/**
 * The Unix milliseconds of a v1, v6 or v7 UUID; null for other versions.
 * @param {string} uuid
 * @returns {number | null}
 */
export function uuidTimestampMs(uuid) {
  return native.uuidTimestampMs(text(uuid, 'uuid')) ?? null;
}

/**
 * A v4 UUID from 16 given random bytes (deterministic; for tests and vectors).
 * @param {Uint8Array} random
 * @returns {string}
 */
export function v4FromBytes(random) {
  return native.v4FromBytes(bytes(random, 'random'));
}

/**
 * A v7 UUID from Unix milliseconds and 10 given random bytes (deterministic).
 * @param {number} unixMs
 * @param {Uint8Array} random
 * @returns {string}
 */
export function v7FromParts(unixMs, random) {
  return native.v7FromParts(small(unixMs, 'unixMs', 0, MAX_SAFE, 'timestamp_out_of_range'), bytes(random, 'random'));
}

/** A monotonic v7 state machine driven by given time and bytes (deterministic). */
export class V7Machine {
  /** @type {any} */
  #native = native.v7Machine();
  /**
   * The next UUID at `nowMs` from 10 given random bytes.
   * @param {number} nowMs
   * @param {Uint8Array} random
   * @returns {string}
   */
  nextFrom(nowMs, random) {
    return this.#native.nextFrom(small(nowMs, 'nowMs', 0, MAX_SAFE, 'timestamp_out_of_range'), bytes(random, 'random'));
  }
}

/** The nil UUID. */
export const NIL = '00000000-0000-0000-0000-000000000000';
/** The max UUID. */
export const MAX = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

// ---------------------------------------------------------------- NanoIDs

/** The 64 URL-safe symbols NanoIDs use by default (npm `nanoid`'s `urlAlphabet`). @type {string} */
export let urlAlphabet = '';
whenInstalled(() => {
  urlAlphabet = native.urlAlphabet();
});

/**
 * A NanoID over the URL alphabet, like npm `nanoid`'s `nanoid(size = 21)`:
 * `size` is coerced as npm does (`size | 0`: `'10'` is 10, 0 and `null` give
 * `''`, a negative size is a `RangeError`), up to 2^24 symbols.
 * @param {number} [size]
 * @returns {string}
 */
export function nanoid(size = 21) {
  const n = npmSize(size, 'size');
  if (n === 21) {
    // Like npm nanoid's byte pool: one native call mints POOL IDs and each
    // call slices one off, so a call costs a string slice, not a crossing.
    if (poolAt === pool.length) {
      pool = native.nanoidBatch(null, 21, POOL);
      poolAt = 0;
    }
    return pool.slice(poolAt, (poolAt += 21));
  }
  return symbols(null, n);
}

/** Default-size NanoIDs minted ahead (one native call per POOL IDs). */
const POOL = 512;
let pool = '';
let poolAt = 0;

/**
 * A size as npm `nanoid` coerces it (`size | 0`), refusing what would fail later.
 * @param {unknown} size
 * @param {string} param
 * @returns {number}
 */
function npmSize(size, param) {
  if (typeof size === 'symbol' || typeof size === 'bigint') {
    throw codeError(TypeError, 'invalid_type', `${param} must be a number, got ${typeof size}`);
  }
  const n = Number(size) | 0;
  if (n < 0 || n > LIMITS.maxNanoidBatchSymbols) {
    throw codeError(RangeError, 'invalid_argument', `${param} must be in 0..=${LIMITS.maxNanoidBatchSymbols}, got ${n}`);
  }
  return n;
}

/**
 * `n` symbols over `alphabet` (null: the URL alphabet), joined from runs of at most the
 * core's longest NanoID (each symbol independent, so the distribution is the same).
 * @param {string | null} alphabet
 * @param {number} n
 * @returns {string}
 */
function symbols(alphabet, n) {
  const run = LIMITS.maxNanoidSize;
  if (n <= run) return n === 0 ? '' : native.nanoidGenerate(alphabet, n);
  let out = '';
  for (let left = n; left > 0; left -= run) out += native.nanoidGenerate(alphabet, Math.min(left, run));
  return out;
}

/**
 * `count` NanoIDs in one call (one crossing into native code).
 * @param {number} count 0..=1048576, and count × size at most 2^24 symbols
 * @param {number} [size] 1..=1024, default 21.
 * @returns {string[]}
 */
export function nanoidBatch(count, size = 21) {
  return batchOf(null, count, size);
}

/**
 * @param {string | null} alphabet
 * @param {unknown} count
 * @param {unknown} size
 * @returns {string[]}
 */
function batchOf(alphabet, count, size) {
  const n = small(count, 'count', 0, LIMITS.maxNanoidBatch);
  const k = small(size, 'size', 1, LIMITS.maxNanoidSize);
  if (n * k > LIMITS.maxNanoidBatchSymbols) {
    throw codeError(
      RangeError,
      'invalid_argument',
      `count × size must be at most ${LIMITS.maxNanoidBatchSymbols} symbols, got ${n} × ${k}; ask in chunks`,
    );
  }
  return sliceBatch(native.nanoidBatch(alphabet, k, n), k);
}

/**
 * @param {string} joined
 * @param {number} size
 * @returns {string[]}
 */
function sliceBatch(joined, size) {
  const out = new Array(joined.length / size);
  for (let i = 0, at = 0; i < out.length; i++, at += size) out[i] = joined.slice(at, at + size);
  return out;
}

/**
 * A NanoID generator over a custom alphabet (2..=256 distinct symbols), like
 * npm `nanoid`'s `customAlphabet(alphabet, size = 21)`; sizes are coerced as
 * `nanoid`'s. The generator takes an optional size and has a
 * `batch(count, size?)` method.
 * @param {string} alphabet
 * @param {number} [defaultSize] default 21.
 * @returns {((size?: number) => string) & { batch(count: number, size?: number): string[] }}
 */
export function customAlphabet(alphabet, defaultSize = 21) {
  const a = text(alphabet, 'alphabet');
  const d = npmSize(defaultSize, 'size');
  native.nanoidCheck(a, Math.min(Math.max(d, 1), LIMITS.maxNanoidSize));
  /** @param {number} [size] */
  const gen = (size = d) => symbols(a, npmSize(size, 'size'));
  /**
   * @param {number} count
   * @param {number} [size]
   */
  gen.batch = (count, size = d) => batchOf(a, count, size);
  return gen;
}

/**
 * A NanoID over `alphabet` from given random bytes (deterministic; for tests and vectors).
 * @param {string} alphabet
 * @param {number} size
 * @param {Uint8Array} random
 * @returns {string}
 */
export function nanoidFromBytes(alphabet, size, random) {
  return native.nanoidFromBytes(text(alphabet, 'alphabet'), small(size, 'size', 1, LIMITS.maxNanoidSize), bytes(random, 'random'));
}

// ---------------------------------------------------- encodings, masking

/** @typedef {'base62' | 'base36' | 'base32' | 'hex'} EncodingName */

/**
 * A u64 (or u128) in a fixed-width, order-preserving encoding: comparing
 * the strings compares the numbers. `base32` is Crockford's.
 * @param {bigint | number} value
 * @param {EncodingName} [encoding] Default `base62`.
 * @param {64 | 128} [bits] Default 64.
 * @returns {string}
 */
export function encode(value, encoding = 'base62', bits = 64) {
  const b = width(bits);
  const v = u64(value, 'value', 'id_out_of_range', b === 128 ? U128_MAX : U64_MAX);
  return native.encode(v, choice(encoding, 'encoding', NAMES.encoding), b);
}

/**
 * `bits` of encode/decode: the number (or bigint) 64 or 128.
 * @param {unknown} bits
 * @returns {64 | 128}
 */
function width(bits) {
  if (typeof bits !== 'number' && typeof bits !== 'bigint') throw codeError(TypeError, 'invalid_type', `bits must be 64 or 128, got ${typeName(bits)}`);
  if (bits == 64 || bits == 128) return /** @type {64 | 128} */ (Number(bits));
  throw codeError(RangeError, 'invalid_argument', `bits must be 64 or 128, got ${bits}`);
}

/**
 * The value of an encoded string (strict: exact width, alphabet symbols only, no overflow).
 * @param {string} value
 * @param {EncodingName} [encoding] Default `base62`.
 * @param {64 | 128} [bits] Default 64.
 * @returns {bigint}
 */
export function decode(value, encoding = 'base62', bits = 64) {
  return native.decode(text(value, 'text'), choice(encoding, 'encoding', NAMES.encoding), width(bits));
}

/**
 * A keyed, reversible permutation of `bits`-bit integers: public IDs that
 * hide order, volume and creation time, and map back exactly. Not
 * authenticated encryption — check what `unmask` returns before trusting it.
 * `version: 2` (the default: SipHash-2-4 rounds, 20..=64 bits) or `1` (the
 * original construction, 1..=64 bits, for IDs already public).
 */
export class Mask {
  /** @type {Uint8Array} */
  #key;
  /** @type {number} */
  #version;
  /**
   * @param {number} bits 20..=64 (version 1: 1..=64)
   * @param {Uint8Array} key 16 secret bytes (see `Mask.generateKey()`)
   * @param {{ version?: 1 | 2 }} [options]
   */
  constructor(bits, key, options = {}) {
    const k = Uint8Array.from(bytes(key, 'key'));
    const version = small(options.version ?? 2, 'version', 1, 2);
    /** Width in bits. @readonly @type {number} */
    this.bits = small(bits, 'bits', 1, 64);
    native.maskCheck(this.bits, k, version);
    this.#key = k;
    this.#version = version;
  }

  /**
   * A fresh random 16-byte key (Web Crypto's `getRandomValues`).
   * @returns {Uint8Array}
   */
  static generateKey() {
    return globalThis.crypto.getRandomValues(new Uint8Array(16));
  }

  /** The construction (1 or 2). @type {number} */
  get version() {
    return this.#version;
  }

  /**
   * The public form of `value` (which must fit in `bits`).
   * @param {bigint | number} value
   * @returns {bigint}
   */
  mask(value) {
    return native.maskApply(this.bits, this.#key, u64(value, 'value', 'id_out_of_range'), false, this.#version);
  }

  /**
   * The original of a masked value.
   * @param {bigint | number} value
   * @returns {bigint}
   */
  unmask(value) {
    return native.maskApply(this.bits, this.#key, u64(value, 'value', 'id_out_of_range'), true, this.#version);
  }

  /** Never the key. @returns {string} */
  toString() {
    return `Mask(bits=${this.bits}, version=${this.#version}, key=<secret>)`;
  }

  /** What `util.inspect` and `console.log` show: never the key. */
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return this.toString();
  }
}

// ---------------------------------------------------------------- MongoDB ObjectIds

/**
 * An ObjectId of another library: js-bson's (the `mongodb` driver's)
 * `ObjectId`, or any object holding the 12 bytes as `id` or giving the hex
 * digits from `toHexString()`.
 * @typedef {{ id: Uint8Array } | { toHexString(): string }} ObjectIdLike
 */

/** Bytes the native half just made, for the constructor to keep as they are. @type {Uint8Array | null} */
let adopting = null;

/**
 * An ObjectId around 12 bytes fresh from the native half.
 * @param {Uint8Array} raw
 * @returns {ObjectId}
 */
function adoptObjectId(raw) {
  adopting = raw;
  try {
    return new ObjectId();
  } finally {
    adopting = null;
  }
}

/**
 * A MongoDB ObjectId: 4 bytes of seconds, 5 random bytes per process (new
 * ones after a fork), a 3-byte counter. Its order is the byte order (creation
 * second first). Reads and gives the shapes of js-bson's `ObjectId` (`id`,
 * `toHexString()`, `getTimestamp()`, `equals()`), so each accepts the other.
 */
export class ObjectId {
  /** @type {Uint8Array} */
  #bytes;
  /** @type {string | undefined} */
  #hex;

  /**
   * A new ObjectId (no argument), or the one given as 24 hex digits, 12
   * bytes, an `ObjectId` or an {@link ObjectIdLike} (js-bson's `ObjectId`).
   * @param {string | Uint8Array | ObjectId | ObjectIdLike} [id]
   */
  constructor(id) {
    if (adopting !== null) {
      this.#bytes = adopting;
      adopting = null;
    } else this.#bytes = id === undefined || id === null ? native.objectIdNew() : ObjectId.#bytesOf(id, 'id');
  }

  /**
   * @param {unknown} value
   * @param {'id' | 'value'} param
   * @returns {Uint8Array}
   */
  static #bytesOf(value, param) {
    if (value instanceof ObjectId) return value.#bytes;
    if (typeof value === 'string') return native.objectIdParse(value, param);
    if (value instanceof Uint8Array) return native.objectIdFromBytes(value, param);
    if (typeof value === 'object' && value !== null) {
      const o = /** @type {{ id?: unknown, toHexString?: unknown }} */ (value);
      if (o.id instanceof Uint8Array) return native.objectIdFromBytes(o.id, param);
      if (typeof o.toHexString === 'function') return native.objectIdParse(text(o.toHexString(), `${param}.toHexString()`), param);
    }
    throw codeError(TypeError, 'invalid_type', `${param} must be an ObjectId, a string of 24 hex digits, 12 bytes, or an object with id bytes or toHexString(), got ${typeName(value)}`);
  }

  /**
   * From 24 hex digits (either case).
   * @param {string} hex
   * @returns {ObjectId}
   */
  static fromHexString(hex) {
    return adoptObjectId(native.objectIdParse(text(hex, 'hex'), 'hex'));
  }

  /**
   * From its 12 bytes (copied).
   * @param {Uint8Array} bytes12
   * @returns {ObjectId}
   */
  static fromBytes(bytes12) {
    return adoptObjectId(native.objectIdFromBytes(bytes(bytes12, 'bytes'), 'bytes'));
  }

  /**
   * From seconds since 1970, 5 process bytes and a counter (its low 24 bits).
   * @param {number} seconds
   * @param {Uint8Array} process
   * @param {number} counter
   * @returns {ObjectId}
   */
  static fromParts(seconds, process, counter) {
    const s = small(seconds, 'seconds', 0, 0xffffffff, 'timestamp_out_of_range');
    const p = bytes(process, 'process');
    return adoptObjectId(native.objectIdFromParts(s, p, small(counter, 'counter', 0, 0xffffffff)));
  }

  /**
   * From js-bson's (the `mongodb` driver's) `ObjectId`, or any
   * {@link ObjectIdLike}.
   * @param {ObjectId | ObjectIdLike} value
   * @returns {ObjectId}
   */
  static fromBson(value) {
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) {
      throw codeError(TypeError, 'invalid_type', `value must be an ObjectId or an object with id bytes or toHexString(), got ${typeName(value)}`);
    }
    return adoptObjectId(ObjectId.#bytesOf(value, 'value'));
  }

  /**
   * Whether `value` is an ObjectId in a form the constructor takes (never throws).
   * @param {unknown} value
   * @returns {boolean}
   */
  static isValid(value) {
    if (value === undefined || value === null) return false;
    try {
      ObjectId.#bytesOf(value, 'value');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * -1, 0 or 1 as `a` sorts before, with or after `b` (for `Array.prototype.sort`).
   * @param {ObjectId} a
   * @param {ObjectId} b
   * @returns {-1 | 0 | 1}
   */
  static compare(a, b) {
    if (!(a instanceof ObjectId) || !(b instanceof ObjectId)) {
      throw codeError(TypeError, 'invalid_type', `compare takes two ObjectIds, got ${typeName(a)} and ${typeName(b)}`);
    }
    const x = a.#bytes;
    const y = b.#bytes;
    for (let i = 0; i < 12; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  }

  /**
   * -1, 0 or 1 as this sorts before, with or after `other`.
   * @param {ObjectId} other
   * @returns {-1 | 0 | 1}
   */
  compare(other) {
    return ObjectId.compare(this, other);
  }

  /**
   * Whether `other` (in any form the constructor takes) is the same ObjectId;
   * false for anything else.
   * @param {unknown} other
   * @returns {boolean}
   */
  equals(other) {
    if (other === undefined || other === null) return false;
    let b;
    try {
      b = ObjectId.#bytesOf(other, 'value');
    } catch {
      return false;
    }
    return b.every((v, i) => v === this.#bytes[i]);
  }

  /**
   * js-bson's (the `mongodb` driver's) `ObjectId` with the same bytes: pass
   * the class (`import { ObjectId } from 'bson'`); idloom does not depend on it.
   * @template T
   * @param {new (inputId: string) => T} BsonObjectId
   * @returns {T}
   */
  toBson(BsonObjectId) {
    if (typeof BsonObjectId !== 'function') {
      throw codeError(TypeError, 'invalid_type', `BsonObjectId must be a class (bson's ObjectId), got ${typeName(BsonObjectId)}`);
    }
    return new BsonObjectId(this.toHexString());
  }

  /** The 12 bytes (a copy), as js-bson's `id`. @type {Uint8Array} */
  get id() {
    return this.#bytes.slice();
  }

  /**
   * The 12 bytes (a copy).
   * @returns {Uint8Array}
   */
  toBytes() {
    return this.#bytes.slice();
  }

  /**
   * The 24 lowercase hex digits.
   * @returns {string}
   */
  toHexString() {
    return (this.#hex ??= native.objectIdHex(this.#bytes));
  }

  /** The 24 lowercase hex digits. @returns {string} */
  toString() {
    return this.toHexString();
  }

  /** The 24 lowercase hex digits (`JSON.stringify`). @returns {string} */
  toJSON() {
    return this.toHexString();
  }

  /** The creation time in seconds since 1970. @type {number} */
  get seconds() {
    const b = this.#bytes;
    return ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
  }

  /**
   * The creation time (whole seconds), as js-bson's `getTimestamp()`.
   * @returns {Date}
   */
  getTimestamp() {
    return new Date(this.seconds * 1000);
  }

  /** The 5 per-process random bytes (a copy). @type {Uint8Array} */
  get process() {
    return this.#bytes.slice(4, 9);
  }

  /** The 3-byte counter. @type {number} */
  get counter() {
    const b = this.#bytes;
    return (b[9] << 16) + (b[10] << 8) + b[11];
  }

  /** What `util.inspect` and `console.log` show. */
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `ObjectId('${this.toHexString()}')`;
  }
}

/**
 * A new ObjectId as its 24 hex digits (like `v7()` and `nanoid()`, a string;
 * `new ObjectId()` for the object).
 * @returns {string}
 */
export function objectId() {
  return native.objectIdNewHex();
}

/** ObjectIds from given process bytes, counter start and time (deterministic; for tests and vectors). */
export class ObjectIdMachine {
  /** @type {any} */
  #native;
  /**
   * @param {Uint8Array} process 5 bytes
   * @param {number} counterStart the first counter (its low 24 bits)
   */
  constructor(process, counterStart) {
    this.#native = native.objectIdMachine(bytes(process, 'process'), small(counterStart, 'counterStart', 0, 0xffffffff));
  }
  /**
   * The next ObjectId at Unix time `nowMs` (its seconds are used).
   * @param {number} nowMs
   * @returns {ObjectId}
   */
  nextAt(nowMs) {
    return adoptObjectId(this.#native.nextAt(small(nowMs, 'nowMs', 0, MAX_SAFE, 'timestamp_out_of_range')));
  }
}
