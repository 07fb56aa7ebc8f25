"""idloom.stores on the real PostgreSQL, MariaDB and Redis: namespaces,
leases (renew, release, fence reached, lost, skew), fenced generators,
segments in every mode, and store faults as their codes."""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import threading
import time

import pytest

import idloom
from idloom import Layout, MemorySource, Segment, Snowflake
from stores_support import ENGINES, connect, pause_renewals, unique

import idloom.stores._lease as lease_mod


@pytest.fixture(params=ENGINES)
def store(request):  # type: ignore[no-untyped-def]
    return connect(request.param)


def wait_for(predicate, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_lease_mint_renew_release_and_the_next_holder_starts_at_the_high_water(store) -> None:  # type: ignore[no-untyped-def]
    ns = unique("lease")
    record = store.init_namespace(ns, layout=Layout.TWITTER, nodes=1, ttl_ms=600, max_skew_ms=200, fresh=True)
    assert (record.nodes, record.ttl_ms, record.max_skew_ms, record.floor_ms) == (1, 600, 200, 0)
    with store.lease_node(ns, holder="first") as lease:
        assert (lease.node, lease.epoch, lease.state) == (0, 1, "active")
        gen = Snowflake(lease=lease)
        ids = [gen.next() for _ in range(2000)]
        first_fence = lease.fence_ms
        wait_for(lambda: lease.renewals >= 2)  # renewed in the background, every third of the TTL
        assert lease.fence_ms > first_fence and lease.error is None
        ids += gen.next_batch(500)
        status = {row[0]: row for row in store.status(ns)["nodes"]}
        assert status[0][1] == "first" and status[0][2] == 1
    assert lease.state == "released"
    with pytest.raises(idloom.LeaseLostError):
        gen.next()
    last_ms = max(gen.decode(i).timestamp_ms for i in ids)
    # Released: the node is free at once, and its fence dropped to the high-water.
    t = time.monotonic()
    with store.lease_node(ns, holder="second") as again:
        assert time.monotonic() - t < 0.5, "no TTL wait after a clean release"
        assert again.epoch == 2 and again.start_ms == last_ms + 1
        more = [Snowflake(lease=again).next() for _ in range(100)]
    assert len(set(ids + more)) == len(ids) + len(more)


def test_a_fence_reached_is_lease_expired_and_nothing_passes_it(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ns = unique("expired")
    store.init_namespace(ns, nodes=1, ttl_ms=300, max_skew_ms=100, fresh=True)
    lease = store.lease_node(ns)

    def unreachable(*_a, **_k):  # type: ignore[no-untyped-def]
        raise lease_mod.error("store_unavailable", "test: the store does not answer")

    monkeypatch.setattr(store, "_renew", unreachable)
    gen = Snowflake(lease=lease)
    ids = []
    deadline = time.monotonic() + 5
    with pytest.raises(idloom.LeaseExpiredError) as err:
        while time.monotonic() < deadline:
            ids.append(gen.next())
    assert err.value.code == "lease_expired"
    assert lease.renewal_failures >= 1
    assert all(gen.decode(i).timestamp_ms < lease.fence_ms for i in ids)
    monkeypatch.undo()
    lease.release()


def test_a_taken_node_refuses_the_old_holder_which_ends_in_lease_lost_without_a_duplicate(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ns = unique("lost")
    store.init_namespace(ns, nodes=1, ttl_ms=300, max_skew_ms=100, fresh=True)
    a = store.lease_node(ns, holder="a")
    paused = pause_renewals(store, monkeypatch)
    gen_a = Snowflake(lease=a)
    a_ids = []
    while True:
        try:
            a_ids.append(gen_a.next())
        except idloom.LeaseExpiredError:
            break
    time.sleep(0.35)  # past the TTL on the store's clock
    b = store.lease_node(ns, holder="b")
    assert (b.node, b.epoch) == (a.node, a.epoch + 1) and b.start_ms >= a.fence_ms
    b_ids = [Snowflake(lease=b).next() for _ in range(1000)]
    paused.clear()  # a wakes up: its next renewal is refused
    wait_for(lambda: a.state == "lost")
    assert a.error is not None and a.error.code == "lease_lost"
    with pytest.raises(idloom.LeaseLostError):
        gen_a.next()
    assert not set(a_ids) & set(b_ids)
    monkeypatch.undo()
    b.release()
    assert a.release() is None  # nothing to release: the node is b's


def test_a_skewed_holder_clock_is_refused_and_the_node_goes_back(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ns = unique("skew")
    store.init_namespace(ns, nodes=1, ttl_ms=5_000, max_skew_ms=500, fresh=True)
    real_now = lease_mod.now_ms
    monkeypatch.setattr(lease_mod, "now_ms", lambda: real_now() + 60_000)
    with pytest.raises(idloom.ClockSkewError):
        store.lease_node(ns)
    monkeypatch.undo()
    with store.lease_node(ns) as lease:  # given back at once: no TTL wait
        assert lease.epoch == 2 and abs(lease.skew_ms) < 500


def test_namespace_with_another_layout_or_node_count_and_bad_arguments(store) -> None:  # type: ignore[no-untyped-def]
    ns = unique("schema")
    store.init_namespace(ns, layout=Layout.TWITTER, nodes=4, fresh=True)
    store.init_namespace(ns, layout=Layout.TWITTER, nodes=4)  # idempotent
    with pytest.raises(idloom.StoreSchemaError):
        store.init_namespace(ns, layout=Layout.SONYFLAKE, nodes=4)
    with pytest.raises(idloom.StoreSchemaError):
        store.init_namespace(ns, layout=Layout.TWITTER, nodes=5)
    assert len(store.status(ns)["nodes"]) == 4, "a refused node count adds no nodes"
    with pytest.raises(idloom.StoreSchemaError):
        store.lease_node(ns, layout=Layout.SONYFLAKE)
    with pytest.raises(idloom.StoreStateLostError):
        store.lease_node(unique("missing"))
    with pytest.raises(idloom.InvalidArgumentError):
        store.init_namespace("../x")
    with pytest.raises(idloom.InvalidArgumentError):
        store.init_namespace(ns, nodes=1025)
    with pytest.raises(idloom.InvalidTypeError):
        store.init_namespace(ns, ttl_ms="10")
    with pytest.raises(idloom.InvalidArgumentError):
        store.init_namespace(ns, ttl_ms=1000, max_skew_ms=1000)
    with pytest.raises(idloom.InvalidArgumentError):
        Snowflake(node=1, lease=object())


def test_a_namespace_gets_1024_nodes_by_default_and_at_most_what_its_engine_serves(store) -> None:  # type: ignore[no-untyped-def]
    # Once the layout's maximum (4,194,304 nodes for baidu): now the core's default, 1,024.
    ns = unique("dflt")
    assert store.init_namespace(ns, layout=Layout.BAIDU, fresh=True).nodes == 1024
    assert len(store.status(ns)["nodes"]) == 1024
    assert store.lease_node(ns, layout=Layout.BAIDU).node == 0
    most = {"postgres": 1 << 20, "mysql": 1 << 20, "redis": 1 << 22}[store.engine]
    if most < 1 << 22:
        with pytest.raises(idloom.InvalidArgumentError, match=f"nodes must be in 1..={most}, got {1 << 22}"):
            store.init_namespace(unique("big"), layout=Layout.BAIDU, nodes=1 << 22)
    with pytest.raises(idloom.InvalidArgumentError, match=f"nodes must be in 1..=65536, got {(1 << 16) + 1}"):
        store.init_namespace(unique("big"), layout=Layout.SONYFLAKE, nodes=(1 << 16) + 1)


def test_every_node_taken_is_no_free_node(store) -> None:  # type: ignore[no-untyped-def]
    ns = unique("full")
    store.init_namespace(ns, nodes=2, ttl_ms=5_000, max_skew_ms=500, fresh=True)
    with store.lease_node(ns) as a, store.lease_node(ns) as b:
        assert {a.node, b.node} == {0, 1}
        with pytest.raises(idloom.NoFreeNodeError):
            store.lease_node(ns)


def segment_modes(store):  # type: ignore[no-untyped-def]
    return [{}] if store.engine == "redis" else [{"mode": "atomic"}, {"mode": "cas"}]


def test_segments_from_one_row_never_overlap_across_threads(store) -> None:  # type: ignore[no-untyped-def]
    for options in segment_modes(store):
        tag = unique("seg")
        store.init_segment(tag, floor=1_000, step=50)
        store.init_segment(tag, floor=0, step=50)  # an existing counter is never lowered
        source = store.segment_source(tag, **options)

        def draw(_: int) -> list:  # type: ignore[type-arg]
            seg = Segment(source, step=50)
            return [seg.next() for _ in range(600)]

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            got = [i for chunk in pool.map(draw, range(4)) for i in chunk]
        assert len(got) == len(set(got)) == 2400, options
        assert min(got) >= 1_000, options


def test_segment_faults_have_their_codes(store) -> None:  # type: ignore[no-untyped-def]
    missing = store.segment_source(unique("nosuch"))
    with pytest.raises(idloom.StoreStateLostError):
        missing(10)
    with pytest.raises(idloom.InvalidArgumentError):
        store.segment_source("t", mode="sometimes") if store.engine != "redis" else store.segment_source("t", mode="cas")
    if store.engine != "redis":
        with pytest.raises(idloom.StoreSchemaError):
            store.segment_source("t", table=unique("notable"))(10)
        with pytest.raises(idloom.InvalidArgumentError):
            store.segment_source("t", table="x; DROP TABLE y")


def test_prefetched_ids_keep_being_served_while_the_store_is_down(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    tag = unique("down")
    store.init_segment(tag, floor=0, step=100)
    source = store.segment_source(tag)
    up = threading.Event()
    up.set()

    def flaky(step: int):  # type: ignore[no-untyped-def]
        if not up.is_set():
            raise lease_mod.error("store_unavailable", "test: down")
        return source(step)

    seg = Segment(flaky, step=100)
    first = [seg.next() for _ in range(5)]
    up.clear()
    rest = [seg.next() for _ in range(95)]  # served from memory
    with pytest.raises(idloom.StoreUnavailableError):
        for _ in range(200):
            seg.next()
    up.set()
    assert seg.next() not in first + rest


@pytest.mark.parametrize("engine", ENGINES)
def test_a_refused_connection_is_store_unavailable(engine: str) -> None:
    from idloom.stores import MySQLStore, PostgresStore, RedisStore

    with pytest.raises(idloom.StoreUnavailableError):
        if engine == "postgres":
            PostgresStore.from_url("host=127.0.0.1 port=1 user=postgres dbname=test connect_timeout=2")
        elif engine == "mysql":
            MySQLStore.from_url("mysql://root@127.0.0.1:1/test").init()
        else:
            RedisStore.from_url("redis://127.0.0.1:1/").init_namespace(unique("x"), fresh=True)


def test_a_connection_the_server_dropped_is_made_again_by_from_url() -> None:
    # The soak's PostgreSQL restarts found from_url's one connection dead for
    # good: every call store_unavailable. Here the server drops it (as a
    # restart does): the call that meets the dropped connection is
    # store_unavailable, the next one connects again and works.
    import psycopg

    from stores_support import PG

    store = connect("postgres")
    ns = unique("drop")
    store.init_namespace(ns, nodes=2, fresh=True)
    pid = store._target.info.backend_pid
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(idloom.StoreUnavailableError):
        store.namespace(ns)
    assert store.namespace(ns).nodes == 2
    assert store._target.info.backend_pid != pid


def test_a_mysql_connection_the_server_dropped_while_idle_is_replaced_without_an_error() -> None:
    # A thread's kept connection dropped while idle (a restart) failed its
    # next call with store_unavailable though the server was back: the soak's
    # clean shutdown lost its release that way. That call now runs again on a
    # new connection.
    import pymysql

    store = connect("mysql")
    ns = unique("mydrop")
    store.init_namespace(ns, nodes=2, fresh=True)
    conn_id = store._local.conn.thread_id()
    from stores_support import MYSQL
    from urllib.parse import urlparse

    u = urlparse(MYSQL)
    admin = pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root", password=u.password or "")
    with admin.cursor() as cur:
        cur.execute(f"KILL CONNECTION {int(conn_id)}")
    admin.close()
    assert store.namespace(ns).nodes == 2
    assert store._local.conn.thread_id() != conn_id


def test_the_tables_are_checked_for_their_schema_version() -> None:
    store = connect("postgres")
    store.init()
    store.check_schema()


@pytest.mark.parametrize("fork", ["os.fork", "libc fork()"])
def test_a_lease_in_a_forked_child_is_refused(fork: str) -> None:
    # libc fork() through ctypes (GIL held, as a C extension forks): no os.register_at_fork hook runs.
    do_fork = os.fork if fork == "os.fork" else ctypes.PyDLL(None).fork
    store = connect("redis")
    ns = unique("fork")
    store.init_namespace(ns, nodes=2, ttl_ms=5_000, max_skew_ms=500, fresh=True)
    with store.lease_node(ns, layout=Layout.TWITTER) as lease:
        gen = Snowflake(lease=lease)
        gen.next()
        r, w = os.pipe()
        pid = int(do_fork())
        if pid == 0:
            try:
                try:
                    gen.next()  # a generator the parent made from the lease
                    code = b"minted"
                except idloom.ForkedError:
                    Snowflake(lease=lease)  # nor can the child fence a new one by the parent's lease
                    code = b"minted"
            except idloom.ForkedError:
                code = b"forked"
            except BaseException as e:  # pragma: no cover - reported to the parent
                code = repr(e).encode()
            os.write(w, code)
            os._exit(0)
        os.close(w)
        os.waitpid(pid, 0)
        assert os.read(r, 100) == b"forked"
        assert lease.state == "active"  # the child did not release the parent's lease


class BlackHole:
    """A server that accepts connections and never answers: a store that hangs."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_store_that_hangs_times_out_as_store_unavailable_and_memory_keeps_serving(engine: str) -> None:
    from idloom.stores import MySQLStore, PostgresStore, RedisStore

    hole = BlackHole()
    try:
        t = time.monotonic()
        with pytest.raises(idloom.StoreUnavailableError):
            if engine == "postgres":
                PostgresStore.from_url(f"host=127.0.0.1 port={hole.port} user=postgres dbname=test connect_timeout=1")
            elif engine == "mysql":
                MySQLStore.from_url(f"mysql://root@127.0.0.1:{hole.port}/test", connect_timeout=1, read_timeout=1).init()
            else:
                RedisStore.from_url(f"redis://127.0.0.1:{hole.port}/", socket_timeout=1, socket_connect_timeout=1).init_namespace(
                    unique("hang"), fresh=True)
        assert time.monotonic() - t < 5, "the timeout bounds the wait"
    finally:
        hole.close()


def test_a_paused_redis_mid_run_times_out_while_prefetched_ids_are_served() -> None:
    import signal

    from idloom.stores import RedisStore
    from stores_support import PrivateRedis

    with PrivateRedis() as server:
        store = RedisStore.from_url(server.url, socket_timeout=0.5, socket_connect_timeout=0.5)
        tag = unique("paused")
        store.init_segment(tag, floor=0)
        seg = Segment(store.segment_source(tag), step=1000, timeout_ms=3_000)
        got = [seg.next()]
        server.proc.send_signal(signal.SIGSTOP)  # the server hangs mid-run
        try:
            t = time.monotonic()
            got += [seg.next() for _ in range(999)]  # memory keeps serving; the refill times out meanwhile
            assert time.monotonic() - t < 1.0
            with pytest.raises(idloom.StoreUnavailableError):
                seg.next()
            stats = seg.stats()
            assert stats is not None and stats["failures"] >= 1
        finally:
            server.proc.send_signal(signal.SIGCONT)
        assert seg.next() not in got  # back: a fresh range
        assert len(set(got)) == len(got) == 1000


def test_another_schema_version_is_store_schema() -> None:
    # Tables of their own (a PostgreSQL schema, a MariaDB database) so the
    # shared ones stay at this version for the other tests.
    import pymysql

    from idloom.stores import MySQLStore, PostgresStore
    from stores_support import MYSQL, PG

    name = unique("schemav")
    pg = PostgresStore.from_url(PG)
    with pg._conn() as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        own = PostgresStore.from_url(f"{PG} options='-c search_path={name}'")
        own.init()
        with own._conn() as conn:
            conn.execute("UPDATE idloom_schema SET version = 99")
        with pytest.raises(idloom.StoreSchemaError, match="version 99"):
            own.check_schema()
        with pytest.raises(idloom.StoreSchemaError, match="version 99"):
            own.init_namespace(unique("ns"), fresh=True)
    finally:
        with pg._conn() as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")
    base = MYSQL.rsplit("/", 1)[0]
    admin = MySQLStore.from_url(MYSQL)
    admin._tx(lambda cur: cur.execute(f"CREATE DATABASE {name}"))
    try:
        own_my = MySQLStore.from_url(f"{base}/{name}")
        own_my.init()
        own_my._tx(lambda cur: cur.execute("UPDATE idloom_schema SET version = 99"))
        with pytest.raises(idloom.StoreSchemaError, match="version 99"):
            own_my.init()
    finally:
        admin._tx(lambda cur: cur.execute(f"DROP DATABASE {name}"))
    assert pymysql  # the driver the store used


def test_the_drivers_are_imported_only_when_a_store_is_made() -> None:
    import subprocess
    import sys

    code = ("import sys, idloom, idloom.stores; "
            "print(sorted(m for m in ('psycopg', 'redis', 'pymysql', 'psycopg_pool') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_a_background_segment_shows_its_ranges() -> None:
    seg = Segment(MemorySource(0), step=100, threshold_percent=50, max_prefetched=2, background=True)
    for _ in range(61):  # past half of [0, 100): the next range is fetched ahead
        seg.next()
    wait_for(lambda: (seg.stats() or {}).get("prefetched") != [] and not (seg.stats() or {}).get("in_flight"))
    stats = seg.stats()
    assert stats is not None
    assert stats["current"] == (61, 100)
    assert all(start >= 100 for start, _ in stats["prefetched"])
    assert stats["remaining"] == 39 + sum(e - s for s, e in stats["prefetched"])


def test_a_psycopg_pool_serves_leases_and_segments_from_many_threads() -> None:
    from psycopg_pool import ConnectionPool

    from idloom.stores import PostgresStore
    from stores_support import PG

    with ConnectionPool(PG, min_size=1, max_size=4, open=True) as pool:
        store = PostgresStore(pool)
        ns, tag = unique("pool"), unique("pool")
        store.init_namespace(ns, nodes=8, ttl_ms=5_000, max_skew_ms=500, fresh=True)
        store.init_segment(tag, floor=0, step=100)
        leases = []
        lock = threading.Lock()

        def work() -> None:
            lease = store.lease_node(ns)
            with lock:
                leases.append(lease)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({lease.node for lease in leases}) == 6
        for lease in leases:
            lease.release()
        seg = Segment(store.segment_source(tag, mode="cas"), step=100)
        got = [seg.next() for _ in range(500)]
        assert len(set(got)) == 500


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_an_existing_leaf_table_carries_on_above_leafs_ids(engine: str) -> None:
    # Leaf's own DDL and row, as a Leaf deployment left them (max_id moved on by Leaf).
    store = connect(engine)
    table = unique("leaf_alloc")
    if engine == "mysql":
        ddl = (f"CREATE TABLE {table} (biz_tag varchar(128) NOT NULL DEFAULT '', max_id bigint(20) NOT NULL DEFAULT '1', "
               "step int(11) NOT NULL, description varchar(256) DEFAULT NULL, "
               "update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (biz_tag)) "
               "ENGINE=InnoDB")
        row = f"INSERT INTO {table} (biz_tag, max_id, step, description) VALUES ('leaf-segment-test', 5001, 2000, 'Test')"
        store._tx(lambda cur: (cur.execute(ddl), cur.execute(row)))
    else:
        with store._conn() as conn:
            conn.execute(f"CREATE TABLE {table} (biz_tag varchar(128) PRIMARY KEY, max_id bigint NOT NULL DEFAULT 1, "
                         "step int NOT NULL, description varchar(256), update_time timestamp NOT NULL DEFAULT now())")
            conn.execute(f"INSERT INTO {table} (biz_tag, max_id, step, description) VALUES ('leaf-segment-test', 5001, 2000, 'Test')")
    try:
        ids = Segment(store.segment_source("leaf-segment-test", table=table), step=2000)
        assert [ids.next() for _ in range(3)] == [5001, 5002, 5003], "above every ID Leaf handed out"
        store.init_segment("leaf-segment-test", floor=0, table=table)  # init never lowers Leaf's row
        assert store.segment_peek("leaf-segment-test", table=table) >= 7001
    finally:
        if engine == "mysql":
            store._tx(lambda cur: cur.execute(f"DROP TABLE {table}"))
        else:
            with store._conn() as conn:
                conn.execute(f"DROP TABLE {table}")


def test_a_renewal_answered_too_late_to_judge_the_clocks_is_retried_not_fatal(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A holder paused while its renewal was in flight sees a long round trip:
    # that says nothing about the clocks (store_unavailable, retried), unlike a skew.
    ns = unique("late")
    store.init_namespace(ns, nodes=1, ttl_ms=1_500, max_skew_ms=200, fresh=True)
    lease = store.lease_node(ns)
    real = store._renew
    calls = []

    def late(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        got = real(*args, **kwargs)
        if len(calls) == 1:
            time.sleep(0.6)  # the answer arrives 600 ms later
        return got

    monkeypatch.setattr(store, "_renew", late)
    wait_for(lambda: lease.renewals >= 1, seconds=5)
    assert lease.renewal_failures >= 1 and lease.error is None and lease.state == "active"
    monkeypatch.undo()
    lease.release()


def simulate_restore(store, tag: str, table: str) -> None:  # type: ignore[no-untyped-def]
    """The counter's recorded store identity changed behind its back, as on
    a store restored from a backup (PostgreSQL) or restarted (Redis)."""
    from idloom._idloom import _redis_key

    if store.engine == "redis":
        store._client.set(_redis_key("counter", tag) + ":run_id", "another")
    else:
        with store._conn() as conn:
            conn.execute(f"UPDATE {table} SET store_identity = 'another/1' WHERE biz_tag = %s", (tag,))


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_a_guarded_counter_under_another_store_identity_is_refused_until_reinitialised(engine: str) -> None:
    store = connect(engine)
    table = unique("guard")
    opts = {} if engine == "redis" else {"table": table}
    tag, plain = unique("guard"), unique("plain")
    try:
        store.init_segment(plain, floor=100, **opts)
        store.init_segment(tag, floor=100, guard=True, **opts)
        sources = [store.segment_source(tag, **opts, **m) for m in segment_modes(store)]
        assert sources[0](10) == (100, 110)
        store.init_segment(tag, floor=5_000, guard=True, **opts)  # the same identity: nothing changes
        assert store.segment_peek(tag, **opts) == 110
        simulate_restore(store, tag, table)
        for source in sources:
            with pytest.raises(idloom.StoreStateLostError, match="store identity changed"):
                source(10)
        with pytest.raises(idloom.StoreStateLostError, match="store identity changed"):
            store.segment_peek(tag, **opts)
        store.init_segment(tag, floor=9_000, **opts)  # an unguarded init changes nothing
        with pytest.raises(idloom.StoreStateLostError):
            sources[0](10)
        assert store.segment_source(plain, **opts)(10) == (100, 110), "an unguarded counter is unaffected"
        store.init_segment(tag, floor=9_000, guard=True, **opts)  # re-initialised above the floor
        assert [source(10) for source in sources] == [(9_000 + 10 * k, 9_010 + 10 * k) for k in range(len(sources))]
        simulate_restore(store, tag, table)
        store.init_segment(tag, floor=5, guard=True, **opts)  # never lowered
        assert store.segment_peek(tag, **opts) == 9_000 + 10 * len(sources)
        with pytest.raises(idloom.InvalidTypeError):
            store.init_segment(tag, floor=0, guard="yes", **opts)
    finally:
        if engine == "postgres":
            with store._conn() as conn:
                conn.execute(f"DROP TABLE IF EXISTS {table}")


def test_mariadb_refuses_a_guard_instead_of_ignoring_it() -> None:
    # MariaDB/MySQL has no store identity its statements can read: a guard there would protect nothing.
    store = connect("mysql")
    tag = unique("noguard")
    with pytest.raises(idloom.InvalidArgumentError, match="guard"):
        store.init_segment(tag, floor=1, guard=True)
    with pytest.raises(idloom.StoreStateLostError):
        store.segment_peek(tag)  # nothing was created
    store.init_segment(tag, floor=1)  # unguarded, as before
    assert store.segment_peek(tag) == 1


def test_only_the_current_lease_renews_or_releases_its_start_included(store) -> None:  # type: ignore[no-untyped-def]
    """The store knows a lease by node, epoch, holder and start: an epoch
    number given again (after the store forgot) or a record revived by a
    restore has another start, or one below the floor, and is refused."""
    ns = unique("start")
    store.init_namespace(ns, nodes=1, ttl_ms=5_000, max_skew_ms=500, fresh=True)
    node, epoch, start, fence = store._acquire(ns, "a", 0)[:4]
    assert store._renew(ns, node, epoch, start + 1, "a", fence) is None
    with pytest.raises(idloom.LeaseLostError):
        store._release(ns, node, epoch, start + 1, "a", start)
    assert store._renew(ns, node, epoch, start, "a", fence)[:3] == (node, epoch, start)
    store._release(ns, node, epoch, start, "a", start)
