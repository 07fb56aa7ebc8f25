"""ObjectId: generation, the hex and byte forms, validation with typed
errors, ordering and hashing, and interop with PyMongo's ``bson.ObjectId``.
bson is not a dependency of idloom: the real one is tested when PyMongo is
installed (scripts/test installs it), and the duck typing (any object with
``.binary``) and ``to_bson`` without bson are tested with a stand-in of its
shape and a stand-in ``bson`` module in ``sys.modules``."""

from __future__ import annotations

import copy
import datetime
import pickle
import sys
import time
import types

import pytest

import idloom
from idloom import ObjectId


class BsonObjectId:
    """Mimics PyMongo's bson.objectid.ObjectId: 12 bytes or 24 hex digits in, ``.binary`` out."""

    def __init__(self, oid: bytes | str) -> None:
        self._id = oid if isinstance(oid, bytes) else bytes.fromhex(oid)
        assert len(self._id) == 12

    @property
    def binary(self) -> bytes:
        return self._id

    def __str__(self) -> str:
        return self._id.hex()


@pytest.fixture
def fake_bson(monkeypatch):
    bson = types.ModuleType("bson")
    objectid = types.ModuleType("bson.objectid")
    objectid.ObjectId = BsonObjectId  # type: ignore[attr-defined]
    bson.objectid = objectid  # type: ignore[attr-defined]
    bson.ObjectId = BsonObjectId  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bson", bson)
    monkeypatch.setitem(sys.modules, "bson.objectid", objectid)
    return bson


def test_objectid_generates_with_the_current_second_and_a_counting_counter():
    before = int(time.time())
    a, b = ObjectId(), idloom.objectid()
    after = int(time.time())
    assert before <= a.seconds <= b.seconds <= after
    assert a.process == b.process and len(a.process) == 5
    assert b.counter == (a.counter + 1) & 0xFFFFFF
    assert a != b and len({a, b}) == 2
    assert a.generation_time == datetime.datetime.fromtimestamp(a.seconds, datetime.timezone.utc)


def test_objectid_hex_and_bytes_round_trip():
    hex_ = "507f1f77bcf86cd799439011"
    oid = ObjectId(hex_)
    assert str(oid) == oid.hex == hex_ and repr(oid) == f"ObjectId('{hex_}')"
    assert oid.binary == bytes(oid) == bytes.fromhex(hex_)
    assert ObjectId(oid.binary) == ObjectId.from_bytes(oid.binary) == ObjectId.from_hex(hex_.upper()) == ObjectId(oid) == oid
    assert (oid.seconds, oid.process, oid.counter) == (1350508407, bytes.fromhex("bcf86cd799"), 0x439011)
    assert oid.generation_time == datetime.datetime(2012, 10, 17, 21, 13, 27, tzinfo=datetime.timezone.utc)
    assert pickle.loads(pickle.dumps(oid)) == oid and copy.deepcopy(oid) == oid


def test_objectid_orders_by_bytes_and_hashes_by_value():
    ids = [ObjectId.from_parts(s, b"\x00" * 5, c) for s, c in [(2, 0), (1, 5), (1, 2)]]
    assert sorted(ids) == [ids[2], ids[1], ids[0]]
    assert ids[2] < ids[1] < ids[0] and ids[0] >= ids[1] and max(ids) == ids[0]
    assert hash(ObjectId(ids[0].hex)) == hash(ids[0]) and {ids[0]: 1}[ObjectId(ids[0].binary)] == 1
    assert ids[0] != ids[0].hex, "no equality across types"


@pytest.mark.parametrize(
    ("call", "code", "cls", "words"),
    [
        (lambda: ObjectId("507f1f77bcf86cd79943901"), "invalid_encoding", idloom.InvalidEncodingError, "oid length"),
        (lambda: ObjectId("507f1f77bcf86cd79943901g"), "invalid_encoding", idloom.InvalidEncodingError, "oid"),
        (lambda: ObjectId.from_hex("zz"), "invalid_encoding", idloom.InvalidEncodingError, "hex length"),
        (lambda: ObjectId.from_hex("x" * 24), "invalid_encoding", idloom.InvalidEncodingError, "hex"),
        (lambda: ObjectId(b"\x00" * 11), "invalid_encoding", idloom.InvalidEncodingError, "oid length"),
        (lambda: ObjectId.from_bytes(b"\x00" * 13), "invalid_encoding", idloom.InvalidEncodingError, "data length"),
        (lambda: ObjectId.from_bytes("00" * 12), "invalid_type", idloom.InvalidTypeError, "data"),
        (lambda: ObjectId.from_hex(b"0" * 24), "invalid_type", idloom.InvalidTypeError, "hex"),
        (lambda: ObjectId(12), "invalid_type", idloom.InvalidTypeError, "oid"),
        (lambda: ObjectId.from_bson("507f1f77bcf86cd799439011"), "invalid_type", idloom.InvalidTypeError, "value"),
        (lambda: ObjectId.from_parts(1 << 32, b"\x00" * 5, 0), "timestamp_out_of_range", idloom.TimestampOutOfRangeError, "seconds"),
        (lambda: ObjectId.from_parts(0, b"\x00" * 4, 0), "invalid_argument", idloom.InvalidArgumentError, "process"),
        (lambda: ObjectId.from_parts(0, b"\x00" * 5, -1), "invalid_argument", idloom.InvalidArgumentError, "counter"),
        (lambda: idloom.ObjectIdGenerator(b"\x00" * 5, 0).next_at((1 << 32) * 1000), "timestamp_out_of_range", idloom.TimestampOutOfRangeError, "now_ms"),
    ],
)
def test_objectid_refuses_bad_input_with_typed_errors(call, code, cls, words):
    with pytest.raises(cls) as e:
        call()
    assert e.value.code == code and words in str(e.value)


def test_objectid_is_valid():
    assert ObjectId.is_valid("507f1f77bcf86cd799439011") and ObjectId.is_valid(b"x" * 12)
    assert ObjectId.is_valid(BsonObjectId(b"x" * 12)) and ObjectId.is_valid(ObjectId())
    for bad in ["507f1f77bcf86cd79943901", "g" * 24, b"x" * 11, 5, None]:
        assert not ObjectId.is_valid(bad)


def test_objectid_from_bson_and_to_bson(fake_bson):
    theirs = BsonObjectId("507f1f77bcf86cd799439011")
    ours = ObjectId.from_bson(theirs)
    assert ours == ObjectId(theirs) and ours.hex == str(theirs)
    back = ours.to_bson()
    assert isinstance(back, BsonObjectId) and back.binary == theirs.binary


def test_objectid_to_bson_without_bson_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "bson", None)
    monkeypatch.setitem(sys.modules, "bson.objectid", None)
    with pytest.raises(ModuleNotFoundError, match="pymongo"):
        ObjectId().to_bson()


def test_objectid_with_pymongo_bson_both_ways():
    real = pytest.importorskip("bson.objectid", reason="PyMongo's bson (scripts/test installs pymongo)")
    theirs = real.ObjectId()
    ours = ObjectId.from_bson(theirs)
    assert ours == ObjectId(theirs) and ours.hex == str(theirs) and ours.binary == theirs.binary
    assert ours.generation_time == theirs.generation_time
    back = ours.to_bson()
    assert type(back) is real.ObjectId and back == theirs
    assert real.ObjectId(ours.binary) == real.ObjectId(str(ours)) == theirs
    mine = ObjectId()
    assert ObjectId.from_bson(mine.to_bson()) == mine
    assert real.ObjectId.is_valid(str(mine)) and mine.to_bson().generation_time == mine.generation_time
