"""The store protocol decided by the core (``idloom::stores``), replayed in
Python from ``tests/vectors/store_protocol.json``: driver failures
classified, answers read, arguments bounded, Leaf's compare-and-set loop —
the same code and message as in Rust and Node, so a copy that drifts fails
here. Then one real driver failure per engine, classified by its adapter."""

from __future__ import annotations

import socket
import uuid
from typing import Any, Dict, List

import pytest

import idloom
from idloom._idloom import _CREATE_TRIES, _CasLoop, _check_arg, _classify, _create_race, _read_answer


def test_failures_are_classified_as_the_core_says(vectors) -> None:  # type: ignore[no-untyped-def]
    for f in vectors("store_protocol.json")["failures"]:
        try:
            e = _classify(f["engine"], f["kind"], f["code"], f["detail"])
            got = {"code": e.code, "message": str(e)}
        except idloom.IdloomError as refused:  # a kind or engine the core does not know
            got = {"error": refused.code, "message": str(refused)}
        assert got == f["expect"], f


def reading_json(t: tuple) -> Dict[str, Any]:  # type: ignore[type-arg]
    """A reading tuple of ``_read_answer`` as the vectors write it."""
    kind, rest = t[0], t[1:]
    if kind == "grant":
        grant: Dict[str, Any] = dict(zip(("node", "epoch", "start_ms", "fence_ms", "store_now_ms"), rest))
        if rest[5]:
            grant["identity_changed"] = True  # written only when true
        return {"grant": grant}
    if kind == "nodes":
        return {"nodes": [list(n) for n in rest[0]]}
    if kind == "namespace":
        return {"namespace": dict(zip(("layout", "nodes", "ttl_ms", "max_skew_ms", "floor_ms"), rest))}
    if kind == "lock":
        return {"lock": dict(zip(("ttl_ms", "floor_ms", "now_ms"), rest))}
    if kind == "held":
        return {"held": dict(zip(("epoch", "start_ms", "fence_ms"), rest))}
    if kind == "range":
        return {"range": list(rest)}
    if kind in ("value", "node"):
        return {kind: rest[0]}
    assert not rest, t
    return {kind: True}


def test_answers_are_read_as_the_core_says(vectors) -> None:  # type: ignore[no-untyped-def]
    v = vectors("store_protocol.json")
    answers = v["answers"] + v["answers_more"]
    assert len(answers) > 50
    for a in answers:
        try:
            got = reading_json(_read_answer(a["engine"], a["call"], a["subject"], a["answer"]))
        except idloom.IdloomError as e:
            got = {"error": e.code, "message": str(e)}
        assert got == a["expect"], a


def test_redis_bulk_strings_are_read_like_text() -> None:
    # redis-py answers bytes unless decode_responses: the same reading.
    got = _read_answer("redis", "acquire", {"namespace": "orders"}, [b"ok", b"3", b"7", b"1000", b"11000", b"1000"])
    assert got == ("grant", 3, 7, 1000, 11000, 1000, 0)


def test_the_create_race_is_the_cores(vectors) -> None:  # type: ignore[no-untyped-def]
    v = vectors("store_protocol.json")
    assert _CREATE_TRIES == v["create_tries"]
    for r in v["create_races"]:
        assert _create_race(r["engine"], r["code"]) == r["race"], r


def test_arguments_are_bounded_as_the_core_says(vectors) -> None:  # type: ignore[no-untyped-def]
    for a in vectors("store_protocol.json")["args"]:
        try:
            got: Dict[str, Any] = {"ok": _check_arg(a["key"], int(a["value"]))}
        except idloom.IdloomError as e:
            got = {"error": e.code, "message": str(e)}
        assert got == a["expect"], a


def test_check_arg_refuses_a_bool_and_an_int_past_i128() -> None:
    with pytest.raises(idloom.InvalidTypeError, match="^step must be an int, got bool$"):
        _check_arg("counter_step", True)
    with pytest.raises(idloom.InvalidArgumentError, match=r"^floor must be in 0\.\.=9223372036854775807, got 1"):
        _check_arg("floor", 1 << 200)


