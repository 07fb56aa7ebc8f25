// Database sequences as sources (N databases, sequence k of N).
import { native } from '../native.mjs';
import { _idloomError as idloomError } from '../errors.mjs';
import { arg, int, str } from '../args.mjs';

/**
 * `source(step) => Promise<{ start, end }>` from a database sequence whose
 * increment is `count × step` (N databases, sequence k starting at
 * `floor + k × step`: Tinyid's remainder and delta), so the ranges of the N
 * sequences never meet. The `Segment`'s step must be the sequence's.
 * @param {string} name @param {number} step @param {() => Promise<number>} nextval
 */
export function sequenceSource(name, step, nextval) {
  return async (/** @type {number} */ asked) => {
    if (arg('step', asked) !== step) {
      throw idloomError('invalid_argument', `step must be the sequence's step ${step} (new Segment(source, { step: ${step} })), got ${asked}`);
    }
    const v = await nextval();
    return { start: v, end: v + step };
  };
}

/**
 * The create text of sequence `index` of `count` (the core checks the numbers).
 * @param {string} text @param {string} name
 * @param {{ step: number, floor?: number, index?: number, count?: number }} options
 */
export function sequenceCreate(text, name, options) {
  if (options === null || typeof options !== 'object') throw idloomError('invalid_type', 'options must be { step, floor, index, count }');
  const step = arg('counter_step', options.step);
  const floor = int(options.floor ?? 0, 'floor', 0, Number.MAX_SAFE_INTEGER); // the core's sequence bound (2^62) is above it
  const count = arg('count', options.count ?? 1);
  // The index depends on the count: the core's sequence numbers check it.
  return native.storeSequenceSql(text, str(name, 'name'), step, floor, int(options.index ?? 0, 'index', 0, Number.MAX_SAFE_INTEGER), count);
}
