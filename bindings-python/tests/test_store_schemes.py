"""The seeds' other schemes on the real servers: database sequences with a
step (N databases as Tinyid's remainder and delta), Flickr ticket servers
(odd and even), and several stores as one source with a store that goes
down (N Redis servers, each with its offset)."""

from __future__ import annotations

import threading

import pytest

import idloom
from idloom import Segment
from idloom.stores import RedisStore, SegmentGroup
from stores_support import PrivateRedis, connect, unique


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_two_sequences_with_a_step_interleave_without_meeting(engine: str) -> None:
    store = connect(engine)
    names = [unique("seq"), unique("seq")]
    for k, name in enumerate(names):
        store.init_sequence(name, step=100, floor=1_000, index=k, count=2)
        store.init_sequence(name, step=100, floor=1_000, index=k, count=2)  # idempotent
    segs = [Segment(store.sequence_source(name, step=100), step=100) for name in names]
    got = [s.next() for s in segs for _ in range(450)]
    assert len(set(got)) == len(got) and min(got) >= 1_000
    assert sorted(got[:100]) == list(range(1_000, 1_100)) and sorted(got[450:550]) == list(range(1_100, 1_200))
    with pytest.raises(idloom.InvalidArgumentError, match="the sequence's step"):
        Segment(store.sequence_source(names[0], step=100), step=50, background=False).next()
    with pytest.raises(idloom.InvalidArgumentError):
        store.init_sequence(unique("seq"), step=100, index=2, count=2)


def test_two_ticket_servers_hand_out_odd_and_even_tickets_never_twice() -> None:
    store = connect("mysql")
    odd, even = unique("tk"), unique("tk")
    for table in (odd, even):
        store.init_tickets(table)
    group = SegmentGroup([Segment(store.ticket_source(odd, servers=2, index=1), step=1),
                          Segment(store.ticket_source(even, servers=2, index=2, replace=True), step=1)])
    got = [group.next() for _ in range(200)]
    assert len(set(got)) == 200
    assert {t % 2 for t in got} == {0, 1}
    with pytest.raises(idloom.InvalidArgumentError):
        store.ticket_source(odd, servers=2, index=3)


def test_three_redis_servers_as_one_source_survive_one_killed_mid_run() -> None:
    with PrivateRedis() as r0, PrivateRedis() as r1, PrivateRedis() as r2:
        servers = [r0, r1, r2]
        tag = unique("multi")
        segs = []
        for k, server in enumerate(servers):
            store = RedisStore.from_url(server.url, socket_timeout=1, socket_connect_timeout=1)
            store.init_segment(tag, floor=0)
            # Server k hands counters c; the IDs are c * 3 + k (its offset, stride 3).
            segs.append(Segment(store.segment_source(tag), step=50, stride=3, offset=k, timeout_ms=2_000))
        group = SegmentGroup(segs)
        got: list[int] = []
        lock = threading.Lock()

        def draw(n: int) -> None:
            mine = [group.next() for _ in range(n)]
            with lock:
                got.extend(mine)

        threads = [threading.Thread(target=draw, args=(1_500,)) for _ in range(2)]
        for t in threads:
            t.start()
        r1.kill()  # one server goes down mid-run
        for t in threads:
            t.join()
        draw(1_000)  # and the group goes on without it
        assert len(got) == 4_000 and len(set(got)) == len(got)
        assert group.skipped >= 1
        assert {i % 3 for i in got[-500:]} <= {0, 2}, "the dead server's offset is skipped once its memory is used"
        r0.kill()
        r2.kill()
        with pytest.raises(idloom.IdloomError):
            for _ in range(1_000):
                group.next()


def test_four_processes_of_two_threads_on_one_row_per_store_and_three_redis_with_one_killed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    pg_tag, my_tag, redis_tag = unique("mp"), unique("mp"), unique("mp")
    connect("postgres").init_segment(pg_tag, floor=0)
    connect("mysql").init_segment(my_tag, floor=0)
    with PrivateRedis() as r0, PrivateRedis() as r1, PrivateRedis() as r2:
        for server in (r0, r1, r2):
            RedisStore.from_url(server.url).init_segment(redis_tag, floor=0)
        env = {**os.environ, "PYTHONPATH": str(here)}
        procs = [subprocess.Popen([sys.executable, str(here / "segment_drawer.py"), str(tmp_path / f"{k}.json"), pg_tag, my_tag,
                                   redis_tag, "3000", r0.url, r1.url, r2.url], stdout=subprocess.PIPE, text=True, env=env)
                 for k in range(4)]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        r1.kill()  # one Redis server down mid-run
        for p in procs:
            out, _ = p.communicate(timeout=120)
            assert p.returncode == 0 and "done" in out
    results = [json.loads((tmp_path / f"{k}.json").read_text()) for k in range(4)]
    for scheme in ("pg", "mysql", "redis"):
        every = [i for r in results for i in r[scheme]]
        assert len(every) == 4 * 2 * 3000, scheme
        assert len(set(every)) == len(every), f"{scheme}: duplicate IDs across processes"


def test_a_redis_counter_near_2_pow_53_never_overlaps_and_is_refused_at_the_edge() -> None:
    """Redis Lua computes in doubles: ranges near 2**53 once overlapped (768
    duplicates from a floor of 2**60). Now the core refuses such a floor, and
    a counter within one step of 2**53 - 1 is invalid_range, never a range."""
    from idloom._idloom import _redis_key

    store = connect("redis")
    edge = 2**53 - 1
    tag = unique("edge")
    with pytest.raises(idloom.InvalidRangeError, match=f"floor must be in 0..={edge - 1001}, got {2**60}"):
        store.init_segment(tag, floor=2**60, step=1000)
    with pytest.raises(idloom.InvalidRangeError):
        store.init_segment(tag, floor=edge - 1000)  # the default step, 1000
    step = 1001
    floor = edge - 4 * step - 500
    store.init_segment(tag, floor=floor, step=step)
    source = store.segment_source(tag)
    ranges: list = []  # type: ignore[type-arg]
    refused: list = []  # type: ignore[type-arg]

    def draw() -> None:
        for _ in range(8):
            try:
                ranges.append(source(step))
            except idloom.InvalidRangeError as e:
                refused.append(e)
                return

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 4, f"every drawer reached the edge and was refused: {sorted(ranges)}"
    got = sorted(ranges)
    assert len(got) == 4 and got[0][0] == floor, got
    assert all(a[1] == b[0] for a, b in zip(got, got[1:])), f"contiguous, no overlap: {got}"
    assert all(e - s == step and e < edge for s, e in got), got
    key = _redis_key("counter", tag)
    assert int(store._client.get(key)) == floor + 4 * step, "a refused fetch moves nothing"
    # A counter already past the edge (an old script, a SET) stays refused, unchanged.
    store._client.set(key, 2**60)
    for _ in range(2):
        with pytest.raises(idloom.InvalidRangeError, match="counter"):
            source(step)
    assert int(store._client.get(key)) == 2**60
