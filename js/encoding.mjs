// Encodings: a u64 or u128 in a fixed-width, order-preserving text.
import { native } from './native.mjs';
// The core's option names and limits (idloom::names, idloom::limits), generated from the core.
import { NAMES } from './tables.mjs';
import { codeError } from './errors.mjs';
import { U128_MAX, U64_MAX, choice, text, typeName, u64 } from './args.mjs';
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
