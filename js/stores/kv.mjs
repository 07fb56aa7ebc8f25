// The one driver of the core's calls on stores of keys changed by
// compare-and-set (ZooKeeper, etcd): native.KvCall decides every read, write,
// retry and pause (idloom::stores::kvcall, the state machine the Rust and
// Python engines drive too); an engine only does what each need asks on its
// client (ensure, now, get, list, commit, rollbackHandled). Like `drive()` in
// stores/src/kv.rs.
import { native } from '../native.mjs';
import { _idloomError as idloomError } from '../errors.mjs';
import { arg, input, str } from '../args.mjs';
import { ProcessStore, grantOf, nodesOf, recordOf } from './common.mjs';
import { checkGuard } from './leaf.mjs';

/** @typedef {import('./store.mjs').Namespace} Namespace */
/**
 * A key's text and version (a decimal string: etcd's revisions are 64-bit),
 * and when it was written on the store's clock (ZooKeeper's `mtime`).
 * @typedef {{ key?: string, text: string, version: string | number, writtenMs?: number }} KvRecord
 */
/** @typedef {{ kind: 'named' | 'rolledBack' | 'silence', name?: string }} KvIdentity */
/** @typedef {{ op: 'create' | 'set' | 'check' | 'live' | 'delete', key: string, text?: string, version?: string, ttlS?: number }} KvWrite */

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A store on ZooKeeper or etcd: every call is a `native.KvCall` driven here;
 * a subclass gives the engine's primitives.
 */
export class KvStore extends ProcessStore {
  /** @returns {'zookeeper' | 'etcd'} */
  get engine() {
    throw idloomError('store_schema', 'not a store');
  }

  /**
   * Create each key (empty) where it is absent, in order (ZooKeeper's parents).
   * @param {string[]} _keys @returns {Promise<void>}
   */
  async _ensure(_keys) {}

  /**
   * The store's clock (ms) and identity; null when ZooKeeper's clock key is missing.
   * @param {string} _clock @returns {Promise<{ ms: number, identity: KvIdentity } | null>}
   */
  async _now(_clock) {
    throw idloomError('store_schema', 'not a store');
  }

  /** A key's record, null when absent. @param {string} _key @returns {Promise<KvRecord | null>} */
  async _get(_key) {
    throw idloomError('store_schema', 'not a store');
  }

  /** Every key below `prefix` with its record (`key` set). @param {string} _prefix @returns {Promise<KvRecord[]>} */
  async _list(_prefix) {
    throw idloomError('store_schema', 'not a store');
  }

  /** Run the batch: false when a compare failed (nothing written). @param {KvWrite[]} _writes @returns {Promise<boolean>} */
  async _commit(_writes) {
    throw idloomError('store_schema', 'not a store');
  }

  /** The floor rose after a rollback (etcd): stop reporting it. */
  _rollbackHandled() {}

  /**
   * Run `call` to its end; its reading (as `native.storeRead` gives).
   * @param {any} call a native.KvCall
   * @returns {Promise<any[]>}
   */
  async _drive(call) {
    let need = call.start();
    for (;;) {
      switch (need.need) {
        case 'finished':
          return need.reading;
        case 'ensure':
          await this._ensure(need.keys);
          need = call.answer({ kind: 'done' });
          break;
        case 'now': {
          const now = await this._now(need.key);
          need = call.answer(now === null ? { kind: 'now' } : { kind: 'now', ms: now.ms, identity: now.identity });
          break;
        }
        case 'get':
          need = call.answer({ kind: 'got', ...nullable('record', await this._get(need.key)) });
          break;
        case 'list':
          need = call.answer({ kind: 'listed', records: await this._list(need.prefix) });
          break;
        case 'commit':
          need = call.answer({ kind: 'committed', ok: await this._commit(need.writes) });
          break;
        case 'rollbackHandled':
          this._rollbackHandled();
          need = call.answer({ kind: 'done' });
          break;
        case 'pause':
          await sleep(Number(need.us) / 1000);
          need = call.answer({ kind: 'done' });
          break;
        default:
          throw idloomError('store_schema', `unknown need ${String(need.need)}`);
      }
    }
  }

