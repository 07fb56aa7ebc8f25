// ZooKeeper over a node-zookeeper-client client: the core's calls
// (stores/kv.mjs) on persistent znodes changed by versioned `multi`, the
// store's clock the `mtime` of a znode each lease call writes
// (docs/COORDINATION.md, "ZooKeeper and etcd"; the Rust engine
// stores/src/zookeeper.rs is the reference for each primitive).
import { native } from '../native.mjs';
import { _idloomError as idloomError, codeOf } from '../errors.mjs';
import { input, int, str } from '../args.mjs';
import { detail } from './common.mjs';
import { KvStore } from './kv.mjs';
import { driver } from './url.mjs';

/** node-zookeeper-client's exception names → the core's ZOOKEEPER table's (failure.rs); any other is refused as not ours. */
const NAMES = /** @type {Record<string, string>} */ ({
  CONNECTION_LOSS: 'ConnectionLoss',
  SESSION_EXPIRED: 'SessionExpired',
  OPERATION_TIMEOUT: 'Timeout',
  NO_AUTH: 'NoAuth',
  AUTH_FAILED: 'AuthFailed',
});

/** The empty data of a parent or the clock znode. */
const EMPTY = Buffer.alloc(0);

/**
 * A znode's `mtime` (a jute long: an 8-byte big-endian Buffer, or a number) in ms.
 * @param {any} v @returns {number}
 */
function ms(v) {
  if (typeof v === 'number') return Math.max(0, v);
  if (v && typeof v.readBigInt64BE === 'function') return Math.max(0, Number(v.readBigInt64BE(0)));
  return 0;
}

/** A znode's data as text (not UTF-8: the core refuses the record it does not parse). @param {any} data */
const textOf = (data) => (data ? new TextDecoder().decode(data) : '');

/**
 * ZooKeeper over a node-zookeeper-client `Client` (connected, or connecting:
 * requests wait for the connection within the call timeout). Liveness is a
 * record's expiry on the store's clock, not a session; every call has a
 * deadline (`callTimeoutMs`), so a server that is down or hangs is
 * `store_unavailable`, never a wait without end.
 */
export class ZooKeeperStore extends KvStore {
  get engine() {
    return /** @type {const} */ ('zookeeper');
  }

  /** @type {any} */ #client;
  /** @type {any} */ #zk;
  /** @type {number} */ #callTimeoutMs;
  /** Makes a new client when the session expired (fromUrl's), else null. @type {(() => any) | null} */ #remake = null;
  /** Since when fromUrl's client has been down (ms; a new one: since it was made), or null while connected. @type {number | null} */ #downSince = null;

  /**
   * @param {any} client a node-zookeeper-client `Client` (`createClient(…)`, `connect()` called)
   * @param {{ callTimeoutMs?: number }} [options] the deadline of each call (default: the core's, 5,000 ms)
   */
  constructor(client, options = {}) {
    super();
    if (client === null || typeof client !== 'object' || typeof client.getData !== 'function' || typeof client.transaction !== 'function') {
      throw idloomError('invalid_type', 'ZooKeeperStore needs a node-zookeeper-client Client');
    }
    this.#client = client;
    this.#callTimeoutMs = options.callTimeoutMs === undefined ? defaultTimeout() : int(options.callTimeoutMs, 'callTimeoutMs', 1, 3_600_000);
  }

  /**
   * A store over a new client for `url`:
   * `zookeeper://host:port[,host:port…][/chroot][?session_timeout_ms=N&call_timeout_ms=N]`
   * (the `node-zookeeper-client` package must be installed). It connects in
   * the background; a server that is down makes each call
   * `store_unavailable` after the call timeout. `close()` ends its session.
   * @param {string} url
   */
  static async fromUrl(url) {
    const parts = native.storeKvUrl(str(url, 'url'));
    if (parts.engine !== 'zookeeper') throw idloomError('invalid_argument', 'url must start with zookeeper://');
    const zookeeper = await driver('node-zookeeper-client');
    const zk = zookeeper.default ?? zookeeper;
    const make = () => {
      const c = zk.createClient(parts.connectString, { sessionTimeout: parts.sessionTimeoutMs, spinDelay: 100, retries: 0 });
      c.connect();
      return c;
    };
    const store = new ZooKeeperStore(make(), { callTimeoutMs: parts.callTimeoutMs });
    store.#zk = zk;
    store.#remake = make;
    store.#watch();
    return store._showUrl(url);
  }

