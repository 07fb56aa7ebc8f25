// Argument checks: JavaScript values (integer numbers, BigInt width,
// strings, bytes) as the native half takes them, or a typed error; a store
// call's numbers and strings against the core's specs (storeCheckArg,
// storeCheckInput), one set of bounds for every binding.
import { native } from './native.mjs';
import { codeError, _idloomError as idloomError } from './errors.mjs';

/** @typedef {import('./errors.mjs').ErrorCode} ErrorCode */
export const U64_MAX = (1n << 64n) - 1n;
export const U128_MAX = (1n << 128n) - 1n;
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** @param {unknown} v */
export function typeName(v) {
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
export function u64(value, param, code, max = U64_MAX) {
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
export function small(value, param, min, max, code = 'invalid_argument') {
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
export function choice(value, param, allowed) {
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
export function text(value, param) {
  if (typeof value !== 'string') throw codeError(TypeError, 'invalid_type', `${param} must be a string, got ${typeName(value)}`);
  return value;
}

/**
 * @param {unknown} value
 * @param {string} param
 * @returns {Uint8Array}
 */
export function bytes(value, param) {
  if (!(value instanceof Uint8Array)) throw codeError(TypeError, 'invalid_type', `${param} must be a Uint8Array, got ${typeName(value)}`);
  return value;
}

/** @param {unknown} v @param {string} name @param {number} lo @param {number} hi */
export function int(v, name, lo, hi) {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw idloomError(typeof v === 'number' ? 'invalid_argument' : 'invalid_type', `${name} must be an integer in ${lo}..=${hi}, got ${String(v)}`);
  }
  if (v < lo || v > hi) throw idloomError('invalid_argument', `${name} must be in ${lo}..=${hi}, got ${v}`);
  return v;
}

/**
 * A number checked against the core's spec of store argument `key`
 * (`nodes`, `ttl_ms`, `max_skew_ms`, `step`, `counter_step`, `floor`,
 * `count`, `servers`, `timeout_ms`): the value (a bigint past 2^53 - 1),
 * else `invalid_argument` naming the parameter and its range (`invalid_type`
 * for a non-number). One set of bounds for every binding.
 * @param {string} key @param {unknown} v
 * @returns {number}
 */
export function arg(key, v) {
  return native.storeCheckArg(key, v);
}

/** A string argument; a lone surrogate (not valid Unicode: the native side would see U+FFFD) is refused. @param {unknown} v @param {string} name */
export function str(v, name) {
  if (typeof v !== 'string') throw idloomError('invalid_type', `${name} must be a string, got ${v === null ? 'null' : typeof v}`);
  if (/\p{Cs}/u.test(v)) throw idloomError('invalid_argument', `${name} must be valid Unicode text (it holds a lone surrogate)`);
  return v;
}

/**
 * A string a caller gives a store, checked by the core before anything is
 * sent: the characters and length of input `kind` (`biz_tag`, `holder`,
 * `description`, `namespace`, `table`), else `invalid_argument`.
 * @param {'namespace' | 'biz_tag' | 'holder' | 'description' | 'table'} kind @param {unknown} v @param {string} name
 * @returns {string}
 */
export function input(kind, v, name) {
  native.storeCheckInput(kind, str(v, name));
  return /** @type {string} */ (v);
}
