"""Leases and segments on PostgreSQL through psycopg 3 (``pip install 'idloom[postgres]'``).

Pass a ``psycopg.Connection`` of its own (autocommit or not: each call runs
in its own transaction) or a ``psycopg_pool.ConnectionPool``. Every statement
is one of the core's texts, so the protocol is the one the Rust, Node and
Python tests prove on the real server.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, List, Optional, Tuple

from .._errors import IdloomError
from .._idloom import _CREATE_TRIES, _classify, _create_race, _read_answer, _redact, _segment_sql, _sequence_sql
from ._base import (LeafSource, Namespace, SequenceSource, Store, check_arg, check_guard, check_input, check_mode,
                    check_source_options, check_text, grant_of, namespace_of, nodes_of, sequence_numbers)
from ._lease import Grant
from ._sql import convert, params, texts


class PostgresStore(Store):
    """A PostgreSQL store over a psycopg 3 connection or pool.

    ``table`` names the Leaf-compatible segment table (``biz_tag, max_id,
    step, description, update_time``): ``"leaf_alloc"`` for an existing Leaf.
    """

    engine = "postgres"

    def __init__(self, conn_or_pool: Any, *, table: str = "idloom_alloc") -> None:
        self._target = conn_or_pool
        self._lock = threading.RLock()
        self._table = check_text(table, "table")
        _segment_sql("", self._table)  # an identifier, or InvalidArgumentError now
        self._sql = texts("postgres")
        self._url: Optional[str] = None  # set by from_url: its connection is ours to remake
        _driver()  # the driver is optional: imported when a store is made

    @classmethod
    def from_url(cls, url: str, **options: Any) -> "PostgresStore":
        """Connect with ``psycopg.connect(url, autocommit=True)``. A connection
        the server dropped (a restart, a failover) is made again on the next
        call; a connection or pool you pass is yours to keep alive (a
        ``psycopg_pool`` pool does)."""
        import psycopg

        url = check_text(url, "url")
        try:
            conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as e:
            raise driver_error(e, url) from None
        store = cls(conn, **options)
        store._url = store._shown_url = url
        return store

    def _reconnect_if_dropped(self) -> None:
        """from_url's connection, made again once the server dropped it (the
        soak's PostgreSQL restarts found a store that stayed unavailable)."""
        if self._url is None or not (self._target.closed or self._target.broken):
            return
        import psycopg

        try:
            self._target = psycopg.connect(self._url, autocommit=True)
        except psycopg.Error as e:
            raise driver_error(e, self._url) from None

    # -- plumbing -----------------------------------------------------------------
    @contextlib.contextmanager
    def _conn(self) -> Iterator[Any]:
        pg = _driver()
        try:
            if isinstance(self._target, pg.Connection):
                # One connection, several threads (callers, the renewal thread):
                # one call at a time. Every text is one statement: on an
                # autocommit connection (from_url's) it commits on the server
                # by itself, so a holder paused mid-call (SIGSTOP, a VM
                # migration) holds no row lock that would stall every other
                # acquirer; only a connection that is not autocommit needs
                # the explicit transaction (and carries that hazard: see the README).
                with self._lock:
                    self._reconnect_if_dropped()
                    if self._target.autocommit:
                        yield self._target
                    else:
                        with self._target.transaction():
                            yield self._target
            else:  # a psycopg_pool pool: a connection per call, committed on return
                with self._target.connection() as conn:
                    yield conn
        except pg.Error as e:
            raise driver_error(e, self._url) from None

    def _one(self, sql: str, *args: Any) -> Optional[Tuple[Any, ...]]:
        with self._conn() as conn:
            return conn.execute(sql, params(*args)).fetchone()  # type: ignore[no-any-return]

    # -- namespaces and leases ------------------------------------------------------
    def init(self) -> None:
        """Create the coordination tables if missing and check the schema version."""
        for tries in range(1, _CREATE_TRIES + 1):
            race = Race(tries)
            try:
                with self._conn() as conn:
                    with race:
                        conn.execute(_store_schema())
                    row = conn.execute(self._sql["SCHEMA_VERSION"]).fetchone()
                break
            except IdloomError:
                if not race.met:
                    raise
        self._check_version(row)

    def check_schema(self) -> None:
        """``StoreSchemaError`` unless the tables hold this version of the schema."""
        self._check_version(self._one(self._sql["SCHEMA_VERSION"]))

    @staticmethod
    def _check_version(row: Optional[Tuple[Any, ...]]) -> None:
        _read_answer("postgres", "schema_version", None, row)

    def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        row = self._one(self._sql["NAMESPACE_INIT"], ns, record, nodes, ttl_ms, max_skew_ms, fresh)
        return namespace_init(ns, row)

    def _namespace_get(self, ns: str) -> Optional[Namespace]:
        return namespace_get(ns, self._one(self._sql["NAMESPACE_GET"], ns))

    def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        return acquired(ns, self._one(self._sql["ACQUIRE"], ns, holder, proposed_fence_ms))

    def _renew(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        return renewed(ns, node, epoch, self._one(self._sql["RENEW"], ns, node, epoch, holder, proposed_fence_ms, start_ms))

    def _release(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, high_water_ms: int) -> None:
        released(ns, node, epoch, self._one(self._sql["RELEASE"], ns, node, epoch, holder, high_water_ms, start_ms))

    def _nodes(self, ns: str) -> List[Tuple[Any, ...]]:
        with self._conn() as conn:
            return nodes_of("postgres", ns, conn.execute(self._sql["NODES"], params(ns)).fetchall())

    # -- sequences -----------------------------------------------------------------------
    def init_sequence(self, name: str, *, step: int, floor: int = 0, index: int = 0, count: int = 1) -> None:
        """Create sequence ``name`` if missing: ranges of ``step`` from
        ``floor``; with ``count`` databases, this one is ``index`` (start
        ``floor + index × step``, increment ``count × step``)."""
        start, increment = sequence_numbers(step, floor, index, count)
        with self._conn() as conn:
            conn.execute(_sequence_sql(_store_texts_raw()["SEQUENCE_CREATE"], check_text(name, "name"), start, increment))

    def sequence_source(self, name: str, *, step: int) -> SequenceSource:
        """``source(step) -> (v, v + step)`` by ``nextval`` (its commit waits
        for the WAL flush, so a crash cannot hand a range out twice)."""
        fetch = self._segment_text("SEQUENCE_FETCH", check_text(name, "name"))

        def nextval() -> int:
            row = self._one(fetch)
            assert row is not None
            return int(row[0])

        return SequenceSource(name, check_arg("counter_step", step), nextval)

    def _segment_text(self, text: str, name: str) -> str:
        return convert("postgres", _segment_sql(_store_texts_raw()[text], name))

    # -- segments -----------------------------------------------------------------------
    def _segment(self, name: str, table: Optional[str]) -> str:
        return convert("postgres", _segment_sql(_store_texts_raw()[name], self._table if table is None else table))

    def init_segment(self, biz_tag: str, *, floor: int, step: int = 1000, description: str = "",
                     table: Optional[str] = None, guard: bool = False) -> None:
        """Create the segment table and the ``biz_tag`` counter at ``floor``
        (its first ``max_id``) if missing; an existing counter is never lowered.

        ``guard=True``: the counter records the server's identity
        (``system_identifier``/timeline, in a ``store_identity`` column this
        call adds to the table); every fetch under another identity (a restore
        from a backup, a promotion) is ``StoreStateLostError`` and moves
        nothing. Calling it again with ``guard=True`` then raises the counter
        to ``max(max_id, floor)`` and records the new identity: give a floor
        above every ID handed out before. Under the same identity it changes
        nothing."""
        check_input("biz_tag", biz_tag)
        check_arg("floor", floor)
        check_arg("counter_step", step)
        check_input("description", description)
        init = "SEGMENT_INIT_GUARD" if check_guard(guard) else "SEGMENT_INIT"
        with self._conn() as conn:
            conn.execute(self._segment("SEGMENT_SCHEMA", table))
            if guard:
                conn.execute(self._segment("SEGMENT_GUARD_SCHEMA", table))
            conn.execute(self._segment(init, table), params(biz_tag, floor, step, description))

    def segment_peek(self, biz_tag: str, *, table: Optional[str] = None) -> int:
        """Where the counter's next range starts (``StoreStateLostError`` if
        missing, or guarded under another store identity); changes nothing."""
        row = self._one(self._segment("SEGMENT_READ", table), check_input("biz_tag", biz_tag))
        return int(_read_answer("postgres", "segment_read", {"biz_tag": biz_tag}, row)[1])

    def segment_source(self, biz_tag: str, *, mode: str = "atomic", table: Optional[str] = None,
                       **options: Any) -> LeafSource:
        """``source(step) -> (start, end)`` from the Leaf row ``biz_tag``:
        ``mode="atomic"``, one ``UPDATE … RETURNING``; ``mode="cas"``, read then
        compare-and-set (``source.retries`` counts the rounds lost)."""
        check_input("biz_tag", biz_tag)
        mode = check_mode(mode)
        check_source_options(options)
        fetch, read, cas = (self._segment(n, table) for n in ("SEGMENT_FETCH", "SEGMENT_READ", "SEGMENT_CAS"))
        who = {"biz_tag": biz_tag}

        def atomic(step: int) -> Tuple[int, int]:
            _, start, end = _read_answer("postgres", "segment_fetch", who, self._one(fetch, biz_tag, step))
            return (start, end)

        def current() -> int:
            return int(_read_answer("postgres", "segment_read", who, self._one(read, biz_tag))[1])

        def swap(old: int, new: int) -> bool:
            with self._conn() as conn:
                moved = conn.execute(cas, params(biz_tag, old, new)).rowcount
            return swapped(biz_tag, moved)

        return LeafSource(biz_tag, mode, atomic, current, swap)


def driver_error(e: Exception, url: Optional[str] = None) -> Exception:
    """A psycopg failure as the core classifies it: its SQLSTATE (a missing
    table is ``store_schema``; a connection, a standby, a deadlock or a
    shutdown ``store_unavailable``; any other refusal ``store_schema``), or
    no answer at all (a connection that failed or broke, a client timeout:
    ``store_unavailable``). The message carries the driver's text, redacted."""
    pg = _driver()
    detail = str(e) if url is None else _redact(str(e), url)
    state = getattr(e, "sqlstate", None)
    if state:
        return _classify("postgres", "sqlstate", state, detail)
    if isinstance(e, pg.OperationalError):  # no SQLSTATE: the client's own failure to reach the server
        return _classify("postgres", "connection", None, detail)
    return _classify("postgres", "sqlstate", "", detail)  # a refusal without a SQLSTATE: store_schema


def namespace_init(ns: str, row: Optional[Tuple[Any, ...]]) -> Namespace:
    """The record a NAMESPACE_INIT row holds (the core reads it)."""
    got = namespace_of(_read_answer("postgres", "namespace_init", {"namespace": ns}, row))
    assert got is not None
    return got


def namespace_get(ns: str, row: Optional[Tuple[Any, ...]]) -> Optional[Namespace]:
    """The record a NAMESPACE_GET row holds (None: no such namespace)."""
    return namespace_of(_read_answer("postgres", "namespace_get", {"namespace": ns}, row))


def acquired(ns: str, row: Optional[Tuple[Any, ...]]) -> Grant:
    """The grant in an ACQUIRE row, or the error it stands for (the core's)."""
    got = grant_of(_read_answer("postgres", "acquire", {"namespace": ns}, row))
    assert got is not None
    return got


def renewed(ns: str, node: int, epoch: int, row: Optional[Tuple[Any, ...]]) -> Optional[Grant]:
    """The grant in a RENEW row (None: refused, the lease is lost)."""
    return grant_of(_read_answer("postgres", "renew", {"namespace": ns, "node": node, "epoch": epoch}, row))


def released(ns: str, node: int, epoch: int, row: Optional[Tuple[Any, ...]]) -> None:
    """A RELEASE row, or the core's ``LeaseLostError`` when another holder or epoch has the node."""
    _read_answer("postgres", "release", {"namespace": ns, "node": node, "epoch": epoch}, row)


def swapped(biz_tag: str, moved: int) -> bool:
    """Whether a SEGMENT_CAS moved the row (its count of rows changed, read by the core)."""
    return bool(_read_answer("postgres", "segment_cas", {"biz_tag": biz_tag}, (moved,))[0] == "done")


def _driver() -> Any:
    import psycopg

    return psycopg


def _store_texts_raw() -> dict:  # type: ignore[type-arg]
    from .._idloom import _store_texts

    return _store_texts("postgres")


class Race:
    """Around a create text: whether its failure was the concurrent-create
    race the core names (another session created the object meanwhile), on
    a try that may run it again (``_CREATE_TRIES`` in all)."""

    def __init__(self, tries: int) -> None:
        self.tries, self.met = tries, False

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, e: Any, tb: Any) -> None:
        code = getattr(e, "sqlstate", None) or ""
        self.met = e is not None and self.tries < _CREATE_TRIES and _create_race("postgres", code)


def _store_schema() -> str:
    return str(_store_texts_raw()["SCHEMA"])
