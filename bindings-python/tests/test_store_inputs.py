"""Caller text never becomes store text. PyMySQL escapes on the client: on
a session with ``NO_BACKSLASH_ESCAPES`` (where ``\\'`` no longer escapes a
quote) it must double quotes instead, which it does only when it knows the
server's status flag. These tests run the reported injection and variants
on such a session of the real MariaDB (never a mock; it must answer)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from stores_support import MYSQL, unique


def _hex(s: str) -> str:
    return "0x" + s.encode().hex()


EVIL = (_hex("injected"), _hex("pwned"))
PAYLOADS = [
    f"x'), ({EVIL[0]}, 999999, 1, {EVIL[1]}) -- ",  # the report's
    f"x\\'), ({EVIL[0]}, 999999, 1, {EVIL[1]}) -- ",
    f"x''), ({EVIL[0]}, 999999, 1, {EVIL[1]}) -- ",
    f"x\\\\'), ({EVIL[0]}, 999999, 1, {EVIL[1]}) /* ",
    f"x'), ({EVIL[0]}, 999999, 1, {EVIL[1]}) #",
    "back\\slash \\0 \\n \\' \\\" \\Z % _ ; -- /* */ '' \"\" %s %(p1)s",
    "quotes ' \" ` and unicode: 號段 ✓",
]


def _no_backslash_connect() -> Any:
    """A connection factory whose sessions run with NO_BACKSLASH_ESCAPES (the
    shared server's global sql_mode is left alone)."""
    import pymysql
    from pymysql.constants import CLIENT

    u = urlparse(MYSQL)

    def connect() -> Any:
        conn = pymysql.connect(host=u.hostname or "127.0.0.1", port=u.port or 3306, user=u.username or "root",
                               password=u.password or "", database=(u.path or "/").lstrip("/") or None,
                               client_flag=CLIENT.FOUND_ROWS, autocommit=True)
        with conn.cursor() as cur:
            cur.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
        return conn
    return connect


@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_mysql_no_backslash_escapes_stores_injection_text_verbatim_and_adds_no_row(index: int) -> None:
    from idloom.stores import MySQLStore

    connect = _no_backslash_connect()
    store = MySQLStore(connect)
    description = PAYLOADS[index]
    table, tag = unique(f"inj{index}"), f"tag_{index}"
    store.init_segment(tag, floor=1000, step=10, description=description, table=table)
    check = connect()
    try:
        with check.cursor() as cur:
            cur.execute("SELECT @@SESSION.sql_mode")
            assert "NO_BACKSLASH_ESCAPES" in cur.fetchone()[0]
            cur.execute(f"SELECT biz_tag, max_id, description FROM {table} ORDER BY biz_tag")
            assert list(cur.fetchall()) == [(tag, 1000, description)]
        assert store.segment_peek(tag, table=table) == 1000
        source = store.segment_source(tag, table=table)
        assert source(10) == (1000, 1010)
    finally:
        with check.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        check.close()


def _stored_description(engine: str, table: str, tag: str) -> Any:
    if engine == "postgres":
        import psycopg

        from stores_support import PG

        with psycopg.connect(PG) as conn:
            return conn.execute(f"SELECT description FROM {table} WHERE biz_tag = %s", (tag,)).fetchone()[0]
    import pymysql

    u = urlparse(MYSQL)
    conn = pymysql.connect(host=u.hostname or "127.0.0.1", port=u.port or 3306, user=u.username or "root",
                           password=u.password or "", database=(u.path or "/").lstrip("/") or None)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT description FROM {table} WHERE biz_tag = %s", (tag,))
            return cur.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("engine", ["postgres", "mysql", "redis"])
def test_each_string_at_its_limit_is_kept_whole_and_one_past_is_refused_before_the_store(engine: str) -> None:
    from idloom import InvalidArgumentError
    from stores_support import connect

    store = connect(engine)
    tag = (unique("lim") + "_" * 128)[:128]
    description = "號😀" * 128  # 256 characters, 896 bytes of UTF-8
    table = None if engine == "redis" else (unique("lim") + "_" * 63)[:63]
    store.init_segment(tag, floor=7, description=description, table=table)
    if table is None:
        assert store.segment_peek(tag) == 7
    else:
        assert store.segment_peek(tag, table=table) == 7
        assert _stored_description(engine, table, tag) == description
    for bad in ({"biz_tag": tag + "x"}, {"description": description + "x"}, {"table": (table or "t") + "x"}):
        if engine == "redis" and "table" in bad:
            continue
        args = {"biz_tag": tag, "floor": 7, "description": description, "table": table, **bad}
        with pytest.raises(InvalidArgumentError, match=f"^{next(iter(bad))} must be"):
            store.init_segment(args.pop("biz_tag"), **args)

    ns = (unique("lim") + "-" * 64)[:64]
    holder = ("holder " + "~" * 255)[:255]
    store.init_namespace(ns, nodes=1, fresh=True)
    with store.lease_node(ns, holder=holder):
        assert [n[1] for n in store.status(ns)["nodes"]] == [holder]
    with pytest.raises(InvalidArgumentError, match="^holder must be"):
        store.lease_node(ns, holder=holder + "~")
    with pytest.raises(InvalidArgumentError, match="^namespace must be"):
        store.init_namespace(ns + "x", nodes=1, fresh=True)
