"""Leases and segments on MariaDB / MySQL through PyMySQL (``pip install 'idloom[mysql]'``).

Pass a connection factory (a callable returning a new ``pymysql`` connection,
or a pool's ``connection`` method); ``MySQLStore.from_url`` builds one. MariaDB
has no ``UPDATE … RETURNING``: a lease call is a short transaction of the
core's statements, and an atomic segment fetch reads ``LAST_INSERT_ID()`` on
the same connection. Connections are opened with ``CLIENT.FOUND_ROWS`` so a
renewal that changes nothing still counts as found.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlparse

from .._idloom import _classify, _mysql_tls, _read_answer, _redact_url, _segment_sql, _sequence_sql, _store_texts
from ._base import (LeafSource, Namespace, SequenceSource, Store, Subject, check_arg, check_input, check_int, check_mode,
                    check_source_options, check_text, namespace_of, nodes_of, sequence_numbers)
from .._errors import IdloomError
from ._lease import Grant, error
from ._sql import convert, texts


def _tls_options(query: Dict[str, List[str]]) -> Dict[str, Any]:
    """PyMySQL's TLS arguments for a MySQL URL's ``ssl-mode``/``ssl-ca``/``ssl-cert``/
    ``ssl-key`` (the core decides the mode): none without any of them (the
    driver's default), ``ssl_disabled`` for ``DISABLED``, else an ``ssl.SSLContext``."""
    def one(name: str) -> Optional[str]:
        values = query.get(name) or query.get(name.replace("-", "_"))
        return values[-1] if values else None

    ca, cert, key, mode_given = one("ssl-ca"), one("ssl-cert"), one("ssl-key"), one("ssl-mode")
    if mode_given is None and ca is None and cert is None:
        return {}
    mode = _mysql_tls(mode_given, ca is not None)
    if mode == "DISABLED":
        return {"ssl_disabled": True}
    try:
        context = ssl.create_default_context(cafile=ca)
        if cert is not None:
            context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as e:
        raise error("invalid_argument", f"mysql TLS files: {e}") from None
    context.check_hostname = mode == "VERIFY_IDENTITY"
    if mode == "REQUIRED":
        context.verify_mode = ssl.CERT_NONE
    return {"ssl": context}


class MySQLStore(Store):
    """A MariaDB / MySQL store over PyMySQL connections from ``connect()``
    (one per thread, kept)."""

    engine = "mysql"

    def __init__(self, connect: Callable[[], Any], *, table: str = "idloom_alloc") -> None:
        _driver()  # the driver is optional: imported when a store is made
        if not callable(connect):
            raise error("invalid_type", f"connect must be a callable returning a connection, got {type(connect).__name__}")
        self._connect = connect
        self._local = threading.local()
        self._table = check_text(table, "table")
        _segment_sql("", self._table)
        self._sql = texts("mysql")

    @classmethod
    def from_url(cls, url: str, *, connect_timeout: int = 5, read_timeout: int = 10, write_timeout: int = 10,
                 **options: Any) -> "MySQLStore":
        """``mysql://user:password@host:port/database``; the timeouts (seconds)
        bound a server that hangs (``StoreUnavailableError``). TLS as the
        MySQL client spells it: ``?ssl-mode=VERIFY_IDENTITY&ssl-ca=/path/ca.pem``
        (``REQUIRED``: encrypted, unverified; ``VERIFY_CA``: the CA, not the host
        name; ``ssl-ca`` alone: ``VERIFY_CA``), and ``ssl-cert``/``ssl-key`` for
        a client certificate. ``PREFERRED`` is refused (it would fall back to
        plain text silently)."""
        pymysql = _driver()
        from pymysql.constants import CLIENT  # type: ignore[import-untyped]

        u = urlparse(check_text(url, "url"))
        if u.scheme not in ("mysql", "mariadb"):
            raise error("invalid_argument", f"url must be mysql://user:password@host:port/database, got {_redact_url(url)!r}")
        kw: Dict[str, Any] = dict(host=u.hostname or "127.0.0.1", port=u.port or 3306, user=unquote(u.username or "root"),
                                  password=unquote(u.password or ""), database=(u.path or "/").lstrip("/") or None,
                                  client_flag=CLIENT.FOUND_ROWS, autocommit=True,
                                  connect_timeout=check_arg("connect_timeout", connect_timeout),
                                  read_timeout=check_arg("read_timeout", read_timeout),
                                  write_timeout=check_arg("write_timeout", write_timeout))
        kw.update(_tls_options(parse_qs(u.query)))
        store = cls(lambda: pymysql.connect(**kw), **options)
        store._shown_url = url
        return store

    # -- plumbing -----------------------------------------------------------------
    def _db(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = self._connect()
            except _driver().Error as e:
                raise self._driver_error(e) from None
            self._local.conn = conn
        return conn

    def _tx(self, body: Callable[[Any], Any]) -> Any:
        """Run ``body(cursor)`` in one transaction; map driver failures to codes.

        A thread's kept connection that the server dropped while it sat idle
        (a restart, a failover) fails on its first use; that one call is tried
        again at once on a new connection instead of reporting an outage that
        is over (the soak found a clean shutdown's release lost that way).
        Every text is safe to run twice: a lost grant, range or ticket is a
        gap, never a duplicate."""
        kept = getattr(self._local, "conn", None) is not None
        try:
            return self._tx_once(body)
        except IdloomError as e:
            if not (kept and getattr(e, "_dropped", False)):
                raise
        return self._tx_once(body)

    def _tx_once(self, body: Callable[[Any], Any]) -> Any:
        pm = _driver()
        conn = self._db()
        try:
            conn.begin()
            with conn.cursor() as cur:
                out = body(cur)
            conn.commit()
            return out
        except pm.Error as e:
            self._drop(conn)
            failure = self._driver_error(e)
            # 2006 gone away, 2013 lost (not a read timeout: that one is not tried twice)
            errno = e.args[0] if e.args else None
            failure._dropped = errno in (2006, 2013) and "timed out" not in str(e)  # type: ignore[attr-defined]
            raise failure from None
        except BaseException:
            self._drop(conn)
            raise

    def _driver_error(self, e: Exception) -> Exception:
        """A PyMySQL failure as the core classifies it: its error number,
        server's or client's (a missing table is ``store_schema``; a lost
        connection, a deadlock, a read-only server ``store_unavailable``; any
        other refusal ``store_schema``), or no answer at all (a closed
        connection, a socket error without a number: ``store_unavailable``).
        The message carries the driver's text, redacted."""
        pm = _driver()
        errno = e.args[0] if e.args else None
        detail = self._redacted(str(e.args[1]) if len(e.args) > 1 else str(e))
        if isinstance(errno, int) and not isinstance(errno, bool) and errno > 0:
            return _classify("mysql", "errno", errno, detail)
        if isinstance(e, (pm.err.OperationalError, pm.err.InterfaceError)):
            return _classify("mysql", "connection", None, detail)
        return _classify("mysql", "errno", 0, detail)  # a refusal without a number: store_schema

    def _drop(self, conn: Any) -> None:
        self._local.conn = None
        try:
            conn.close()
        except Exception:
            pass

    # -- namespaces and leases ------------------------------------------------------
    def init(self) -> None:
        """Create the coordination tables if missing and check the schema version."""
        def body(cur: Any) -> Any:
            for statement in _store_texts("mysql")["SCHEMA_STATEMENTS"]:
                cur.execute(statement)
            cur.execute(self._sql["SCHEMA_VERSION"])
            return cur.fetchone()
        _read_answer("mysql", "schema_version", None, self._tx(body))

    def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        def body(cur: Any) -> Any:
            cur.execute(self._sql["NAMESPACE_INIT"], (ns, record, nodes, ttl_ms, max_skew_ms, int(fresh), ttl_ms, max_skew_ms))
            cur.execute(self._sql["NAMESPACE_GET"], (ns,))
            row = cur.fetchone()
            got = namespace_of(_read_answer("mysql", "namespace_init", who, row))
            if got is not None and got.layout == record and got.nodes == nodes:
                # The rows are made together: once the last exists, all do. Else 1,000 per statement.
                cur.execute(self._sql["NODE_GET"], (ns, nodes - 1))
                if cur.fetchone() is None:
                    for first in range(0, nodes, 1000):
                        cur.execute(self._sql["NODE_ROWS"], (ns, first, first, min(first + 1000, nodes)))
            return got
        who: Subject = {"namespace": ns}
        return self._tx(body)  # type: ignore[no-any-return]

    def _namespace_get(self, ns: str) -> Optional[Namespace]:
        def body(cur: Any) -> Any:
            cur.execute(self._sql["NAMESPACE_GET"], (ns,))
            return cur.fetchone()
        return namespace_of(_read_answer("mysql", "namespace_get", {"namespace": ns}, self._tx(body)))

    def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        who: Subject = {"namespace": ns}

        def body(cur: Any) -> Grant:
            cur.execute(self._sql["NAMESPACE_LOCK"], (ns,))
            _, ttl, floor, now = _read_answer("mysql", "acquire_lock", who, cur.fetchone())
            cur.execute(self._sql["ACQUIRE_PICK"], (ns, holder, now, ns, now))
            _, node = _read_answer("mysql", "acquire_pick", who, cur.fetchone())
            cur.execute(self._sql["ACQUIRE_TAKE"], (holder, now + ttl, floor, proposed_fence_ms, ns, node))
            cur.execute(self._sql["NODE_GET"], (ns, node))
            _, epoch, start, fence = _read_answer("mysql", "node_get", {"namespace": ns, "node": node}, cur.fetchone())
            return (node, epoch, start, fence, now, 0)  # MariaDB has no store identity to compare
        return self._tx(body)  # type: ignore[no-any-return]

    def _renew(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        who: Subject = {"namespace": ns, "node": node, "epoch": epoch}

        def body(cur: Any) -> Optional[Grant]:
            cur.execute(self._sql["NAMESPACE_LOCK"], (ns,))
            lock = _read_answer("mysql", "renew_lock", who, cur.fetchone())
            if lock[0] == "refused":
                return None
            _, ttl, _, now = lock
            changed = cur.execute(self._sql["RENEW"], (now + ttl, proposed_fence_ms, ns, node, epoch, holder, start_ms))
            if _read_answer("mysql", "renew", who, (changed,))[0] == "refused":
                return None
            cur.execute(self._sql["NODE_GET"], (ns, node))
            _, got_epoch, start, fence = _read_answer("mysql", "node_get", who, cur.fetchone())
            return (node, got_epoch, start, fence, now, 0)
        return self._tx(body)  # type: ignore[no-any-return]

    def _release(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, high_water_ms: int) -> None:
        changed = self._tx(lambda cur: cur.execute(self._sql["RELEASE"], (high_water_ms, ns, node, epoch, holder, start_ms)))
        _read_answer("mysql", "release", {"namespace": ns, "node": node, "epoch": epoch}, (changed,))

    def _nodes(self, ns: str) -> List[Tuple[Any, ...]]:
        def body(cur: Any) -> Any:
            cur.execute(self._sql["NODES"], (ns,))
            return list(cur.fetchall())
        return nodes_of("mysql", ns, self._tx(body))

    # -- sequences and tickets -------------------------------------------------------------
    def init_sequence(self, name: str, *, step: int, floor: int = 0, index: int = 0, count: int = 1) -> None:
        """Create MariaDB sequence ``name`` if missing (``CACHE 0``): ranges of
        ``step`` from ``floor``; with ``count`` databases, this one is ``index``."""
        start, increment = sequence_numbers(step, floor, index, count)
        create = _sequence_sql(_store_texts("mysql")["SEQUENCE_CREATE"], check_text(name, "name"), start, increment)
        self._tx(lambda cur: cur.execute(create))

    def sequence_source(self, name: str, *, step: int) -> SequenceSource:
        """``source(step) -> (v, v + step)`` by ``NEXTVAL``."""
        fetch = _segment_sql(_store_texts("mysql")["SEQUENCE_FETCH"], check_text(name, "name"))

        def nextval() -> int:
            def body(cur: Any) -> int:
                cur.execute(fetch)
                return int(cur.fetchone()[0])
            return self._tx(body)  # type: ignore[no-any-return]

        return SequenceSource(name, check_arg("counter_step", step), nextval)

    def init_tickets(self, table: str) -> None:
        """Create a Flickr ticket table if missing (one row per stub; the
        auto-increment is the counter)."""
        schema = _segment_sql(_store_texts("mysql")["TICKET_SCHEMA"], check_text(table, "table"))
        self._tx(lambda cur: cur.execute(schema))

    def ticket_source(self, table: str, *, servers: int = 1, index: int = 1, replace: bool = False) -> "TicketSource":
        """Flickr tickets: ``source(step) -> (t, t + 1)``, one ticket per call.
        With ``servers`` ticket servers this one hands out ``t ≡ index (mod
        servers)`` (``auto_increment_increment`` and ``_offset`` set on the
        connection for each call). ``replace=True`` uses Flickr's ``REPLACE
        INTO``, which deadlocks under concurrency on InnoDB."""
        servers = check_arg("servers", servers)
        index = check_int(index, "index", 1, servers)
        if not isinstance(replace, bool):
            raise error("invalid_type", f"replace must be a bool, got {type(replace).__name__}")
        text = _store_texts("mysql")["TICKET_REPLACE" if replace else "TICKET_NEXT"]
        insert = convert("mysql", _segment_sql(text, check_text(table, "table")))
        session = f"SET SESSION auto_increment_increment = {servers}, auto_increment_offset = {index}"
        last_id = self._sql["LAST_ID"]

        def ticket() -> int:
            def body(cur: Any) -> int:
                cur.execute(session)
                cur.execute(insert, ("a",))
                cur.execute(last_id)
                return int(cur.fetchone()[0])
            return self._tx(body)  # type: ignore[no-any-return]

        return TicketSource(table, ticket)

    # -- segments -----------------------------------------------------------------------
    def _segment(self, name: str, table: Optional[str]) -> str:
        return convert("mysql", _segment_sql(_store_texts("mysql")[name], self._table if table is None else table))

    def init_segment(self, biz_tag: str, *, floor: int, step: int = 1000, description: str = "",
                     table: Optional[str] = None, guard: bool = False) -> None:
        """Create the segment table and the ``biz_tag`` counter at ``floor`` if missing (never lowered).
        ``guard=True`` is refused: MariaDB/MySQL has no store identity its statements can read."""
        if guard is not False:
            raise error("invalid_argument", f"guard: {_store_texts('mysql')['GUARD_REFUSED']}")
        check_input("biz_tag", biz_tag)
        check_arg("floor", floor)
        check_arg("counter_step", step)
        check_input("description", description)
        schema = _segment_sql(_store_texts("mysql")["SEGMENT_SCHEMA"], self._table if table is None else table)
        init = self._segment("SEGMENT_INIT", table)

        def body(cur: Any) -> None:
            cur.execute(schema)
            cur.execute(init, (biz_tag, floor, step, description))
        self._tx(body)

    def segment_peek(self, biz_tag: str, *, table: Optional[str] = None) -> int:
        """Where the counter's next range starts (``StoreStateLostError`` if missing); changes nothing."""
        read = self._segment("SEGMENT_READ", table)

        def body(cur: Any) -> Any:
            cur.execute(read, (check_input("biz_tag", biz_tag),))
            return cur.fetchone()
        return int(_read_answer("mysql", "segment_read", {"biz_tag": biz_tag}, self._tx(body))[1])

    def segment_source(self, biz_tag: str, *, mode: str = "atomic", table: Optional[str] = None,
                       **options: Any) -> LeafSource:
        """``source(step) -> (start, end)`` from the Leaf row ``biz_tag``:
        ``mode="atomic"``, ``max_id = LAST_INSERT_ID(max_id + step)`` then
        ``LAST_INSERT_ID()`` on the same connection; ``mode="cas"``, read then
        compare-and-set (``source.retries`` counts the rounds lost)."""
        check_input("biz_tag", biz_tag)
        mode = check_mode(mode)
        check_source_options(options)
        fetch, read, cas = (self._segment(n, table) for n in ("SEGMENT_FETCH", "SEGMENT_READ", "SEGMENT_CAS"))
        last_id = self._sql["LAST_ID"]
        who: Subject = {"biz_tag": biz_tag}

        def atomic(step: int) -> Tuple[int, int]:
            def body(cur: Any) -> Optional[Tuple[int, int]]:
                if cur.execute(fetch, (step, biz_tag)) == 0:
                    return None  # no such counter
                cur.execute(last_id)
                end = int(cur.fetchone()[0])
                return (end - step, end)
            _, start, end = _read_answer("mysql", "segment_fetch", who, self._tx(body))
            return (start, end)

        def current() -> int:
            def body(cur: Any) -> Any:
                cur.execute(read, (biz_tag,))
                return cur.fetchone()
            return int(_read_answer("mysql", "segment_read", who, self._tx(body))[1])

        def swap(old: int, new: int) -> bool:
            changed = self._tx(lambda cur: cur.execute(cas, (new, biz_tag, old)))
            return bool(_read_answer("mysql", "segment_cas", who, (changed,))[0] == "done")

        return LeafSource(biz_tag, mode, atomic, current, swap)


def _driver() -> Any:
    import pymysql  # type: ignore[import-untyped]

    return pymysql


class TicketSource:
    """``source(step) -> (t, t + 1)``: one Flickr ticket per call (the
    ``Segment`` asks again when it runs out). A ``Segment`` over it refills
    in a background thread."""

    #: ``Segment`` refills from a store in a background thread by default.
    background_refill = True

    def __init__(self, table: str, ticket: Callable[[], int]) -> None:
        self.table, self._ticket = table, ticket

    def __call__(self, step: int) -> Tuple[int, int]:
        check_arg("step", step)
        t = self._ticket()
        return (t, t + 1)