  async init() {
    await this._ensure(['/idloom']);
  }

  /** @returns {Promise<Namespace>} */
  async _namespaceInit(/** @type {string} */ ns, /** @type {string} */ record, /** @type {number} */ nodes, /** @type {number} */ ttl, /** @type {number} */ skew, /** @type {boolean} */ fresh) {
    return /** @type {Namespace} */ (recordOf(await this._drive(native.KvCall.createNamespace(this.engine, ns, record, nodes, ttl, skew, fresh))));
  }

  /** @param {string} ns @returns {Promise<Namespace | null>} */
  async _namespaceGet(ns) {
    return recordOf(await this._drive(native.KvCall.namespace(this.engine, ns)));
  }

  /** @param {string} ns @param {string} holder @param {number} proposed */
  async _acquire(ns, holder, proposed) {
    return grantOf(await this._drive(native.KvCall.acquire(this.engine, ns, holder, proposed)));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} proposed */
  async _renew(ns, node, epoch, start, holder, proposed) {
    return grantOf(await this._drive(native.KvCall.renew(this.engine, ns, node, epoch, start, holder, proposed)));
  }

  /** @param {string} ns @param {number} node @param {number} epoch @param {number} start the lease's start, as granted @param {string} holder @param {number} highWater */
  async _release(ns, node, epoch, start, holder, highWater) {
    await this._drive(native.KvCall.release(this.engine, ns, node, epoch, start, holder, highWater));
  }

  /**
   * Every node's holder, epoch, expiry, start and fence.
   * @param {string} namespace
   */
  async status(namespace) {
    const record = await this.namespace(namespace);
    return { record, nodes: nodesOf(await this._drive(native.KvCall.nodes(this.engine, namespace))) };
  }

  /**
   * Create the counter `bizTag` at `floor` if missing (never lowered). A
   * counter here records no store identity: `guard: true` is refused.
   * @param {string} bizTag
   * @param {{ floor: number, step?: number, description?: string, guard?: boolean }} options
   */
  async initSegment(bizTag, options) {
    input('biz_tag', bizTag, 'bizTag');
    const floor = arg('floor', options?.floor);
    const step = arg('counter_step', options.step ?? 1000);
    input('description', options.description ?? '', 'description'); // checked as on every engine; only the counter is kept
    const guard = checkGuard(options.guard);
    await this.init();
    await this._drive(native.KvCall.createCounter(this.engine, bizTag, floor, step, guard));
  }

  /**
   * Where the counter's next range starts (`store_state_lost` if missing); changes nothing.
   * @param {string} bizTag
   * @param {{ table?: string }} [options] (counters are keys here: no table)
   * @returns {Promise<number>}
   */
  async segmentPeek(bizTag, options = {}) {
    if (options.table !== undefined) throw idloomError('invalid_argument', `table: ${this.engine} keeps counters in keys, not a table`);
    const got = await this._get(native.storeKvCounterKey(str(bizTag, 'bizTag')));
    // A missing counter is the core's store_state_lost (as a fetch finds it); a record, the core's reading.
    return got === null ? new native.CasLoop(1).read(null, { bizTag })[1] : native.storeKvCounter(got.text);
  }

  /**
   * `source(step) => Promise<{ start, end }>` by compare-and-set on the
   * counter's version (the core's loop: jittered pauses, bounded rounds); a
   * missing counter is `store_state_lost`.
   * @param {string} bizTag
   */
  segmentSource(bizTag) {
    input('biz_tag', str(bizTag, 'bizTag'), 'bizTag');
    const source = async (/** @type {number} */ step) => {
      const seed = Math.floor(Math.random() * 2 ** 53);
      const [, start, end] = await this._drive(native.KvCall.fetch(this.engine, bizTag, arg('step', step), seed));
      return { start, end };
    };
    return Object.assign(source, { bizTag }); // names a Segment over it in its events
  }
}

/** `{ [name]: value }`, or nothing for null. @param {string} name @param {unknown} value */
const nullable = (name, value) => (value === null ? {} : { [name]: value });
