// UUIDs: v4 and v7 shaped like npm `uuid` (options, buffers, validate,
// parse, stringify), other forms, and the deterministic machines.
import { native } from './native.mjs';
// The core's option names and limits (idloom::names, idloom::limits), generated from the core.
import { NAMES } from './tables.mjs';
import { codeError } from './errors.mjs';
import { MAX_SAFE, bytes, choice, small, text, typeName } from './args.mjs';
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
