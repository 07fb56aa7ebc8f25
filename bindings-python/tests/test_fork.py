"""After fork() a child never repeats its parent's IDs: segments, sources,
buffers and snowflake nodes the parent held, random IDs. Every test runs twice:
with os.fork, and with a plain libc fork() through ctypes — as a C extension or
uWSGI's prefork master forks, without the os.register_at_fork hooks (the core
notices the fork by itself). Each test failed before the fix it names (the
child got a copy of the parent's state)."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import threading

import fork_support
import pytest

import idloom
from idloom import Layout, MemorySource, Segment, SegmentBuffer, Snowflake, SnowflakeMachine

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

# fork() called from C with the GIL held (PyDLL keeps it), as a C extension
# does: none of os.register_at_fork's hooks run in the child.
_libc_fork = ctypes.PyDLL(None).fork
FORKS = {"os.fork": os.fork, "libc fork()": lambda: int(_libc_fork())}
_fork = os.fork


@pytest.fixture(autouse=True, params=sorted(FORKS))
def fork_kind(request):
    """Each test with each way to fork."""
    global _fork
    _fork = FORKS[request.param]
    yield request.param
    _fork = os.fork


def in_child(fn):
    """Run fn() in a child forked the way this test's parameter says (fork_support.in_child)."""
    return fork_support.in_child(fn, _fork)


def shared_counter_source():
    """A source whose counter lives in shared memory, as a database row lives outside both processes."""
    counter = multiprocessing.Value("q", 1)

    def source(step):
        with counter.get_lock():
            start = counter.value
            counter.value += step
        return (start, start + step)

    return source


def test_segment_with_a_callable_source_gives_the_child_its_own_ranges():
    seg = Segment(shared_counter_source(), step=100)
    parent = [seg.next() for _ in range(5)]  # the parent's range 1..101 is in memory
    child = in_child(lambda: [seg.next() for _ in range(300)])["ok"]
    parent += [seg.next() for _ in range(300)]
    assert not set(parent) & set(child), "parent and child served the same IDs"
    assert min(child) >= 101, "the child fetched a range of its own"


def test_segment_over_a_memory_source_refuses_in_the_child():
    seg = Segment(MemorySource(1), step=100)
    parent = [seg.next() for _ in range(5)]
    got = in_child(lambda: seg.next())
    assert got["error"] == "forked", got
    assert "MemorySource" in got["message"]
    assert in_child(lambda: MemorySource.__call__(seg_source, 10))["error"] == "forked"
    assert seg.next() == parent[-1] + 1, "the parent is unaffected"


seg_source = MemorySource(1)


def test_segment_buffer_is_empty_in_the_child():
    buf = SegmentBuffer(step=100)
    assert buf.begin_fetch(0) == 100
    buf.supply(1, 101)
    assert buf.next() == 1

    def child():
        out = {"remaining": buf.remaining}
        try:
            buf.next()
        except idloom.SegmentExhaustedError as e:
            out["next"] = e.code
        out["asks"] = buf.begin_fetch(0)
        buf.supply(1000, 1100)
        out["first"] = buf.next()
        return out

    assert in_child(child)["ok"] == {"remaining": 0, "next": "segment_exhausted", "asks": 100, "first": 1000}
    assert buf.next() == 2


def test_a_new_snowflake_on_a_node_the_parent_holds_is_refused_in_the_child():
    layout = Layout.TWITTER.with_epoch(1_600_000_000_000)
    gen = Snowflake(node=5, layout=layout)
    parent = gen.next_batch(50_000)
    dropped = Snowflake(node=8, layout=layout)
    dropped.next()
    del dropped  # held before the fork, even if gone

    def child():
        out = {}
        for node in (5, 8):
            try:
                Snowflake(node=node, layout=layout).next()
                out[node] = "minted"
            except idloom.ForkedError as e:
                out[node] = e.code
        try:
            gen.rekey(5)
            out["rekey_same"] = "allowed"
        except idloom.ForkedError as e:
            out["rekey_same"] = e.code
        gen.rekey(6)
        return {"refusals": out, "ids": gen.next_batch(50_000), "fresh": Snowflake(node=7, layout=layout).next_batch(1000)}

    got = in_child(child)["ok"]
    assert got["refusals"] == {"5": "forked", "8": "forked", "rekey_same": "forked"}
    assert all(layout.decompose(i).node == 6 for i in got["ids"])
    parent += gen.next_batch(50_000)
    assert not set(parent) & set(got["ids"] + got["fresh"])


