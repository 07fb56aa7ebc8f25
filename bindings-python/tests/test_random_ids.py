"""UUIDs, NanoIDs, encodings, masking and segments from Python."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from thread_support import draws_in_threads

import idloom


def test_uuid4_and_uuid7_are_stdlib_uuids():
    u4, u7 = idloom.uuid4(), idloom.uuid7()
    assert isinstance(u4, uuid.UUID) and isinstance(u7, uuid.UUID)
    assert (u4.version, u7.version) == (4, 7)
    assert u4.variant == uuid.RFC_4122
    assert uuid.UUID(str(u7)) == u7 and hash(uuid.UUID(str(u7))) == hash(u7)
    assert len({idloom.uuid4() for _ in range(10_000)}) == 10_000


def test_uuid7_is_monotonic_across_threads():
    out = draws_in_threads(idloom.uuid7_str, 4, 20_000)
    every = [u for part in out for u in part]
    assert len(set(every)) == len(every)
    for part in out:
        assert part == sorted(part)


def test_fast_paths():
    assert len(idloom.uuid4_str()) == 36 and idloom.uuid7_str()[14] == "7"
    assert len(idloom.uuid4_bytes()) == 16 and uuid.UUID(bytes=idloom.uuid7_bytes()).version == 7
    assert idloom.parse_uuid(str(idloom.NIL_UUID)) == idloom.NIL_UUID
    assert idloom.format_uuid(idloom.MAX_UUID, "simple") == "f" * 32


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_random_state_is_reseeded_after_fork():
    idloom.uuid4()  # seed this thread's generator in the parent
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(w, (" ".join([idloom.uuid4_str(), idloom.uuid7_str(), idloom.nanoid()])).encode())
        finally:
            os._exit(0)
    os.close(w)
    child = os.read(r, 4096).decode().split()
    os.close(r)
    os.waitpid(pid, 0)
    parent = [idloom.uuid4_str(), idloom.uuid7_str(), idloom.nanoid()]
    assert len(child) == 3
    assert child[0] != parent[0] and child[2] != parent[2]
    assert child[1][-12:] != parent[1][-12:], "v7 random tails differ"


def test_nanoid():
    assert len(idloom.nanoid()) == 21 and len(idloom.nanoid(8)) == 8
    gen = idloom.custom_alphabet("abc", 30)
    assert set(gen()) <= set("abc") and len(gen(5)) == 5
    assert len(gen.batch(100)) == 100
    with pytest.raises(idloom.InvalidAlphabetError) as e:
        idloom.custom_alphabet("aa", 5)
    assert e.value.code == "invalid_alphabet" and isinstance(e.value, ValueError)
    with pytest.raises(idloom.InvalidArgumentError):
        idloom.nanoid(0)
    with pytest.raises(idloom.InvalidTypeError):
        idloom.custom_alphabet(123, 5)


def test_encodings_and_mask_bad_input():
    with pytest.raises(idloom.IdOutOfRangeError):
        idloom.encode(-1)
    with pytest.raises(idloom.IdOutOfRangeError):
        idloom.encode(2**64)
    with pytest.raises(idloom.InvalidEncodingError) as e:
        idloom.decode("abc")
    assert str(e.value) == "encoded length must be in 11..=11, got 3"
    with pytest.raises(idloom.InvalidArgumentError):
        idloom.encode(1, "base58")
    with pytest.raises(idloom.InvalidArgumentError):
        idloom.Mask(20, b"short")
    with pytest.raises(idloom.IdOutOfRangeError):
        idloom.Mask(10, bytes(16), version=1).mask(1024)
    with pytest.raises(idloom.InvalidUuidError):
        idloom.parse_uuid("not-a-uuid")


def test_segment_with_a_python_source_and_threads():
    taken: list[tuple[int, int]] = []
    lock = threading.Lock()
    counter = [1]

    def source(step):  # stands in for UPDATE ... SET max_id = max_id + step
        with lock:
            start = counter[0]
            counter[0] += step
            taken.append((start, start + step))
            return start, start + step

    seg = idloom.Segment(source, step=100)
    out = draws_in_threads(seg.next, 4, 5000)
    every = [x for part in out for x in part]
    assert len(set(every)) == 20_000
    assert len(taken) >= 200


def test_segment_errors():
    def broken(step):
        raise ConnectionError("database down")

    seg = idloom.Segment(broken)
    with pytest.raises(ConnectionError):
        seg.next()
    with pytest.raises(idloom.InvalidTypeError):
        idloom.Segment(lambda step: "nope").next()
    overlapping = iter([(1, 11), (5, 15)])
    seg = idloom.Segment(lambda step: next(overlapping), step=10, threshold_percent=100)
    assert [seg.next() for _ in range(10)] == list(range(1, 11))
    with pytest.raises(idloom.InvalidRangeError):
        seg.next()
    shared = idloom.MemorySource(100)
    a, b = idloom.Segment(shared, step=5), idloom.Segment(shared, step=5)
    assert (a.next(), b.next()) == (100, 105)


def test_batches_are_capped_at_a_size_a_process_holds():
    # The same caps as Rust's and JS's (idloom::limits): 2^20 IDs, 2^24 NanoID symbols.
    gen = idloom.custom_alphabet("0123456789abcdef", 1024)
    assert len(gen.batch(16_384)) == 16_384
    with pytest.raises(idloom.IdloomError) as e:
        gen.batch(16_385)
    assert e.value.code == "invalid_argument" and "16777216" in str(e.value)
    with pytest.raises(idloom.IdloomError) as e:
        idloom.Snowflake(node=1).next_batch(2**20 + 1)
    assert e.value.code == "invalid_argument" and "1048576" in str(e.value)