def test_the_cas_loop_runs_as_the_core_says(vectors) -> None:  # type: ignore[no-untyped-def]
    tag = {"biz_tag": "invoice"}
    for script in vectors("store_protocol.json")["cas"]:
        got: List[Dict[str, Any]] = []
        try:
            cas = _CasLoop(script["step"])
        except idloom.IdloomError as e:
            got.append({"error": e.code, "message": str(e)})
            assert got == script["expect"], script["name"]
            continue
        for event in script["events"]:
            try:
                if "read" in event:
                    step = cas.read(event["read"], tag)
                else:
                    step = cas.swapped(event["swapped"], event["unit"], tag)
                kind = step[0]
                out: Dict[str, Any] = {"pause_us": step[1]} if kind == "pause" else {kind: [step[1], step[2]]}
            except idloom.IdloomError as e:
                out = {"error": e.code, "message": str(e)}
            out["retries"] = cas.retries
            got.append(out)
        assert got == script["expect"], script["name"]


def test_a_renewal_is_the_core_action_every_binding_exposes() -> None:
    # ("renewed", fence_ms): extend the generators; ("retry", in_ms): the
    # fence stands (answered too late to judge the clocks), renew again then.
    m = idloom.LeaseMachine(ttl_ms=10_000, max_skew_ms=1_000)
    m.granted(3, 1, 1_000, m.begin_acquire(1_000), 1_000, 1_000)
    fence = m.begin_renew(5_000)
    assert fence is not None and m.renewed(3, 1, 1_000, fence, 5_000, 5_000) == ("renewed", fence)
    late = m.begin_renew(9_000)
    assert late is not None and m.renewed(3, 1, 1_000, late, 9_000, 12_000) == ("retry", m.retry_in_ms)
    assert m.state == "active" and m.fence_ms == fence


# -- real drivers: the adapters name the fault, the core classifies it --------------------------------


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing_table() -> str:
    return "idloom_missing_" + uuid.uuid4().hex[:8]


def test_postgres_a_missing_table_and_a_refused_connection() -> None:
    from idloom.stores import PostgresStore

    store = PostgresStore.from_url("postgresql://postgres@127.0.0.1:5432/test")
    table = missing_table()
    with pytest.raises(idloom.StoreSchemaError) as e:
        store.segment_peek("t", table=table)
    assert e.value.code == "store_schema"
    assert str(e.value).startswith(f'postgres: a table is missing (run init): relation "{table}" does not exist')
    with pytest.raises(idloom.StoreUnavailableError) as e:
        PostgresStore.from_url(f"postgresql://postgres@127.0.0.1:{unused_port()}/test")
    assert str(e.value).startswith("postgres: the connection failed or was lost: ")


def test_mysql_a_missing_table_and_a_refused_connection() -> None:
    from idloom.stores import MySQLStore

    store = MySQLStore.from_url("mysql://root@127.0.0.1:3306/test")
    table = missing_table()
    with pytest.raises(idloom.StoreSchemaError) as e:
        store.segment_peek("t", table=table)
    assert str(e.value) == f"mysql: a table is missing (run init): Table 'test.{table}' doesn't exist"
    with pytest.raises(idloom.StoreUnavailableError) as e:
        MySQLStore.from_url(f"mysql://root@127.0.0.1:{unused_port()}/test", connect_timeout=2).init()
    assert str(e.value).startswith("mysql: cannot connect: "), str(e.value)  # errno 2003