  /** Follow fromUrl's client's connection: since when it is down (a new client: until it first connects). */
  #watch() {
    this.#downSince = Date.now();
    const client = this.#client;
    if (client.getState?.()?.name === 'SYNC_CONNECTED') this.#downSince = null;
    client.on('disconnected', () => {
      if (client === this.#client) this.#downSince ??= Date.now();
    });
    client.on('connected', () => {
      if (client === this.#client) this.#downSince = null;
    });
  }

  /** End the session of a client `fromUrl` made (a client you gave is yours to close). */
  async close() {
    if (this.#remake !== null) this.#client.close();
  }

  /** The driver's constants (ACLs, create modes): from its package. @returns {Promise<any>} */
  async #driver() {
    if (this.#zk === undefined) {
      const zookeeper = await driver('node-zookeeper-client');
      this.#zk = zookeeper.default ?? zookeeper;
    }
    return this.#zk;
  }

  /**
   * Run `f(client, callback)` within the call timeout; `ok(err)` says which
   * exceptions are answers (NO_NODE, …), resolved as `{ err }`.
   * @param {string} what @param {(client: any, cb: (err: any, ...rest: any[]) => void) => void} f
   * @param {(err: any) => boolean} [ok]
   * @returns {Promise<{ err: any, values: any[] }>}
   */
  async #call(what, f, ok = () => false) {
    if (this.#remake !== null && (this.#client.getState?.()?.name === 'EXPIRED' || (this.#downSince !== null && Date.now() - this.#downSince > this.#callTimeoutMs))) {
      // The session ended (the server was away longer than its timeout), or the client has
      // tried for longer than a call's deadline to reconnect: a server that came back empty
      // or from an older backup refuses a session that saw later zxids, and the client would
      // retry it for ever. A new session (as the Rust engine makes) reads the store as it is
      // now; what the protocol makes of a store that went back is the core's (its identity by
      // silence). Liveness is never the session's, so a session given up costs nothing.
      this.#client.close();
      this.#client = this.#remake();
      this.#watch();
    }
    /** @type {ReturnType<typeof setTimeout> | undefined} */ let timer;
    try {
      return await new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer within ${this.#callTimeoutMs} ms`), { timeout: true })), this.#callTimeoutMs);
        try {
          f(this.#client, (err, ...values) => (err && !ok(err) ? reject(err) : resolve({ err, values })));
        } catch (e) {
          reject(Object.assign(/** @type {any} */ (e), { refused: true })); // the client refused the request itself
        }
      });
    } catch (e) {
      throw this._scrub(zkError(e));
    } finally {
      clearTimeout(timer);
    }
  }

  /** @param {string[]} keys */
  async _ensure(keys) {
    const zk = await this.#driver();
    for (const key of keys) {
      await this.#call('create', (c, cb) => c.create(key, EMPTY, zk.ACL.OPEN_ACL_UNSAFE, zk.CreateMode.PERSISTENT, cb), (e) => e.name === 'NODE_EXISTS');
    }
  }

  /** @param {string} clock */
  async _now(clock) {
    // The leader stamps a write with its clock: the clock znode's mtime is the store's now.
    const { err, values } = await this.#call('clock', (c, cb) => c.setData(clock, EMPTY, -1, cb), (e) => e.name === 'NO_NODE');
    return err ? null : { ms: ms(values[0].mtime), identity: /** @type {const} */ ({ kind: 'silence' }) };
  }

  /** @param {string} key */
  async _get(key) {
    const { err, values } = await this.#call('get', (c, cb) => c.getData(key, cb), (e) => e.name === 'NO_NODE');
    if (err) return null;
    const [data, stat] = values;
    return { text: textOf(data), version: String(stat.version), writtenMs: ms(stat.mtime) };
  }

  /** @param {string} prefix */
  async _list(prefix) {
    const parent = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    const { err, values } = await this.#call('list', (c, cb) => c.getChildren(parent, cb), (e) => e.name === 'NO_NODE');
    if (err) return [];
    const read = await Promise.all(
      /** @type {string[]} */ (values[0]).map(async (name) => {
        const key = `${parent}/${name}`;
        const got = await this._get(key); // null: deleted between the list and the read
        return got === null ? null : { key, ...got };
      }),
    );
    return /** @type {import('./kv.mjs').KvRecord[]} */ (read.filter((r) => r !== null));
  }

