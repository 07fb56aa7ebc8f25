// What idloom's objects report, in the core's vocabulary (idloom::events;
// the same names, levels and one-line messages in every binding:
// tests/vectors/events.json): a lease acquired, renewed, failing to renew,
// lost, expired or released; the store's identity changed; a segment
// fetched, failing to fetch, run dry.
//
// Each event goes four ways, in this order:
// - the object's counters (`stats()`: every event name with its count);
// - the object itself, an event emitter (`lease.on('lease_lost', facts => …)`,
//   and `on('event', (name, facts) => …)` for all of them). Under Node it is
//   an `EventEmitter` (node:events), elsewhere an object with the same
//   `on`/`once`/`off`/`emit`/`listenerCount`;
// - the `diagnostics_channel` named `idloom` where the host has one (Node):
//   `{ name, level, message, facts, source }`;
// - the hooks (`addEventHook`): `hook(name, facts, source)`.
// A listener or hook that throws never reaches minting or a renewal: it is
// reported as a warning and the event goes on. Nothing is formatted when no
// channel subscriber or hook listens.

import { host, native, whenInstalled } from './native.mjs';
import { codeError } from './errors.mjs';
import { typeName } from './args.mjs';

/**
 * An event's facts, each present only when it applies.
 * @typedef {object} EventFacts
 * @property {number} [node] the leased node
 * @property {number} [epoch] the lease's epoch
 * @property {number} [fenceMs] a fence, a floor or a high-water (ID time, ms)
 * @property {string} [code] the error code behind a failure
 * @property {number} [inMs] when the next try follows (ms)
 * @property {number} [amount] a range's size
 * @property {string} [detail] what the object is (a segment's tag)
 */

/**
 * `hook(name, facts, source)`: `source` is the lease or segment that saw it.
 * @typedef {(name: string, facts: EventFacts, source: object) => void} EventHook
 */

/**
 * Every kind of event, the core's: `{ name: { level, what } }`; level is
 * `debug`, `info`, `warn` or `error`.
 * @type {Readonly<Record<string, Readonly<{ level: string, what: string }>>>}
 */
export const EVENT_KINDS = {};
/** The kinds' names, in the core's order. @type {string[]} */
const NAMES = [];
whenInstalled(() => {
  for (const [name, level, what] of native.eventKinds()) {
    /** @type {any} */ (EVENT_KINDS)[name] = Object.freeze({ level, what });
    NAMES.push(name);
  }
  Object.freeze(EVENT_KINDS);
});

/**
 * Counts in the core's order (`eventKinds`) as `{ name: count }`. Internal.
 * @param {ArrayLike<number>} counts
 * @returns {Record<string, number>}
 */
export function countsByKind(counts) {
  /** @type {Record<string, number>} */
  const out = {};
  NAMES.forEach((name, i) => {
    out[name] = counts[i] ?? 0;
  });
  return out;
}

/** The diagnostics_channel name events are published on (Node). */
export const EVENT_CHANNEL = 'idloom';

/** @type {readonly EventHook[]} */
let hooks = [];

/**
 * Call `hook(name, facts, source)` on every event from now on. Keep it quick
 * (count, enqueue): it runs on the event loop turn that saw the event.
 * @param {EventHook} hook
 * @returns {EventHook} the hook (to remove it later)
 */
export function addEventHook(hook) {
  if (typeof hook !== 'function') throw codeError(TypeError, 'invalid_type', `hook must be a function, got ${typeName(hook)}`);
  hooks = [...hooks, hook];
  return hook;
}

/**
 * Stop calling `hook` (nothing happens if it was not added).
 * @param {EventHook} hook
 */
export function removeEventHook(hook) {
  hooks = hooks.filter((h) => h !== hook);
}

/**
 * The core's one-line message of an event:
 * `eventMessage('lease_lost', { node: 3, epoch: 7, fenceMs: 1700000013000, code: 'lease_lost' })`
 * is `'lease_lost node=3 epoch=7 fence_ms=1700000013000 code=lease_lost'`.
 * @param {string} name
 * @param {EventFacts} [facts]
 * @returns {string}
 */
export function eventMessage(name, facts = {}) {
  if (typeof name !== 'string') throw codeError(TypeError, 'invalid_type', `name must be a string, got ${typeName(name)}`);
  if (facts === null || typeof facts !== 'object') throw codeError(TypeError, 'invalid_type', `facts must be an object, got ${typeName(facts)}`);
  for (const k of ['node', 'epoch', 'fenceMs', 'inMs', 'amount']) {
    const v = /** @type {any} */ (facts)[k];
    if (v !== undefined && typeof v !== 'number') throw codeError(TypeError, 'invalid_type', `facts.${k} must be a number, got ${typeName(v)}`);
  }
  for (const k of ['code', 'detail']) {
    const v = /** @type {any} */ (facts)[k];
    if (v !== undefined && typeof v !== 'string') throw codeError(TypeError, 'invalid_type', `facts.${k} must be a string, got ${typeName(v)}`);
  }
  return native.eventMessage(name, facts);
}

