"""asyncio: leases renewed by a task and AsyncSegment refilled by a task, on
psycopg's AsyncConnection and redis.asyncio against the real servers."""

from __future__ import annotations

import asyncio
import time

import pytest

import idloom
from idloom import Layout, Snowflake
from idloom.stores import AsyncPostgresStore, AsyncRedisStore, AsyncSegment
from stores_support import PG, REDIS, unique


async def open_store(engine: str):  # type: ignore[no-untyped-def]
    if engine == "postgres":
        return await AsyncPostgresStore.from_url(PG)
    return AsyncRedisStore.from_url(REDIS)


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_an_async_lease_renews_in_a_task_and_releases_with_its_high_water(engine: str) -> None:
    async def main() -> None:
        store = await open_store(engine)
        ns = unique("alease")
        await store.init_namespace(ns, layout=Layout.TWITTER, nodes=1, ttl_ms=600, max_skew_ms=200, fresh=True)
        async with await store.lease_node(ns, holder="a") as lease:
            gen = Snowflake(lease=lease)
            ids = [gen.next() for _ in range(1000)]
            fence = lease.fence_ms
            await asyncio.sleep(0.5)  # renewed every 200 ms by the task
            assert lease.renewals >= 1 and lease.fence_ms > fence
        assert lease.state == "released"
        with pytest.raises(idloom.LeaseLostError):
            gen.next()
        again = await store.lease_node(ns, holder="b")
        assert again.epoch == 2 and again.start_ms == max(gen.decode(i).timestamp_ms for i in ids) + 1
        with pytest.raises(idloom.NoFreeNodeError):
            await store.lease_node(ns)
        await again.release()
        with pytest.raises(idloom.StoreSchemaError):
            await store.lease_node(ns, layout=Layout.SONYFLAKE)

    asyncio.run(main())


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_an_async_guarded_counter_under_another_store_identity_is_refused_until_reinitialised(engine: str) -> None:
    async def main() -> None:
        table = unique("aguard")
        store = await AsyncPostgresStore.from_url(PG, table=table) if engine == "postgres" else await open_store(engine)
        tag = unique("aguard")
        await store.init_segment(tag, floor=100, guard=True)
        source = store.segment_source(tag)
        assert await source(10) == (100, 110)
        if engine == "redis":
            from idloom._idloom import _redis_key

            await store._client.set(_redis_key("counter", tag) + ":run_id", "another")
        else:
            async with store._conn() as conn:
                await conn.execute(f"UPDATE {table} SET store_identity = 'another/1' WHERE biz_tag = %s", (tag,))
        with pytest.raises(idloom.StoreStateLostError, match="store identity changed"):
            await source(10)
        await store.init_segment(tag, floor=100)  # unguarded: nothing changes
        with pytest.raises(idloom.StoreStateLostError, match="store identity changed"):
            await source(10)
        await store.init_segment(tag, floor=9_000, guard=True)
        assert await source(10) == (9_000, 9_010)
        with pytest.raises(idloom.InvalidTypeError):
            await store.init_segment(tag, floor=0, guard=1)
        if engine == "postgres":
            async with store._conn() as conn:
                await conn.execute(f"DROP TABLE {table}")

    asyncio.run(main())


@pytest.mark.parametrize("engine", ["postgres", "redis"])
def test_async_segment_serves_memory_while_a_slow_fetch_is_in_flight(engine: str) -> None:
    async def main() -> None:
        store = await open_store(engine)
        tag = unique("aseg")
        await store.init_segment(tag, floor=100)
        inner = store.segment_source(tag)

        async def slow(step: int) -> tuple[int, int]:
            await asyncio.sleep(0.2)  # a store 200 ms away
            return await inner(step)

        ids = AsyncSegment(slow, step=500, threshold_percent=10)
        assert await ids.next() == 100
        worst, got = 0.0, [100]
        for k in range(1500):
            t = time.perf_counter()
            got.append(await ids.next())
            worst = max(worst, time.perf_counter() - t)
            if k % 2 == 0:
                await asyncio.sleep(0.001)
        assert len(set(got)) == len(got) and ids.fetches >= 3
        assert worst < 0.15, f"a call waited {worst * 1000:.0f} ms on the store"

    asyncio.run(main())


def test_async_segment_timeouts_failures_and_bad_input() -> None:
    async def main() -> None:
        async def hangs(step: int) -> tuple[int, int]:
            await asyncio.sleep(5)
            return (0, step)

        with pytest.raises(idloom.StoreUnavailableError, match="timeout_ms"):
            await AsyncSegment(hangs, step=10, timeout_ms=100).next()

        async def broken(step: int) -> tuple[int, int]:
            raise ConnectionError("down")

        with pytest.raises(ConnectionError):
            await AsyncSegment(broken, step=10).next()
        store = AsyncRedisStore.from_url(REDIS)
        with pytest.raises(idloom.StoreStateLostError):
            await AsyncSegment(store.segment_source(unique("none"))).next()
        with pytest.raises(idloom.InvalidTypeError):
            AsyncSegment(42)  # type: ignore[arg-type]
        with pytest.raises(idloom.InvalidArgumentError):
            AsyncSegment(broken, timeout_ms=0)
        with pytest.raises(idloom.StoreUnavailableError):
            await AsyncRedisStore.from_url("redis://127.0.0.1:1/").init_namespace(unique("x"), fresh=True)

    asyncio.run(main())
