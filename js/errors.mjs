// Errors: every idloom error carries the core's stable `code` (the same in
// every language, from the core's table) and is a `RangeError` (bad input), a
// `TypeError` (wrong type) or an `Error` (a generator, a store or a service refused).
import { native } from './native.mjs';
/**
 * The stable error codes, the same in every language (see the README's table).
 * @typedef {'invalid_layout'|'node_out_of_range'|'node_in_use'|'sequence_out_of_range'|'timestamp_out_of_range'|'id_out_of_range'
 *   |'epoch_in_future'|'invalid_argument'|'clock_moved_backwards'|'clock_stalled'|'sequence_exhausted'|'lead_exceeded'
 *   |'layout_exhausted'|'segment_exhausted'|'invalid_range'|'invalid_alphabet'|'invalid_encoding'|'invalid_uuid'
 *   |'random_unavailable'|'invalid_type'|'forked'|'would_block'|'store_unavailable'|'lease_expired'|'lease_lost'
 *   |'no_free_node'|'clock_skew'|'store_schema'|'store_state_lost'|'unauthorized'|'not_found'} ErrorCode
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
export function codeError(Cls, code, message) {
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

/** The idloom code of a failure, or undefined for a driver's own. @param {unknown} e */
export function codeOf(e) {
  const c = /** @type {any} */ (e)?.code;
  return typeof c === 'string' && native.errorCodes().some((/** @type {[string, boolean]} */ [k]) => k === c) ? c : undefined;
}
