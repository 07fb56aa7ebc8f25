"""The real servers the store tests use (never mocks): the machine's
PostgreSQL, MariaDB and Redis, or the private instances ``scripts/test``
started (``IDLOOM_PG``, ``IDLOOM_MYSQL``, ``IDLOOM_REDIS``, as the Rust tests).
A server that does not answer fails the tests; they never skip."""

from __future__ import annotations

import os
import uuid

PG = os.environ.get("IDLOOM_PG", "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5")
MYSQL = os.environ.get("IDLOOM_MYSQL", "mysql://root@127.0.0.1:3306/test")
REDIS = os.environ.get("IDLOOM_REDIS", "redis://127.0.0.1:6379/")
ENGINES = ["postgres", "mysql", "redis"]


def connect(engine: str):  # type: ignore[no-untyped-def]
    from idloom.stores import MySQLStore, PostgresStore, RedisStore

    if engine == "postgres":
        return PostgresStore.from_url(PG)
    if engine == "mysql":
        return MySQLStore.from_url(MYSQL)
    return RedisStore.from_url(REDIS)


def unique(tag: str) -> str:
    """A name no other run (or parallel test) uses."""
    return f"py{tag}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
