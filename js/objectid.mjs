// MongoDB ObjectIds, reading and giving the shapes of js-bson's ObjectId.
import { native } from './native.mjs';
import { codeError } from './errors.mjs';
import { MAX_SAFE, bytes, small, text, typeName } from './args.mjs';
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
