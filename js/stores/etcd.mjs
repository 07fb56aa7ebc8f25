// etcd (v3 API) over an etcd3 `Etcd3` client: the core's calls
// (stores/kv.mjs) on keys changed by transactions compared on
// `mod_revision`, a node held while its holder's liveness key (under an etcd
// lease of the namespace's TTL) lives (docs/COORDINATION.md, "ZooKeeper and
// etcd"; the Rust engine stores/src/etcd.rs is the reference for each
// primitive). The low-level clients (`kv.range`/`txn`,
// `leaseClient.leaseGrant`/`leaseRevoke`) because the high-level API hides the
// response header (cluster ID, revision) and the compares.
import { native } from '../native.mjs';
import { _idloomError as idloomError, codeOf } from '../errors.mjs';
import { int, str } from '../args.mjs';
import { detail } from './common.mjs';
import { KvStore } from './kv.mjs';
import { driver } from './url.mjs';

/** etcd3's error classes → the gRPC status names of the core's ETCD table (failure.rs); any other status is refused as not ours. */
const STATUS = /** @type {Record<string, string>} */ ({
  GRPCCancelledError: 'Cancelled',
  GRPCUnknownError: 'Unknown',
  GRPCInvalidArgumentError: 'InvalidArgument',
  GRPCDeadlineExceededError: 'DeadlineExceeded',
  GRPCNotFoundError: 'NotFound',
  GRPCAlreadyExistsError: 'AlreadyExists',
  GRPCResourceExhastedError: 'ResourceExhausted',
  GRPCFailedPreconditionError: 'FailedPrecondition',
  GRPCAbortedError: 'Aborted',
  GRPCNotImplementedError: 'Unimplemented',
  GRPCOutOfRangeError: 'OutOfRange',
  GRPCDataLossError: 'DataLoss',
  GRPCUnavailableError: 'Unavailable',
  GRPCUnauthenticatedError: 'Unauthenticated',
  GRPCInternalError: 'Internal',
  EtcdPermissionDeniedError: 'PermissionDenied',
  EtcdAuthenticationFailedError: 'Unauthenticated',
  EtcdInvalidAuthTokenError: 'Unauthenticated',
});

/** A policy that runs a call once: a request that got no answer may have landed, so the core decides, never a blind retry. */
const ONCE = { execute: (/** @type {(context: any) => any} */ fn) => fn({ signal: new AbortController().signal, attempt: 0 }) };

/** @param {string} s */
const bytes = (s) => Buffer.from(s, 'utf8');

/**
 * The end of the range of keys starting with `prefix` (its last byte below
 * 0xff raised by one, the bytes after dropped).
 * @param {string} prefix
 */
