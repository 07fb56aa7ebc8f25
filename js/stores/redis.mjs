// Redis over an ioredis or node-redis client.
import { native } from '../native.mjs';
import { _idloomError as idloomError } from '../errors.mjs';
import { arg, input, int, str } from '../args.mjs';
import { ProcessStore, about, detail, grantOf, nodesOf, recordOf } from './common.mjs';
import { driver, fromUrlDriver, pem, tlsParams } from './url.mjs';
import { checkGuard } from './leaf.mjs';

/** @typedef {import('./store.mjs').Namespace} Namespace */
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
    // The script answers the record itself (HMGET) or a refusal: the core reads both.
    return /** @type {Namespace} */ (recordOf(await this.#read('namespace_init', about(ns), 'NAMESPACE_INIT', native.storeRedisKey('ns', ns), record, nodes, ttl, skew, fresh ? '1' : '0')));
  }

  /** @param {string} ns @returns {Promise<Namespace | null>} */
  async _namespaceGet(ns) {
    return recordOf(await this.#read('namespace_get', about(ns), 'NAMESPACE_GET', native.storeRedisKey('ns', ns)));
  }

  /** @param {string} ns @param {string} holder @param {number} proposed */
  async _acquire(ns, holder, proposed) {
    return grantOf(await this.#read('acquire', about(ns), 'ACQUIRE', native.storeRedisKey('ns', ns), holder, proposed));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} proposed */
  async _renew(ns, node, epoch, start, holder, proposed) {
    return grantOf(await this.#read('renew', about(ns, node, epoch), 'RENEW', native.storeRedisKey('ns', ns), node, epoch, holder, proposed, start));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} highWater */
  async _release(ns, node, epoch, start, holder, highWater) {
    await this.#read('release', about(ns, node, epoch), 'RELEASE', native.storeRedisKey('ns', ns), node, epoch, holder, highWater, start);
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
      const page = nodesOf(await this.#read('nodes', about(namespace), 'NODES', native.storeRedisKey('ns', namespace), first));
      if (page.length === 0) break;
      nodes.push(...page);
      first = page[page.length - 1].node + 1;
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
    // The counter (a bulk string) or a refusal: the core reads both.
    await this.#read('segment_init', { bizTag }, 'SEGMENT_INIT', native.storeRedisKey('counter', str(bizTag, 'bizTag')), floor, guard ? '1' : '0');
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
    const source = async (/** @type {number} */ step) => {
      const [, start, end] = await this.#read('incrby', { bizTag }, 'INCRBY', key, arg('step', step));
      return { start, end };
    };
    return Object.assign(source, { bizTag }); // names a Segment over it in its events
  }
}
