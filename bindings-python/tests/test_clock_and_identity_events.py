"""The core's clock events from a Snowflake's slow paths (a step back
absorbed or refused, borrowing started and ended) on a fake clock, in
``stats()``, the logger and the hooks; and ``store_identity_changed`` on the
real PostgreSQL and Redis once the namespace's recorded identity stops
matching the server's (each on a namespace of its own)."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import pytest

import idloom
from idloom import Layout, ManualClock, Snowflake
from idloom.events import add_hook, remove_hook
from stores_support import connect, unique

T0 = 1_700_000_000_000


@pytest.fixture
def heard():  # type: ignore[no-untyped-def]
    got: List[Tuple[str, Dict[str, Any]]] = []
    hook = add_hook(lambda name, facts: got.append((name, facts)))
    yield got
    remove_hook(hook)


def test_a_step_back_and_borrowing_are_events(heard) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(T0)
    gen = Snowflake(3, Layout(40, 3, 2, T0 - 1000, 1), backwards="logical", exhausted="borrow", max_borrow_ms=10, clock=clock)
    for _ in range(5):  # four IDs a tick: the fifth borrows the next tick
        gen.next()
    clock.set(T0 + 100)
    gen.next()  # the clock caught up
    clock.set(T0 + 90)
    gen.next()
    gen.next()  # the same step back: reported once
    assert [(n, f.get("detail")) for n, f in heard] == [
        ("borrowing_started", None), ("borrowing_ended", None), ("clock_stepped_back", "absorbed")]
    assert heard[2][1] == {"node": 3, "amount": 10, "detail": "absorbed"}
    stats = gen.stats()
    assert (stats["clock_stepped_back"], stats["borrowing_started"], stats["borrowing_ended"]) == (1, 1, 1)
    assert set(stats) == set(idloom.events.KINDS)


def test_a_refused_step_back_is_logged(caplog) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(T0)
    gen = Snowflake(4, Layout(40, 3, 2, T0 - 1000, 1), backwards="fail", clock=clock)
    gen.next()
    clock.set(T0 - 50)
    with caplog.at_level("WARNING", logger="idloom"), pytest.raises(idloom.ClockMovedBackwardsError):
        gen.next()
    assert [r.getMessage() for r in caplog.records] == ["clock_stepped_back node=4 amount=50 detail=refused"]
    assert gen.stats()["clock_stepped_back"] == 1


def _forget(engine: str, store: Any, ns: str) -> None:
    """Make the namespace's record name another store identity (a restore, a restart with its data reloaded)."""
    if engine == "postgres":
        with store._conn() as conn:
            conn.execute("UPDATE idloom_namespace SET store_identity = 'a restored backup' WHERE namespace = %s", (ns,))
    else:
        store._client.hset(idloom._idloom._redis_key("ns", ns), "run_id", "a server before a restart")


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_store_identity_changed_is_reported_once(engine: str, heard) -> None:  # type: ignore[no-untyped-def]
    store = connect(engine)
    store.init()
    ns = unique("ident")
    store.init_namespace(ns, nodes=4, ttl_ms=3000, max_skew_ms=1000, fresh=True)
    store.lease_node(ns).release()
    _forget(engine, store, ns)
    lease = store.lease_node(ns)
    assert lease.stats()["store_identity_changed"] == 1
    changed = [f for n, f in heard if n == "store_identity_changed"]
    assert changed == [{"node": lease.node, "epoch": lease.epoch, "fence_ms": lease.start_ms}]
    assert lease.start_ms >= store.namespace(ns).floor_ms > 0
    lease.release()
    again = store.lease_node(ns)
    assert again.stats()["store_identity_changed"] == 0
    again.release()


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_a_renewal_that_meets_another_identity_is_refused_and_the_next_acquire_reports_it(engine: str, heard) -> None:  # type: ignore[no-untyped-def]
    """A live lease from before a restore, a promotion or a restart is over:
    its renewal is refused (lease_lost) and leaves the namespace alone; the
    acquire that follows raises the floor above every fence from before and
    reports store_identity_changed, once."""
    import time

    store = connect(engine)
    store.init()
    ns = unique("identr")
    store.init_namespace(ns, nodes=4, ttl_ms=600, max_skew_ms=200, fresh=True)
    lease = store.lease_node(ns)
    _forget(engine, store, ns)
    deadline = time.monotonic() + 5
    while "lease_lost" not in [n for n, _ in heard]:  # a renewal every 200 ms
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert lease.state == "lost" and lease.error is not None and lease.error.code == "lease_lost"
    assert lease.stats()["store_identity_changed"] == 0
    assert store.namespace(ns).floor_ms == 0
    after = store.lease_node(ns)
    changed = [f for n, f in heard if n == "store_identity_changed"]
    assert changed == [{"node": after.node, "epoch": after.epoch, "fence_ms": after.start_ms}]
    assert after.start_ms >= store.namespace(ns).floor_ms > lease.fence_ms
    after.release()
    assert lease.release() is None
