// Segments: IDs from ranges a store hands out (Leaf-style), buffered and
// prefetched by the core's buffer; the host's source is called here.
import { native } from './native.mjs';
// The core's option names and limits (idloom::names, idloom::limits), generated from the core.
import { LIMITS } from './tables.mjs';
import { codeError, codeOf } from './errors.mjs';
import { MAX_SAFE, small, text, typeName, u64 } from './args.mjs';
import { Observed, report } from './events.mjs';

/** @typedef {import('./errors.mjs').IdloomError} IdloomError */
/**
 * A range of counters `[start, end)` from a store.
 * @typedef {{ start: bigint | number, end: bigint | number }} SegmentRange
 */

/**
 * The host's store: returns `step` counters (or another count it decides)
 * that no other caller will ever receive — e.g. a compare-and-set
 * `UPDATE … SET max_id = max_id + step`, or Redis `INCRBY`.
 * @typedef {(step: number) => SegmentRange | PromiseLike<SegmentRange>} SegmentSource
 */

/**
 * How a segment buffers and prefetches.
 * @typedef {object} SegmentOptions
 * @property {number} [step] Counters per fetch, 1..=2^40 (default 1000; Leaf's `step`).
 * @property {{ min: number, max: number, targetMs: number }} [adaptive] Size each fetch to last about `targetMs` (Leaf's dynamic step).
 * @property {number} [thresholdPercent] Prefetch once this much of the current range is used, 0..=100 (default 10, Leaf's).
 * @property {number} [maxPrefetched] Ranges held beyond the current one, 1..=16 (default 1: Leaf's double buffer).
 * @property {number | bigint} [stride] ID = counter × stride + offset (default 1), for interleaved stores.
 * @property {number | bigint} [offset] Below `stride` (default 0).
 * @property {number} [timeoutMs] `Segment` only: how long an asynchronous source may take, 1..=86400000 ms
 *   (default 10000); past it the fetch fails with `store_unavailable` and a late answer is dropped (a gap, never a repeat).
 * @property {string} [name] `Segment` only: names it in its events (their `detail`); default: the store source's biz tag, if any.
 */

/**
 * @param {SegmentOptions} o
 */
function segmentOptions(o) {
  if (o === null || typeof o !== 'object') throw codeError(TypeError, 'invalid_type', `options must be an object, got ${typeName(o)}`);
  let adaptive;
  if (o.adaptive !== undefined) {
    const a = o.adaptive;
    if (a === null || typeof a !== 'object') throw codeError(TypeError, 'invalid_type', 'adaptive must be { min, max, targetMs }');
    adaptive = [small(a.min, 'adaptive.min', 0, MAX_SAFE), small(a.max, 'adaptive.max', 0, MAX_SAFE), small(a.targetMs, 'adaptive.targetMs', 0, MAX_SAFE)];
  }
  return {
    step: small(o.step ?? 1000, 'step', 0, MAX_SAFE),
    thresholdPercent: small(o.thresholdPercent ?? 10, 'thresholdPercent', 0, 100),
    maxPrefetched: small(o.maxPrefetched ?? 1, 'maxPrefetched', 0, 16),
    stride: u64(o.stride ?? 1, 'stride', 'invalid_argument'),
    offset: u64(o.offset ?? 0, 'offset', 'invalid_argument'),
    adaptive,
  };
}

/**
 * The host-agnostic buffer behind `Segment`, for hosts that fetch on their
 * own: it says when and how much to fetch, accepts ranges, and serves IDs
 * from memory.
 */
export class SegmentBuffer {
  /** @type {any} */
  #native;
  /**
   * @param {SegmentOptions} [options]
   */
  constructor(options = {}) {
    this.#native = native.segmentBuffer(segmentOptions(options));
  }

  /**
   * The next ID from memory; throws `segment_exhausted` when dry.
   * @returns {bigint}
   */
  next() {
    return this.#native.next();
  }

  /**
   * If a fetch should start now, mark it in flight and return its step; else null.
   * @param {number} nowMs Unix ms (feeds the adaptive step).
   * @returns {number | null}
   */
  beginFetch(nowMs) {
    return this.#native.beginFetch(small(nowMs, 'nowMs', 0, MAX_SAFE)) ?? null;
  }