function prefixEnd(prefix) {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i -= 1) {
    if (b[i] < 0xff) {
      b[i] += 1;
      return b.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key
}

/**
 * etcd over an etcd3 `Etcd3` client. The store's identity is its cluster ID
 * and this handle's watch on its revision (a restore that kept the cluster
 * ID shows as a revision going back); the clock is the caller's. Every call
 * has a deadline (`callTimeoutMs`): a server down or hanging is
 * `store_unavailable`, never a wait without end.
 */
export class EtcdStore extends KvStore {
  get engine() {
    return /** @type {const} */ ('etcd');
  }

  /** @type {any} */ #client;
  /** @type {number} */ #callTimeoutMs;
  /** The core's watch on the revisions this handle saw (one per handle). @type {any} */ #revisions = new native.Revisions();
  #owned = false;

  /**
   * @param {any} client an etcd3 `Etcd3`
   * @param {{ callTimeoutMs?: number }} [options] the deadline of each call (default: the core's, 5,000 ms)
   */
  constructor(client, options = {}) {
    super();
    if (client === null || typeof client !== 'object' || typeof client.kv?.txn !== 'function' || typeof client.leaseClient?.leaseGrant !== 'function') {
      throw idloomError('invalid_type', 'EtcdStore needs an etcd3 Etcd3 client');
    }
    this.#client = client;
    this.#callTimeoutMs = options.callTimeoutMs === undefined ? native.storeKvUrl('etcd://127.0.0.1:1').callTimeoutMs : int(options.callTimeoutMs, 'callTimeoutMs', 1, 3_600_000);
  }

  /**
   * A store over a new client for `url`: `etcd://host:port[,host:port…][?call_timeout_ms=N]`
   * (the `etcd3` package must be installed). Calls are sent once (no
   * retries of the client's own: the core decides after a call that got no
   * answer). `close()` closes the client.
   * @param {string} url
   */
  static async fromUrl(url) {
    const parts = native.storeKvUrl(str(url, 'url'));
    if (parts.engine !== 'etcd') throw idloomError('invalid_argument', 'url must start with etcd://');
    const { Etcd3 } = await driver('etcd3');
    const timeout = parts.callTimeoutMs;
    const client = new Etcd3({
      hosts: parts.hosts.map((/** @type {string} */ h) => `http://${h}`),
      dialTimeout: timeout,
      defaultCallOptions: () => ({ deadline: Date.now() + timeout }),
      faultHandling: { global: ONCE, host: () => ONCE },
    });
    const store = new EtcdStore(client, { callTimeoutMs: timeout });
    store.#owned = true;
    return store._showUrl(url);
  }

  /** Close a client `fromUrl` made (a client you gave is yours to close). */
  async close() {
    if (this.#owned) this.#client.close();
  }

  /**
   * Run `f` within the call timeout.
   * @template T @param {string} what @param {() => Promise<T>} f @returns {Promise<T>}
   */
  async #call(what, f) {
    /** @type {ReturnType<typeof setTimeout> | undefined} */ let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer within ${this.#callTimeoutMs} ms`), { timeout: true })), this.#callTimeoutMs);
    });
    try {
      return /** @type {T} */ (await Promise.race([f(), late]));
    } catch (e) {
      throw this._scrub(etcdError(e));
    } finally {
      clearTimeout(timer);
    }
  }

  /** @param {any} kv */
  static #record(kv) {
    return { key: kv.key.toString('utf8'), text: kv.value.toString('utf8'), version: String(kv.mod_revision) };
  }

  /** @param {string} clock */
  async _now(clock) {
    // etcd has no clock to read: the caller's; the identity from a count-only read's header.
    const seenBefore = this.#revisions.seen();
    const r = await this.#call('get', () => this.#client.kv.range({ key: bytes(clock), count_only: true }));
    if (!r?.header) throw native.storeClassify('etcd', 'status', 'DataLoss', 'etcd answered without a response header');
    return { ms: Date.now(), identity: this.#revisions.identity(r.header.cluster_id, seenBefore, r.header.revision) };
  }

  _rollbackHandled() {
    this.#revisions.handled();
  }

  /** @param {string} key */
  async _get(key) {
    const r = await this.#call('get', () => this.#client.kv.range({ key: bytes(key) }));
    const kv = r.kvs?.[0];
    if (kv === undefined) return null;
    const { text, version } = EtcdStore.#record(kv);
    return { text, version };
  }

  /** @param {string} prefix */
  async _list(prefix) {
    const r = await this.#call('get', () => this.#client.kv.range({ key: bytes(prefix), range_end: prefixEnd(prefix) }));
    return (r.kvs ?? []).map((/** @type {any} */ kv) => EtcdStore.#record(kv));
  }

  /** @param {import('./kv.mjs').KvWrite[]} writes */
  async _commit(writes) {
    // The etcd leases of the liveness keys, granted first (a Txn cannot grant one).
    /** @type {string[]} */ const granted = [];
    for (const w of writes) {
      if (w.op === 'live') {
        const lease = await this.#call('lease grant', () => this.#client.leaseClient.leaseGrant({ TTL: w.ttlS, ID: 0 }));
        granted.push(String(lease.ID));
      }
    }
    /** @type {any[]} */ const compare = [];
    /** @type {any[]} */ const success = [];
    let next = 0;
    for (const w of writes) {
      const key = bytes(w.key);
      if (w.op === 'create') {
        compare.push({ key, target: 'Create', result: 'Equal', create_revision: 0 });
        success.push({ request_put: { key, value: bytes(w.text ?? '') } });
      } else if (w.op === 'set') {
        compare.push({ key, target: 'Mod', result: 'Equal', mod_revision: w.version });
        success.push({ request_put: { key, value: bytes(w.text ?? '') } });
      } else if (w.op === 'check') {
        compare.push({ key, target: 'Mod', result: 'Equal', mod_revision: w.version });
      } else if (w.op === 'live') {
        success.push({ request_put: { key, value: bytes(w.text ?? ''), lease: granted[next], prev_kv: true } });
        next += 1;
      } else {
        success.push({ request_delete_range: { key, prev_kv: true } });
      }
    }
    // No answer: the transaction may have been applied, its lease with it (left to run out, never revoked on a guess).
    const r = await this.#call('txn', () => this.#client.kv.txn({ compare, success, failure: [] }));
    if (!r.succeeded) {
      this.#revoke(granted);
      return false;
    }
    // The leases the liveness keys were under before: nothing is left under them.
    /** @type {string[]} */ const replaced = [];
    for (const op of r.responses ?? []) {
      const prev = op.response_put?.prev_kv ? [op.response_put.prev_kv] : (op.response_delete_range?.prev_kvs ?? []);
      for (const kv of prev) {
        const lease = String(kv.lease ?? '0');
        if (lease !== '0' && !granted.includes(lease)) replaced.push(lease);
      }
    }
    this.#revoke(replaced);
    return true;
  }

  /**
   * Revoke etcd leases nobody needs any more, in the background: best effort
   * (an unrevoked lease only runs out by itself; it holds no key).
   * @param {string[]} leases
   */
  #revoke(leases) {
    for (const ID of leases) this.#call('lease revoke', () => this.#client.leaseClient.leaseRevoke({ ID })).catch(() => {});
  }

  async init() {
    // The store answers (and this handle sees its revision): as the Rust engine's init.
    await this._now('/idloom');
  }
}

/**
 * An etcd3 failure, classified by the core by its gRPC status's name (the
 * ETCD table): a call past its deadline as `DeadlineExceeded`; a put under
 * an etcd lease that ran out before its transaction, a closed client or a
 * connection that could not be made as no answer. An idloom error passes through.
 * @param {any} e
 */
function etcdError(e) {
  if (codeOf(e) !== undefined) return e;
  if (e?.timeout === true) return native.storeClassify('etcd', 'status', 'DeadlineExceeded', detail(e));
  const name = e?.constructor?.name;
  if (name === 'EtcdLeaseInvalidError') return native.storeClassify('etcd', 'connection', '', `a liveness key's etcd lease ran out before its transaction: ${detail(e)}`);
  const status = typeof name === 'string' ? STATUS[name] : undefined;
  if (status !== undefined && !(status === 'Unknown' && /connect|transport/i.test(detail(e)))) return native.storeClassify('etcd', 'status', status, detail(e));
  return native.storeClassify('etcd', 'connection', '', detail(e));
}
