"""Every public entry point, every parameter, every kind of bad value: the
library answers with an idloom error that has a ``code`` and names the
parameter — never a bare TypeError, OverflowError or UnicodeEncodeError.
Options a policy does not use are validated too."""

from __future__ import annotations

import math

import pytest

import idloom
from idloom import Layout

BAD = [None, -1, 2**64, 2**200, 1.5, math.nan, "x", "\ud800", b"x", object(), True, [], (1, 2, 3)]
LAYOUT = Layout(41, 10, 12, 1_600_000_000_000, 1)  # a layout no other test uses
GEN = idloom.Snowflake(3, LAYOUT)
MASK = idloom.Mask(32, b"0123456789abcdef")
NANO = idloom.custom_alphabet("abc", 5)


def machine(**kw):
    return idloom.SnowflakeMachine(**kw)


def segment(**kw):
    return idloom.Segment(**kw)


# (name, callable, valid keyword arguments). Each parameter in turn gets every bad value.
ENTRY_POINTS = [
    ("Layout", Layout, dict(time_bits=41, node_bits=10, sequence_bits=12, epoch_ms=0, tick_ms=1, order="time_node_sequence")),
    ("Layout.preset", Layout.preset, dict(name="twitter")),
    ("Layout.with_epoch", LAYOUT.with_epoch, dict(epoch_ms=0)),
    ("Layout.compose", LAYOUT.compose, dict(timestamp_ms=1_600_000_000_001, node=1, sequence=1)),
    ("Layout.decompose", LAYOUT.decompose, dict(id=1)),
    ("Layout.friendly", LAYOUT.friendly, dict(id=1)),
    ("Layout.parse_friendly", LAYOUT.parse_friendly, dict(text="20200913122640001-1-1")),
    (
        "Snowflake",
        idloom.Snowflake,
        dict(node=4, layout=LAYOUT, backwards="logical", max_backwards_ms=10, exhausted="wait", max_borrow_ms=10, sequence_start="reset", seed=1, clock="ticker"),
    ),
    ("Snowflake.next_batch", GEN.next_batch, dict(n=1)),
    ("Snowflake.rekey", GEN.rekey, dict(node=3)),
    ("Snowflake.decode", GEN.decode, dict(id=1)),
    ("Snowflake.friendly", GEN.friendly, dict(id=1)),
    (
        "SnowflakeMachine",
        machine,
        dict(node=4, layout=LAYOUT, backwards="wait", max_backwards_ms=10, exhausted="borrow", max_borrow_ms=10, sequence_start="random", seed=1),
    ),
    ("SnowflakeMachine.next_at", idloom.SnowflakeMachine(1).next_at, dict(now_ms=1_700_000_000_000)),
    ("SnowflakeMachine.fill_at", idloom.SnowflakeMachine(1).fill_at, dict(now_ms=1_700_000_000_000, n=2)),
    ("ManualClock", idloom.ManualClock, dict(now_ms=0)),
    ("ManualClock.set", idloom.ManualClock(0).set, dict(now_ms=0)),
    ("ManualClock.advance", idloom.ManualClock(0).advance, dict(ms=0)),
    ("MemorySource", idloom.MemorySource, dict(start=1)),
    ("MemorySource.__call__", idloom.MemorySource(1), dict(step=1)),
    (
        "Segment",
        segment,
        dict(source=idloom.MemorySource(1), step=10, threshold_percent=10, max_prefetched=1, stride=1, offset=0, adaptive=(1, 10, 100)),
    ),
    ("SegmentBuffer", idloom.SegmentBuffer, dict(step=10, threshold_percent=10, max_prefetched=1, stride=1, offset=0, adaptive=(1, 10, 100))),
    ("SegmentBuffer.begin_fetch", idloom.SegmentBuffer().begin_fetch, dict(now_ms=0)),
    ("SegmentBuffer.supply", idloom.SegmentBuffer().supply, dict(start=1, end=2)),
    ("nanoid", idloom.nanoid, dict(size=5)),
    ("custom_alphabet", idloom.custom_alphabet, dict(alphabet="abc", size=5)),
    ("NanoIdGenerator.__call__", NANO, dict(size=3)),
    ("NanoIdGenerator.generate_from", NANO.generate_from, dict(random=bytes(range(32)))),
    ("NanoIdGenerator.batch", NANO.batch, dict(n=2)),
    ("nanoid_from_bytes", idloom.nanoid_from_bytes, dict(random=bytes(21))),
    ("uuid4_from_bytes", idloom.uuid4_from_bytes, dict(random=bytes(16))),
    ("uuid7_from_parts", idloom.uuid7_from_parts, dict(unix_ms=1, random=bytes(10))),
    ("V7Generator.next_from", idloom.V7Generator().next_from, dict(now_ms=1, random=bytes(10))),
    ("parse_uuid", idloom.parse_uuid, dict(text="67e55044-10b1-426f-9247-bb680e5fe0c8")),
    ("format_uuid", idloom.format_uuid, dict(value="67e55044-10b1-426f-9247-bb680e5fe0c8", form="urn")),
    ("uuid_timestamp_ms", idloom.uuid_timestamp_ms, dict(value="67e55044-10b1-426f-9247-bb680e5fe0c8")),
    ("encode", idloom.encode, dict(value=1, encoding="base62", bits=64)),
    ("decode", idloom.decode, dict(text="00000000001", encoding="base62", bits=64)),
    ("Mask", idloom.Mask, dict(bits=32, key=b"0123456789abcdef", version=2)),
    ("Mask.mask", MASK.mask, dict(value=1)),
    ("Mask.unmask", MASK.unmask, dict(value=1)),
    ("ObjectId", idloom.ObjectId, dict(oid="507f1f77bcf86cd799439011")),
    ("ObjectId.from_hex", idloom.ObjectId.from_hex, dict(hex="507f1f77bcf86cd799439011")),
    ("ObjectId.from_bytes", idloom.ObjectId.from_bytes, dict(data=bytes(12))),
    ("ObjectId.from_parts", idloom.ObjectId.from_parts, dict(seconds=1, process=bytes(5), counter=1)),
    ("ObjectId.from_bson", idloom.ObjectId.from_bson, dict(value=idloom.ObjectId(bytes(12)))),
    ("ObjectIdGenerator", idloom.ObjectIdGenerator, dict(process=bytes(5), counter_start=0)),
    ("ObjectIdGenerator.next_at", idloom.ObjectIdGenerator(bytes(5), 0).next_at, dict(now_ms=0)),
    ("RemoteSource", idloom.RemoteSource, dict(url="http://127.0.0.1:8080/ids", tag="orders", token="secret", timeout=2.5)),
    ("AsyncRemoteSource", idloom.AsyncRemoteSource, dict(url="http://127.0.0.1:8080/ids", tag="orders", token="secret", timeout=2.5)),
]

