// Several stores as one source of IDs: a segment per store, taken in turn.
import { _idloomError as idloomError } from '../errors.mjs';
import { Segment } from '../segment.mjs';

/**
 * Several stores as one source of IDs: the seeds' "N databases, step N",
 * "N Redis servers, each with its offset" and "two ticket servers, odd and
 * even". Each store keeps a `Segment` of its own (its ranges stay in order
 * and never meet the others' by construction: offsets and strides, sequence
 * starts, ticket parity); the group takes IDs from them in turn and skips
 * one that is down. `skipped` counts the segments passed over because they
 * failed.
 */
export class SegmentGroup {
  /** @type {Segment[]} */ #segments;
  #turn = 0;

  /** @param {Segment[]} segments */
  constructor(segments) {
    if (!Array.isArray(segments) || segments.length === 0 || !segments.every((s) => s instanceof Segment)) {
      throw idloomError('invalid_type', 'segments must be a non-empty array of Segment');
    }
    this.#segments = [...segments];
    this.skipped = 0;
  }

  /**
   * Where this turn starts (each turn one further): walk `(start + i) % n` —
   * no array per ID. The core's `stores::group::Turn`, kept here: a counter
   * and a modulo per ID are cheaper than a native call.
   */
  #start() {
    const k = this.#turn;
    this.#turn = (k + 1) % this.#segments.length;
    return k;
  }

  /**
   * The next ID from the first segment in turn with IDs in memory.
   * Synchronous: when every memory is dry it throws the last segment's
   * error (`segment_exhausted`, or its store's failure); see `nextAsync`.
   * @returns {bigint}
   */
  next() {
    const segs = this.#segments;
    const k = this.#start();
    /** @type {unknown} */ let last = null;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < segs.length; i++) {
        const seg = segs[(k + i) % segs.length];
        if (pass === 0 && seg.remaining === 0) continue;
        try {
          return seg.next(); // a dry one starts its fetch
        } catch (e) {
          this.skipped += 1;
          last = e;
        }
      }
    }
    throw last;
  }

  /**
   * The next ID; when every memory is dry, each segment is waited for in
   * turn (at most its own `timeoutMs`) and the last failure is thrown only
   * if none answers.
   * @returns {Promise<bigint>}
   */
  async nextAsync() {
    const segs = this.#segments;
    const k = this.#start();
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[(k + i) % segs.length];
      if (seg.remaining > 0) {
        try {
          return seg.next();
        } catch {
          this.skipped += 1;
        }
      }
    }
    /** @type {unknown} */ let last = null;
    for (let i = 0; i < segs.length; i++) {
      try {
        return await segs[(k + i) % segs.length].nextAsync();
      } catch (e) {
        this.skipped += 1;
        last = e;
      }
    }
    throw last;
  }

  /**
   * Resolves once any segment has IDs in memory; rejects with the last
   * failure if none gets any.
   * @returns {Promise<void>}
   */
  async ready() {
    try {
      await Promise.any(this.#segments.map((s) => s.ready()));
    } catch (e) {
      throw /** @type {AggregateError} */ (e).errors.at(-1);
    }
  }

  /** IDs in memory across the segments. @type {number} */
  get remaining() {
    return this.#segments.reduce((n, s) => n + s.remaining, 0);
  }
}
