// A thin client of idloom-server: segment ranges leased over HTTP, for a
// service that shares an idloom-server instead of running a store driver.
// One route, `POST {url}/v1/segment/{tag}/lease?step=N` (the token as
// `Authorization: Bearer`), answered `{"start":"S","end":"E"}` (decimal
// strings, E - S == N) or `{"code","message"}`, the core's codes. The host's
// global fetch carries it (under Node, undici keeps the connection alive).
import { native } from './native.mjs';
// The core's limits (idloom::limits), generated from the core.
import { LIMITS } from './tables.mjs';
import { codeError, _idloomError as idloomError } from './errors.mjs';
import { small, typeName } from './args.mjs';

/** @typedef {import('./errors.mjs').ErrorCode} ErrorCode */

/**
 * How a remote source reaches the server.
 * @typedef {object} RemoteSourceOptions
 * @property {string} [token] Sent as `Authorization: Bearer <token>`: 1 to 4096 characters of printable ASCII without spaces. Never shown in errors.
 * @property {number} [timeoutMs] How long one call may take, answer included, 1..=86400000 ms (default 5000); past it `store_unavailable`.
 */

/**
 * A segment source leasing from idloom-server: `await source(step)` is the
 * range `{ start, end }` (BigInts, `end - start == step`). `bizTag` names a
 * `Segment` over it in its events.
 * @typedef {((step: number) => Promise<{ start: bigint, end: bigint }>) & { readonly bizTag: string, readonly url: string }} RemoteSource
 */

/** The longest answer read (a range or an error is a few hundred bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_TOKEN = 4096;
const U64_MAX = (1n << 64n) - 1n;
/** Failures of a connection that was open and is no more (a server's idle close): worth one new connection. */
const DROPPED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

/** @param {string} message */
const badArgument = (message) => codeError(RangeError, 'invalid_argument', message);

/**
 * The server's base URL, without a trailing slash. Nothing that could hold
 * a secret (credentials, a query) is echoed in a refusal.
 * @param {unknown} url
 */
function checkUrl(url) {
  if (typeof url !== 'string') throw codeError(TypeError, 'invalid_type', `url must be a string, got ${typeName(url)}`);
  if (/[^\x21-\x7e]/.test(url)) throw badArgument('url must be ASCII without spaces or control characters (percent-encode the path)');
  let u;
  try {
    u = new URL(url);
  } catch {
    throw badArgument('url must be http://host[:port][/path] or https://…: it does not parse');
  }
  if (u.username !== '' || u.password !== '') throw badArgument('url must not hold credentials (pass { token })');
  if (u.search !== '' || u.hash !== '' || /[?#]$/.test(url)) {
    throw badArgument('url must not have a query or a fragment (pass { token }; the path is the client\'s)');
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') {
    throw badArgument(`url must be http://host[:port][/path] or https://…, got "${url}"`);
  }
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The core's `biz_tag` rules (the server's), the refusal naming `tag`.
 * @param {unknown} tag
 */
function checkTag(tag) {
  if (typeof tag !== 'string') throw codeError(TypeError, 'invalid_type', `tag must be a string, got ${typeName(tag)}`);
  try {
    native.storeCheckInput('biz_tag', tag);
  } catch (e) {
    const message = String(/** @type {Error} */ (e).message);
    throw idloomError(/** @type {any} */ (e).code, message.startsWith('biz_tag') ? `tag${message.slice('biz_tag'.length)}` : `tag: ${message}`);
  }
  return tag;
}

/**
 * A bearer token: printable ASCII without spaces (a header value). Its text
 * is never shown, only its length or the position of what is wrong.
 * @param {unknown} token
 */
function checkToken(token) {
  if (token === undefined) return undefined;
  if (typeof token !== 'string') throw codeError(TypeError, 'invalid_type', `token must be a string, got ${typeName(token)}`);
  const rule = `token must be 1 to ${MAX_TOKEN} characters of printable ASCII without spaces (! to ~)`;
  if (token.length < 1 || token.length > MAX_TOKEN) throw badArgument(`${rule}, got ${token.length} characters`);
  const at = token.search(/[^\x21-\x7e]/);
  if (at >= 0) throw badArgument(`${rule}, got another character at character ${at}`);
  return token;
}

/**
 * `answer[key]`, a u64 as a decimal string.
 * @param {Record<string, unknown>} answer @param {string} key
 */
function counter(answer, key) {
  const v = answer[key];
  if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v) || BigInt(v) > U64_MAX) {
    throw new Error(`${key} must be a decimal string of a u64, got ${String(JSON.stringify(v)).slice(0, 40)}`);
  }
  return BigInt(v);
}