CASES = [(name, fn, valid, param, bad) for name, fn, valid in ENTRY_POINTS for param in valid for bad in BAD]


def test_every_entry_point_accepts_its_valid_arguments():
    for name, fn, valid in ENTRY_POINTS:
        try:
            fn(**valid)
        except idloom.NodeInUseError:
            pass  # the same node under another policy: a refusal with its code, as it should be
        except Exception as e:  # pragma: no cover - the message says which
            pytest.fail(f"{name}({valid}) raised {type(e).__name__}: {e}")


@pytest.mark.parametrize(("name", "fn", "valid", "param", "bad"), CASES, ids=[f"{c[0]}-{c[3]}-{i % len(BAD)}" for i, c in enumerate(CASES)])
def test_bad_value_gets_a_coded_error_naming_the_parameter(name, fn, valid, param, bad):
    try:
        fn(**{**valid, param: bad})
    except idloom.IdloomError as e:
        assert e.code in idloom.BY_CODE, e.code
        if e.code not in ("node_in_use", "forked"):
            # It names the parameter, or what the text was parsed as (the layout's
            # bit checks may name a sibling bit field).
            aliases = {"text": ("friendly", "encoded", "uuid"), "value": ("uuid",), "name": ("preset",)}.get(param, ())
            named = any(w in str(e) for w in (param, *aliases)) or (name == "Layout" and "bits" in str(e))
            assert named, f"{name}({param}={bad!r}): {e}"
    except Exception as e:
        pytest.fail(f"{name}({param}={bad!r}) raised {type(e).__name__} without a code: {e}")
