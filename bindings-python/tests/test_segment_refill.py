"""Segment refilled in a background thread: next() never waits on the store
while prefetched IDs remain; a dry buffer waits at most timeout_ms; failures,
fork and re-entrance behave as in the inline segment."""

from __future__ import annotations

import os
import threading
import time

import pytest

import idloom
from idloom import MemorySource, Segment
from stores_support import connect, unique
from thread_support import draws_in_threads


def test_next_never_waits_on_a_server_delayed_by_200_ms_while_ids_remain() -> None:
    store = connect("postgres")
    tag = unique("slow")
    store.init_segment(tag, floor=0, step=1000)
    leaf = store.segment_source(tag)

    def delayed(step: int) -> tuple[int, int]:  # every fetch waits 200 ms on the server itself
        store._one("SELECT pg_sleep(0.2)")
        return leaf(step)

    seg = Segment(delayed, step=1000, threshold_percent=10, background=True)
    assert seg.background
    seg.next()  # the first range: nothing to serve before it
    worst = 0.0
    got = []
    for k in range(3000):
        t = time.perf_counter()
        got.append(seg.next())
        worst = max(worst, time.perf_counter() - t)
        if k % 2 == 0:
            time.sleep(0.001)  # ~500 IDs/s: each refill (200 ms) lands before the range runs out
    assert len(set(got)) == len(got)
    stats = seg.stats()
    assert stats is not None and stats["fetches"] >= 3 and stats["last_fetch_ms"] >= 200
    assert worst < 0.15, f"a call waited {worst * 1000:.0f} ms: it waited on the store"


def test_store_sources_refill_in_the_background_by_default() -> None:
    for engine in ("postgres", "mysql", "redis"):
        store = connect(engine)
        tag = unique("bg")
        store.init_segment(tag, floor=10)
        seg = Segment(store.segment_source(tag), step=100)
        assert seg.background, engine
        assert [seg.next() for _ in range(3)] == [10, 11, 12]
        assert not Segment(MemorySource()).background
        assert not Segment(store.segment_source(tag), background=False).background


def test_a_dry_buffer_waits_at_most_timeout_ms_then_store_unavailable() -> None:
    release = threading.Event()

    def hangs(step: int) -> tuple[int, int]:
        release.wait(5)
        return (0, step)

    seg = Segment(hangs, step=10, background=True, timeout_ms=100)
    t = time.monotonic()
    with pytest.raises(idloom.StoreUnavailableError, match="timeout_ms"):
        seg.next()
    assert time.monotonic() - t < 2
    release.set()
    assert seg.next() == 0  # the range arrived after all
    with pytest.raises(idloom.InvalidArgumentError):
        Segment(hangs, timeout_ms=100)  # timeout_ms goes with background
    with pytest.raises(idloom.InvalidTypeError):
        Segment(hangs, background="yes")  # type: ignore[arg-type]


def test_the_sources_own_error_surfaces_once_memory_is_dry() -> None:
    calls = []

    def flaky(step: int) -> tuple[int, int]:
        calls.append(step)
        if len(calls) > 1:
            raise ConnectionError("store down")
        return (0, step)

    seg = Segment(flaky, step=10, background=True)
    served = [seg.next() for _ in range(10)]  # the first range, while the prefetch fails
    assert served == list(range(10))
    with pytest.raises(ConnectionError, match="store down"):
        seg.next()
    stats = seg.stats()
    assert stats is not None and stats["failures"] >= 1


def test_threads_draw_without_duplicates() -> None:
    seg = Segment(MemorySource(), step=50, background=True)
    out = draws_in_threads(seg.next, 4, 5000)
    every = [i for o in out for i in o]
    assert len(set(every)) == len(every) == 20_000


def test_a_source_drawing_from_its_own_segment_gets_an_error_not_a_deadlock() -> None:
    seen: list[str] = []

    def reentrant(step: int) -> tuple[int, int]:
        try:
            seg.next()
        except idloom.SegmentExhaustedError as e:
            seen.append(e.code)
        return (0, step)

    seg = Segment(reentrant, step=10, background=True, timeout_ms=2000)
    assert seg.next() == 0
    assert seen == ["segment_exhausted"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_fetches_its_own_range() -> None:
    store = connect("redis")
    tag = unique("forkseg")
    store.init_segment(tag, floor=0)
    seg = Segment(store.segment_source(tag), step=100)
    parent = [seg.next() for _ in range(5)]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            child = [seg.next() for _ in range(5)]
            os.write(w, (",".join(map(str, child))).encode())
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    child = [int(x) for x in os.read(r, 1000).decode().split(",")]
    parent += [seg.next() for _ in range(5)]
    assert not set(child) & set(parent), (child, parent)


def test_exiting_while_a_refill_is_in_the_source_is_a_clean_exit() -> None:
    # A refill thread still inside the source when the interpreter finalized
    # aborted the process (SIGABRT, "PyGILState_Release: thread state must be
    # current"); now the exit waits for the call in flight.
    import subprocess
    import sys
    from pathlib import Path

    code = """
import sys
from idloom import Segment
from stores_support import connect, unique
store = connect("postgres")
tag = unique("exit")
store.init_segment(tag, floor=0)
leaf = store.segment_source(tag)
def slow(step):
    store._one("SELECT pg_sleep(0.3)")
    return leaf(step)
seg = Segment(slow, step=10, threshold_percent=10, background=True)
for _ in range(3):
    seg.next()  # past the threshold: a refill is in the source as the interpreter exits
print("bye", flush=True)
"""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 0 and r.stdout.strip() == "bye", (r.returncode, r.stderr[-500:])