/**
 * The body, at most `MAX_ANSWER_BYTES` (null past it: the rest is not read).
 * @param {Response} response
 */
async function body(response) {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** @param {string} text */
function json(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A segment source leasing ranges from idloom-server's
 * `POST {url}/v1/segment/{tag}/lease?step=N`, for `new Segment(source, …)`.
 * `url` is the server's base URL (`http://host:port`, or `https://`, a path
 * prefix allowed); `tag` the segment's tag, by the core's `biz_tag` rules,
 * percent-encoded into the path. Arguments are checked here, each with a
 * typed error naming it.
 *
 * A refusal is thrown as its code with the server's message (`unauthorized`,
 * `not_found`, `invalid_argument`, `store_unavailable`, …); no answer within
 * `timeoutMs`, a connection refused, or an answer outside the contract is
 * `store_unavailable` saying what was wrong. A call whose kept connection the
 * server had closed is sent once more on a new one: that may cost the range
 * the first request leased (a gap in the IDs, never a repeat).
 * @param {string} url
 * @param {string} tag
 * @param {RemoteSourceOptions} [options]
 * @returns {RemoteSource}
 */
export function remoteSource(url, tag, options = {}) {
  const base = checkUrl(url);
  const bizTag = checkTag(tag);
  if (options === null || typeof options !== 'object') throw codeError(TypeError, 'invalid_type', `options must be an object, got ${typeName(options)}`);
  const token = checkToken(options.token);
  const timeoutMs = small(options.timeoutMs ?? 5000, 'timeoutMs', 1, LIMITS.maxTtlMs);
  const endpoint = `${base}/v1/segment/${encodeURIComponent(bizTag)}/lease?step=`;
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  /** @param {string} what */
  const unavailable = (what) => codeError(Error, 'store_unavailable', `idloom-server ${url} (tag ${bizTag}): ${what}`);

  /**
   * @param {unknown} step
   * @returns {Promise<{ start: bigint, end: bigint }>}
   */
  async function source(step) {
    const n = small(step, 'step', 1, LIMITS.maxStep);
    const signal = AbortSignal.timeout(timeoutMs); // one deadline for the call, a second try and the body included
    let status, text;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(endpoint + n, { method: 'POST', headers, signal });
        status = response.status;
        text = await body(response);
        break;
      } catch (e) {
        if (signal.aborted) throw unavailable(`no answer within ${timeoutMs} ms (timeoutMs)`);
        const cause = /** @type {any} */ (e)?.cause;
        if (attempt === 1 && DROPPED.has(cause?.code)) continue; // the kept connection was closed: once more
        throw unavailable(`no answer: ${cause?.code ? `${cause.code}: ` : ''}${cause?.message ?? /** @type {Error} */ (e)?.message}`);
      }
    }
    if (text === null) throw unavailable(`a malformed answer: HTTP ${status} with a body over ${MAX_ANSWER_BYTES} bytes`);
    const answer = json(text);
    const isObject = answer !== null && typeof answer === 'object' && !Array.isArray(answer);
    if (status !== 200) {
      const code = isObject ? answer.code : undefined;
      const known = typeof code === 'string' && native.errorCodes().some((/** @type {[string, boolean]} */ [c]) => c === code);
      if (known && typeof answer.message === 'string') throw idloomError(/** @type {ErrorCode} */ (code), answer.message);
      throw unavailable(`HTTP ${status} without an idloom error: ${JSON.stringify(text.slice(0, 200))}`);
    }
    try {
      if (!isObject) throw new Error(`the body is not a JSON object: ${JSON.stringify(text.slice(0, 200))}`);
      const start = counter(answer, 'start');
      const end = counter(answer, 'end');
      if (end - start !== BigInt(n)) throw new Error(`the range [${start}, ${end}) is not the ${n} counters asked for`);
      return { start, end };
    } catch (e) {
      throw unavailable(`a malformed answer: ${/** @type {Error} */ (e).message}`);
    }
  }
  return Object.assign(source, { bizTag, url });
}
