// Leaf's segment rows: the fetch of a range by one statement or by the core's
// compare-and-set loop, and the options every engine checks alike.
import { native } from '../native.mjs';
import { _idloomError as idloomError } from '../errors.mjs';
import { arg } from '../args.mjs';

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `source(step) => Promise<{ start, end }>` from one Leaf row: `atomic`
 * takes the range in one statement; `cas` reads `max_id` and moves it only
 * if nobody did first — the core's `CasLoop` decides each round, its
 * jittered, doubling pause and when to give up (`source.retries` counts the
 * rounds lost). The store gives the three calls, each answering the core's
 * reading (`['range', start, end]`, `['value', v]`, `['done']` | `['refused']`).
 * @param {string} bizTag
 * @param {'atomic' | 'cas'} mode
 * @param {{ atomic: (step: number | bigint) => Promise<any[]>, read: () => Promise<any[]>, swap: (old: number | bigint, next: number | bigint) => Promise<any[]> }} calls
 */
export function leafSource(bizTag, mode, calls) {
  const subject = { bizTag };
  const source = async (/** @type {number} */ step) => {
    if (mode === 'atomic') {
      const [, start, end] = await calls.atomic(arg('step', step));
      return { start, end };
    }
    const cas = new native.CasLoop(step);
    for (;;) {
      const [, old, next] = cas.read((await calls.read())[1], subject);
      const [kind, a, b] = cas.swapped((await calls.swap(old, next))[0] === 'done', Math.random(), subject);
      if (kind === 'done') return { start: a, end: b };
      source.retries += 1;
      await sleep(Number(a) / 1000); // the core's pause, in µs
    }
  };
  source.retries = 0;
  source.bizTag = bizTag; // names a Segment over it in its events
  return source;
}

/**
 * `guard` of `initSegment`: absent (false) or a boolean (`invalid_type` otherwise).
 * @param {unknown} guard @returns {boolean}
 */
export function checkGuard(guard) {
  if (guard === undefined) return false;
  if (typeof guard !== 'boolean') throw idloomError('invalid_type', `guard must be a boolean, got ${typeof guard}`);
  return guard;
}

/**
 * Why a MariaDB/MySQL counter cannot be guarded (the core's message).
 * @returns {string}
 */
export function guardRefused() {
  return native.storeTexts('mysql').GUARD_REFUSED;
}

/** @param {unknown} mode @returns {'atomic' | 'cas'} */
export function checkMode(mode) {
  if (mode !== 'atomic' && mode !== 'cas') throw idloomError('invalid_argument', `mode must be 'atomic' or 'cas', got ${String(mode)}`);
  return mode;
}
