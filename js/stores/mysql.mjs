// MariaDB / MySQL over a mysql2 promise pool.
import { native } from '../native.mjs';
import { _idloomError as idloomError, codeOf } from '../errors.mjs';
import { arg, input, int, str } from '../args.mjs';
import { SqlStore } from './sql.mjs';
import { about, detail, nodesOf, recordOf } from './common.mjs';
import { driver, fromUrlDriver, pem, tlsParams } from './url.mjs';
import { checkMode, guardRefused, leafSource } from './leaf.mjs';
import { sequenceCreate, sequenceSource } from './sequences.mjs';

/** @typedef {import('./store.mjs').Namespace} Namespace */
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
export class MySQLStore extends SqlStore {
  /** @type {any} */ #pool;

  /** @param {any} pool a mysql2/promise pool @param {{ table?: string }} [options] */
  constructor(pool, options = {}) {
    super('mysql', pool, 'getConnection', 'MySQLStore needs a mysql2/promise pool', options);
    this.#pool = pool;
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
    const statements = this._sql.SCHEMA.split(';\n').map((t) => t.trim()).filter((t) => t.split('\n').some((l) => l.trim() && !l.trim().startsWith('--')));
    await this._tx(async (c) => {
      for (const st of statements) await c.query(st);
      await MySQLStore.#read(c, 'schema_version', null, this._sql.SCHEMA_VERSION, []);
    });
  }

  /** @returns {Promise<Namespace>} */
  async _namespaceInit(/** @type {string} */ ns, /** @type {string} */ record, /** @type {number} */ nodes, /** @type {number} */ ttl, /** @type {number} */ skew, /** @type {boolean} */ fresh) {
    return this._tx(async (c) => {
      await c.execute(this._sql.NAMESPACE_INIT, [ns, record, nodes, ttl, skew, fresh ? 1 : 0, ttl, skew]);
      const got = /** @type {Namespace} */ (recordOf(await MySQLStore.#read(c, 'namespace_init', about(ns), this._sql.NAMESPACE_GET, [ns])));
      if (got.layout === record && got.nodes === nodes) {
        // The rows are made together: once the last exists, all do. Else 1,000 per statement.
        const [last] = await c.execute(this._sql.NODE_GET, [ns, nodes - 1]);
        if (last.length === 0) {
          for (let first = 0; first < nodes; first += 1000) await c.execute(this._sql.NODE_ROWS, [ns, first, first, Math.min(first + 1000, nodes)]);
        }
      }
      return got;
    });
  }

  /** @param {string} ns @returns {Promise<Namespace | null>} */
  async _namespaceGet(ns) {
    return this._tx(async (c) => recordOf(await MySQLStore.#read(c, 'namespace_get', about(ns), this._sql.NAMESPACE_GET, [ns])));
  }

  /** @param {string} ns @param {string} holder @param {number} proposed */
  async _acquire(ns, holder, proposed) {
    const sql = this._sql;
    return this._tx(async (c) => {
      const [, ttl, floor, storeNow] = await MySQLStore.#read(c, 'acquire_lock', about(ns), sql.NAMESPACE_LOCK, [ns]);
      const [, node] = await MySQLStore.#read(c, 'acquire_pick', about(ns), sql.ACQUIRE_PICK, [ns, holder, storeNow, ns, storeNow]);
      await c.execute(sql.ACQUIRE_TAKE, [holder, storeNow + ttl, floor, proposed, ns, node]);
      const [, epoch, startMs, fenceMs] = await MySQLStore.#read(c, 'node_get', about(ns, node), sql.NODE_GET, [ns, node]);
      return { node, epoch, startMs, fenceMs, storeNowMs: storeNow };
    });
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} proposed */
  async _renew(ns, node, epoch, start, holder, proposed) {
    const sql = this._sql;
    const subject = about(ns, node, epoch);
    return this._tx(async (c) => {
      const lock = await MySQLStore.#read(c, 'renew_lock', subject, sql.NAMESPACE_LOCK, [ns]);
      if (lock[0] === 'refused') return null;
      const [, ttl, , storeNow] = lock;
      const renewed = await MySQLStore.#read(c, 'renew', subject, sql.RENEW, [storeNow + ttl, proposed, ns, node, epoch, holder, start], true);
      if (renewed[0] === 'refused') return null;
      const [, got, startMs, fenceMs] = await MySQLStore.#read(c, 'node_get', subject, sql.NODE_GET, [ns, node]);
      return { node, epoch: got, startMs, fenceMs, storeNowMs: storeNow };
    });
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} highWater */
  async _release(ns, node, epoch, start, holder, highWater) {
    await this._tx((c) => MySQLStore.#read(c, 'release', about(ns, node, epoch), this._sql.RELEASE, [highWater, ns, node, epoch, holder, start], true));
  }

  /**
   * Every node's holder, epoch, expiry, start and fence.
   * @param {string} namespace
   */
  async status(namespace) {
    const record = await this.namespace(namespace);
    const [rows] = await this._tx((c) => c.execute({ sql: this._sql.NODES, rowsAsArray: true }, [namespace]));
    return { record, nodes: rows.flatMap((/** @type {any[]} */ row) => nodesOf(native.storeRead('mysql', 'nodes', about(namespace), row))) };
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
      await c.query(this._segment('SEGMENT_SCHEMA', options.table));
      await c.execute(this._segment('SEGMENT_INIT', options.table), [bizTag, floor, step, description]);
    });
  }

  /**
   * Where the counter's next range starts (`store_state_lost` if missing); changes nothing.
   * @param {string} bizTag
   * @param {{ table?: string }} [options]
   * @returns {Promise<number>}
   */
  async segmentPeek(bizTag, options = {}) {
    const read = this._segment('SEGMENT_READ', options.table);
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
    const [fetch, read, cas] = ['SEGMENT_FETCH', 'SEGMENT_READ', 'SEGMENT_CAS'].map((n) => this._segment(n, options.table));
    const lastId = this._sql.LAST_ID;
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
    const create = sequenceCreate(this._sql.SEQUENCE_CREATE, name, options);
    await this._tx((c) => c.query(create));
  }

  /**
   * `source(step) => Promise<{ start, end }>` by `NEXTVAL`.
   * @param {string} name
   * @param {{ step: number }} options the sequence's step
   */
  sequenceSource(name, options) {
    const fetch = native.storeSegmentSql(this._sql.SEQUENCE_FETCH, str(name, 'name'));
    const step = arg('counter_step', options?.step);
    return sequenceSource(name, step, () => this._tx(async (c) => Number(Object.values((await c.query(fetch))[0][0])[0])));
  }

  /**
   * Create a Flickr ticket table if missing (one row per stub; the
   * auto-increment is the counter).
   * @param {string} table
   */
  async initTickets(table) {
    const schema = native.storeSegmentSql(this._sql.TICKET_SCHEMA, str(table, 'table'));
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
    const insert = native.storeSegmentSql(this._sql[replace ? 'TICKET_REPLACE' : 'TICKET_NEXT'], str(table, 'table'));
    const session = `SET SESSION auto_increment_increment = ${servers}, auto_increment_offset = ${index}`;
    const lastId = this._sql.LAST_ID;
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
