"""Snowflake in Python: threads, fork, clocks, batches, bad input."""

from __future__ import annotations

import os

import pytest
from fork_support import in_child
from thread_support import draws_in_threads, in_threads

import idloom
from idloom import Layout, ManualClock, Snowflake

T0 = 1_700_000_000_000


def test_ids_increase_and_decode():
    gen = Snowflake(node=5)
    ids = [gen.next() for _ in range(10_000)]
    assert ids == sorted(set(ids))
    parts = gen.decode(ids[0])
    assert parts.node == 5
    assert parts.datetime.tzinfo is not None
    assert Layout.TWITTER.parse_friendly(gen.friendly(ids[0])) == ids[0]


def test_iterator_and_batch():
    gen = Snowflake(node=1, layout=Layout.SONYFLAKE, exhausted="borrow", max_borrow_ms=10_000)
    it = iter(gen)
    first = next(it)
    batch = gen.next_batch(5000)
    assert len(batch) == 5000 and batch == sorted(set(batch)) and batch[0] > first
    assert gen.next_batch(0) == []


def test_eight_threads_share_one_generator_without_duplicates():
    gen = Snowflake(node=7)
    results = draws_in_threads(gen.next, 8, 200_000)
    every = [i for r in results for i in r]
    assert len(every) == 1_600_000
    assert len(set(every)) == len(every)
    for r in results:
        assert r == sorted(r), "each thread sees increasing IDs"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_refuses_until_rekeyed():
    # A layout of its own: in a child, every node this process ever held on a layout is refused.
    gen = Snowflake(node=1, layout=Layout.TWITTER.with_epoch(1_500_000_000_000))
    parent_ids = [gen.next() for _ in range(1000)]

    def child():
        try:
            gen.next()
            return "no error"
        except idloom.ForkedError as e:
            gen.rekey(2)
            ids = [gen.next() for _ in range(1000)]
            return {"code": e.code, "nodes": sorted({gen.decode(i).node for i in ids}), "ids": ids}

    outcome = in_child(child)
    assert isinstance(outcome.get("ok"), dict), outcome
    result = outcome["ok"]
    assert (result["code"], result["nodes"]) == ("forked", [2]), result
    child_ids = result["ids"]
    assert len(child_ids) == 1000
    assert not set(child_ids) & set(parent_ids)
    # The parent keeps going unaffected.
    assert gen.next() > parent_ids[-1]


def test_manual_clock_policies():
    clock = ManualClock(T0)
    gen = Snowflake(1, Layout(40, 3, 2, T0 - 1000, 1), backwards="fail", exhausted="borrow", max_borrow_ms=2, clock=clock)
    ids = [gen.next() for _ in range(12)]
    assert ids == sorted(set(ids))
    with pytest.raises(idloom.LeadExceededError) as e:
        gen.next()
    assert e.value.code == "lead_exceeded"
    clock.set(T0 - 100)
    with pytest.raises(idloom.ClockMovedBackwardsError):
        gen.next()


def test_frozen_clock_with_wait_policy_fails_instead_of_hanging():
    clock = ManualClock(T0)
    # Node 2: node 1 of this layout was used above, and a node used again continues above its last ID.
    gen = Snowflake(2, Layout(40, 3, 2, T0 - 1000, 1), exhausted="wait", clock=clock)
    for _ in range(4):
        gen.next()
    with pytest.raises(idloom.ClockStalledError):
        gen.next()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"node": 1024}, idloom.NodeOutOfRangeError, "node must be in 0..=1023, got 1024"),
        ({"node": -1}, idloom.NodeOutOfRangeError, "node must be in 0..=1023, got -1"),
        ({"node": 2**70}, idloom.NodeOutOfRangeError, f"node must be in 0..=1023, got {2**70}"),
        ({"node": True}, idloom.InvalidTypeError, "node must be an int, got bool"),
        ({"node": 1.0}, idloom.InvalidTypeError, "node must be an int, got float"),
        ({"node": 1, "backwards": "sometimes"}, idloom.InvalidArgumentError, 'backwards must be one of logical, wait, fail, got "sometimes"'),
        ({"node": 1, "backwards": "wait", "max_backwards_ms": 3_600_001}, idloom.InvalidArgumentError, "max_backwards_ms must be in 0..=3600000, got 3600001"),
        ({"node": 1, "clock": "sundial"}, idloom.InvalidArgumentError, 'clock must be "ticker", "system" or a ManualClock, got "sundial"'),
    ],
)
def test_bad_input_is_a_typed_error(kwargs, error, message):
    with pytest.raises(error) as e:
        Snowflake(**kwargs)
    assert str(e.value) == message
    assert isinstance(e.value, (ValueError, TypeError))


def test_layout_bad_input():
    with pytest.raises(idloom.InvalidLayoutError) as e:
        Layout(42, 10, 12, 0)
    assert str(e.value) == "time_bits + node_bits + sequence_bits must be in 2..=63, got 64"
    with pytest.raises(idloom.IdOutOfRangeError):
        Layout.TWITTER.decompose(2**63)
    with pytest.raises(idloom.InvalidLayoutError):
        Layout.preset("nope")
    with pytest.raises(idloom.LayoutExhaustedError):
        Snowflake(1, Layout.BAIDU)
    assert Snowflake(1, Layout.BAIDU.with_epoch(T0)).next() > 0


def test_strict_policy_threads_mixing_next_and_batches():
    # next_batch runs without the GIL: a thread must never see another's newer
    # tick as its own clock going backwards.
    gen = Snowflake(node=2, layout=Layout(41, 2, 20, 1_600_000_000_000, 1), backwards="fail", clock="system")
    out: list[list[int]] = [[] for _ in range(4)]

    def work(i):
        for _ in range(200):
            if i % 2:
                out[i].extend(gen.next_batch(500))
            else:
                out[i].extend(gen.next() for _ in range(500))

    in_threads(work, 4)
    every = [x for part in out for x in part]
    assert len(set(every)) == len(every) == 400_000


def test_one_generator_per_layout_and_node_in_a_process():
    # Two objects for the same node would otherwise both start at sequence 0.
    layout = Layout(41, 10, 12, 1_600_000_000_000, 1)
    a, b = Snowflake(33, layout), Snowflake(33, layout)
    ids = [x for _ in range(5000) for x in (a.next(), b.next())]
    assert ids == sorted(set(ids)), "one sequence shared by both objects"
    with pytest.raises(idloom.NodeInUseError) as e:
        Snowflake(33, layout, backwards="fail")
    assert e.value.code == "node_in_use" and isinstance(e.value, ValueError)
    c = Snowflake(34, layout)
    with pytest.raises(idloom.NodeInUseError):
        c.rekey(33)
    del a, b
    assert Snowflake(33, layout, backwards="fail").next() > 0, "the node is free once its objects are gone"
