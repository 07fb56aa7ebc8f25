// Masking: a keyed, reversible permutation of IDs for public use.
import { native } from './native.mjs';
import { bytes, small, u64 } from './args.mjs';
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
