"""``from_url`` honours TLS on all three engines, against private servers that
accept TLS only (tests/tls/servers.sh: a throwaway CA, plain connections
refused): PostgreSQL ``sslmode``/``sslrootcert``, Redis ``rediss://`` with
``ssl_ca_certs``, MySQL ``ssl-mode``/``ssl-ca``. A store that reaches its
server has used TLS; a certificate from another CA is refused."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Iterator

import pytest

import idloom
from idloom.stores import from_url
from stores_support import unique

SERVERS = Path(__file__).resolve().parents[2] / "tests" / "tls" / "servers.sh"


@pytest.fixture(scope="module")
def tls() -> Iterator[Dict[str, str]]:
    # Under /tmp itself: the servers run as other users (PostgreSQL refuses root), who must reach the directory.
    d = Path(tempfile.mkdtemp(prefix="idloom-tls-"))
    started = subprocess.run(["bash", str(SERVERS), "start", str(d)], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        env = dict(line.split("=", 1) for line in (d / "urls.env").read_text().split())
        other = d / "other-ca.pem"  # a CA that signed nothing of these servers
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other",
                        "-keyout", str(d / "other-ca.key"), "-out", str(other)], check=True, capture_output=True)
        env["OTHER"] = str(other)
        yield env
    finally:
        subprocess.run(["bash", str(SERVERS), "stop", str(d)], capture_output=True, timeout=60)
        shutil.rmtree(d, ignore_errors=True)


def urls(env: Dict[str, str], ca: str) -> Dict[str, str]:
    return {
        "postgres": f"postgresql://postgres@127.0.0.1:{env['PG_PORT']}/test?sslmode=verify-full&sslrootcert={ca}",
        "redis": f"rediss://127.0.0.1:{env['REDIS_PORT']}/0?ssl_ca_certs={ca}",
        "mysql": f"mysql://root@127.0.0.1:{env['MYSQL_PORT']}/test?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}",
    }


def touch(store: object) -> None:
    """A call that reaches the server on every engine (Redis's init sends nothing)."""
    store.init()  # type: ignore[attr-defined]
    store.init_namespace(unique("touch"), nodes=1, ttl_ms=5_000, max_skew_ms=500, fresh=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ["postgres", "redis", "mysql"])
def test_a_store_over_verified_tls_leases_and_draws(tls: Dict[str, str], engine: str) -> None:
    store = from_url(urls(tls, tls["CA"])[engine])
    store.init()
    ns = unique("tls")
    store.init_namespace(ns, nodes=2, ttl_ms=5_000, max_skew_ms=500, fresh=True)
    with store.lease_node(ns, layout=idloom.Layout.TWITTER) as lease:
        assert idloom.Snowflake(lease=lease).next() > 0
    tag = unique("tls")
    store.init_segment(tag, floor=1)
    assert [idloom.Segment(store.segment_source(tag), step=10).next() for _ in range(1)] == [1]


@pytest.mark.parametrize("engine", ["postgres", "redis", "mysql"])
def test_a_certificate_from_another_ca_is_refused(tls: Dict[str, str], engine: str) -> None:
    with pytest.raises(idloom.StoreUnavailableError):
        touch(from_url(urls(tls, tls["OTHER"])[engine]))


def test_plain_text_is_refused_by_these_servers(tls: Dict[str, str]) -> None:
    # The servers take TLS only, so the tests above cannot have passed in plain text.
    for url in (f"postgresql://postgres@127.0.0.1:{tls['PG_PORT']}/test?sslmode=disable",
                f"redis://127.0.0.1:{tls['REDIS_PORT']}/0",
                f"mysql://root@127.0.0.1:{tls['MYSQL_PORT']}/test?ssl-mode=DISABLED"):
        with pytest.raises(idloom.IdloomError):  # unavailable, or MariaDB's access denied without TLS
            touch(from_url(url))


def test_mysql_tls_modes_are_the_mysql_clients(tls: Dict[str, str]) -> None:
    base = f"mysql://root@127.0.0.1:{tls['MYSQL_PORT']}/test"
    touch(from_url(base + "?ssl-mode=REQUIRED"))  # encrypted, not verified
    touch(from_url(f"{base}?ssl-ca={tls['CA']}"))  # ssl-ca alone: VERIFY_CA
    with pytest.raises(idloom.StoreUnavailableError):
        touch(from_url(f"{base}?ssl-mode=VERIFY_CA&ssl-ca={tls['OTHER']}"))
    for bad, param in (("?ssl-mode=PREFERRED", "PREFERRED"), ("?ssl-mode=VERIFY_CA", "ssl-ca"), ("?ssl-mode=maybe", "ssl-mode")):
        with pytest.raises(idloom.InvalidArgumentError, match=param):
            from_url(base + bad)
