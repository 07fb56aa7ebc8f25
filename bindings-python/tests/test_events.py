"""idloom.events: the core's vocabulary (tests/vectors/events.json replayed),
delivered to the logger "idloom" and the hooks and counted in stats(), from
leases on the real PostgreSQL and Redis (acquired, renewed, failing, lost,
released; the asyncio variant too) and from segments (fetched, fetch failed,
ran dry; inline, background and asyncio)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import pathlib
import threading
import time
from typing import Any, Dict, List, Tuple

import pytest

import idloom
from idloom import MemorySource, Segment, Snowflake, events
from idloom._idloom import _event_kinds, _event_message
from idloom.stores import AsyncPostgresStore, AsyncRedisStore, AsyncSegment
from stores_support import PG, REDIS, connect, pause_renewals, unique

import idloom.stores._lease as lease_mod

VECTORS = json.loads((pathlib.Path(__file__).resolve().parents[2] / "tests" / "vectors" / "events.json").read_text())
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}

Seen = List[Tuple[str, Dict[str, Any]]]


@pytest.fixture
def seen():  # type: ignore[no-untyped-def]
    got: Seen = []
    lock = threading.Lock()

    def hook(name: str, facts: Dict[str, Any]) -> None:
        with lock:
            got.append((name, facts))

    events.add_hook(hook)
    yield got
    events.remove_hook(hook)


def wait_for(predicate, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def names(seen: Seen) -> List[str]:
    return [n for n, _ in list(seen)]


def records(caplog, name: str) -> List[logging.LogRecord]:  # type: ignore[no-untyped-def]
    return [r for r in caplog.records if getattr(r, "event", None) == name]


# -- the vocabulary -------------------------------------------------------------------


def test_every_kind_is_the_cores_with_its_level_and_meaning() -> None:
    want = [(k["kind"], k["level"], k["what"]) for k in VECTORS["kinds"]]
    assert _event_kinds() == want
    assert events.KINDS == {name: (level, what) for name, level, what in want}


@pytest.mark.parametrize("sample", VECTORS["samples"], ids=lambda s: s["message"].split()[0])
def test_every_sample_event_has_the_vectors_message(sample: Dict[str, Any]) -> None:
    facts = {k: v for k, v in sample["event"].items() if k != "kind"}
    assert events.message(sample["event"]["kind"], **facts) == sample["message"]
    assert _event_message(sample["event"]["kind"], facts) == sample["message"]


@pytest.mark.parametrize("sample", VECTORS["samples"][:9], ids=lambda s: s["message"].split()[0])
def test_an_event_is_logged_at_the_cores_level_with_its_message_and_facts(sample, caplog, seen) -> None:  # type: ignore[no-untyped-def]
    kind = sample["event"]["kind"]
    facts = {k: v for k, v in sample["event"].items() if k != "kind"}
    caplog.set_level(logging.DEBUG, logger="idloom")
    events.emit(kind, None, **facts)
    (record,) = records(caplog, kind)
    assert record.name == "idloom" and record.levelno == LEVELS[events.KINDS[kind][0]]
    assert record.getMessage() == sample["message"]
    assert record.facts == facts and all(getattr(record, k) == v for k, v in facts.items())  # type: ignore[attr-defined]
    assert seen == [(kind, facts)]


def test_unknown_kinds_and_facts_are_refused() -> None:
    with pytest.raises(idloom.InvalidArgumentError):
        events.message("lease_borrowed")
    with pytest.raises(idloom.InvalidArgumentError):
        events.message("lease_lost", nodes=3)
    with pytest.raises(idloom.InvalidTypeError):
        events.message("lease_lost", node="3")
    with pytest.raises(idloom.InvalidTypeError):
        events.add_hook("not callable")  # type: ignore[arg-type]


def test_nothing_is_formatted_when_nobody_listens_but_the_counts_go_on(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(events.logger, "disabled", True)
    monkeypatch.setattr(events, "_event_message", lambda *_: pytest.fail("formatted with nobody listening"))
    seg = Segment(MemorySource(), step=10)
    for _ in range(25):
        seg.next()
    assert seg.stats()["segment_fetched"] >= 3  # 25 IDs in ranges of 10


# -- leases on the real servers ---------------------------------------------------------


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_a_lease_acquired_renewed_and_released_is_logged_hooked_and_counted(engine: str, caplog, seen) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="idloom")
    store = connect(engine)
    ns = unique("evlease")
    store.init_namespace(ns, nodes=1, ttl_ms=600, max_skew_ms=200, fresh=True)
    lease = store.lease_node(ns, holder="events")
    acquired_fence = lease.fence_ms
    gen = Snowflake(lease=lease)
    gen.next()
    wait_for(lambda: lease.renewals >= 2)
    high_water = lease.release()
    assert high_water is not None

    (acquired,) = records(caplog, "lease_acquired")
    assert acquired.levelno == logging.INFO
    assert acquired.getMessage() == f"lease_acquired node={lease.node} epoch={lease.epoch} fence_ms={acquired_fence}"
    renewed = records(caplog, "lease_renewed")
    assert len(renewed) >= 2 and all(r.levelno == logging.DEBUG for r in renewed)
    fences = [r.fence_ms for r in renewed]  # type: ignore[attr-defined]
    assert fences == sorted(fences) and fences[0] > acquired_fence
    (released,) = records(caplog, "lease_released")
    assert released.levelno == logging.INFO and released.fence_ms == high_water  # type: ignore[attr-defined]
    assert released.getMessage() == f"lease_released node={lease.node} epoch={lease.epoch} fence_ms={high_water}"

    mine = [(n, f) for n, f in seen if n.startswith("lease_") and f.get("epoch") == lease.epoch and f.get("node") == lease.node]
    assert mine[0] == ("lease_acquired", {"node": lease.node, "epoch": lease.epoch, "fence_ms": acquired_fence})
    assert mine[-1] == ("lease_released", {"node": lease.node, "epoch": lease.epoch, "fence_ms": high_water})
    stats = lease.stats()
    assert set(stats) == set(events.KINDS)
    assert stats["lease_acquired"] == 1 and stats["lease_released"] == 1
    assert stats["lease_renewed"] == lease.renewals == len(renewed)
    assert stats["lease_lost"] == stats["lease_expired"] == stats["segment_fetched"] == 0


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_a_stolen_lease_logs_failed_renewals_then_lease_lost(engine: str, caplog, seen, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="idloom")
    store = connect(engine)
    ns = unique("evlost")
    store.init_namespace(ns, nodes=1, ttl_ms=300, max_skew_ms=100, fresh=True)
    a = store.lease_node(ns, holder="a")
    paused = pause_renewals(store, monkeypatch)
    wait_for(lambda: time.time() * 1000 > a.expires_ms + 50)
    b = store.lease_node(ns, holder="b")  # the node's TTL ran out on the store: b takes it
    try:
        paused.clear()
        # The state turns "lost" under the lease's lock; its event (logged, then hooked) follows outside
        # it: wait for the hook, the last to hear of it.
        wait_for(lambda: a.state == "lost" and "lease_lost" in names(seen))
        check_lost(a, caplog, seen)
    finally:
        monkeypatch.undo()
        b.release()
    assert a.release() is None and a.stats()["lease_released"] == 0


def check_lost(a, caplog, seen) -> None:  # type: ignore[no-untyped-def]
    failed = [r for r in records(caplog, "lease_renewal_failed") if r.epoch == a.epoch]  # type: ignore[attr-defined]
    assert failed and all(r.levelno == logging.WARNING and r.code == "store_unavailable" for r in failed)  # type: ignore[attr-defined]
    assert failed[0].getMessage().startswith(f"lease_renewal_failed node={a.node} epoch={a.epoch} fence_ms={a.fence_ms} "
                                             "code=store_unavailable in_ms=")
    (lost,) = records(caplog, "lease_lost")
    assert lost.levelno == logging.ERROR
    assert lost.getMessage() == f"lease_lost node={a.node} epoch={a.epoch} fence_ms={a.fence_ms} code=lease_lost"
    assert ("lease_lost", {"node": a.node, "epoch": a.epoch, "fence_ms": a.fence_ms, "code": "lease_lost"}) in seen
    stats = a.stats()
    assert stats["lease_lost"] == 1 and stats["lease_renewal_failed"] == a.renewal_failures == len(failed)
    assert stats["lease_released"] == 0


def test_renewals_that_end_without_a_refusal_are_lease_expired(caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="idloom")
    store = connect("redis")
    ns = unique("evexpired")
    store.init_namespace(ns, nodes=1, ttl_ms=600, max_skew_ms=200, fresh=True)
    lease = store.lease_node(ns)
    store._renew = lambda *_a, **_k: (_ for _ in ()).throw(lease_mod.error("store_schema", "test: a broken answer"))
    wait_for(lambda: lease.error is not None or lease.stats()["lease_expired"] == 1)
    wait_for(lambda: lease.stats()["lease_expired"] == 1)
    (expired,) = records(caplog, "lease_expired")
    assert expired.levelno == logging.ERROR and expired.code == "store_schema"  # type: ignore[attr-defined]
    del store._renew
    lease.release()


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_an_async_lease_emits_the_same_events(engine: str, seen) -> None:  # type: ignore[no-untyped-def]
    async def main() -> Dict[str, int]:
        store = await AsyncPostgresStore.from_url(PG) if engine == "postgres" else AsyncRedisStore.from_url(REDIS)
        ns = unique("evalease")
        await store.init_namespace(ns, nodes=1, ttl_ms=600, max_skew_ms=200, fresh=True)
        async with await store.lease_node(ns, holder="a") as lease:
            Snowflake(lease=lease).next()
            while lease.renewals < 1:
                await asyncio.sleep(0.05)
        return lease.stats()

    stats = asyncio.run(main())
    assert stats["lease_acquired"] == stats["lease_released"] == 1 and stats["lease_renewed"] >= 1
    got = names(seen)
    assert got[0] == "lease_acquired" and got[-1] == "lease_released" and "lease_renewed" in got


# -- segments -----------------------------------------------------------------------------


class Flaky:
    """A source that answers ``good`` times, then fails (``store_unavailable``)."""

    biz_tag = "invoice"

    def __init__(self, good: int) -> None:
        self.good, self.next_start = good, 0

    def __call__(self, step: int) -> Tuple[int, int]:
        if self.good <= 0:
            raise idloom.StoreUnavailableError("test: the store is down", "store_unavailable")
        self.good -= 1
        self.next_start += step
        return (self.next_start - step, self.next_start)


@pytest.mark.parametrize("background", [False, True])
def test_a_failing_source_logs_fetch_failed_then_ran_dry(background: bool, caplog, seen) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="idloom")
    seg = Segment(Flaky(1), step=10, background=background, **({"timeout_ms": 2000} if background else {}))
    ids = []
    with pytest.raises(idloom.StoreUnavailableError):
        while True:
            ids.append(seg.next())
    assert ids == list(range(10)), "the buffer served while its fetches failed"
    # A background fetch's event follows its outcome (counted at once): wait for the last one.
    wait_for(lambda: not seg.stats().get("in_flight") and names(seen).count("segment_fetch_failed") == seg.stats()["segment_fetch_failed"])
    fetched = records(caplog, "segment_fetched")
    assert [r.getMessage() for r in fetched] == ["segment_fetched amount=10 detail=invoice"]
    failed = records(caplog, "segment_fetch_failed")
    assert failed and all(r.getMessage() == "segment_fetch_failed code=store_unavailable detail=invoice" for r in failed)
    assert all(r.levelno == logging.WARNING for r in failed)
    (dry,) = records(caplog, "segment_ran_dry")
    assert dry.levelno == logging.ERROR and dry.getMessage() == "segment_ran_dry code=store_unavailable detail=invoice"
    stats = seg.stats()
    assert (stats["segment_fetched"], stats["segment_fetch_failed"], stats["segment_ran_dry"]) == (1, len(failed), 1)
    assert stats["remaining"] == 0
    if background:  # the refill's own keys stay
        assert stats["fetches"] == 1 and stats["failures"] == len(failed) and stats["in_flight"] in (True, False)


def test_a_range_the_buffer_refuses_is_a_failed_fetch() -> None:
    # The second range overlaps the first: the core refuses it, and the next fetch goes on above.
    calls = itertools.chain([(0, 10), (5, 15)], ((s, s + 10) for s in itertools.count(20, 10)))
    seg = Segment(lambda step: next(calls), step=10)
    assert [seg.next() for _ in range(12)] == list(range(10)) + [20, 21]
    stats = seg.stats()
    assert (stats["segment_fetch_failed"], stats["segment_ran_dry"]) == (1, 0) and stats["segment_fetched"] >= 2


def test_a_background_timeout_is_ran_dry_as_store_unavailable(seen) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()

    def slow(step: int) -> Tuple[int, int]:
        release.wait(5)
        return (0, step)

    seg = Segment(slow, step=10, background=True, timeout_ms=50)
    with pytest.raises(idloom.StoreUnavailableError):
        seg.next()
    assert ("segment_ran_dry", {"code": "store_unavailable"}) in seen
    release.set()
    wait_for(lambda: seg.stats()["segment_fetched"] == 1)
    assert seg.next() == 0


def test_an_async_segment_emits_the_same_events(seen) -> None:  # type: ignore[no-untyped-def]
    class Source:
        biz_tag = "invoice"

        def __init__(self) -> None:
            self.calls = 0

        async def __call__(self, step: int) -> Tuple[int, int]:
            self.calls += 1
            if self.calls > 1:
                raise idloom.StoreUnavailableError("test: down", "store_unavailable")
            return (0, step)

    async def main() -> Dict[str, Any]:
        seg = AsyncSegment(Source(), step=10, timeout_ms=500)
        with pytest.raises(idloom.StoreUnavailableError):
            while True:
                await seg.next()
        return seg.stats()

    stats = asyncio.run(main())
    assert stats["segment_fetched"] == 1 and stats["segment_fetch_failed"] >= 1 and stats["segment_ran_dry"] == 1
    assert ("segment_fetched", {"amount": 10, "detail": "invoice"}) in seen
    assert ("segment_ran_dry", {"code": "store_unavailable", "detail": "invoice"}) in seen


# -- hooks never break minting --------------------------------------------------------


def test_a_hook_that_raises_is_logged_and_minting_goes_on(caplog, seen) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="idloom")

    def broken(name: str, facts: Dict[str, Any]) -> None:
        raise RuntimeError("a broken exporter")

    events.add_hook(broken)
    try:
        for background in (False, True):
            seg = Segment(MemorySource(), step=10, background=background)
            assert [seg.next() for _ in range(50)] == list(range(1, 51))
            assert seg.stats()["segment_fetched"] >= 5
        store = connect("redis")
        ns = unique("evhook")
        store.init_namespace(ns, nodes=1, ttl_ms=600, max_skew_ms=200, fresh=True)
        with store.lease_node(ns) as lease:
            Snowflake(lease=lease).next()
        assert lease.state == "released" and lease.stats()["lease_released"] == 1
    finally:
        events.remove_hook(broken)
    complaints = [r for r in caplog.records if "event hook" in r.getMessage()]
    assert complaints and all(r.exc_info and r.exc_info[0] is RuntimeError for r in complaints)
    assert "lease_released" in names(seen), "the other hooks still ran"


def test_a_hook_may_use_the_object_that_emitted(seen) -> None:  # type: ignore[no-untyped-def]
    seg: Any = None
    looked: List[int] = []

    def look(name: str, facts: Dict[str, Any]) -> None:
        if seg is not None and name.startswith("segment_"):
            looked.append(seg.stats()["remaining"])

    events.add_hook(look)
    try:
        for background in (False, True):
            seg = Segment(MemorySource(), step=10, background=background)
            assert [seg.next() for _ in range(30)] == list(range(1, 31))
            wait_for(lambda: seg.stats()["in_flight"] is False if background else True)
    finally:
        events.remove_hook(look)
    assert looked