  /** @param {import('./kv.mjs').KvWrite[]} writes */
  async _commit(writes) {
    const zk = await this.#driver();
    const { err } = await this.#call(
      'multi',
      (c, cb) => {
        const t = c.transaction();
        for (const w of writes) {
          const data = Buffer.from(w.text ?? '', 'utf8');
          if (w.op === 'create') t.create(w.key, data, zk.ACL.OPEN_ACL_UNSAFE, zk.CreateMode.PERSISTENT);
          else if (w.op === 'set') versioned(t.setData(w.key, data, Number(w.version)), Number(w.version));
          else if (w.op === 'check') versioned(t.check(w.key, Number(w.version)), Number(w.version));
          else if (w.op === 'delete') t.remove(w.key, -1);
          // No call hands ZooKeeper a store-side lease (its liveness is the record's expiry).
          else throw idloomError('invalid_argument', `zookeeper: a ${w.op} write is not a ZooKeeper write`);
        }
        t.commit(cb);
      },
      (e) => ['BAD_VERSION', 'NODE_EXISTS', 'NO_NODE'].includes(e.name),
    );
    return !err;
  }

  /**
   * IDs from a sequential znode (ZooKeeper's own counter): each call creates
   * `/idloom/sequences:TAG/id-` as a persistent sequential znode and answers
   * its suffix, which the server gives in strictly increasing order (a
   * signed 32-bit counter of the parent: 2^31 IDs per tag). The znode is
   * deleted at once: only the parent's counter is kept.
   * @param {string} bizTag
   * @returns {Promise<number>}
   */
  async nextSequential(bizTag) {
    input('biz_tag', str(bizTag, 'bizTag'), 'bizTag');
    const zk = await this.#driver();
    const parent = `/idloom/sequences:${bizTag}`;
    await this._ensure(['/idloom', parent]);
    const prefix = `${parent}/id-`;
    const { values } = await this.#call('create', (c, cb) => c.create(prefix, EMPTY, zk.ACL.OPEN_ACL_UNSAFE, zk.CreateMode.PERSISTENT_SEQUENTIAL, cb));
    const path = String(values[0]);
    // Best effort: a leftover znode costs space, never an ID.
    await this.#call('delete', (c, cb) => c.remove(path, -1, cb)).catch(() => {});
    const seq = Number(path.slice(prefix.length));
    if (!Number.isInteger(seq) || seq < 0) throw idloomError('invalid_range', `sequence: the counter of ${parent} is past 2147483647 (ZooKeeper's signed 32-bit sequence)`);
    return seq;
  }
}

/**
 * The version the transaction's last operation compares, exactly:
 * node-zookeeper-client's `Transaction.setData`/`check` take `version || -1`,
 * so version 0 (a znode never written since its create) would compare
 * nothing — two swaps of a new counter would both hold (a test found it).
 * @param {any} t the transaction @param {number} version
 */
function versioned(t, version) {
  t.ops[t.ops.length - 1].version = version;
}

/** The core's default call deadline (the one a URL without call_timeout_ms gets). */
const defaultTimeout = () => native.storeKvUrl('zookeeper://127.0.0.1:1').callTimeoutMs;

/**
 * A node-zookeeper-client failure, classified by the core by its name (the
 * ZOOKEEPER table): an exception by its code's name, a call past its
 * deadline as `Timeout`, the client's own failures as a lost connection. An
 * idloom error passes through.
 * @param {any} e
 */
function zkError(e) {
  if (codeOf(e) !== undefined) return e;
  if (e?.timeout === true) return native.storeClassify('zookeeper', 'status', 'Timeout', detail(e));
  if (e?.refused === true) return native.storeClassify('zookeeper', 'status', 'BadArguments', detail(e));
  if (typeof e?.name === 'string' && typeof e?.getCode === 'function') {
    const name = NAMES[e.name] ?? e.name.toLowerCase().replace(/(^|_)([a-z])/g, (/** @type {string} */ _, /** @type {string} */ __, /** @type {string} */ c) => c.toUpperCase());
    return native.storeClassify('zookeeper', 'status', name, detail(e));
  }
  return native.storeClassify('zookeeper', 'status', 'ConnectionLoss', detail(e));
}
