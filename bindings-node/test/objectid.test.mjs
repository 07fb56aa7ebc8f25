// ObjectId: generation, hex and bytes, validation with typed errors, order,
// and interop with js-bson's ObjectId (the `bson` package, which the
// `mongodb` driver re-exports). bson is a devDependency only, for the test
// on the real class; `BsonObjectId` below is a stand-in of its shape (built
// from 24 hex digits or 12 bytes, `id`, `toHexString()`, reading another
// ObjectId through `toHexString()`) for the duck-typed paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ObjectId as RealBsonObjectId } from 'bson';
import { idloom } from './impl.mjs';

const { ObjectId, objectId } = idloom;

class BsonObjectId {
  #bytes;
  constructor(inputId) {
    if (typeof inputId === 'string' && /^[0-9a-fA-F]{24}$/.test(inputId)) this.#bytes = new Uint8Array(Buffer.from(inputId, 'hex'));
    else if (inputId instanceof Uint8Array && inputId.length === 12) this.#bytes = inputId.slice();
    else if (typeof inputId?.toHexString === 'function') this.#bytes = new Uint8Array(Buffer.from(inputId.toHexString(), 'hex'));
    else throw new TypeError('input must be a 24 character hex string, 12 byte Uint8Array, or an integer');
  }
  get id() {
    return this.#bytes.slice();
  }
  toHexString() {
    return Buffer.from(this.#bytes).toString('hex');
  }
}

test('ObjectId: new ones carry this second, one process and a counting counter', () => {
  const before = Math.floor(Date.now() / 1000);
  const a = new ObjectId();
  const b = new ObjectId(objectId());
  const after = Math.floor(Date.now() / 1000);
  assert.ok(before <= a.seconds && a.seconds <= b.seconds && b.seconds <= after);
  assert.deepEqual(a.process, b.process);
  assert.equal(b.counter, (a.counter + 1) & 0xffffff);
  assert.equal(a.getTimestamp().getTime(), a.seconds * 1000);
  assert.match(objectId(), /^[0-9a-f]{24}$/);
  assert.ok(!a.equals(b) && a.compare(b) === -1);
});

test('ObjectId: hex and bytes both ways', () => {
  const text = '507f1f77bcf86cd799439011';
  const oid = new ObjectId(text);
  assert.equal(oid.toHexString(), text);
  assert.equal(String(oid), text);
  assert.equal(JSON.stringify({ oid }), `{"oid":"${text}"}`);
  assert.equal(inspect(oid), `ObjectId('${text}')`);
  assert.deepEqual(oid.toBytes(), new Uint8Array(Buffer.from(text, 'hex')));
  assert.deepEqual(oid.id, oid.toBytes());
  oid.id[0] = 0; // a copy: the ObjectId does not change
  assert.equal(oid.toHexString(), text);
  for (const same of [ObjectId.fromHexString(text.toUpperCase()), ObjectId.fromBytes(oid.toBytes()), new ObjectId(oid), new ObjectId(Buffer.from(text, 'hex'))]) {
    assert.ok(same.equals(oid) && oid.equals(same.toHexString()));
  }
  assert.deepEqual([oid.seconds, Buffer.from(oid.process).toString('hex'), oid.counter], [1350508407, 'bcf86cd799', 0x439011]);
  assert.equal(oid.getTimestamp().toISOString(), '2012-10-17T21:13:27.000Z');
});

test('ObjectId: ordered by bytes', () => {
  const zero = new Uint8Array(5);
  const ids = [ObjectId.fromParts(2, zero, 0), ObjectId.fromParts(1, zero, 5), ObjectId.fromParts(1, zero, 2), ObjectId.fromParts(0xffffffff, zero, 0)];
  const sorted = [...ids].sort(ObjectId.compare).map(String);
  assert.deepEqual(sorted, [ids[2], ids[1], ids[0], ids[3]].map(String));
  assert.equal(ids[3].seconds, 0xffffffff);
  assert.equal(ObjectId.compare(ids[0], new ObjectId(ids[0])), 0);
});

test('ObjectId: bad input is a typed error naming the parameter', () => {
  const cases = [
    [() => new ObjectId('507f1f77bcf86cd79943901'), RangeError, 'invalid_encoding', /^id length/],
    [() => new ObjectId('507f1f77bcf86cd79943901g'), RangeError, 'invalid_encoding', /^id/],
    [() => ObjectId.fromHexString('zz'), RangeError, 'invalid_encoding', /^hex length/],
    [() => ObjectId.fromHexString('x'.repeat(24)), RangeError, 'invalid_encoding', /^hex/],
    [() => new ObjectId(new Uint8Array(11)), RangeError, 'invalid_encoding', /^id length/],
    [() => ObjectId.fromBytes(new Uint8Array(13)), RangeError, 'invalid_encoding', /^bytes length/],
    [() => ObjectId.fromBytes('00'.repeat(12)), TypeError, 'invalid_type', /^bytes/],
    [() => ObjectId.fromHexString(12), TypeError, 'invalid_type', /^hex/],
    [() => new ObjectId(12), TypeError, 'invalid_type', /^id/],
    [() => ObjectId.fromBson('507f1f77bcf86cd799439011'), TypeError, 'invalid_type', /^value/],
    [() => ObjectId.fromBson({ id: new Uint8Array(3) }), RangeError, 'invalid_encoding', /^value length/],
    [() => ObjectId.fromParts(2 ** 32, new Uint8Array(5), 0), RangeError, 'timestamp_out_of_range', /^seconds/],
    [() => ObjectId.fromParts(0, new Uint8Array(4), 0), RangeError, 'invalid_argument', /^process/],
    [() => ObjectId.fromParts(0, new Uint8Array(5), -1), RangeError, 'invalid_argument', /^counter/],
    [() => new idloom.ObjectIdMachine(new Uint8Array(5), 0).nextAt(2 ** 32 * 1000), RangeError, 'timestamp_out_of_range', /^now_ms/],
    [() => new ObjectId().toBson('bson'), TypeError, 'invalid_type', /^BsonObjectId/],
  ];
  for (const [f, Cls, code, message] of cases) {
    assert.throws(f, (e) => e instanceof Cls && e.code === code && message.test(e.message), String(f));
  }
});

test('ObjectId.isValid', () => {
  for (const good of ['507f1f77bcf86cd799439011', new Uint8Array(12), new ObjectId(), new BsonObjectId('507f1f77bcf86cd799439011')]) assert.ok(ObjectId.isValid(good));
  for (const bad of ['507f1f77bcf86cd79943901', 'g'.repeat(24), new Uint8Array(11), 5, null, undefined, {}]) assert.ok(!ObjectId.isValid(bad));
});

test('ObjectId: from and to js-bson ObjectId (a stand-in of its shape)', () => {
  const theirs = new BsonObjectId('507f1f77bcf86cd799439011');
  const ours = ObjectId.fromBson(theirs);
  assert.equal(ours.toHexString(), theirs.toHexString());
  assert.ok(new ObjectId(theirs).equals(ours) && ours.equals(theirs));
  // only toHexString(), as an ObjectIdLike may be
  assert.ok(ObjectId.fromBson({ toHexString: () => theirs.toHexString() }).equals(ours));
  const back = ours.toBson(BsonObjectId);
  assert.ok(back instanceof BsonObjectId);
  assert.deepEqual(back.id, theirs.id);
  // js-bson's constructor reads ours directly (it has id and toHexString()).
  assert.equal(new BsonObjectId(ours).toHexString(), ours.toHexString());
});

test('ObjectId: from and to the real js-bson ObjectId', () => {
  const theirs = new RealBsonObjectId();
  const ours = ObjectId.fromBson(theirs);
  assert.equal(ours.toHexString(), theirs.toHexString());
  assert.ok(new ObjectId(theirs).equals(ours) && ours.equals(theirs) && theirs.equals(ours));
  assert.equal(ours.getTimestamp().getTime(), theirs.getTimestamp().getTime());
  const back = ours.toBson(RealBsonObjectId);
  assert.ok(back instanceof RealBsonObjectId && back.equals(theirs));
  assert.deepEqual(new Uint8Array(back.id), ours.toBytes());
  // js-bson reads ours directly: its constructor, isValid and equals.
  const mine = new ObjectId();
  assert.equal(new RealBsonObjectId(mine).toHexString(), mine.toHexString());
  assert.ok(RealBsonObjectId.isValid(mine) && RealBsonObjectId.isValid(mine.toHexString()));
  assert.equal(new RealBsonObjectId(mine.toBytes()).toHexString(), String(mine));
  assert.ok(ObjectId.fromBson(mine.toBson(RealBsonObjectId)).equals(mine));
});