/** @param {unknown} e @param {string} where */
function warn(e, where) {
  const text = `idloom: ${where} threw (the event goes on): ${e instanceof Error ? e.stack ?? e.message : String(e)}`;
  if (host.warn) host.warn(text);
  else globalThis.console?.warn(text);
}

/**
 * The listeners' half of an event emitter: `on`/`addListener`, `once`,
 * `off`/`removeListener`, `removeAllListeners`, `emit`, `listenerCount`,
 * `listeners`. Under Node the entry makes `EventEmitter` the base instead
 * (below), so leases and segments are real EventEmitters there.
 */
class Listeners {
  /** @type {Map<string | symbol, Function[]>} */
  #byName = new Map();
  /** @param {string | symbol} name @param {(...args: any[]) => void} fn @returns {this} */
  on(name, fn) {
    if (typeof fn !== 'function') throw codeError(TypeError, 'invalid_type', `listener must be a function, got ${typeName(fn)}`);
    this.#byName.set(name, [...(this.#byName.get(name) ?? []), fn]);
    return this;
  }
  /** @param {string | symbol} name @param {(...args: any[]) => void} fn @returns {this} */
  addListener(name, fn) {
    return this.on(name, fn);
  }
  /** @param {string | symbol} name @param {(...args: any[]) => void} fn @returns {this} */
  once(name, fn) {
    /** @param {any[]} args */
    const once = (...args) => {
      this.off(name, once);
      fn.apply(this, args);
    };
    once.listener = fn;
    return this.on(name, once);
  }
  /** @param {string | symbol} name @param {(...args: any[]) => void} fn @returns {this} */
  off(name, fn) {
    const list = this.#byName.get(name) ?? [];
    let i = list.length - 1;
    while (i >= 0 && list[i] !== fn && /** @type {any} */ (list[i]).listener !== fn) i -= 1;
    if (i >= 0) this.#byName.set(name, [...list.slice(0, i), ...list.slice(i + 1)]);
    return this;
  }
  /** @param {string | symbol} name @param {(...args: any[]) => void} fn @returns {this} */
  removeListener(name, fn) {
    return this.off(name, fn);
  }
  /** @param {string | symbol} [name] @returns {this} */
  removeAllListeners(name) {
    if (name === undefined) this.#byName.clear();
    else this.#byName.delete(name);
    return this;
  }
  /** @param {string | symbol} name @param {any[]} args @returns {boolean} */
  emit(name, ...args) {
    const list = this.#byName.get(name);
    if (!list || list.length === 0) return false;
    for (const f of list) f.apply(this, args);
    return true;
  }
  /** @param {string | symbol} name @returns {number} */
  listenerCount(name) {
    return this.#byName.get(name)?.length ?? 0;
  }
  /** @param {string | symbol} name @returns {Function[]} */
  listeners(name) {
    return (this.#byName.get(name) ?? []).map((f) => /** @type {any} */ (f).listener ?? f);
  }
}

/** Each object's counts by event name. @type {WeakMap<object, Record<string, number>>} */
const COUNTS = new WeakMap();

/**
 * What a lease or a segment is besides itself: an event emitter with
 * counters. `stats()` maps every event name to how many this object saw.
 */
export class Observed extends Listeners {
  /**
   * How many events of each kind this object saw: `{ lease_renewed: 12, … }`,
   * every kind present (0 when none).
   * @returns {Record<string, number>}
   */
  stats() {
    const counts = COUNTS.get(this) ?? {};
    return countsByKind(NAMES.map((name) => counts[name] ?? 0));
  }
}

// Under Node, EventEmitter is the base (installed by the entry with the host's parts).
whenInstalled(() => {
  const base = host.EventEmitter;
  if (base) {
    Object.setPrototypeOf(Observed, base);
    Object.setPrototypeOf(Observed.prototype, base.prototype);
  }
});

/**
 * Report an event of `source`: count it, emit it on the source (by name, and
 * as `event`), publish it on the channel, call the hooks. Internal.
 * @param {Observed} source
 * @param {string} name
 * @param {EventFacts} [facts]
 */
export function report(source, name, facts = {}) {
  let counts = COUNTS.get(source);
  if (counts === undefined) COUNTS.set(source, (counts = {}));
  counts[name] = (counts[name] ?? 0) + 1;
  try {
    source.emit(name, facts);
    source.emit('event', name, facts);
  } catch (e) {
    warn(e, `a listener of ${name}`);
  }
  const channel = host.channel;
  if (channel?.hasSubscribers) {
    const level = EVENT_KINDS[name]?.level ?? 'warn';
    try {
      channel.publish({ name, level, message: native.eventMessage(name, facts), facts, source });
    } catch (e) {
      warn(e, `a diagnostics_channel subscriber of ${name}`);
    }
  }
  for (const hook of hooks) {
    try {
      hook(name, facts, source);
    } catch (e) {
      warn(e, `an event hook on ${name}`);
    }
  }
}
