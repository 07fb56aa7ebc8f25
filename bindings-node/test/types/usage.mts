// Type-checked by test/types.test.mjs (tsc --noEmit): the declarations
// generated from lib/api.mjs describe the API as ESM users call it.
import { Layout, Snowflake, Segment, MemorySource, Mask, v4, v7, validate, nanoid, customAlphabet, encode, decode, errorCodes, ObjectId, objectId, remoteSource } from 'idloom';
import type { Parts, Capacity, SnowflakeOptions, SegmentSource, IdloomError, RemoteSource, RemoteSourceOptions } from 'idloom';

const options: SnowflakeOptions = { node: 3, layout: 'twitter', backwards: 'logical', exhausted: 'borrow', maxBorrowMs: 50 };
const gen = new Snowflake(options);
const id: bigint = gen.next();
const text: string = gen.nextString();
const batch: BigUint64Array = gen.nextBatch(16);
const parts: Parts = gen.decode(id);
const when: Date = parts.timestamp;
const node: number = gen.node;
for (const x of gen) {
  const y: bigint = x;
  void y;
  break;
}
const cap: Capacity = Layout.preset('sonyflake').capacity();
const custom = new Layout({ timeBits: 41, nodeBits: 10, sequenceBits: 12, epochMs: 1_600_000_000_000 });
const composed: bigint = custom.compose(Date.now(), 1, 0n);

const source: SegmentSource = async (step) => ({ start: 1n, end: 1n + BigInt(step) });
const seg = new Segment(source, { step: 1000, thresholdPercent: 10 });
const fromMemory = new Segment(new MemorySource(1), { adaptive: { min: 100, max: 10_000, targetMs: 60_000 } });
const remoteOptions: RemoteSourceOptions = { token: 'secret', timeoutMs: 2000 };
const remote: RemoteSource = remoteSource('http://127.0.0.1:8080', 'orders', remoteOptions);
const remoteTag: string = remote.bizTag;
const fromServer = new Segment(remote, { step: 100 }); // a RemoteSource is a SegmentSource
// @ts-expect-error the tag is a string
remoteSource('http://127.0.0.1:8080', 7);
// @ts-expect-error timeoutMs, not timeout
remoteSource('http://127.0.0.1:8080', 'orders', { timeout: 5 });
async function leased(): Promise<bigint> {
  const { start, end } = await remote(10);
  return end - start + BigInt(remoteTag.length) + fromServer.next();
}
void leased;
async function drain(): Promise<bigint> {
  await seg.ready();
  return (await seg.nextAsync()) + fromMemory.next();
}

const u: string = v4() + v7();
const ok: boolean = validate(u);
const pin = customAlphabet('0123456789', 6);
const codes: string[] = [nanoid(), pin(), ...pin.batch(3, 4), encode(id, 'base62'), encode(2n ** 100n, 'hex', 128)];
const back: bigint = decode(codes[3], 'base62');
const masked: bigint = new Mask(64, new Uint8Array(16)).mask(id);
const table: { code: string; badInput: boolean }[] = errorCodes();

try {
  new Snowflake({ node: 1024 });
} catch (e) {
  const err = e as IdloomError;
  const code: 'node_out_of_range' | IdloomError['code'] = err.code;
  void code;
}

class TheirObjectId {
  constructor(readonly hex: string) {}
  toHexString(): string {
    return this.hex;
  }
}
const oid = new ObjectId(objectId());
const oidWhen: Date = oid.getTimestamp();
const theirs: TheirObjectId = oid.toBson(TheirObjectId);
const oidBack: ObjectId = ObjectId.fromBson(theirs);
const oidOrder: -1 | 0 | 1 = ObjectId.compare(oid, oidBack);
const oidBytes: Uint8Array = oid.id;
// @ts-expect-error: ObjectIds are built from strings, bytes or ObjectId-likes
new ObjectId(42);

// @ts-expect-error: the node ID is required
new Snowflake({});
// @ts-expect-error: policies are a closed set
new Snowflake({ node: 1, backwards: 'sometimes' });
// @ts-expect-error: ids are bigints, not numbers
const wrong: number = gen.next();

void [text, batch, when, node, cap, composed, drain, ok, back, masked, table, wrong, oidWhen, oidOrder, oidBytes];

// Events: a Segment is an emitter with stats(); hooks and messages in the core's words.
import { addEventHook, removeEventHook, eventMessage, EVENT_KINDS, EVENT_CHANNEL } from 'idloom';
import type { EventFacts, EventHook } from 'idloom';
const named = new Segment(new MemorySource(1), { step: 10, name: 'orders' });
named.on('segment_fetched', (facts: EventFacts) => void facts.amount).on('event', (name: string) => void name);
const counts: Record<string, number> = named.stats();
const hook: EventHook = addEventHook((name, facts, source) => void [name, facts.code, source]);
removeEventHook(hook);
const line: string = eventMessage('lease_lost', { node: 3, fenceMs: 1 });
const level: string = EVENT_KINDS.lease_lost.level;
const channel: string = EVENT_CHANNEL;
void [counts, line, level, channel];
