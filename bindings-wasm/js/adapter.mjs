// Adapts the wasm-bindgen exports to the native interface that the shared
// `api.mjs` calls (the napi-rs addon's shape): layout objects become
// positional numbers, wasm classes become objects of functions, arrays
// become the records the API returns. No ID logic lives here.

import { NAMES } from './tables.mjs';

const ORDERS = NAMES.order; // the core's order names; the wasm exports take an index
const spec = (s) => [s.timeBits, s.nodeBits, s.sequenceBits, s.epochMs, s.tickMs, ORDERS.indexOf(s.order)];
const M64 = (1n << 64n) - 1n;

/** @param {any} w the wasm-bindgen module, already initialised */
export function adapt(w) {
  const policy = (o) => [o.backwards, o.maxBackwardsMs, o.exhausted, o.maxBorrowMs, o.sequenceStart, o.seed];
  return {
    layoutPreset(name) {
      const [timeBits, nodeBits, sequenceBits, epochMs, tickMs, order] = w.layoutPreset(name);
      return { timeBits, nodeBits, sequenceBits, epochMs, tickMs, order: ORDERS[order] };
    },
    layoutCheck: (s) => w.layoutCheck(...spec(s)),
    layoutCapacity(s) {
      const [idsPerTick, idsPerSecondPerNode, nodes, runsOutAtMs, js] = w.layoutCapacity(...spec(s));
      return { idsPerTick, idsPerSecondPerNode, nodes, runsOutAtMs, leavesJsSafeAtMs: Number.isNaN(js) ? null : js };
    },
    layoutDecompose(s, id) {
      const [timestampMs, tick, node, sequence] = w.layoutDecompose(...spec(s), id);
      return { timestampMs, tick, node, sequence };
    },
    layoutCompose: (s, ms, node, seq) => w.layoutCompose(...spec(s), ms, node, seq),
    layoutFriendly: (s, id) => w.layoutFriendly(...spec(s), id),
    layoutParseFriendly: (s, text) => w.layoutParseFriendly(...spec(s), text),
    snowflakeCreate(s, node, o) {
      const g = w.snowflakeCreate(...spec(s), node, ...policy(o));
      return {
        next: () => g.next(),
        nextString: () => g.nextString(),
        tryNext: () => g.tryNext(),
        nextBatch: (n) => g.nextBatch(n),
        node: () => g.node(),
        rekey: (n) => g.rekey(n),
      };
    },
    snowflakeMachine(s, node, o) {
      const m = w.snowflakeMachine(...spec(s), node, ...policy(o));
      return { nextAt: (now) => m.nextAt(now), fillAt: (now, n) => m.fillAt(now, n) };
    },
    segmentBuffer(o) {
      // The wasm buffer flags a due fetch in a one-byte array (a safe js_sys write);
      // the shared API wants the Node shape: the ID, or [id] when a fetch is due.
      const signal = new Uint8Array(1);
      const b = w.segmentBuffer(o.step, o.thresholdPercent, o.maxPrefetched, o.stride, o.offset, o.adaptive ? Float64Array.from(o.adaptive) : undefined, signal);
      return {
        next: () => {
          const id = b.next();
          if (signal[0] === 0) return id;
          signal[0] = 0;
          return [id];
        },
        wantsFetch: () => b.wantsFetch(),
        beginFetch: (now) => b.beginFetch(now),
        supply: (start, end) => b.supply(start, end),
        fetchFailed: () => b.fetchFailed(),
        remaining: () => b.remaining(),
      };
    },
    memorySource(start) {
      const m = w.memorySource(start);
      return { take: (step) => [...m.take(step)] };
    },
    v4: w.v4,
    v4Batch: w.v4Batch,
    v7: w.v7,
    validate: w.validate,
    version: w.version,
    parse: w.parse,
    stringify: w.stringify,
    formatUuid: w.formatUuid,
    uuidTimestampMs: w.uuidTimestampMs,
    v4FromBytes: w.v4FromBytes,
    v7FromParts: w.v7FromParts,
    v7Counter: w.v7Counter,
    v7Machine() {
      const m = w.v7Machine();
      return { nextFrom: (now, random) => m.nextFrom(now, random) };
    },
    nanoidGenerate: (alphabet, size) => w.nanoidGenerate(alphabet ?? undefined, size),
    nanoidCheck: w.nanoidCheck,
    nanoidBatch: (alphabet, size, count) => w.nanoidBatch(alphabet ?? undefined, size, count),
    nanoidFromBytes: w.nanoidFromBytes,
    urlAlphabet: w.urlAlphabet,
    objectIdNew: w.objectIdNew,
    objectIdNewHex: w.objectIdNewHex,
    objectIdParse: w.objectIdParse,
    objectIdFromBytes: w.objectIdFromBytes,
    objectIdHex: w.objectIdHex,
    objectIdFromParts: w.objectIdFromParts,
    objectIdMachine(process, counterStart) {
      const m = w.objectIdMachine(process, counterStart);
      return { nextAt: (now) => m.nextAt(now) };
    },
    encode: (value, encoding, bits) => w.encode(value >> 64n, value & M64, encoding, bits),
    decode(text, encoding, bits) {
      const [hi, lo] = w.decode(text, encoding, bits);
      return (hi << 64n) | lo;
    },
    maskCheck: w.maskCheck,
    maskApply: w.maskApply,
    errorCodes: w.errorCodes,
    ...(w.leaseMachine ? coord(w) : {}),
  };
}

