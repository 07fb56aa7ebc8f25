// idloom/stores: node leases and segment ranges on the stores you already
// run, through your own driver objects — a pg Pool or Client (PostgreSQL),
// a mysql2 promise pool (MariaDB/MySQL) and an ioredis or node-redis client
// (Redis). Every statement is one of the core's texts (the same ones the Rust
// and Python tests prove on the real servers); this module only runs them.
// The protocol around them is the core's too (idloom::stores): every answer
// is read by native.storeRead, every driver failure named (SQLSTATE, MySQL
// errno, Redis reply, or no answer) and classified by native.storeClassify,
// every number bounded by native.storeCheckArg, and Leaf's compare-and-set
// loop is native.CasLoop (the lease schedule and the group are
// lib/coord.mjs, shared with idloom-wasm). No driver is imported unless you
// call fromUrl().
import './index.mjs'; // installs the native addon first
import { native } from './native.mjs';
import { _idloomError as idloomError } from './api.mjs';
import { Store, arg, codeOf, input, int, sleep, str } from './coord.mjs';

export { NodeLease, SegmentGroup } from './coord.mjs';

/**
 * An optional driver, imported only here (by a store's fromUrl).
 * @param {string} name
 * @returns {Promise<any>}
 */
const driver = (name) => import(name);

