"""The real servers the store tests use (never mocks): the machine's
PostgreSQL, MariaDB and Redis, or the private instances ``scripts/test``
started (``IDLOOM_PG``, ``IDLOOM_MYSQL``, ``IDLOOM_REDIS``, as the Rust tests).
A server that does not answer fails the tests; they never skip."""

from __future__ import annotations

import os
import threading
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


def pause_renewals(store, monkeypatch) -> threading.Event:  # type: ignore[no-untyped-def]
    """A GC pause or a partition: while the event returned is set, no renewal
    reaches the store (each fails as ``store_unavailable``); clear it to wake."""
    import idloom.stores._lease as lease_mod

    real_renew = store._renew
    paused = threading.Event()
    paused.set()

    def paused_renew(*args, **kwargs):  # type: ignore[no-untyped-def]
        if paused.is_set():
            raise lease_mod.error("store_unavailable", "test: paused")
        return real_renew(*args, **kwargs)

    monkeypatch.setattr(store, "_renew", paused_renew)
    return paused


class PrivateRedis:
    """A Redis server of the test's own (port, temp dir, no persistence), to
    kill or restart without touching the machine's shared one."""

    def __init__(self) -> None:
        import shutil
        import socket
        import subprocess
        import tempfile
        import time

        exe = shutil.which("redis-server")
        assert exe, "redis-server is missing: scripts/test installs it"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="idloom-redis-")
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                      "--dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/"
        deadline = time.monotonic() + 10
        import redis

        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                break
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "the private Redis did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def __enter__(self) -> "PrivateRedis":
        return self

    def __exit__(self, *exc: object) -> None:
        import shutil

        if self.proc.poll() is None:
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_redis(done, what: str, seconds: float, state=lambda: "", every: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    """Poll ``done()`` until true, for at most ``seconds``; a Redis error while
    a private server starts, fails over or restarts counts as not yet."""
    import time

    import redis

    deadline = time.monotonic() + seconds
    while True:
        try:
            if done():
                return
        except redis.exceptions.RedisError:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what} {state()}"
        time.sleep(every)
