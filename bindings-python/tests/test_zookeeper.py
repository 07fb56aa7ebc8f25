"""idloom.stores.ZooKeeperStore on a private ZooKeeper (kazoo; the core's
compare-and-set calls): every test on a real server, none skipped."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from kv_support import (PrivateZooKeeper, case_bad_record, case_cli, case_counters, case_init, case_lease_renew_release,
                        case_taken_after_the_ttl, case_written_by_another_binding, free_port)
from stores_support import unique

import idloom
from idloom.stores import ZooKeeperStore, from_url


@pytest.fixture
def store(zookeeper):  # type: ignore[no-untyped-def]
    s = from_url(zookeeper.url)
    assert isinstance(s, ZooKeeperStore)
    yield s
    s.close()


@pytest.fixture
def put(zookeeper):  # type: ignore[no-untyped-def]
    """Write a znode by hand (as an operator, or another binding)."""
    c = zookeeper.client()

    def write(path: str, text: str) -> None:
        if c.exists(path):
            c.set(path, text.encode())
        else:
            c.create(path, text.encode(), makepath=True)

    yield write
    c.stop()
    c.close()


def test_init_fresh_and_not_and_another_layout(store) -> None:  # type: ignore[no-untyped-def]
    case_init(store, unique("zkinit"))


def test_lease_renew_release_and_the_next_holder_starts_at_the_high_water(store) -> None:  # type: ignore[no-untyped-def]
    case_lease_renew_release(store, unique("zklease"))


def test_a_node_taken_after_the_ttl_refuses_the_old_holder(store, zookeeper, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    other = ZooKeeperStore.from_url(zookeeper.url)
    try:
        case_taken_after_the_ttl(store, other, unique("zklost"), 300, monkeypatch)
    finally:
        other.close()


def test_counters_ranges_never_overlap_across_threads(store) -> None:  # type: ignore[no-untyped-def]
    case_counters(store, unique("zkseg"))


def test_a_record_written_by_hand_that_is_not_ours_is_store_schema(store, put) -> None:  # type: ignore[no-untyped-def]
    case_bad_record(store, put, unique("zkbad"))


def test_records_written_by_another_binding_are_leased_here(store, put) -> None:  # type: ignore[no-untyped-def]
    ns = unique("zkrust")
    put(f"/idloom/{ns}/clock", "")
    case_written_by_another_binding(store, put, ns)


def test_the_store_over_your_own_kazoo_client(zookeeper) -> None:  # type: ignore[no-untyped-def]
    client = zookeeper.client()
    try:
        store = ZooKeeperStore(client)
        ns = unique("zkown")
        store.init_namespace(ns, nodes=2, fresh=True)
        with store.lease_node(ns) as lease:
            assert lease.epoch == 1
        assert [row[2] for row in store.status(ns)["nodes"]] == [1, 0]
    finally:
        client.stop()
        client.close()
    with pytest.raises(idloom.StoreUnavailableError):  # a stopped client: no answer
        store.namespace(ns)


def test_next_sequential_is_strictly_increasing(store) -> None:  # type: ignore[no-untyped-def]
    tag = unique("zkseq")
    got = [store.next_sequential(tag) for _ in range(5)]
    assert got == sorted(set(got)) and got[0] == 0
    with pytest.raises(idloom.InvalidArgumentError):
        store.next_sequential("bad tag/")


def test_a_refused_connection_is_store_unavailable() -> None:
    store = ZooKeeperStore.from_url(f"zookeeper://127.0.0.1:{free_port()}?call_timeout_ms=1000")
    t = time.monotonic()
    with pytest.raises(idloom.StoreUnavailableError) as err:
        store.init_namespace(unique("zkdown"))
    assert err.value.code == "store_unavailable" and "zookeeper" in str(err.value)
    assert time.monotonic() - t < 5
    store.close()


def test_a_hanging_server_is_store_unavailable_within_the_call_timeout() -> None:
    server = PrivateZooKeeper()
    store = ZooKeeperStore.from_url(server.url)  # call_timeout_ms=2000
    try:
        ns = unique("zkhang")
        store.init_namespace(ns, nodes=1, fresh=True)
        server.signal(signal.SIGSTOP)
        t = time.monotonic()
        with pytest.raises(idloom.StoreUnavailableError):
            store.namespace(ns)
        assert time.monotonic() - t < 3.5, "past the call timeout"
        server.signal(signal.SIGCONT)
        done = threading.Event()

        def back() -> bool:
            try:
                return store.namespace(ns).nodes == 1 or done.is_set()
            except idloom.StoreUnavailableError:
                return False

        from kv_support import wait_for

        wait_for(back, seconds=15, what="the server back")
    finally:
        store.close()
        server.stop()


def test_bad_urls_are_invalid_argument() -> None:
    for url in ("zookeeper://", "zookeeper://h:1?call_timeout_ms=5", "zookeeper://h:1?nope=1"):
        with pytest.raises(idloom.InvalidArgumentError):
            from_url(url)


def test_the_cli_store_init_status_release(zookeeper) -> None:  # type: ignore[no-untyped-def]
    case_cli(zookeeper.url, unique("zkcli"), unique("zkclis"))
