// What a store's fromUrl() shares: the driver imported on demand, TLS
// parameters and PEM files, and a driver object made without leaking the URL.
import { native } from '../native.mjs';
import { _idloomError as idloomError } from '../errors.mjs';

/**
 * An optional driver, imported only here (by a store's fromUrl).
 * @param {string} name
 * @returns {Promise<any>}
 */
export const driver = (name) => import(name);

/**
 * The TLS query parameters of a store URL (`ssl-mode`, `ssl-ca`, … for MySQL;
 * `ssl_ca_certs`, … for Redis), and the URL without them for the driver.
 * @param {string} url @param {string[]} names
 * @returns {{ url: string, params: Record<string, string> }}
 */
export function tlsParams(url, names) {
  const q = url.indexOf('?');
  if (q < 0) return { url, params: {} };
  const hash = url.indexOf('#', q);
  const query = new URLSearchParams(url.slice(q + 1, hash < 0 ? undefined : hash));
  /** @type {Record<string, string>} */
  const params = {};
  for (const name of names) {
    for (const spelling of [name, name.replace(/-/g, '_')]) {
      const v = query.get(spelling);
      if (v !== null) params[name] = v;
      query.delete(spelling);
    }
  }
  const rest = query.toString();
  return { url: url.slice(0, q) + (rest ? `?${rest}` : '') + (hash < 0 ? '' : url.slice(hash)), params };
}

/** A PEM file a TLS parameter names. @param {string} path @param {string} param @param {string} url */
export async function pem(path, param, url) {
  const { readFileSync } = await import('node:fs');
  try {
    return readFileSync(path);
  } catch (e) {
    throw idloomError('invalid_argument', native.storeRedact(`${param}: ${/** @type {any} */ (e)?.message ?? String(e)}`, url));
  }
}

/**
 * A driver object made from a URL; a failure to make it (a malformed URL)
 * is `invalid_argument` without the URL's password (Node's URL errors carry
 * the whole input).
 * @template T @param {string} url @param {() => T} make @returns {T}
 */
export function fromUrlDriver(url, make) {
  try {
    return make();
  } catch (e) {
    throw idloomError('invalid_argument', native.storeRedact(`url: ${/** @type {any} */ (e)?.message ?? String(e)} (${url})`, url));
  }
}