  /**
   * Accept counters `[start, end)` from the source (`invalid_range` if they
   * overlap or go back).
   * @param {number | bigint} start
   * @param {number | bigint} end
   * @returns {void}
   */
  supply(start, end) {
    this.#native.supply(u64(start, 'range.start', 'invalid_range'), u64(end, 'range.end', 'invalid_range'));
  }

  /** The fetch failed: another is wanted after a tenth of what is left is used. @returns {void} */
  fetchFailed() {
    this.#native.fetchFailed();
  }

  /** IDs left in memory. @type {number} */
  get remaining() {
    return this.#native.remaining();
  }
}

/**
 * An in-memory store: one counter for every segment that uses it. For tests
 * and single-process use; it does not survive a restart.
 */
export class MemorySource {
  /** @type {any} */
  #native;
  /**
   * @param {number | bigint} [start] First counter (default 1).
   */
  constructor(start = 1) {
    this.#native = native.memorySource(u64(start, 'start', 'invalid_argument'));
  }

  /**
   * Take `step` counters.
   * @param {number | bigint} step
   * @returns {{ start: bigint, end: bigint }}
   */
  take(step) {
    const [start, end] = this.#native.take(u64(step, 'step', 'invalid_argument'));
    return { start, end };
  }
}

/**
 * IDs from ranges a store hands out (Leaf-style), served from memory.
 * `next()` is synchronous; crossing the prefetch threshold calls the source
 * in the background (a Promise it returns is awaited without blocking
 * `next()`). When memory is dry, `next()` throws `segment_exhausted` — or the
 * source's own error if its last fetch failed — and `nextAsync()` waits for
 * the fetch instead.
 *
 * An event emitter (an `EventEmitter` under Node): `segment_fetched`
 * (`amount`: the range's size), `segment_fetch_failed` (`code`),
 * `segment_ran_dry` (`code`), each with `detail` (its name) when it has one;
 * `stats()` counts them.
 */
export class Segment extends Observed {
  /** @type {any} */
  #native;
  /** @type {(step: number) => unknown} */
  #source;
  /** @type {Promise<unknown> | null} resolves to the fetch's error, or null */
  #pending = null;
  /** @type {unknown} */
  #lastError = null;
  /** How long an asynchronous source call may take. */
  #timeoutMs;
  /** Its name in its events (`detail`), or undefined. @type {string | undefined} */
  #name;
  /** IDs to take before asking the buffer whether a fetch is due (the core's countdown). */
  #left = 0;

  /**
   * @param {SegmentSource | MemorySource} source
   * @param {SegmentOptions} [options]
   */
  constructor(source, options = {}) {
    super();
    if (source instanceof MemorySource) this.#source = (step) => source.take(step);
    else if (typeof source === 'function') this.#source = source;
    else throw codeError(TypeError, 'invalid_type', `source must be a MemorySource or a function step => { start, end }, got ${typeName(source)}`);
    this.#native = native.segmentBuffer(segmentOptions(options));
    // The core's spec of a store call's `timeout_ms` (idloom::stores::args: 1..=MAX_TTL_MS), from the
    // generated tables: storeCheckArg is in the coordination builds only, and a Segment runs in every host.
    this.#timeoutMs = small(options.timeoutMs ?? 10_000, 'timeoutMs', 1, LIMITS.maxTtlMs);
    const tag = /** @type {any} */ (source).bizTag;
    this.#name = options.name !== undefined ? text(options.name, 'name') : typeof tag === 'string' ? tag : undefined;
  }

  /** @param {string} name @param {{ code?: string, amount?: number }} facts */
  #report(name, facts) {
    /** @type {Record<string, unknown>} */
    const f = {};
    for (const [k, v] of Object.entries(facts)) if (v !== undefined) f[k] = v;
    if (this.#name !== undefined) f.detail = this.#name;
    report(this, name, f);
  }