/**
 * The coordination half (the `coord` build: idloom-wasm/workers and
 * idloom-wasm/stores), in the napi-rs addon's shape.
 * @param {any} w
 */
function coord(w) {
  const policy = (o) => [o.backwards, o.maxBackwardsMs, o.exhausted, o.maxBorrowMs, o.sequenceStart, o.seed];
  const g = (x) => [x.node, x.epoch, x.startMs, x.fenceMs, x.storeNowMs];
  class LeaseMachine {
    #m;
    constructor(ttlMs, maxSkewMs) {
      this.#m = w.leaseMachine(ttlMs, maxSkewMs);
    }
    beginAcquire(now) { return this.#m.beginAcquire(now); }
    granted(grant, received) { return this.#m.granted(...g(grant), received); }
    beginRenew(now) { return this.#m.beginRenew(now) ?? null; }
    nextRenewalInMs(now) { return this.#m.nextRenewalInMs(now); }
    renewed(grant, received) { return this.#m.renewed(...g(grant), received); }
    renewFailed(code) { return this.#m.renewFailed(code ?? undefined) ?? null; }
    refused() { return this.#m.refused(); }
    release(hw) { return [...this.#m.release(hw ?? undefined)]; }
    snapshot() { return [...this.#m.snapshot()]; }
    get state() { return this.#m.state(); }
    get renewEveryMs() { return this.#m.renewEveryMs(); }
    get ttlMs() { return this.#m.ttlMs(); }
  }
  return {
    LeaseMachine,
    snowflakeLeased(s, node, o) {
      const h = w.snowflakeLeased(...spec(s), node, ...policy(o));
      return {
        next: () => h.next(),
        nextString: () => h.nextString(),
        tryNext: () => h.tryNext(),
        nextBatch: (n) => h.nextBatch(n),
        node: () => h.node(),
        setLease: (start, fence, epoch) => h.setLease(start, fence, epoch),
        extendFence: (fence) => h.extendFence(fence),
        loseLease: () => h.loseLease(),
        stopLease: () => h.stopLease() ?? null,
      };
    },
    leaseStoreNew: w.leaseStoreNew,
    leaseStoreRestore: w.leaseStoreRestore,
    storeCheckNamespace: w.storeCheckNamespace,
    storeCheckInput: w.storeCheckInput,
    storeMysqlTls: (mode, hasCa) => w.storeMysqlTls(mode ?? undefined, hasCa),
    storeRedactUrl: w.storeRedactUrl,
    storeRedact: w.storeRedact,
    storeLayoutRecord: (s) => w.storeLayoutRecord(...spec(s)),
    storeNamespaceNodes: (engine, s, nodes) => w.storeNamespaceNodes(engine, ...spec(s), nodes),
    storeTexts: (engine) => Object.fromEntries(w.storeTexts(engine)),
    storeSegmentSql: w.storeSegmentSql,
    storeSequenceSql: w.storeSequenceSql,
    storeRedisKey: w.storeRedisKey,
    storeRedisCounterFloor: w.storeRedisCounterFloor,
    storeCasPauseUs: w.storeCasPauseUs,
    STORE_CAS_TRIES: w.storeCasTries(),
    // The store protocol: the same names and shapes as the addon's, no translation.
    storeClassify: w.storeClassify,
    storeRead: w.storeRead,
    storeCheckArg: w.storeCheckArg,
    CasLoop: w.CasLoop,
  };
}
