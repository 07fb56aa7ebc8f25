// PostgreSQL over a pg Pool or Client.
import { native } from '../native.mjs';
import { codeOf } from '../errors.mjs';
import { arg, input, str } from '../args.mjs';
import { SqlStore } from './sql.mjs';
import { about, detail, grantOf, nodesOf, recordOf } from './common.mjs';
import { driver, fromUrlDriver } from './url.mjs';
import { checkGuard, checkMode, leafSource } from './leaf.mjs';
import { sequenceCreate, sequenceSource } from './sequences.mjs';

/** @typedef {import('./store.mjs').Namespace} Namespace */
/**
 * PostgreSQL over a pg `Pool` or `Client` (pooling, TLS and timeouts are
 * yours). `table` names the Leaf-compatible segment table (`'leaf_alloc'`
 * for an existing Leaf).
 */
export class PostgresStore extends SqlStore {
  /** @type {any} */ #db;

  /** @param {any} poolOrClient @param {{ table?: string }} [options] */
  constructor(poolOrClient, options = {}) {
    super('postgres', poolOrClient, 'query', 'PostgresStore needs a pg Pool or Client', options);
    this.#db = poolOrClient;
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
   * Run a create text (`CREATE … IF NOT EXISTS`): replicas starting together
   * may still meet on the catalog (the core's create race, `storeCreateRace`),
   * and then the object exists: run it again, `storeCreateTries()` times in all.
   * @param {string} text
   */
  async _create(text) {
    for (let tries = 1; ; tries += 1) {
      try {
        return await this.#db.query(text);
      } catch (e) {
        const race = typeof (/** @type {any} */ (e)?.code) === 'string' && native.storeCreateRace('postgres', /** @type {any} */ (e).code);
        if (!race || tries >= native.storeCreateTries()) throw this._scrub(pgError(e));
      }
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
    await this._create(this._sql.SCHEMA);
    await this._read('schema_version', null, this._sql.SCHEMA_VERSION, []);
  }

  /** @returns {Promise<Namespace>} */
  async _namespaceInit(/** @type {string} */ ns, /** @type {string} */ record, /** @type {number} */ nodes, /** @type {number} */ ttl, /** @type {number} */ skew, /** @type {boolean} */ fresh) {
    return /** @type {Namespace} */ (recordOf(await this._read('namespace_init', about(ns), this._sql.NAMESPACE_INIT, [ns, record, nodes, ttl, skew, fresh])));
  }

  /** @param {string} ns @returns {Promise<Namespace | null>} */
  async _namespaceGet(ns) {
    return recordOf(await this._read('namespace_get', about(ns), this._sql.NAMESPACE_GET, [ns]));
  }

  /** @param {string} ns @param {string} holder @param {number} proposed */
  async _acquire(ns, holder, proposed) {
    return grantOf(await this._read('acquire', about(ns), this._sql.ACQUIRE, [ns, holder, proposed]));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} proposed */
  async _renew(ns, node, epoch, start, holder, proposed) {
    return grantOf(await this._read('renew', about(ns, node, epoch), this._sql.RENEW, [ns, node, epoch, holder, proposed, start]));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} highWater */
  async _release(ns, node, epoch, start, holder, highWater) {
    await this._read('release', about(ns, node, epoch), this._sql.RELEASE, [ns, node, epoch, holder, highWater, start]);
  }

  /**
   * Every node's holder, epoch, expiry, start and fence.
   * @param {string} namespace
   */
  async status(namespace) {
    const record = await this.namespace(namespace);
    const r = await this._query({ text: this._sql.NODES, rowMode: 'array' }, [namespace]);
    return { record, nodes: r.rows.flatMap((/** @type {any[]} */ row) => nodesOf(native.storeRead('postgres', 'nodes', about(namespace), row))) };
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
    await this._create(this._segment('SEGMENT_SCHEMA', options.table));
    if (guard) await this._create(this._segment('SEGMENT_GUARD_SCHEMA', options.table));
    await this._query(this._segment(guard ? 'SEGMENT_INIT_GUARD' : 'SEGMENT_INIT', options.table), [bizTag, floor, step, description]);
  }

  /**
   * Where the counter's next range starts (`store_state_lost` if missing, or
   * guarded under another store identity); changes nothing.
   * @param {string} bizTag
   * @param {{ table?: string }} [options]
   * @returns {Promise<number>}
   */
  async segmentPeek(bizTag, options = {}) {
    const read = this._segment('SEGMENT_READ', options.table);
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
    const [fetch, read, cas] = ['SEGMENT_FETCH', 'SEGMENT_READ', 'SEGMENT_CAS'].map((n) => this._segment(n, options.table));
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
    await this._query(sequenceCreate(this._sql.SEQUENCE_CREATE, name, options));
  }

  /**
   * `source(step) => Promise<{ start, end }>` by `nextval` (its commit waits
   * for the WAL flush, so a crash cannot hand a range out twice).
   * @param {string} name
   * @param {{ step: number }} options the sequence's step
   */
  sequenceSource(name, options) {
    const fetch = native.storeSegmentSql(this._sql.SEQUENCE_FETCH, str(name, 'name'));
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
