"""The idloom command line, through main() and as a real process."""

from __future__ import annotations

import subprocess
import sys

import pytest

import idloom
from idloom.__main__ import main


def run(*argv):
    return subprocess.run([sys.executable, "-m", "idloom", *argv], capture_output=True, text=True, timeout=60)


def test_demo_mints_and_decodes_every_kind():
    r = run("demo", "--node", "3")
    assert r.returncode == 0, r.stderr
    for heading in ("== snowflake", "== segment", "== UUID", "== NanoID", "== encodings and masking"):
        assert heading in r.stdout
    assert "node=3 seq=0" in r.stdout


def test_snowflake_formats(capsys):
    assert main(["snowflake", "--node", "3", "-n", "5"]) == 0
    ids = [int(x) for x in capsys.readouterr().out.split()]
    assert len(ids) == 5 and ids == sorted(set(ids))
    assert all(idloom.Layout.TWITTER.decompose(i).node == 3 for i in ids)
    assert main(["snowflake", "--node", "1", "--layout", "sonyflake", "--format", "friendly"]) == 0
    assert capsys.readouterr().out.strip().endswith("-1-0")
    assert main(["snowflake", "--node", "1", "--format", "base62", "-n", "2"]) == 0
    assert all(len(x) == 11 for x in capsys.readouterr().out.split())


def test_uuid_nanoid_segment_decode_layout(capsys):
    assert main(["uuid7", "-n", "3"]) == 0
    lines = capsys.readouterr().out.split()
    assert len(lines) == 3 and lines == sorted(lines)
    assert main(["nanoid", "--size", "10", "--alphabet", "0123456789"]) == 0
    assert capsys.readouterr().out.strip().isdigit()
    assert main(["segment", "-n", "3", "--start", "10"]) == 0
    assert capsys.readouterr().out.split() == ["10", "11", "12"]
    assert main(["decode", "2124501500691492864"]) == 0
    assert "node=3 seq=0" in capsys.readouterr().out
    assert main(["decode", "017F22E2-79B0-7CC3-98C4-DC0C0C07398F"]) == 0
    assert "version=7" in capsys.readouterr().out
    assert main(["layout", "--layout", "js_safe"]) == 0
    assert "leaves JS-safe range at: never" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["snowflake", "--node", "5000"], "node must be in 0..=1023, got 5000 (node_out_of_range)"),
        (["snowflake"], "--node is required: idloom never guesses a node ID (invalid_argument)"),
        (["decode", "nope"], "(invalid_uuid)"),
        (["uuid4", "-n", "0"], '-n must be an integer in 1..=1000000, got "0" (invalid_argument)'),
        (["nanoid", "--alphabet", "aa"], "(invalid_alphabet)"),
        (["frobnicate"], 'unknown command "frobnicate"'),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, needle):
    r = run(*argv)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert needle in r.stderr


def test_help_on_every_command():
    for cmd in ([], ["demo"], ["snowflake"], ["uuid4"], ["uuid7"], ["nanoid"], ["segment"], ["decode"], ["layout"]):
        r = run(*cmd, "--help")
        assert r.returncode == 0 and "usage: idloom" in r.stdout


@pytest.mark.parametrize("engine", ["postgres", "mysql", "redis"])
def test_demo_on_a_store_leases_mints_draws_and_releases(engine):
    from stores_support import MYSQL, PG, REDIS

    url = {"postgres": PG, "mysql": MYSQL, "redis": REDIS}[engine]
    r = run("demo", "--store", url)
    assert r.returncode == 0, r.stderr
    lease = r.stdout.split("lease: node ", 1)[1]
    node = int(lease.split(",", 1)[0])
    assert "epoch 1, mints ticks in [0, " in lease
    assert f"node={node} seq=0" in r.stdout and r.stdout.count(f" node={node} seq=") == 3
    assert "[1, 2, 3, 4, 5] (in memory: 995 more; the store's counter is at 1001)" in r.stdout
    assert f"released node {node} with high-water" in r.stdout and "(released)" in r.stdout


def test_demo_takes_a_node_or_a_store():
    for argv in ((), ("--node", "1", "--store", "redis://127.0.0.1:1")):
        r = run("demo", *argv)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--node N" in r.stderr, r.stderr


@pytest.mark.parametrize("engine", ["postgres", "mysql", "redis"])
def test_store_init_status_release(engine, capsys):
    from stores_support import MYSQL, PG, REDIS, connect, unique

    url = {"postgres": PG, "mysql": MYSQL, "redis": REDIS}[engine]
    ns, tag = unique("cli"), unique("clitag")
    assert main(["store", "init", "--url", url, "--namespace", ns, "--nodes", "4", "--ttl-ms", "60000", "--fresh"]) == 0
    assert "4 nodes, ttl 60000 ms" in capsys.readouterr().out
    lease = connect(engine).lease_node(ns, holder="cli-test")
    assert main(["store", "status", "--url", url, "--namespace", ns]) == 0
    out = capsys.readouterr().out
    assert f"{lease.node}  cli-test  1  " in out and f"  {lease.fence_ms}" in out
    # A holder that died without releasing: free its node now, fence kept.
    lease._wake.set()  # (this one is alive: stop its renewals first, as if it had died)
    assert main(["store", "release", "--url", url, "--namespace", ns, "--node", str(lease.node)]) == 0
    assert "free" in capsys.readouterr().out
    again = connect(engine).lease_node(ns, holder="next")
    assert again.node == lease.node and again.epoch == 2 and again.start_ms >= lease.fence_ms
    again.release()
    assert main(["store", "init", "--url", url, "--segment", tag, "--floor", "500"]) == 0
    assert main(["store", "status", "--url", url, "--segment", tag]) == 0
    assert "starts at 500" in capsys.readouterr().out.splitlines()[-1]


@pytest.mark.parametrize("engine", ["postgres", "mysql", "redis"])
def test_store_init_guard_records_the_store_identity(engine, capsys):
    from idloom._idloom import _redis_key
    from stores_support import MYSQL, PG, REDIS, connect, unique

    url = {"postgres": PG, "mysql": MYSQL, "redis": REDIS}[engine]
    tag, table = unique("cliguard"), unique("cliguard")
    argv = ["store", "init", "--url", url, "--segment", tag, "--floor", "500", "--guard"]
    if engine == "mysql":
        r = run(*argv)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert "(invalid_argument)" in r.stderr and "--guard: MariaDB/MySQL has no store identity" in r.stderr
        return
    if engine == "postgres":
        argv += ["--table", table]
    assert main(argv) == 0
    store = connect(engine)
    if engine == "redis":
        assert store._client.get(_redis_key("counter", tag) + ":run_id")
    else:
        with store._conn() as conn:
            assert conn.execute(f"SELECT store_identity FROM {table} WHERE biz_tag = %s", (tag,)).fetchone()[0]
            conn.execute(f"DROP TABLE {table}")


def test_store_bad_arguments_exit_2_with_one_line():
    from stores_support import REDIS

    r = run("store", "init", "--url", "ftp://x", "--namespace", "a")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "(invalid_argument)" in r.stderr
    r = run("store", "init", "--url", REDIS, "--segment", "a")
    assert r.returncode == 2 and "--floor is required" in r.stderr and r.stderr.count("\n") == 1
    r = run("store", "status", "--url", "redis://127.0.0.1:1/", "--namespace", "a")
    assert r.returncode == 2 and "(store_unavailable)" in r.stderr and r.stderr.count("\n") == 1
    r = run("store", "release", "--url", REDIS)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