def test_pure_steps_do_not_move_the_process_generators():
    machine = SnowflakeMachine(node=9)
    far = machine.next_at(idloom.uuid_timestamp_ms(idloom.uuid7()) + 3_600_000)
    assert isinstance(far, int)
    assert not hasattr(Snowflake, "next_at") and not hasattr(Snowflake, "fill_at")
    # A brand-new generator on the same node is not an hour behind anything.
    gen = Snowflake(node=9, backwards="fail")
    assert gen.next() < far
    assert machine.last_id == far


def test_a_source_that_calls_its_own_segment_gets_an_error_not_a_deadlock():
    holder = {}

    def source(step):
        holder["inner"] = None
        try:
            holder["seg"].next()
        except idloom.SegmentExhaustedError as e:
            holder["inner"] = e.code
        return (1, 1 + step)

    holder["seg"] = Segment(source, step=10)
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("id", holder["seg"].next()), daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "next() deadlocked inside its own source"
    assert holder["inner"] == "segment_exhausted"
    assert result["id"] == 1


def test_random_ids_in_the_child_are_not_the_parents():
    def draws():
        return [str(f()) for _ in range(5) for f in (idloom.uuid4_str, idloom.nanoid, idloom.uuid7, idloom.uuid4)]

    draws()  # the parent has drawn: every thread-local and process-wide generator has state to inherit

    child = in_child(draws)["ok"]
    parent = draws()
    assert not set(parent) & set(child), "the child drew what the parent drew"


def test_a_snowflake_made_before_the_fork_refuses_in_the_child_until_rekeyed():
    # A layout of this test's own: the registry refuses in a child any node the
    # parent held, and other tests of this process hold Twitter-layout nodes.
    layout = Layout.TWITTER.with_epoch(1_500_000_000_000)
    for clock in ("system", "ticker"):
        gen = Snowflake(node=3, clock=clock, layout=layout)
        parent = gen.next_batch(20_000)

        # (`del gen` below frees node 3 for the next round; the closure runs before it: noqa F821)
        def child():
            try:
                gen.next()  # noqa: F821
                return "minted"
            except idloom.ForkedError as e:
                first = e.code
            gen.rekey(4)  # noqa: F821
            return [first, gen.next_batch(20_000)]  # noqa: F821

        first, ids = in_child(child)["ok"]
        assert first == "forked"
        parent += gen.next_batch(20_000)
        assert not set(parent) & set(ids)
        del gen


def test_the_ticker_clock_runs_in_the_child():
    layout = Layout.TWITTER.with_epoch(1_400_000_000_000)  # this test's own (see above)
    Snowflake(node=11, layout=layout).next()  # the parent's ticker thread runs (it does not survive the fork)

    def child():
        import time

        gen = Snowflake(node=12, layout=layout)
        first = layout.decompose(gen.next()).timestamp_ms
        time.sleep(0.05)
        return layout.decompose(gen.next()).timestamp_ms - first

    assert in_child(child)["ok"] >= 30, "the child's IDs carry the time the fork happened"


def test_objectid_child_draws_its_own_process_bytes():
    parent = [idloom.ObjectId() for _ in range(3)]
    assert len({o.process for o in parent}) == 1, "5 random bytes per process"
    child = in_child(lambda: [idloom.objectid().hex for _ in range(3)])["ok"]
    child_process = {bytes.fromhex(h)[4:9] for h in child}
    assert len(child_process) == 1 and child_process != {parent[0].process}, "a forked child draws new bytes"
    assert idloom.ObjectId().process == parent[0].process, "the parent keeps its own"
