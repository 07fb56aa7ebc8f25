// Layouts: the bit layout of a 64-bit time-ordered ID (time, node, sequence,
// epoch, tick), checked and computed by the core.
import { native, whenInstalled } from './native.mjs';
// The core's option names and limits (idloom::names, idloom::limits), generated from the core.
import { NAMES, LIMITS } from './tables.mjs';
import { codeError } from './errors.mjs';
import { MAX_SAFE, choice, small, text, typeName, u64 } from './args.mjs';
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
