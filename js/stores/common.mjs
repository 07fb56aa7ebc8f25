// What the engines run in a process share: the holder name, URL redaction,
// and the shapes of the core's lease and namespace readings.
import { native } from '../native.mjs';
import { Store } from './store.mjs';

/** @typedef {import('./store.mjs').Namespace} Namespace */

/**
 * `text` without the password of store URL `url` (the core's redaction:
 * `scheme://user:***@host`, `password=***`, and the password itself
 * wherever a driver's message quotes it).
 * @param {string} text @param {string} url
 * @returns {string}
 */
export function redactStoreUrl(text, url) {
  return native.storeRedact(text, url);
}

/** A process's holder name: host, pid and a random tag (readable in `status`). */
export class ProcessStore extends Store {
  /** The URL `fromUrl` was given, only ever shown redacted. @type {string | null} */ #shownUrl = null;

  async _defaultHolder() {
    // A holder is printable ASCII (the core's check): a host name outside it shows as '?'.
    const host = (await import('node:os')).hostname().replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
    return `${host}:${process.pid}:${Math.random().toString(16).slice(2, 8)}`;
  }

  /** @param {string} url @returns {this} */
  _showUrl(url) {
    this.#shownUrl = url;
    return this;
  }

  /** An error whose message no longer holds this store's password. @template E @param {E} e @returns {E} */
  _scrub(e) {
    const err = /** @type {any} */ (e);
    if (this.#shownUrl !== null && typeof err?.message === 'string') err.message = native.storeRedact(err.message, this.#shownUrl);
    return e;
  }

  toString() {
    return this.#shownUrl === null ? `${this.constructor.name}()` : `${this.constructor.name}(${JSON.stringify(native.storeRedactUrl(this.#shownUrl))})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return this.toString();
  }
}

/**
 * A lease reading (`['grant', node, epoch, start, fence, now, identityChanged]`)
 * as the grant `NodeLease` takes; null for `['refused']` (a renewal the store
 * refused). `identityChanged`: the acquire or renewal found the store under another
 * identity and raised the namespace floor first (never on MariaDB).
 * @param {any[]} r
 */
export const grantOf = (r) =>
  r[0] === 'refused' ? null : { node: r[1], epoch: r[2], startMs: r[3], fenceMs: r[4], storeNowMs: r[5], identityChanged: r[6] === 1 };

/**
 * A namespace reading (`['namespace', layout, nodes, ttl, skew, floor]`) as
 * its record; null for `['missing']`.
 * @param {any[]} r @returns {Namespace | null}
 */
export const recordOf = (r) => (r[0] === 'missing' ? null : { layout: r[1], nodes: r[2], ttlMs: r[3], maxSkewMs: r[4], floorMs: r[5] });

/** What a lease call is about, for the core's messages. @param {string} namespace @param {number} [node] @param {number} [epoch] */
export const about = (namespace, node, epoch) => ({ namespace, node, epoch });

/** A driver failure's own text. @param {unknown} e */
export const detail = (e) => String(/** @type {any} */ (e)?.message ?? e);

/**
 * A `nodes` reading (`['nodes', node, holder, epoch, expires, start, fence, …]`,
 * six a node) as the status rows `status()` returns.
 * @param {any[]} r
 * @returns {{ node: number, holder: string, epoch: number, expiresMs: number, startMs: number, fenceMs: number }[]}
 */
export function nodesOf(r) {
  const out = [];
  for (let i = 1; i + 5 < r.length; i += 6) {
    out.push({ node: Number(r[i]), holder: String(r[i + 1]), epoch: Number(r[i + 2]), expiresMs: Number(r[i + 3]), startMs: Number(r[i + 4]), fenceMs: Number(r[i + 5]) });
  }
  return out;
}