  /**
   * The next ID. Synchronous; see the class notes for when it throws.
   * @returns {bigint}
   */
  next() {
    let id;
    try {
      id = this.#native.next();
    } catch (e) {
      return this.#dry(e);
    }
    // The core says how many IDs may pass before a fetch can be due
    // (idsBeforeCheck): between checks, one native call an ID.
    if (--this.#left <= 0) this.#check();
    return id;
  }

  /** Start the fetch the buffer wants, if any, and count down to the next check. */
  #check() {
    if (this.#native.wantsFetch()) this.#fetch();
    this.#left = this.#native.idsBeforeCheck();
  }

  /**
   * The next ID, waiting for an in-flight fetch when memory is dry. Rejects
   * with the source's error if that fetch fails.
   * @returns {Promise<bigint>}
   */
  async nextAsync() {
    for (;;) {
      try {
        return this.next();
      } catch (e) {
        if (this.#pending === null) throw e;
      }
      const failure = await this.#pending;
      if (failure !== null) throw failure;
    }
  }

  /**
   * Resolves once IDs are in memory (starting a fetch if none is in flight);
   * rejects with the source's error if that fetch fails.
   * @returns {Promise<void>}
   */
  async ready() {
    while (this.#native.remaining() === 0) {
      if (this.#pending === null) {
        if (this.#native.wantsFetch()) this.#fetch();
        else if (this.#lastError !== null) throw this.#lastError;
      }
      if (this.#pending === null) {
        if (this.#native.remaining() === 0) throw this.#lastError ?? codeError(Error, 'segment_exhausted', 'segment: no range arrived');
        return;
      }
      const failure = await this.#pending;
      if (failure !== null) throw failure;
    }
  }

  /** IDs left in memory. @type {number} */
  get remaining() {
    return this.#native.remaining();
  }

  /**
   * An endless iterator of IDs (throws when memory is dry; see `next`).
   * @returns {IterableIterator<bigint>}
   */
  [Symbol.iterator]() {
    return {
      next: () => ({ value: this.next(), done: false }),
      [Symbol.iterator]() {
        return this;
      },
    };
  }

  /** @param {unknown} e */
  #dry(e) {
    if (/** @type {IdloomError} */ (e).code !== 'segment_exhausted') throw e;
    if (this.#native.wantsFetch()) {
      this.#fetch(); // a synchronous source refills at once
      try {
        return this.#native.next(); // a fetch due again is begun on the next call (#left is 0)
      } catch {
        // begun again on the next call, not in a loop here
      }
    }
    const err = this.#lastError ?? e;
    this.#report('segment_ran_dry', { code: codeOf(err) });
    throw err;
  }

  /** Start the fetch the buffer wants (its result may arrive later). */
  #fetch() {
    this.#left = 0; // the buffer's state moves: check on the next call
    const step = this.#native.beginFetch(Date.now());
    if (step == null) return;
    let r;
    try {
      r = this.#source(step);
    } catch (err) {
      this.#failed(err);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (/** @type {any} */ (r).then) === 'function') {
      const ms = this.#timeoutMs;
      /** @type {any} */
      let timer;
      // Not unref'd: whoever awaits the fetch gets its answer or the timeout,
      // never a process that exits under a pending promise; cleared on answer.
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(codeError(Error, 'store_unavailable', `segment: the source did not answer within ${ms} ms (timeoutMs)`)),
          ms,
        );
      });
      this.#pending = Promise.race([Promise.resolve(r).finally(() => clearTimeout(timer)), timeout]).then(
        (range) => {
          this.#pending = null;
          return this.#supply(range);
        },
        (err) => {
          this.#pending = null;
          this.#failed(err);
          return err;
        },
      );
    } else this.#supply(r);
  }

  /**
   * @param {unknown} range
   * @returns {unknown} the error, or null
   */
  #supply(range) {
    try {
      if (range === null || typeof range !== 'object') {
        throw codeError(TypeError, 'invalid_type', `source must return { start, end }, got ${typeName(range)}`);
      }
      const r = /** @type {SegmentRange} */ (range);
      const start = u64(r.start, 'range.start', 'invalid_range');
      const end = u64(r.end, 'range.end', 'invalid_range');
      this.#native.supply(start, end);
      this.#left = 0; // a range arrived: check on the next call
      this.#lastError = null;
      this.#report('segment_fetched', { amount: Number(end - start) });
      return null;
    } catch (err) {
      this.#failed(err);
      return err;
    }
  }

  /** @param {unknown} err */
  #failed(err) {
    this.#native.fetchFailed();
    this.#left = 0;
    this.#lastError = err;
    this.#report('segment_fetch_failed', { code: codeOf(err) });
  }
}
