"""Type-checked (mypy --strict) usage of the public API; also runs as a test module."""

from __future__ import annotations

import datetime
import uuid

import idloom
from idloom.stores import AsyncSegment


def test_typed_usage() -> None:
    gen = idloom.Snowflake(3, idloom.Layout.TWITTER, exhausted="borrow", max_borrow_ms=10)
    first: int = gen.next()
    parts: idloom.Parts = gen.decode(first)
    assert parts.node == 3
    batch: list[int] = gen.next_batch(10)
    assert batch[0] > first
    u: uuid.UUID = idloom.uuid7()
    assert idloom.uuid_timestamp_ms(u) is not None
    ids: idloom.NanoIdGenerator = idloom.custom_alphabet("0123456789", 8)
    assert len(ids()) == 8
    oid: idloom.ObjectId = idloom.ObjectId()
    assert idloom.ObjectId(oid.hex) == idloom.ObjectId.from_bytes(oid.binary) and oid <= idloom.objectid()
    when: datetime.datetime = oid.generation_time
    assert when.tzinfo is not None and oid.seconds > 0 and len(oid.process) == 5
    seg = idloom.Segment(idloom.MemorySource(1), step=10)
    assert seg.next() == 1
    remote = idloom.RemoteSource("http://127.0.0.1:8080", "orders", token="secret", timeout=2.5)
    remote_ids = idloom.Segment(remote, step=100, timeout_ms=1000)  # a RemoteSource is a segment source as typed
    tag: str = remote.biz_tag
    async_remote = idloom.AsyncRemoteSource("http://127.0.0.1:8080", "orders")
    async_ids = AsyncSegment(async_remote, step=100)  # an AsyncRemoteSource is an AsyncSegment's source as typed
    assert remote_ids.background and tag == async_remote.biz_tag and async_ids.remaining == 0
    try:
        idloom.Snowflake(-1)
    except idloom.IdloomError as e:
        code: str = e.code
        assert code == "node_out_of_range"
