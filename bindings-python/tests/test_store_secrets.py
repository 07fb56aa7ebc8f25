"""A store URL's password never shows: not in an error, not in a store's
``repr``, not in the CLI's output; the CLI takes the URL from
``IDLOOM_STORE_URL`` (a flag wins). Real servers, never mocks: PostgreSQL
(trust: any password is accepted), MariaDB (root has none: a password is
refused) and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Callable, Dict, List

import pytest

import idloom
from stores_support import unique

SECRET = "Sup3r-s3cret-pw"
GOOD_PG = f"postgresql://postgres:{SECRET}@127.0.0.1:5432/test"


def _raised(fn: Callable[[], Any]) -> BaseException:
    try:
        fn()
    except BaseException as e:  # noqa: BLE001 - the test inspects whatever it was
        return e
    raise AssertionError("nothing was raised")


def _clean(e: BaseException) -> None:
    for shown in (str(e), repr(e), repr(e.args)):
        assert SECRET not in shown, shown


def test_a_store_made_from_a_url_shows_it_only_redacted() -> None:
    from idloom.stores import MySQLStore, PostgresStore, RedisStore, from_url

    stores = [PostgresStore.from_url(GOOD_PG), MySQLStore.from_url(f"mysql://root:{SECRET}@127.0.0.1:3306/test"),
              RedisStore.from_url(f"redis://default:{SECRET}@127.0.0.1:1/"), from_url(GOOD_PG)]
    for store in stores:
        for shown in (repr(store), str(store)):
            assert SECRET not in shown and ":***@127.0.0.1" in shown, shown
    assert repr(stores[0]) == "PostgresStore('postgresql://postgres:***@127.0.0.1:5432/test')"
    stores[0].init_namespace(unique("pg"), nodes=1, fresh=True)  # the password still reaches the server


def test_async_stores_show_the_url_only_redacted() -> None:
    import asyncio

    from idloom.stores import AsyncPostgresStore, AsyncRedisStore

    async def go() -> List[str]:
        pg = await AsyncPostgresStore.from_url(GOOD_PG)
        return [repr(pg), repr(AsyncRedisStore.from_url(f"redis://default:{SECRET}@127.0.0.1:1/"))]
    for shown in asyncio.run(go()):
        assert SECRET not in shown and ":***@127.0.0.1" in shown, shown


def test_errors_from_every_store_never_carry_the_password() -> None:
    from idloom.stores import MySQLStore, PostgresStore, RedisStore, from_url

    e = _raised(lambda: MySQLStore.from_url(f"mysql://root:{SECRET}@127.0.0.1:3306/test").init())
    assert getattr(e, "code", None) in ("store_unavailable", "store_schema"), repr(e)  # MariaDB refused it
    _clean(e)
    for make in (lambda: PostgresStore.from_url(f"postgresql://postgres:{SECRET}@127.0.0.1:1/test"),
                 lambda: MySQLStore.from_url(f"mysql://root:{SECRET}@127.0.0.1:1/test", connect_timeout=1).init(),
                 lambda: RedisStore.from_url(f"redis://default:{SECRET}@127.0.0.1:1/").init_namespace("x", fresh=True)):
        e = _raised(make)
        assert getattr(e, "code", None) == "store_unavailable", repr(e)
        _clean(e)
    # A malformed libpq string, which psycopg's message quotes; URLs of no engine.
    for make in (lambda: PostgresStore.from_url(f"host=127.0.0.1 dbname=test password {SECRET}"),
                 lambda: from_url(f"ftp://u:{SECRET}@h/"),
                 lambda: MySQLStore.from_url(f"postgres://u:{SECRET}@h/db")):
        e = _raised(make)
        assert isinstance(e, idloom.IdloomError), repr(e)
        _clean(e)


def _cli(args: List[str], env: Dict[str, str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "idloom", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "IDLOOM_STORE_URL": "", **env})


def test_the_cli_takes_the_url_from_the_environment_a_flag_wins_and_no_output_shows_the_password() -> None:
    ns = unique("cli")
    r = _cli(["store", "init", "--namespace", ns, "--nodes", "2", "--fresh"], {"IDLOOM_STORE_URL": GOOD_PG})
    assert r.returncode == 0, r.stderr
    assert "2 nodes" in r.stdout
    down = f"postgresql://postgres:{SECRET}@127.0.0.1:1/test"
    r = _cli(["store", "status", "--url", GOOD_PG, "--namespace", ns], {"IDLOOM_STORE_URL": down})
    assert r.returncode == 0, f"the flag wins: {r.stderr}"
    for args, env in ((["store", "status", "--namespace", ns], {"IDLOOM_STORE_URL": down}),
                      (["store", "status", "--url", f"mysql://root:{SECRET}@127.0.0.1:3306/test", "--namespace", ns], {}),
                      (["store", "status", "--url", f"redis://default:{SECRET}@127.0.0.1:1/", "--namespace", ns], {}),
                      (["store", "init", "--url", f"ftp://u:{SECRET}@h/", "--namespace", ns], {}),
                      (["store", "init", "--namespace", ns], {"IDLOOM_STORE_URL": f"host=127.0.0.1 password {SECRET}"}),
                      (["demo"], {"IDLOOM_STORE_URL": down})):
        r = _cli(args, env)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert SECRET not in r.stdout + r.stderr, r.stderr
    r = _cli(["store", "status", "--namespace", ns], {})
    assert r.returncode == 2 and "IDLOOM_STORE_URL" in r.stderr, r.stderr


@pytest.mark.parametrize("url,shown", [
    (f"mysql://root:{SECRET}@h:3306/db", "mysql://root:***@h:3306/db"),
    (f"host=h user=u password={SECRET} dbname=d", "host=h user=u password=*** dbname=d"),
    (f"redis://:{SECRET}@h/0?x=1", "redis://:***@h/0?x=1"),
])
def test_the_core_redaction_through_python(url: str, shown: str) -> None:
    from idloom._idloom import _redact, _redact_url

    assert _redact_url(url) == shown
    assert _redact(f"at {url}: no; {SECRET}!", url) == f"at {shown}: no; ***!"
