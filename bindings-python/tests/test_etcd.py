"""idloom.stores.EtcdStore on a private etcd (etcd3gw over the v3 JSON
gateway; the core's compare-and-set calls): every test on a real server,
none skipped."""

from __future__ import annotations

import signal
import time

import pytest
from kv_support import (PrivateEtcd, case_bad_record, case_cli, case_counters, case_init, case_lease_renew_release,
                        case_taken_after_the_ttl, case_written_by_another_binding, free_port, wait_for)
from stores_support import unique

import idloom
from idloom.stores import EtcdStore, from_url


@pytest.fixture
def store(etcd):  # type: ignore[no-untyped-def]
    s = from_url(etcd.url)
    assert isinstance(s, EtcdStore)
    return s


@pytest.fixture
def put(etcd):  # type: ignore[no-untyped-def]
    """Write a key by hand (as an operator, or another binding)."""
    c = etcd.client()
    return lambda key, text: c.put(key, text)


def test_init_fresh_and_not_and_another_layout(store) -> None:  # type: ignore[no-untyped-def]
    case_init(store, unique("etinit"))


def test_lease_renew_release_and_the_next_holder_starts_at_the_high_water(store) -> None:  # type: ignore[no-untyped-def]
    case_lease_renew_release(store, unique("etlease"))


def test_a_node_taken_after_the_ttl_refuses_the_old_holder(store, etcd, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The liveness key's etcd lease (1 s, the namespace's TTL rounded up) runs out: the node is free.
    case_taken_after_the_ttl(store, EtcdStore.from_url(etcd.url), unique("etlost"), 1_000, monkeypatch)


def test_liveness_is_a_key_under_an_etcd_lease(store, etcd) -> None:  # type: ignore[no-untyped-def]
    ns = unique("etlive")
    store.init_namespace(ns, nodes=2, ttl_ms=3_000, max_skew_ms=500, fresh=True)
    c = etcd.client()
    key = f"/idloom/{ns}/live/0000000000"
    with store.lease_node(ns) as lease:
        assert lease.node == 0
        got = c.get(key, metadata=True)
        assert len(got) == 1 and int(got[0][1]["lease"]) != 0
        first = int(got[0][1]["lease"])
        wait_for(lambda: lease.renewals >= 1, what="a renewal")
        # A renewal puts the key under a new etcd lease; the old one is revoked.
        assert int(c.get(key, metadata=True)[0][1]["lease"]) != first
    assert c.get(key) == [], "a release deletes the liveness key"


def test_counters_ranges_never_overlap_across_threads(store) -> None:  # type: ignore[no-untyped-def]
    case_counters(store, unique("etseg"))


def test_a_record_written_by_hand_that_is_not_ours_is_store_schema(store, put) -> None:  # type: ignore[no-untyped-def]
    case_bad_record(store, put, unique("etbad"))


def test_records_written_by_another_binding_are_leased_here(store, put) -> None:  # type: ignore[no-untyped-def]
    case_written_by_another_binding(store, put, unique("etrust"))


def test_the_store_over_your_own_etcd3gw_client(etcd) -> None:  # type: ignore[no-untyped-def]
    store = EtcdStore(etcd.client())
    ns = unique("etown")
    store.init_namespace(ns, nodes=2, fresh=True)
    with store.lease_node(ns) as lease:
        assert lease.epoch == 1
    assert [row[2] for row in store.status(ns)["nodes"]] == [1, 0]


def test_a_refused_connection_is_store_unavailable() -> None:
    store = EtcdStore.from_url(f"etcd://127.0.0.1:{free_port()}?call_timeout_ms=1000")
    with pytest.raises(idloom.StoreUnavailableError) as err:
        store.init_namespace(unique("etdown"))
    assert err.value.code == "store_unavailable" and "etcd" in str(err.value)


def test_a_member_down_is_skipped_for_the_next_endpoint(etcd) -> None:  # type: ignore[no-untyped-def]
    store = EtcdStore.from_url(f"etcd://127.0.0.1:{free_port()},127.0.0.1:{etcd.port}?call_timeout_ms=2000")
    ns = unique("etfail")
    assert store.init_namespace(ns, nodes=1, fresh=True).nodes == 1


def test_a_hanging_server_is_store_unavailable_within_the_call_timeout() -> None:
    server = PrivateEtcd()
    store = EtcdStore.from_url(server.url)  # call_timeout_ms=2000
    try:
        ns = unique("ethang")
        store.init_namespace(ns, nodes=1, fresh=True)
        server.signal(signal.SIGSTOP)
        t = time.monotonic()
        with pytest.raises(idloom.StoreUnavailableError):
            store.namespace(ns)
        assert time.monotonic() - t < 3.5, "past the call timeout"
        server.signal(signal.SIGCONT)

        def back() -> bool:
            try:
                return store.namespace(ns).nodes == 1
            except idloom.StoreUnavailableError:
                return False

        wait_for(back, seconds=15, what="the server back")
    finally:
        server.stop()


def test_bad_urls_are_invalid_argument() -> None:
    for url in ("etcd://", "etcd://h:1/chroot", "etcd://h:1?session_timeout_ms=100"):
        with pytest.raises(idloom.InvalidArgumentError):
            from_url(url)


def test_the_cli_store_init_status_release(etcd) -> None:  # type: ignore[no-untyped-def]
    case_cli(etcd.url, unique("etcli"), unique("etclis"))