/** @typedef {import('./coord.mjs').Namespace} Namespace */

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
class ProcessStore extends Store {
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
 * The TLS query parameters of a store URL (`ssl-mode`, `ssl-ca`, … for MySQL;
 * `ssl_ca_certs`, … for Redis), and the URL without them for the driver.
 * @param {string} url @param {string[]} names
 * @returns {{ url: string, params: Record<string, string> }}
 */
function tlsParams(url, names) {
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
async function pem(path, param, url) {
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
function fromUrlDriver(url, make) {
  try {
    return make();
  } catch (e) {
    throw idloomError('invalid_argument', native.storeRedact(`url: ${/** @type {any} */ (e)?.message ?? String(e)} (${url})`, url));
  }
}

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
function leafSource(bizTag, mode, calls) {
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
  return source;
}

/**
 * `guard` of `initSegment`: absent (false) or a boolean (`invalid_type` otherwise).
 * @param {unknown} guard @returns {boolean}
 */
function checkGuard(guard) {
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
function checkMode(mode) {
  if (mode !== 'atomic' && mode !== 'cas') throw idloomError('invalid_argument', `mode must be 'atomic' or 'cas', got ${String(mode)}`);
  return mode;
}

/**
 * `source(step) => Promise<{ start, end }>` from a database sequence whose
 * increment is `count × step` (N databases, sequence k starting at
 * `floor + k × step`: Tinyid's remainder and delta), so the ranges of the N
 * sequences never meet. The `Segment`'s step must be the sequence's.
 * @param {string} name @param {number} step @param {() => Promise<number>} nextval
 */
function sequenceSource(name, step, nextval) {
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
function sequenceCreate(text, name, options) {
  if (options === null || typeof options !== 'object') throw idloomError('invalid_type', 'options must be { step, floor, index, count }');
  const step = arg('counter_step', options.step);
  const floor = int(options.floor ?? 0, 'floor', 0, Number.MAX_SAFE_INTEGER); // the core's sequence bound (2^62) is above it
  const count = arg('count', options.count ?? 1);
  // The index depends on the count: the core's sequence numbers check it.
  return native.storeSequenceSql(text, str(name, 'name'), step, floor, int(options.index ?? 0, 'index', 0, Number.MAX_SAFE_INTEGER), count);
}

/**
 * A lease reading (`['grant', node, epoch, start, fence, now]`) as the grant
 * `NodeLease` takes; null for `['refused']` (a renewal the store refused).
 * @param {any[]} r
 */
const grantOf = (r) => (r[0] === 'refused' ? null : { node: r[1], epoch: r[2], startMs: r[3], fenceMs: r[4], storeNowMs: r[5] });

/**
 * A namespace reading (`['namespace', layout, nodes, ttl, skew, floor]`) as
 * its record; null for `['missing']`.
 * @param {any[]} r @returns {Namespace | null}
 */
const recordOf = (r) => (r[0] === 'missing' ? null : { layout: r[1], nodes: r[2], ttlMs: r[3], maxSkewMs: r[4], floorMs: r[5] });

/** What a lease call is about, for the core's messages. @param {string} namespace @param {number} [node] @param {number} [epoch] */
const about = (namespace, node, epoch) => ({ namespace, node, epoch });

/** A driver failure's own text. @param {unknown} e */
const detail = (e) => String(/** @type {any} */ (e)?.message ?? e);

/**
 * PostgreSQL over a pg `Pool` or `Client` (pooling, TLS and timeouts are
 * yours). `table` names the Leaf-compatible segment table (`'leaf_alloc'`
 * for an existing Leaf).
 */
export class PostgresStore extends ProcessStore {
  get engine() {
    return 'postgres';
  }

  /** @type {any} */ #db;
  /** @type {Record<string, string>} */ #sql;
  /** @type {string} */ #table;

  /** @param {any} poolOrClient @param {{ table?: string }} [options] */
  constructor(poolOrClient, options = {}) {
    super();
    if (poolOrClient === null || typeof poolOrClient !== 'object' || typeof poolOrClient.query !== 'function') {
      throw idloomError('invalid_type', 'PostgresStore needs a pg Pool or Client');
    }
    this.#db = poolOrClient;
    this.#sql = native.storeTexts('postgres');
    this.#table = str(options.table ?? 'idloom_alloc', 'table');
    native.storeSegmentSql('', this.#table);
  }

  /**
   * A store over a new pg Pool for `url` (the `pg` package must be installed).
   * TLS: libpq's `sslmode` (`verify-full`, …) and `sslrootcert`, `sslcert`,
   * `sslkey`, which node-postgres reads from the connection string.
   * @param {string} url
   * @param {{ table?: string }} [options]
   */
  static async fromUrl(url, options = {}) {
    const pg = (await driver('pg')).default;
    const pool = fromUrlDriver(str(url, 'url'), () => new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 }));
    // An idle client whose server went away (a restart, a failover) is an
    // 'error' event on the pool, which crashes the process unless someone
    // listens; the pool drops that client and the next query reports the
    // outage as store_unavailable. (The soak's PostgreSQL restarts found it.)
    pool.on('error', () => {});
    return new PostgresStore(pool, options)._showUrl(url);
  }

  /** @param {string | { text: string, rowMode: string }} text (a pg query config too) @param {unknown[]} [args] */
  async _query(text, args = []) {
    try {
      return await this.#db.query(text, args);
    } catch (e) {
      throw this._scrub(pgError(e));
    }
  }

  /**
   * Run `text` and read its answer with the core: the first row's cells in
   * column order (none: null), or `[rows changed]` with `changed`.
   * @param {string} call @param {object | null} subject @param {string} text @param {unknown[]} args @param {boolean} [changed]
   * @returns {Promise<any[]>}
   */
  async _read(call, subject, text, args, changed = false) {
    const r = await this._query({ text, rowMode: 'array' }, args);
    return native.storeRead('postgres', call, subject, changed ? [r.rowCount ?? 0] : (r.rows[0] ?? null));
  }

  async init() {
    await this._query(this.#sql.SCHEMA);
    await this._read('schema_version', null, this.#sql.SCHEMA_VERSION, []);
  }

  /** @returns {Promise<Namespace>} */
  async _namespaceInit(/** @type {string} */ ns, /** @type {string} */ record, /** @type {number} */ nodes, /** @type {number} */ ttl, /** @type {number} */ skew, /** @type {boolean} */ fresh) {
    return /** @type {Namespace} */ (recordOf(await this._read('namespace_init', about(ns), this.#sql.NAMESPACE_INIT, [ns, record, nodes, ttl, skew, fresh])));
  }

  /** @param {string} ns @returns {Promise<Namespace | null>} */
  async _namespaceGet(ns) {
    return recordOf(await this._read('namespace_get', about(ns), this.#sql.NAMESPACE_GET, [ns]));
  }

  /** @param {string} ns @param {string} holder @param {number} proposed */
  async _acquire(ns, holder, proposed) {
    return grantOf(await this._read('acquire', about(ns), this.#sql.ACQUIRE, [ns, holder, proposed]));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {string} holder @param {number} proposed */
  async _renew(ns, node, epoch, holder, proposed) {
    return grantOf(await this._read('renew', about(ns, node, epoch), this.#sql.RENEW, [ns, node, epoch, holder, proposed]));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {string} holder @param {number} highWater */
  async _release(ns, node, epoch, holder, highWater) {
    await this._read('release', about(ns, node, epoch), this.#sql.RELEASE, [ns, node, epoch, holder, highWater]);
  }

  /**
   * Every node's holder, epoch, expiry, start and fence.
   * @param {string} namespace
   */
  async status(namespace) {
    const record = await this.namespace(namespace);
    const r = await this._query(this.#sql.NODES, [namespace]);
    return { record, nodes: r.rows.map((/** @type {any} */ n) => ({ node: n.node, holder: n.holder, epoch: Number(n.epoch), expiresMs: Number(n.expires_ms), startMs: Number(n.start_ms), fenceMs: Number(n.fence_ms) })) };
  }

  /** @param {string} name @param {string | undefined} table */
  #segment(name, table) {
    return native.storeSegmentSql(this.#sql[name], table ?? this.#table);
  }

  /**
   * Create the segment table and the `bizTag` counter at `floor` if missing (never lowered).
   *
   * `guard: true`: the counter records the server's identity
   * (`system_identifier`/timeline, in a `store_identity` column this call
   * adds to the table); every fetch under another identity (a restore from a
   * backup, a promotion) is `store_state_lost` and moves nothing. Calling it
   * again with `guard: true` then raises the counter to `max(max_id, floor)`
   * and records the new identity: give a floor above every ID handed out
   * before. Under the same identity it changes nothing.
   * @param {string} bizTag
   * @param {{ floor: number, step?: number, description?: string, table?: string, guard?: boolean }} options
   */
  async initSegment(bizTag, options) {
    input('biz_tag', bizTag, 'bizTag');
    const floor = arg('floor', options?.floor);
    const step = arg('counter_step', options.step ?? 1000);
    const description = input('description', options.description ?? '', 'description');
    const guard = checkGuard(options.guard);
    await this._query(this.#segment('SEGMENT_SCHEMA', options.table));
    if (guard) await this._query(this.#segment('SEGMENT_GUARD_SCHEMA', options.table));
    await this._query(this.#segment(guard ? 'SEGMENT_INIT_GUARD' : 'SEGMENT_INIT', options.table), [bizTag, floor, step, description]);
  }

  /**
   * Where the counter's next range starts (`store_state_lost` if missing, or
   * guarded under another store identity); changes nothing.
   * @param {string} bizTag
   * @param {{ table?: string }} [options]
   * @returns {Promise<number>}
   */
  async segmentPeek(bizTag, options = {}) {
    const read = this.#segment('SEGMENT_READ', options.table);
    return (await this._read('segment_read', { bizTag }, read, [input('biz_tag', bizTag, 'bizTag')]))[1];
  }

  /**
   * `source(step) => Promise<{ start, end }>` from the Leaf row `bizTag`:
   * `mode: 'atomic'` (one `UPDATE … RETURNING`) or `'cas'` (read, then
   * compare-and-set, at most 16 jittered rounds; `source.retries` counts them).
   * @param {string} bizTag
   * @param {{ mode?: 'atomic' | 'cas', table?: string }} [options]
   */
  segmentSource(bizTag, options = {}) {
    input('biz_tag', bizTag, 'bizTag');
    const mode = checkMode(options.mode ?? 'atomic');
    const [fetch, read, cas] = ['SEGMENT_FETCH', 'SEGMENT_READ', 'SEGMENT_CAS'].map((n) => this.#segment(n, options.table));
    const subject = { bizTag };
    return leafSource(bizTag, mode, {
      atomic: (step) => this._read('segment_fetch', subject, fetch, [bizTag, step]),
      read: () => this._read('segment_read', subject, read, [bizTag]),
      swap: (old, next) => this._read('segment_cas', subject, cas, [bizTag, old, next], true),
    });
  }

  /**
   * Create sequence `name` if missing: ranges of `step` from `floor`; with
   * `count` databases this one is `index` (start `floor + index × step`,
   * increment `count × step`).
   * @param {string} name
   * @param {{ step: number, floor?: number, index?: number, count?: number }} options
   */
  async initSequence(name, options) {
    await this._query(sequenceCreate(this.#sql.SEQUENCE_CREATE, name, options));
  }

  /**
   * `source(step) => Promise<{ start, end }>` by `nextval` (its commit waits
   * for the WAL flush, so a crash cannot hand a range out twice).
   * @param {string} name
   * @param {{ step: number }} options the sequence's step
   */
  sequenceSource(name, options) {
    const fetch = native.storeSegmentSql(this.#sql.SEQUENCE_FETCH, str(name, 'name'));
    const step = arg('counter_step', options?.step);
    return sequenceSource(name, step, async () => Number((await this._query(fetch)).rows[0].nextval));
  }
}

/**
 * A pg failure, classified by the core: a server error (pg's DatabaseError,
 * with a `severity`) by its SQLSTATE, anything else (a refused or broken
 * connection, a timeout) as no answer. An idloom error passes through.
 * @param {any} e
 */
function pgError(e) {
  if (codeOf(e) !== undefined) return e;
  const sqlstate = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
  return native.storeClassify('postgres', sqlstate ? 'sqlstate' : 'connection', sqlstate ? e.code : '', detail(e));
}

/**
 * Redis over an ioredis client or a node-redis (`redis` 4 to 6) client
 * (Sentinel, Cluster, TLS and timeouts are the client's). Store time from
 * `TIME`, identity from `run_id`; a Redis that restarted without its data
 * raises the namespace floor or answers `store_state_lost`, never a silent 0.
 */
export class RedisStore extends ProcessStore {
  get engine() {
    return 'redis';
  }

  /** @type {(script: string, key: string, args: string[]) => Promise<unknown>} */ #eval;
  /** @type {Record<string, string>} */ #lua;

  /**
   * @param {any} client an ioredis client, or a connected node-redis client
   *   (`createClient()`; set `disableOfflineQueue: true` so a command to a
   *   server that is down fails instead of waiting for it)
   */
  constructor(client) {
    super();
    if (client === null || typeof client !== 'object') throw idloomError('invalid_type', 'RedisStore needs an ioredis or node-redis client');
    if ('isOpen' in client && typeof client.sendCommand === 'function') {
      // node-redis: one EVAL through sendCommand (its eval() signature changed
      // between majors). It has no command timeout: a server that accepts and
      // never answers (paused) would hold a renewal forever, so each call
      // gives up after 5 s (store_unavailable; the fence stays).
      this.#eval = (script, key, args) => {
        /** @type {ReturnType<typeof setTimeout> | undefined} */ let timer;
        const late = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer in 5000 ms')), 5000);
          timer.unref();
        });
        return Promise.race([client.sendCommand(['EVAL', script, '1', key, ...args]), late]).finally(() => clearTimeout(timer));
      };
    } else if (typeof client.eval === 'function') {
      this.#eval = (script, key, args) => client.eval(script, 1, key, ...args);
    } else {
      throw idloomError('invalid_type', 'RedisStore needs an ioredis or node-redis client');
    }
    this.#lua = native.storeTexts('redis');
  }

  /**
   * A store over a new client for `url`: ioredis by default, or node-redis
   * with `driver: 'redis'` (that package must be installed). Commands time
   * out after 5 s and are not queued while the server is down. TLS: a
   * `rediss://` URL with redis-py's parameters — `ssl_ca_certs` (a PEM file),
   * `ssl_cert_reqs` (`required`, the default, or `none`), `ssl_check_hostname`.
   * @param {string} url
   * @param {{ driver?: 'ioredis' | 'redis' }} [options]
   */
  static async fromUrl(url, options = {}) {
    str(url, 'url');
    const which = options.driver ?? 'ioredis';
    // rediss:// with redis-py's TLS parameters, so one URL serves Python and Node.
    const { url: plain, params } = tlsParams(url, ['ssl_ca_certs', 'ssl_cert_reqs', 'ssl_check_hostname']);
    const secure = /^rediss:/i.test(url);
    if (!secure && Object.keys(params).length > 0) throw idloomError('invalid_argument', 'ssl_ca_certs, ssl_cert_reqs and ssl_check_hostname need a rediss:// URL');
    const reqs = params.ssl_cert_reqs ?? 'required';
    if (!['required', 'none'].includes(reqs)) throw idloomError('invalid_argument', `ssl_cert_reqs must be 'required' or 'none', got ${reqs}`);
    const tls = secure
      ? {
          rejectUnauthorized: reqs === 'required',
          ...(params.ssl_ca_certs === undefined ? {} : { ca: await pem(params.ssl_ca_certs, 'ssl_ca_certs', url) }),
          ...(params.ssl_check_hostname === 'false' ? { checkServerIdentity: () => undefined } : {}),
        }
      : undefined;
    if (which === 'redis') {
      const { createClient } = await driver('redis');
      let ready = false; // the first connection fails at once; later drops reconnect
      const reconnectStrategy = (/** @type {number} */ retries, /** @type {Error} */ cause) => (ready ? Math.min(50 * retries, 1000) : cause);
      const socket = { connectTimeout: 5000, reconnectStrategy, ...(tls ? { tls: true, ...tls } : {}) };
      const client = fromUrlDriver(url, () => createClient({ url: plain, disableOfflineQueue: true, socket }));
      client.on('ready', () => (ready = true));
      client.on('error', () => {}); // every command rejects while the client reconnects
      try {
        await client.connect();
      } catch (e) {
        throw native.storeClassify('redis', 'connection', '', native.storeRedact(detail(e), url));
      }
      return new RedisStore(client)._showUrl(url);
    }
    if (which !== 'ioredis') throw idloomError('invalid_argument', `driver must be 'ioredis' or 'redis', got ${String(which)}`);
    const Redis = (await driver('ioredis')).default;
    const client = fromUrlDriver(url, () => new Redis(plain, { connectTimeout: 5000, commandTimeout: 5000, maxRetriesPerRequest: 1, ...(tls ? { tls } : {}) }));
    // A server that is down makes every command reject (store_unavailable) while
    // the client reconnects; its 'error' events would only repeat that on stderr.
    client.on('error', () => {});
    return new RedisStore(client)._showUrl(url);
  }

  /** @param {string} name @param {string} key @param {unknown[]} args @returns {Promise<any>} */
  async #run(name, key, ...args) {
    let v;
    try {
      v = await this.#eval(this.#lua[name], key, args.map(String));
    } catch (e) {
      const err = /** @type {any} */ (e);
      // An error reply (ioredis: ReplyError; node-redis: SimpleError / BlobError,
      // an ErrorReply) starts with its class word (LOADING, READONLY, ERR, …);
      // anything else is no answer (a refused or broken connection, a timeout).
      const reply = ['ReplyError', 'SimpleError', 'BlobError', 'ErrorReply'].includes(err?.constructor?.name);
      throw this._scrub(native.storeClassify('redis', reply ? 'reply' : 'connection', reply ? String(err.message) : '', reply ? '' : detail(e)));
    }
    return v;
  }

  /**
   * Run script `name` and read its reply with the core (`call`: the core's name for it).
   * @param {string} call @param {object} subject @param {string} name @param {string} key @param {unknown[]} args
   * @returns {Promise<any[]>}
   */
  async #read(call, subject, name, key, ...args) {
    const v = await this.#run(name, key, ...args);
    return native.storeRead('redis', call, subject, Array.isArray(v) ? v : [v]);
  }

  /** @returns {Promise<Namespace>} */
  async _namespaceInit(/** @type {string} */ ns, /** @type {string} */ record, /** @type {number} */ nodes, /** @type {number} */ ttl, /** @type {number} */ skew, /** @type {boolean} */ fresh) {
    const v = await this.#run('NAMESPACE_INIT', native.storeRedisKey('ns', ns), record, nodes, ttl, skew, fresh ? '1' : '0');
    // The script answers the record itself (HMGET), not {'ok', record} as the core reads it.
    return /** @type {Namespace} */ (recordOf(native.storeRead('redis', 'namespace_init', about(ns), ['ok', ...v])));
  }

  /** @param {string} ns @returns {Promise<Namespace | null>} */
  async _namespaceGet(ns) {
    return recordOf(await this.#read('namespace_get', about(ns), 'NAMESPACE_GET', native.storeRedisKey('ns', ns)));
  }

  /** @param {string} ns @param {string} holder @param {number} proposed */
  async _acquire(ns, holder, proposed) {
    return grantOf(await this.#read('acquire', about(ns), 'ACQUIRE', native.storeRedisKey('ns', ns), holder, proposed));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {string} holder @param {number} proposed */
  async _renew(ns, node, epoch, holder, proposed) {
    return grantOf(await this.#read('renew', about(ns, node, epoch), 'RENEW', native.storeRedisKey('ns', ns), node, epoch, holder, proposed));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {string} holder @param {number} highWater */
  async _release(ns, node, epoch, holder, highWater) {
    await this.#read('release', about(ns, node, epoch), 'RELEASE', native.storeRedisKey('ns', ns), node, epoch, holder, highWater);
  }

  /**
   * Every node's holder, epoch, expiry, start and fence.
   * @param {string} namespace
   */
  async status(namespace) {
    const record = await this.namespace(namespace);
    const nodes = [];
    // A page of at most 1,024 nodes per script call (one call holds every Redis client).
    for (let first = 0; first < record.nodes; ) {
      const v = await this.#run('NODES', native.storeRedisKey('ns', namespace), first);
      // The core reads the head as a release's ('ok', or its refusals): the protocol has no status call.
      native.storeRead('redis', 'release', about(namespace), [v[0]]);
      const r = v.slice(1);
      if (r.length === 0) break;
      for (let i = 0; i < r.length; i += 6) {
        nodes.push({ node: Number(r[i]), holder: String(r[i + 1]), epoch: Number(r[i + 2]), expiresMs: Number(r[i + 3]), startMs: Number(r[i + 4]), fenceMs: Number(r[i + 5]) });
      }
      first = Number(r[r.length - 6]) + 1;
    }
    return { record, nodes };
  }

  /**
   * Create the counter `bizTag` at `floor` if missing (never lowered). Redis
   * Lua computes in doubles: `floor` must stay below 2^53 - 1 - `step`
   * (default 1000; `invalid_range`), and a fetch from a counter at or past
   * 2^53 - 1 - step is refused the same way.
   *
   * `guard: true`: the counter records the server's `run_id` (key
   * `{idloom:seg:TAG}:run_id`); every fetch under another run_id is
   * `store_state_lost` and moves nothing. `run_id` changes at *every* restart
   * (with AOF or RDB too), a restore and a failover: a guarded counter then
   * needs `initSegment(tag, { floor, guard: true })` again, which raises it to
   * `max(counter, floor)`; give a floor above every ID handed out before.
   * Under the same run_id it changes nothing.
   * @param {string} bizTag
   * @param {{ floor: number, step?: number, description?: string, guard?: boolean }} options
   */
  async initSegment(bizTag, options) {
    const step = arg('counter_step', options?.step ?? 1000);
    // The core's bound (Lua computes in doubles): invalid_range within one step of 2^53 - 1.
    if (typeof options?.floor === 'number' && Number.isInteger(options.floor) && options.floor >= 0) native.storeRedisCounterFloor(options.floor, step);
    const floor = int(options?.floor, 'floor', 0, Number.MAX_SAFE_INTEGER); // below 2^53 - 1 - step (above)
    input('description', options.description ?? '', 'description'); // checked as on every engine; Redis keeps only the counter
    const guard = checkGuard(options.guard);
    const v = await this.#run('SEGMENT_INIT', native.storeRedisKey('counter', str(bizTag, 'bizTag')), floor, guard ? '1' : '0');
    // The script's refusals are tables; done, it answers the counter (a bulk string), not {'ok'} as the core reads it.
    native.storeRead('redis', 'segment_init', { bizTag }, Array.isArray(v) ? v : ['ok']);
  }

  /**
   * Where the counter's next range starts (`store_state_lost` if missing); changes nothing.
   * @param {string} bizTag
   * @param {{ table?: string }} [options] (Redis keeps counters in keys: no table)
   * @returns {Promise<number>}
   */
  async segmentPeek(bizTag, options = {}) {
    if (options.table !== undefined) throw idloomError('invalid_argument', 'table: Redis keeps counters in keys, not a table');
    return (await this.#read('incrby', { bizTag }, 'INCRBY', native.storeRedisKey('counter', str(bizTag, 'bizTag')), 0))[2];
  }

  /**
   * `source(step) => Promise<{ start, end }>` by `INCRBY`; a missing counter is `store_state_lost`.
   * @param {string} bizTag
   */
  segmentSource(bizTag) {
    const key = native.storeRedisKey('counter', str(bizTag, 'bizTag'));
    return async (/** @type {number} */ step) => {
      const [, start, end] = await this.#read('incrby', { bizTag }, 'INCRBY', key, arg('step', step));
      return { start, end };
    };
  }
}

/**
 * MariaDB / MySQL over a `mysql2/promise` pool. MariaDB has no `UPDATE …
 * RETURNING`: a lease call is a short transaction of the core's statements
 * (the namespace row locked first), and an atomic segment fetch reads
 * `LAST_INSERT_ID()` on the same connection. `table` names the
 * Leaf-compatible segment table (`'leaf_alloc'` for an existing Leaf).
 * Every value goes to the server as a parameter of a prepared statement
 * (`execute`), never escaped into the text on the client: mysql2's
 * client-side escaping uses backslashes, which a server with
 * `NO_BACKSLASH_ESCAPES` in its `sql_mode` reads as plain characters.
 */
export class MySQLStore extends ProcessStore {
  get engine() {
    return 'mysql';
  }

  /** @type {any} */ #pool;
  /** @type {Record<string, string>} */ #sql;
  /** @type {string} */ #table;

  /** @param {any} pool a mysql2/promise pool @param {{ table?: string }} [options] */
  constructor(pool, options = {}) {
    super();
    if (pool === null || typeof pool !== 'object' || typeof pool.getConnection !== 'function') {
      throw idloomError('invalid_type', 'MySQLStore needs a mysql2/promise pool');
    }
    this.#pool = pool;
    this.#sql = native.storeTexts('mysql');
    this.#table = str(options.table ?? 'idloom_alloc', 'table');
    native.storeSegmentSql('', this.#table);
  }

  /**
   * A store over a new mysql2 pool for `url` (the `mysql2` package must be installed).
   * TLS as the MySQL client spells it: `?ssl-mode=VERIFY_IDENTITY&ssl-ca=/path/ca.pem`
   * (`REQUIRED`: encrypted, unverified; `VERIFY_CA`: the CA, not the host
   * name; `ssl-ca` alone: `VERIFY_CA`; `PREFERRED` refused), `ssl-cert`/`ssl-key`.
   * @param {string} url `mysql://user:password@host:port/database`
   * @param {{ table?: string }} [options]
   */
  static async fromUrl(url, options = {}) {
    const mysql = await driver('mysql2/promise');
    // TLS as the MySQL client spells it (ssl-mode, ssl-ca, ssl-cert, ssl-key); the core decides the mode.
    const { url: plain, params } = tlsParams(str(url, 'url'), ['ssl-mode', 'ssl-ca', 'ssl-cert', 'ssl-key']);
    /** @type {any} */
    let ssl;
    if (Object.keys(params).length > 0) {
      const mode = native.storeMysqlTls(params['ssl-mode'] ?? null, params['ssl-ca'] !== undefined);
      if (mode !== 'DISABLED') {
        ssl = { rejectUnauthorized: mode !== 'REQUIRED' };
        if (params['ssl-ca'] !== undefined) ssl.ca = await pem(params['ssl-ca'], 'ssl-ca', url);
        if (params['ssl-cert'] !== undefined) ssl.cert = await pem(params['ssl-cert'], 'ssl-cert', url);
        if (params['ssl-key'] !== undefined) ssl.key = await pem(params['ssl-key'], 'ssl-key', url);
        if (mode === 'VERIFY_CA') ssl.checkServerIdentity = () => undefined; // the CA, not the host name
      }
    }
    // FOUND_ROWS: a renewal that changes nothing still counts as found.
    const pool = fromUrlDriver(url, () => mysql.createPool({ uri: plain, connectionLimit: 4, connectTimeout: 5000, flags: ['FOUND_ROWS'], ...(ssl ? { ssl } : {}) }));
    return new MySQLStore(pool, options)._showUrl(url);
  }

  /**
   * Run `body(conn)` in one transaction on one pooled connection; map driver failures.
   * @template T @param {(conn: any) => Promise<T>} body @returns {Promise<T>}
   */
  async _tx(body) {
    let conn;
    try {
      conn = await this.#pool.getConnection();
    } catch (e) {
      throw this._scrub(native.storeClassify('mysql', 'connection', '', detail(e))); // no connection: no answer
    }
    try {
      await conn.beginTransaction();
      const out = await body(conn);
      await conn.commit();
      return out;
    } catch (e) {
      await conn.rollback().catch(() => {});
      throw this._scrub(mysqlError(e));
    } finally {
      conn.release();
    }
  }

  /**
   * Run `text` on connection `c` and read its answer with the core: the first
   * row's cells in column order (none: null), or `[rows changed]` with `changed`.
   * @param {any} c @param {string} call @param {object | null} subject @param {string} text @param {unknown[]} args @param {boolean} [changed]
   * @returns {Promise<any[]>}
   */
  static async #read(c, call, subject, text, args, changed = false) {
    const [r] = await c.execute({ sql: text, rowsAsArray: true }, args);
    return native.storeRead('mysql', call, subject, changed ? [r.affectedRows] : (r[0] ?? null));
  }

  async init() {
    const statements = this.#sql.SCHEMA.split(';\n').map((t) => t.trim()).filter((t) => t.split('\n').some((l) => l.trim() && !l.trim().startsWith('--')));
    await this._tx(async (c) => {
      for (const st of statements) await c.query(st);
      await MySQLStore.#read(c, 'schema_version', null, this.#sql.SCHEMA_VERSION, []);
    });
  }

  /** @returns {Promise<Namespace>} */
  async _namespaceInit(/** @type {string} */ ns, /** @type {string} */ record, /** @type {number} */ nodes, /** @type {number} */ ttl, /** @type {number} */ skew, /** @type {boolean} */ fresh) {
    return this._tx(async (c) => {
      await c.execute(this.#sql.NAMESPACE_INIT, [ns, record, nodes, ttl, skew, fresh ? 1 : 0, ttl, skew]);
      const got = /** @type {Namespace} */ (recordOf(await MySQLStore.#read(c, 'namespace_init', about(ns), this.#sql.NAMESPACE_GET, [ns])));
      if (got.layout === record && got.nodes === nodes) {
        // The rows are made together: once the last exists, all do. Else 1,000 per statement.
        const [last] = await c.execute(this.#sql.NODE_GET, [ns, nodes - 1]);
        if (last.length === 0) {
          for (let first = 0; first < nodes; first += 1000) await c.execute(this.#sql.NODE_ROWS, [ns, first, first, Math.min(first + 1000, nodes)]);
        }
      }
      return got;
    });
  }

  /** @param {string} ns @returns {Promise<Namespace | null>} */
  async _namespaceGet(ns) {
    return this._tx(async (c) => recordOf(await MySQLStore.#read(c, 'namespace_get', about(ns), this.#sql.NAMESPACE_GET, [ns])));
  }

  /** @param {string} ns @param {string} holder @param {number} proposed */
  async _acquire(ns, holder, proposed) {
    const sql = this.#sql;
    return this._tx(async (c) => {
      const [, ttl, floor, storeNow] = await MySQLStore.#read(c, 'acquire_lock', about(ns), sql.NAMESPACE_LOCK, [ns]);
      const [, node] = await MySQLStore.#read(c, 'acquire_pick', about(ns), sql.ACQUIRE_PICK, [ns, holder, storeNow, ns, storeNow]);
      await c.execute(sql.ACQUIRE_TAKE, [holder, storeNow + ttl, floor, proposed, ns, node]);
      const [, epoch, startMs, fenceMs] = await MySQLStore.#read(c, 'node_get', about(ns, node), sql.NODE_GET, [ns, node]);
      return { node, epoch, startMs, fenceMs, storeNowMs: storeNow };
    });
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {string} holder @param {number} proposed */
  async _renew(ns, node, epoch, holder, proposed) {
    const sql = this.#sql;
    const subject = about(ns, node, epoch);
    return this._tx(async (c) => {
      const lock = await MySQLStore.#read(c, 'renew_lock', subject, sql.NAMESPACE_LOCK, [ns]);
      if (lock[0] === 'refused') return null;
      const [, ttl, , storeNow] = lock;
      const renewed = await MySQLStore.#read(c, 'renew', subject, sql.RENEW, [storeNow + ttl, proposed, ns, node, epoch, holder], true);
      if (renewed[0] === 'refused') return null;
      const [, got, startMs, fenceMs] = await MySQLStore.#read(c, 'node_get', subject, sql.NODE_GET, [ns, node]);
      return { node, epoch: got, startMs, fenceMs, storeNowMs: storeNow };
    });
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {string} holder @param {number} highWater */
  async _release(ns, node, epoch, holder, highWater) {
    await this._tx((c) => MySQLStore.#read(c, 'release', about(ns, node, epoch), this.#sql.RELEASE, [highWater, ns, node, epoch, holder], true));
  }

  /**
   * Every node's holder, epoch, expiry, start and fence.
   * @param {string} namespace
   */
  async status(namespace) {
    const record = await this.namespace(namespace);
    const [rows] = await this._tx((c) => c.execute(this.#sql.NODES, [namespace]));
    return { record, nodes: rows.map((/** @type {any} */ n) => ({ node: Number(n.node), holder: n.holder, epoch: Number(n.epoch), expiresMs: Number(n.expires_ms), startMs: Number(n.start_ms), fenceMs: Number(n.fence_ms) })) };
  }

  /** @param {string} name @param {string | undefined} table */
  #segment(name, table) {
    return native.storeSegmentSql(this.#sql[name], table ?? this.#table);
  }

  /**
   * Create the segment table and the `bizTag` counter at `floor` if missing (never lowered).
   * `guard: true` is refused: MariaDB/MySQL has no store identity its statements can read.
   * @param {string} bizTag
   * @param {{ floor: number, step?: number, description?: string, table?: string, guard?: boolean }} options
   */
  async initSegment(bizTag, options) {
    input('biz_tag', bizTag, 'bizTag');
    // MariaDB/MySQL has no store identity its statements can read: no guard (never silently ignored).
    if (options?.guard !== undefined && options.guard !== false) throw idloomError('invalid_argument', `guard: ${guardRefused()}`);
    const floor = arg('floor', options?.floor);
    const step = arg('counter_step', options.step ?? 1000);
    const description = input('description', options.description ?? '', 'description');
    await this._tx(async (c) => {
      await c.query(this.#segment('SEGMENT_SCHEMA', options.table));
      await c.execute(this.#segment('SEGMENT_INIT', options.table), [bizTag, floor, step, description]);
    });
  }

  /**
   * Where the counter's next range starts (`store_state_lost` if missing); changes nothing.
   * @param {string} bizTag
   * @param {{ table?: string }} [options]
   * @returns {Promise<number>}
   */
  async segmentPeek(bizTag, options = {}) {
    const read = this.#segment('SEGMENT_READ', options.table);
    input('biz_tag', bizTag, 'bizTag');
    return (await this._tx((c) => MySQLStore.#read(c, 'segment_read', { bizTag }, read, [bizTag])))[1];
  }

  /**
   * `source(step) => Promise<{ start, end }>` from the Leaf row `bizTag`:
   * `mode: 'atomic'` (`LAST_INSERT_ID(max_id + step)` on one connection) or
   * `'cas'` (read, then compare-and-set; `source.retries` counts lost rounds).
   * @param {string} bizTag
   * @param {{ mode?: 'atomic' | 'cas', table?: string }} [options]
   */
  segmentSource(bizTag, options = {}) {
    input('biz_tag', bizTag, 'bizTag');
    const mode = checkMode(options.mode ?? 'atomic');
    const [fetch, read, cas] = ['SEGMENT_FETCH', 'SEGMENT_READ', 'SEGMENT_CAS'].map((n) => this.#segment(n, options.table));
    const lastId = this.#sql.LAST_ID;
    const subject = { bizTag };
    return leafSource(bizTag, mode, {
      atomic: (step) =>
        this._tx(async (c) => {
          // One statement moves the counter; LAST_INSERT_ID() on the same connection is its end.
          const [r] = await c.execute(fetch, [step, bizTag]);
          if (r.affectedRows === 0) return native.storeRead('mysql', 'segment_fetch', subject, null);
          const [rows] = await c.query({ sql: lastId, rowsAsArray: true });
          const end = BigInt(rows[0][0]);
          return native.storeRead('mysql', 'segment_fetch', subject, [end - BigInt(step), end]);
        }),
      read: () => this._tx((c) => MySQLStore.#read(c, 'segment_read', subject, read, [bizTag])),
      swap: (old, next) => this._tx((c) => MySQLStore.#read(c, 'segment_cas', subject, cas, [next, bizTag, old], true)),
    });
  }

  /**
   * Create MariaDB sequence `name` if missing (`CACHE 0`): ranges of `step`
   * from `floor`; with `count` databases this one is `index`.
   * @param {string} name
   * @param {{ step: number, floor?: number, index?: number, count?: number }} options
   */
  async initSequence(name, options) {
    const create = sequenceCreate(this.#sql.SEQUENCE_CREATE, name, options);
    await this._tx((c) => c.query(create));
  }

  /**
   * `source(step) => Promise<{ start, end }>` by `NEXTVAL`.
   * @param {string} name
   * @param {{ step: number }} options the sequence's step
   */
  sequenceSource(name, options) {
    const fetch = native.storeSegmentSql(this.#sql.SEQUENCE_FETCH, str(name, 'name'));
    const step = arg('counter_step', options?.step);
    return sequenceSource(name, step, () => this._tx(async (c) => Number(Object.values((await c.query(fetch))[0][0])[0])));
  }

  /**
   * Create a Flickr ticket table if missing (one row per stub; the
   * auto-increment is the counter).
   * @param {string} table
   */
  async initTickets(table) {
    const schema = native.storeSegmentSql(this.#sql.TICKET_SCHEMA, str(table, 'table'));
    await this._tx((c) => c.query(schema));
  }

  /**
   * Flickr tickets: `source(step) => Promise<{ start: t, end: t + 1 }>`, one
   * ticket per call (the `Segment` asks again when it runs out). With
   * `servers` ticket servers this one hands out `t ≡ index (mod servers)`
   * (`auto_increment_increment` and `_offset` set on the connection for each
   * call). `replace: true` uses Flickr's `REPLACE INTO`, which deadlocks
   * under concurrency on InnoDB.
   * @param {string} table
   * @param {{ servers?: number, index?: number, replace?: boolean }} [options]
   */
  ticketSource(table, options = {}) {
    const servers = /** @type {number} */ (arg('servers', options.servers ?? 1));
    const index = int(options.index ?? 1, 'index', 1, servers);
    const replace = options.replace ?? false;
    if (typeof replace !== 'boolean') throw idloomError('invalid_type', `replace must be a boolean, got ${typeof replace}`);
    const insert = native.storeSegmentSql(this.#sql[replace ? 'TICKET_REPLACE' : 'TICKET_NEXT'], str(table, 'table'));
    const session = `SET SESSION auto_increment_increment = ${servers}, auto_increment_offset = ${index}`;
    const lastId = this.#sql.LAST_ID;
    return async (/** @type {number} */ step) => {
      arg('step', step);
      const t = await this._tx(async (c) => {
        await c.query(session);
        await c.execute(insert, ['a']);
        const [rows] = await c.query(lastId);
        return Number(Object.values(rows[0])[0]);
      });
      return { start: t, end: t + 1 };
    };
  }
}

/**
 * A mysql2 failure, classified by the core: a server or client error by its
 * error number; a fatal one (the connection is gone) or one without a number
 * (a refused socket, a lost connection) as no answer. An idloom error passes through.
 * @param {any} e
 */
function mysqlError(e) {
  if (codeOf(e) !== undefined) return e;
  const errno = e?.errno;
  const numbered = Number.isInteger(errno) && errno > 0 && e.fatal !== true;
  return native.storeClassify('mysql', numbered ? 'errno' : 'connection', numbered ? String(errno) : '', detail(e));
}

