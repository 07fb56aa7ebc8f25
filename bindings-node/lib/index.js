'use strict';
/**
 * idloom for Node: unique IDs for distributed systems from one Rust core.
 * This file checks JavaScript types (integers, BigInt width) and shapes the
 * API like npm `uuid` and `nanoid`; everything else happens in the addon.
 * @module idloom
 */
const native = require('../native/index.js');

const U64_MAX = (1n << 64n) - 1n;

/** An error with the core's stable `code`. */
function codeError(Cls, code, message) {
  const e = new Cls(message);
  e.code = code;
  return e;
}

function typeName(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** A u64 argument as a BigInt: bigint or safe integer number; nothing wrapped. */
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

/** A small non-negative integer argument (a JS number in min..=max). */
function small(value, param, min, max, code = 'invalid_argument') {
  if (typeof value !== 'number' && typeof value !== 'bigint') {
    throw codeError(TypeError, 'invalid_type', `${param} must be an integer, got ${typeName(value)}`);
  }
  const v = Number(value);
  if (!Number.isInteger(v) || v < min || v > max) throw codeError(RangeError, code, `${param} must be in ${min}..=${max}, got ${value}`);
  return v;
}

function choice(value, param, allowed) {
  if (typeof value !== 'string') throw codeError(TypeError, 'invalid_type', `${param} must be a string, got ${typeName(value)}`);
  if (!allowed.includes(value)) throw codeError(RangeError, 'invalid_argument', `${param} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

function text(value, param) {
  if (typeof value !== 'string') throw codeError(TypeError, 'invalid_type', `${param} must be a string, got ${typeName(value)}`);
  return value;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A validated bit layout for 64-bit time-ordered IDs. */
class Layout {
  /**
   * @param {{timeBits: number, nodeBits: number, sequenceBits: number, epochMs: number, tickMs?: number, order?: string}} spec
   */
  constructor(spec) {
    if (spec === null || typeof spec !== 'object') throw codeError(TypeError, 'invalid_type', `layout must be an object, got ${typeName(spec)}`);
    const s = {
      timeBits: small(spec.timeBits, 'timeBits', 0, 63, 'invalid_layout'),
      nodeBits: small(spec.nodeBits, 'nodeBits', 0, 63, 'invalid_layout'),
      sequenceBits: small(spec.sequenceBits, 'sequenceBits', 0, 63, 'invalid_layout'),
      epochMs: small(spec.epochMs, 'epochMs', 0, MAX_SAFE, 'invalid_layout'),
      tickMs: small(spec.tickMs ?? 1, 'tickMs', 1, 86_400_000, 'invalid_layout'),
      order: choice(spec.order ?? 'time_node_sequence', 'order', ['time_node_sequence', 'time_sequence_node']),
    };
    native.layoutCheck(s);
    /** @readonly */ this.spec = Object.freeze(s);
    Object.freeze(this);
  }

  /** A preset by name: `twitter`, `sonyflake`, `baidu`, `js_safe`. */
  static preset(name) {
    return new Layout(native.layoutPreset(text(name, 'name')));
  }

  get timeBits() { return this.spec.timeBits; }
  get nodeBits() { return this.spec.nodeBits; }
  get sequenceBits() { return this.spec.sequenceBits; }
  get epochMs() { return this.spec.epochMs; }
  get tickMs() { return this.spec.tickMs; }
  get order() { return this.spec.order; }

  /** Rates, node count and the dates the layout runs out. */
  capacity() {
    const c = native.layoutCapacity(this.spec);
    return {
      ...c,
      runsOutAt: new Date(c.runsOutAtMs),
      leavesJsSafeAt: c.leavesJsSafeAtMs == null ? null : new Date(c.leavesJsSafeAtMs),
    };
  }

  /** An ID from Unix milliseconds (floored to the tick), node and sequence. */
  compose(timestampMs, node, sequence) {
    return native.layoutCompose(
      this.spec,
      u64(timestampMs, 'timestampMs', 'timestamp_out_of_range'),
      u64(node, 'node', 'node_out_of_range'),
      u64(sequence, 'sequence', 'sequence_out_of_range'),
    );
  }

  /** The parts of an ID: `{ timestamp: Date, timestampMs, tick, node, sequence }`. */
  decode(id) {
    const p = native.layoutDecompose(this.spec, u64(id, 'id', 'id_out_of_range'));
    return { timestamp: new Date(p.timestampMs), ...p };
  }

  /** `yyyyMMddHHmmssSSS-node-sequence` in UTC. */
  friendly(id) {
    return native.layoutFriendly(this.spec, u64(id, 'id', 'id_out_of_range'));
  }

  /** The ID of a friendly string (strict). */
  parseFriendly(value) {
    return native.layoutParseFriendly(this.spec, text(value, 'text'));
  }
}

for (const [name, preset] of [['TWITTER', 'twitter'], ['SONYFLAKE', 'sonyflake'], ['BAIDU', 'baidu'], ['JS_SAFE', 'js_safe']]) {
  Object.defineProperty(Layout, name, { value: Layout.preset(preset), enumerable: true });
}

/** Check snowflake options: `[layout, node as bigint, native options]`. */
function snowflakeArgs(options) {
  if (options === null || typeof options !== 'object') {
    throw codeError(TypeError, 'invalid_type', `options must be an object with a node, got ${typeName(options)}`);
  }
  if (options.node === undefined) throw codeError(TypeError, 'invalid_type', 'options.node is required: idloom never guesses a node ID');
  const layout = options.layout === undefined ? Layout.TWITTER : typeof options.layout === 'string' ? Layout.preset(options.layout) : options.layout;
  if (!(layout instanceof Layout)) throw codeError(TypeError, 'invalid_type', 'layout must be a Layout or a preset name');
  const maxNode = (1n << BigInt(layout.nodeBits)) - 1n;
  return [
    layout,
    u64(options.node, 'node', 'node_out_of_range', maxNode),
    {
      backwards: choice(options.backwards ?? 'logical', 'backwards', ['logical', 'wait', 'fail']),
      maxBackwardsMs: small(options.maxBackwardsMs ?? 1000, 'maxBackwardsMs', 0, 3_600_000),
      exhausted: choice(options.exhausted ?? 'wait', 'exhausted', ['wait', 'borrow', 'fail']),
      maxBorrowMs: small(options.maxBorrowMs ?? 1000, 'maxBorrowMs', 0, 3_600_000),
      sequenceStart: choice(options.sequenceStart ?? 'reset', 'sequenceStart', ['reset', 'continuous', 'random']),
      seed: options.seed === undefined ? undefined : u64(options.seed, 'seed', 'invalid_argument'),
      clock: choice(options.clock ?? 'ticker', 'clock', ['ticker', 'system']),
    },
  ];
}

/**
 * The pure snowflake state machine: the host passes every time and nothing
 * reads a clock. For replaying scripts and simulations; it is not registered
 * per node, so do not mint production IDs with it (use `Snowflake`).
 */
class SnowflakeMachine {
  #native;
  constructor(options) {
    const [layout, node, opts] = snowflakeArgs(options);
    this.#native = native.snowflakeMachine(layout.spec, node, opts);
    /** @readonly */
    this.layout = layout;
  }

  /** One step at `nowMs`: a bigint ID, or `{ retryAtMs }`. */
  nextAt(nowMs) {
    const r = this.#native.nextAt(small(nowMs, 'nowMs', 0, MAX_SAFE));
    return typeof r === 'bigint' ? r : { retryAtMs: r };
  }

  /** A batch at `nowMs`: `{ ids, retryAtMs }`. */
  fillAt(nowMs, n) {
    const [ids, retryAtMs] = this.#native.fillAt(small(nowMs, 'nowMs', 0, MAX_SAFE), small(n, 'n', 0, 1 << 24));
    return { ids, retryAtMs: retryAtMs ?? null };
  }
}

/**
 * A snowflake generator for one node. Generators for the same layout and node
 * in one process — across `worker_threads` too — share one sequence.
 */
class Snowflake {
  #native;
  /**
   * @param {{node: number|bigint, layout?: Layout|string, backwards?: string, maxBackwardsMs?: number,
   *   exhausted?: string, maxBorrowMs?: number, sequenceStart?: string, seed?: number|bigint, clock?: string}} options
   */
  constructor(options) {
    const [layout, node, opts] = snowflakeArgs(options);
    const h = native.snowflakeCreate(layout.spec, node, opts);
    this.#native = h;
    /** The layout. @readonly */
    this.layout = layout;
    /** The next ID as a bigint (a native closure: no per-call lookup). */
    this.next = h.next;
    /** The next ID as a decimal string. */
    this.nextString = h.nextString;
  }

  /** `n` increasing IDs in a BigUint64Array. */
  nextBatch(n) {
    return this.#native.nextBatch(small(n, 'n', 0, 1 << 24));
  }

  /** The node ID. */
  get node() {
    return this.#native.node();
  }

  /** Move this generator (and every handle sharing it) to another node. */
  rekey(node) {
    this.#native.rekey(u64(node, 'node', 'node_out_of_range'));
  }

  /** Decode an ID of this layout. */
  decode(id) {
    return this.layout.decode(id);
  }

  /** The friendly form of an ID of this layout. */
  friendly(id) {
    return this.layout.friendly(id);
  }

  [Symbol.iterator]() {
    const next = this.next;
    return { next: () => ({ value: next(), done: false }), [Symbol.iterator]() { return this; } };
  }
}

/** A random (v4) UUID string (npm `uuid` shape). */
const v4 = () => native.v4();
/** A time-ordered (v7) UUID string, monotonic within the process. */
const v7 = () => native.v7();
/** Whether a string is a hyphenated RFC 9562 UUID (or nil/max). */
const validate = (value) => typeof value === 'string' && native.validate(value);
/** The version of a UUID string. */
const version = (value) => native.version(text(value, 'uuid'));
/** The 16 bytes of a UUID string (hyphenated, simple, URN or braced). */
const parse = (value) => native.parse(text(value, 'uuid'));
/** The hyphenated string of 16 bytes. */
function stringify(bytes) {
  if (!(bytes instanceof Uint8Array)) throw codeError(TypeError, 'invalid_type', `bytes must be a Uint8Array, got ${typeName(bytes)}`);
  return native.stringify(bytes);
}
/** The Unix milliseconds of a v1/v6/v7 UUID, or null. */
const uuidTimestampMs = (value) => native.uuidTimestampMs(text(value, 'uuid'));
/** A v4 UUID from 16 given bytes (deterministic). */
const v4FromBytes = (random) => native.v4FromBytes(random);
const NIL = '00000000-0000-0000-0000-000000000000';
const MAX = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** A NanoID over the URL alphabet (npm `nanoid` shape), `size` 1..=1024. */
function nanoid(size = 21) {
  return native.nanoidGenerate(null, small(size, 'size', 1, 1024));
}

/** A generator of NanoIDs over `alphabet` (npm `customAlphabet` shape). */
function customAlphabet(alphabet, defaultSize = 21) {
  const a = text(alphabet, 'alphabet');
  native.nanoidCheck(a, small(defaultSize, 'size', 1, 1024));
  return (size = defaultSize) => native.nanoidGenerate(a, small(size, 'size', 1, 1024));
}

/** A NanoID over `alphabet` from given bytes (deterministic). */
const nanoidFromBytes = (alphabet, size, random) => native.nanoidFromBytes(text(alphabet, 'alphabet'), small(size, 'size', 1, 1024), random);

module.exports = {
  Layout,
  Snowflake,
  SnowflakeMachine,
  v4,
  v7,
  validate,
  version,
  parse,
  stringify,
  uuidTimestampMs,
  v4FromBytes,
  NIL,
  MAX,
  nanoid,
  customAlphabet,
  nanoidFromBytes,
};
