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

from .._idloom import _redact, _segment_sql, _sequence_sql
from ._base import (LeafSource, Namespace, SequenceSource, Store, check_guard, check_input, check_int, check_mode,
                    check_source_options, check_text, guard_lost, sequence_numbers)
from ._lease import Grant, error
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
            raise error("store_unavailable", _redact(f"postgres: cannot connect: {e}", url)) from None
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
            raise error("store_unavailable", _redact(f"postgres: cannot connect: {e}", self._url)) from None

    # -- plumbing -----------------------------------------------------------------
    @contextlib.contextmanager
    def _conn(self) -> Iterator[Any]:
        pg = _driver()
        try:
            if isinstance(self._target, pg.Connection):
                # One connection, several threads (callers, the renewal thread):
                # one transaction at a time.
                with self._lock:
                    self._reconnect_if_dropped()
                    with self._target.transaction():
                        yield self._target
            else:  # a psycopg_pool pool: a connection per call, committed on return
                with self._target.connection() as conn:
                    yield conn
        except pg.Error as e:
            raise driver_error(e) from None

    def _one(self, sql: str, *args: Any) -> Optional[Tuple[Any, ...]]:
        with self._conn() as conn:
            return conn.execute(sql, params(*args)).fetchone()  # type: ignore[no-any-return]

    # -- namespaces and leases ------------------------------------------------------
    def init(self) -> None:
        """Create the coordination tables if missing and check the schema version."""
        with self._conn() as conn:
            conn.execute(_store_schema())
            row = conn.execute(self._sql["SCHEMA_VERSION"]).fetchone()
        self._check_version(row)

    def check_schema(self) -> None:
        """``StoreSchemaError`` unless the tables hold this version of the schema."""
        self._check_version(self._one(self._sql["SCHEMA_VERSION"]))

    @staticmethod
    def _check_version(row: Optional[Tuple[Any, ...]]) -> None:
        from .._idloom import _store_texts

        want = _store_texts("postgres")["schema_version"]
        if row is None or row[0] != want:
            raise error("store_schema", f"postgres: idloom schema version {row[0] if row else None}, "
                                        f"this idloom needs {want}")

    def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        row = self._one(self._sql["NAMESPACE_INIT"], ns, record, nodes, ttl_ms, max_skew_ms, fresh)
        assert row is not None
        return Namespace(*row)

    def _namespace_get(self, ns: str) -> Optional[Namespace]:
        row = self._one(self._sql["NAMESPACE_GET"], ns)
        return None if row is None else Namespace(*row)

    def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        return acquired(ns, self._one(self._sql["ACQUIRE"], ns, holder, proposed_fence_ms))

    def _renew(self, ns: str, node: int, epoch: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        return renewed(self._one(self._sql["RENEW"], ns, node, epoch, holder, proposed_fence_ms))

    def _release(self, ns: str, node: int, epoch: int, holder: str, high_water_ms: int) -> None:
        released(ns, node, epoch, self._one(self._sql["RELEASE"], ns, node, epoch, holder, high_water_ms))

    def _nodes(self, ns: str) -> List[Tuple[Any, ...]]:
        with self._conn() as conn:
            return list(conn.execute(self._sql["NODES"], params(ns)).fetchall())

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

        return SequenceSource(name, check_int(step, "step", 1, (1 << 31) - 1), nextval)

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
        check_int(floor, "floor", 0, (1 << 63) - 1)
        check_int(step, "step", 1, (1 << 31) - 1)
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
        if row is None:
            raise error("store_state_lost", f"biz_tag {biz_tag}: no such counter")
        if row[1]:
            raise guard_lost(f"biz_tag {biz_tag}")
        return int(row[0])

    def segment_source(self, biz_tag: str, *, mode: str = "atomic", table: Optional[str] = None,
                       **options: Any) -> LeafSource:
        """``source(step) -> (start, end)`` from the Leaf row ``biz_tag``:
        ``mode="atomic"``, one ``UPDATE … RETURNING``; ``mode="cas"``, read then
        compare-and-set (``source.retries`` counts the rounds lost)."""
        check_input("biz_tag", biz_tag)
        mode = check_mode(mode)
        check_source_options(options)
        fetch, read, cas = (self._segment(n, table) for n in ("SEGMENT_FETCH", "SEGMENT_READ", "SEGMENT_CAS"))

        def atomic(step: int) -> Optional[Tuple[int, int]]:
            row = self._one(fetch, biz_tag, step)
            if row is not None and row[0] is None:  # guarded under another store identity: nothing moved
                raise guard_lost(f"biz_tag {biz_tag}")
            return None if row is None else (row[0], row[1])

        def current() -> Optional[int]:
            row = self._one(read, biz_tag)
            if row is not None and row[1]:
                raise guard_lost(f"biz_tag {biz_tag}")
            return None if row is None else int(row[0])

        def swap(old: int, new: int) -> bool:
            with self._conn() as conn:
                return bool(conn.execute(cas, params(biz_tag, old, new)).rowcount == 1)

        return LeafSource(biz_tag, mode, atomic, current, swap)


def driver_error(e: Exception) -> Exception:
    """A psycopg failure as its idloom code: a missing table is ``store_schema``,
    a connection or timeout failure ``store_unavailable``, any other refusal
    ``store_schema``."""
    pg = _driver()
    if isinstance(e, pg.errors.UndefinedTable):
        return error("store_schema", f"postgres: a table is missing ({e}); run init")
    if isinstance(e, pg.OperationalError):
        return error("store_unavailable", f"postgres: {e}".strip())
    return error("store_schema", f"postgres refused an idloom statement: {e}")


def acquired(ns: str, row: Optional[Tuple[Any, ...]]) -> Grant:
    """The grant in an ACQUIRE row, or the error it stands for."""
    if row is None or not row[0]:
        raise error("store_state_lost", f"namespace {ns}: missing on this store; init it (not fresh)")
    if row[1] is None:
        raise error("no_free_node", f"namespace {ns}: every node is leased by a live holder")
    return (row[1], row[2], row[3], row[4], row[5])


def renewed(row: Optional[Tuple[Any, ...]]) -> Optional[Grant]:
    """The grant in a RENEW row (None: refused)."""
    return None if row is None else (row[0], row[1], row[2], row[3], row[4])


def released(ns: str, node: int, epoch: int, row: Optional[Tuple[Any, ...]]) -> None:
    if row is None:
        raise error("lease_lost", f"namespace {ns}, node {node}, epoch {epoch}: another holder has it")


def _driver() -> Any:
    import psycopg

    return psycopg


def _store_texts_raw() -> dict:  # type: ignore[type-arg]
    from .._idloom import _store_texts

    return _store_texts("postgres")


def _store_schema() -> str:
    return str(_store_texts_raw()["SCHEMA"])