def test_redis_an_error_reply_and_a_refused_connection() -> None:
    import redis

    from idloom.stores import RedisStore

    store = RedisStore(redis.Redis(host="127.0.0.1", port=6379))
    key = "idloom-protocol-" + uuid.uuid4().hex[:8]
    store._client.set(key, "x")
    try:
        # WRONGTYPE from inside the script: a refusal retrying cannot cure.
        with pytest.raises(idloom.StoreSchemaError) as e:
            store._run("NAMESPACE_GET", key)
        assert str(e.value).startswith("redis: the server refused an idloom script: "), str(e.value)
        assert "WRONGTYPE" in str(e.value)
    finally:
        store._client.delete(key)
    down = RedisStore.from_url(f"redis://127.0.0.1:{unused_port()}/0")
    with pytest.raises(idloom.StoreUnavailableError) as e:
        down.init_namespace("protocol", fresh=True)
    assert str(e.value).startswith("redis: the connection failed or was lost: "), str(e.value)


def test_redis_exception_classes_are_named_by_their_reply_word() -> None:
    from redis import exceptions as rx

    from idloom.stores.redis import driver_error

    for exc, code, why in ((rx.BusyLoadingError("Redis is loading the dataset in memory"), "store_unavailable",
                            "the server is loading its data"),
                           (rx.ReadOnlyError("You can't write against a read only replica."), "store_unavailable",
                            "a replica answered a write (a failover?)"),
                           (rx.OutOfMemoryError("command not allowed when used memory > 'maxmemory'."),
                            "store_unavailable", "the server is out of memory (maxmemory)"),
                           (rx.ResponseError("BUSY Redis is busy running a script."), "store_unavailable",
                            "a script has run too long"),
                           (rx.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
                            "store_schema", "the server refused an idloom script"),
                           (rx.TimeoutError("Timeout reading from socket"), "store_unavailable",
                            "the connection failed or was lost")):
        e = driver_error(exc, str)
        reply = str(exc) if isinstance(exc, rx.TimeoutError) or str(exc).split()[0].isupper() else None
        word = {rx.BusyLoadingError: "LOADING", rx.ReadOnlyError: "READONLY", rx.OutOfMemoryError: "OOM"}.get(type(exc))
        shown = f"{word} {exc}" if word else reply
        assert (getattr(e, "code", None), str(e)) == (code, f"redis: {why}: {shown}"), repr(exc)


def test_a_lost_compare_and_set_round_is_counted_by_the_sync_and_the_asyncio_leaf_source() -> None:
    # Another writer moves max_id between this source's read and its swap,
    # once: the core's loop pauses, reads again and wins; retries counts 1.
    import asyncio

    from idloom.stores import AsyncPostgresStore, PostgresStore
    from stores_support import PG, unique

    table, tag = unique("casr"), unique("casr")
    store = PostgresStore.from_url(PG, table=table)
    store.init_segment(tag, floor=100)
    bump = f"UPDATE {table} SET max_id = max_id + 5 WHERE biz_tag = %(p1)s"
    try:
        source = store.segment_source(tag, mode="cas")
        real_one, sync_reads = store._one, []

        def one(sql, *args):  # type: ignore[no-untyped-def]
            row = real_one(sql, *args)
            if "max_id" in sql and sql.lstrip().upper().startswith("SELECT") and not sync_reads:
                sync_reads.append(row)
                with store._conn() as conn:
                    conn.execute(bump, {"p1": tag})
            return row

        store._one = one  # type: ignore[method-assign]
        assert source(10) == (105, 115) and source.retries == 1
        store._one = real_one  # type: ignore[method-assign]

        async def main() -> int:
            astore = await AsyncPostgresStore.from_url(PG, table=table)
            asource = astore.segment_source(tag, mode="cas")
            real, reads = astore._one, []

            async def aone(sql, *args):  # type: ignore[no-untyped-def]
                row = await real(sql, *args)
                if "max_id" in sql and sql.lstrip().upper().startswith("SELECT") and not reads:
                    reads.append(row)
                    async with astore._conn() as conn:
                        await conn.execute(bump, {"p1": tag})
                return row

            astore._one = aone  # type: ignore[method-assign]
            assert await asource(10) == (120, 130)
            return asource.retries

        assert asyncio.run(main()) == 1
    finally:
        with store._conn() as conn:
            conn.execute(f"DROP TABLE {table}")
