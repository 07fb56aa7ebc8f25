// NanoIDs: shaped like npm `nanoid` (sizes coerced as it does), batches,
// custom alphabets.
import { native, whenInstalled } from './native.mjs';
// The core's option names and limits (idloom::names, idloom::limits), generated from the core.
import { LIMITS } from './tables.mjs';
import { codeError } from './errors.mjs';
import { bytes, small, text } from './args.mjs';
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
