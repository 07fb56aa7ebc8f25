"""asyncio: leases and segments on ``psycopg.AsyncConnection`` (or
``psycopg_pool.AsyncConnectionPool``) and ``redis.asyncio``, with the same
texts, rules and errors as the threaded stores. A lease renews in an asyncio
task; ``AsyncSegment`` refills in a task, so ``await ids.next()`` returns at
once while prefetched IDs remain."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Optional, Tuple

from .._errors import IdloomError
from .._idloom import _CREATE_TRIES, Layout, SegmentBuffer, _EventCounters, _check_namespace, _read_answer, _redis_counter_floor, _redis_key, _segment_sql, _store_texts
from ._base import (CasFetch, Namespace, ShownUrl, Subject, check_arg, check_guard, check_input, check_mode, check_record,
                    check_text, found, grant_of, lease_args, namespace_args, namespace_of)
from ._lease import AsyncNodeLease, Grant, error, now_ms
from ._sql import convert, params, texts
from ..events import emit
from . import postgres as _pg
from . import redis as _redis

AsyncSource = Callable[[int], Awaitable[Tuple[int, int]]]


class _AsyncStore(ShownUrl):
    """What the asyncio stores share: namespaces and leases over three calls."""

    engine = ""

    async def init(self) -> None:
        raise NotImplementedError

    async def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        raise NotImplementedError

    async def _namespace_get(self, ns: str) -> Optional[Namespace]:
        raise NotImplementedError

    async def init_namespace(self, namespace: str, *, layout: Layout = Layout.TWITTER, nodes: Optional[int] = None,
                             ttl_ms: int = 10_000, max_skew_ms: int = 1_000, fresh: bool = False) -> Namespace:
        """As the threaded stores' ``init_namespace``."""
        args = namespace_args(self.engine, namespace, layout, nodes, ttl_ms, max_skew_ms, fresh)
        await self.init()
        return check_record(args, await self._namespace_init(*args))

    async def namespace(self, namespace: str) -> Namespace:
        """The namespace's record (``StoreStateLostError`` if the store has none)."""
        ns = _check_namespace(namespace)
        return found(ns, await self._namespace_get(ns))

    async def lease_node(self, namespace: str, *, layout: Layout = Layout.TWITTER,
                         holder: Optional[str] = None) -> AsyncNodeLease:
        """Lease a node and renew it in an asyncio task (``async with`` releases it)."""
        record = await self.namespace(namespace)
        holder = lease_args(namespace, record, layout, holder)
        lease = AsyncNodeLease(self, namespace, holder, layout, record.ttl_ms, record.max_skew_ms)
        await lease._acquire()
        return lease


class AsyncPostgresStore(_AsyncStore):
    """PostgreSQL over a ``psycopg.AsyncConnection`` of its own or an ``AsyncConnectionPool``."""

    engine = "postgres"

    def __init__(self, conn_or_pool: Any, *, table: str = "idloom_alloc") -> None:
        self._target = conn_or_pool
        self._table = check_text(table, "table")
        _segment_sql("", self._table)
        self._sql = texts("postgres")
        self._lock = asyncio.Lock()
        _pg._driver()

    @classmethod
    async def from_url(cls, url: str, **options: Any) -> "AsyncPostgresStore":
        """Connect with ``psycopg.AsyncConnection.connect(url, autocommit=True)``."""
        pg = _pg._driver()
        try:
            conn = await pg.AsyncConnection.connect(check_text(url, "url"), autocommit=True)
        except pg.Error as e:
            raise _pg.driver_error(e, url) from None
        store = cls(conn, **options)
        store._shown_url = url
        return store

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[Any]:
        pg = _pg._driver()
        try:
            if isinstance(self._target, pg.AsyncConnection):
                async with self._lock:
                    # One statement a call: autocommit needs no transaction
                    # block, whose lock a paused holder would keep (postgres.py).
                    if self._target.autocommit:
                        yield self._target
                    else:
                        async with self._target.transaction():
                            yield self._target
            else:
                async with self._target.connection() as conn:
                    yield conn
        except pg.Error as e:
            raise _pg.driver_error(e, self._shown_url) from None

    async def _one(self, sql: str, *args: Any) -> Optional[Tuple[Any, ...]]:
        async with self._conn() as conn:
            cur = await conn.execute(sql, params(*args))
            return await cur.fetchone()  # type: ignore[no-any-return]

    async def init(self) -> None:
        """Create the coordination tables if missing and check the schema version."""
        for tries in range(1, _CREATE_TRIES + 1):
            race = _pg.Race(tries)
            try:
                async with self._conn() as conn:
                    with race:
                        await conn.execute(_pg._store_schema())
                    row = await (await conn.execute(self._sql["SCHEMA_VERSION"])).fetchone()
                break
            except IdloomError:
                if not race.met:
                    raise
        _pg.PostgresStore._check_version(row)

    async def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        row = await self._one(self._sql["NAMESPACE_INIT"], ns, record, nodes, ttl_ms, max_skew_ms, fresh)
        return _pg.namespace_init(ns, row)

    async def _namespace_get(self, ns: str) -> Optional[Namespace]:
        return _pg.namespace_get(ns, await self._one(self._sql["NAMESPACE_GET"], ns))

    async def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        return _pg.acquired(ns, await self._one(self._sql["ACQUIRE"], ns, holder, proposed_fence_ms))

    async def _renew(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        return _pg.renewed(ns, node, epoch, await self._one(self._sql["RENEW"], ns, node, epoch, holder, proposed_fence_ms, start_ms))

    async def _release(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, high_water_ms: int) -> None:
        _pg.released(ns, node, epoch, await self._one(self._sql["RELEASE"], ns, node, epoch, holder, high_water_ms, start_ms))

    def _segment(self, name: str, table: Optional[str]) -> str:
        return convert("postgres", _segment_sql(_store_texts("postgres")[name], self._table if table is None else table))

    async def init_segment(self, biz_tag: str, *, floor: int, step: int = 1000, description: str = "",
                           table: Optional[str] = None, guard: bool = False) -> None:
        """As ``PostgresStore.init_segment`` (``guard=True``: the counter
        records the server's identity; see there)."""
        check_input("biz_tag", biz_tag)
        check_arg("floor", floor)
        check_arg("counter_step", step)
        check_input("description", description)
        init = "SEGMENT_INIT_GUARD" if check_guard(guard) else "SEGMENT_INIT"
        async with self._conn() as conn:
            await conn.execute(self._segment("SEGMENT_SCHEMA", table))
            if guard:
                await conn.execute(self._segment("SEGMENT_GUARD_SCHEMA", table))
            await conn.execute(self._segment(init, table), params(biz_tag, floor, step, description))

    def segment_source(self, biz_tag: str, *, mode: str = "atomic", table: Optional[str] = None) -> "AsyncLeafSource":
        """``await source(step) -> (start, end)`` from the Leaf row (atomic or
        compare-and-set; ``source.retries`` counts the rounds lost)."""
        check_input("biz_tag", biz_tag)
        return AsyncLeafSource(self, biz_tag, check_mode(mode), table)


class AsyncLeafSource:
    """``await source(step) -> (start, end)`` from one Leaf row on an
    ``AsyncPostgresStore``: ``mode="atomic"`` in one statement; ``mode="cas"``
    by the core's compare-and-set loop (at most 16 rounds, a jittered pause
    between them). ``retries`` counts the rounds lost, as ``LeafSource``'s."""

    def __init__(self, store: AsyncPostgresStore, biz_tag: str, mode: str, table: Optional[str]) -> None:
        self.biz_tag, self.mode, self._store = biz_tag, mode, store
        self._fetch, self._read, self._cas = (store._segment(n, table) for n in ("SEGMENT_FETCH", "SEGMENT_READ", "SEGMENT_CAS"))
        self._who: Subject = {"biz_tag": biz_tag}
        self.retries = 0

    async def __call__(self, step: int) -> Tuple[int, int]:
        step, store, tag = check_arg("step", step), self._store, self.biz_tag
        if self.mode == "atomic":
            _, start, end = _read_answer("postgres", "segment_fetch", self._who, await store._one(self._fetch, tag, step))
            return (start, end)
        cas, before = CasFetch(step, self._who), self.retries
        while True:
            row = await store._one(self._read, tag)
            old, new = cas.read(int(_read_answer("postgres", "segment_read", self._who, row)[1]))
            async with store._conn() as conn:
                moved = (await conn.execute(self._cas, params(tag, old, new))).rowcount
            got = cas.swapped(_pg.swapped(tag, moved))
            self.retries = before + cas.retries
            if isinstance(got, tuple):
                return got
            await asyncio.sleep(got)


class AsyncRedisStore(_AsyncStore):
    """Redis over a ``redis.asyncio.Redis`` client."""

    engine = "redis"

    def __init__(self, client: Any) -> None:
        self._client = client
        self._scripts = {name: client.register_script(text)
                         for name, text in _store_texts("redis").items() if isinstance(text, str)}

    @classmethod
    def from_url(cls, url: str, **client_options: Any) -> "AsyncRedisStore":
        """``redis.asyncio.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, **client_options)``."""
        import redis.asyncio

        options = {"socket_timeout": 5, "socket_connect_timeout": 5, **client_options}
        store = cls(redis.asyncio.Redis.from_url(check_text(url, "url"), **options))
        store._shown_url = url
        return store

    async def _run(self, name: str, key: str, *args: Any) -> list:  # type: ignore[type-arg]
        import redis

        try:
            got = await self._scripts[name](keys=[key], args=list(args))
        except redis.exceptions.RedisError as e:
            raise _redis.driver_error(e, self._redacted) from None
        return list(got) if isinstance(got, (list, tuple)) else [got]

    async def init(self) -> None:
        """Nothing to create on Redis."""

    async def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        v = await self._run("NAMESPACE_INIT", _redis_key("ns", ns), record, nodes, ttl_ms, max_skew_ms, "1" if fresh else "0")
        return _redis.namespace_init(ns, v)

    async def _namespace_get(self, ns: str) -> Optional[Namespace]:
        v = await self._run("NAMESPACE_GET", _redis_key("ns", ns))
        return namespace_of(_redis.answer("namespace_get", {"namespace": ns}, v))

    async def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        v = await self._run("ACQUIRE", _redis_key("ns", ns), holder, proposed_fence_ms)
        got = grant_of(_redis.answer("acquire", {"namespace": ns}, v))
        assert got is not None
        return got

    async def _renew(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        v = await self._run("RENEW", _redis_key("ns", ns), node, epoch, holder, proposed_fence_ms, start_ms)
        return grant_of(_redis.answer("renew", {"namespace": ns, "node": node, "epoch": epoch}, v))

    async def _release(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, high_water_ms: int) -> None:
        v = await self._run("RELEASE", _redis_key("ns", ns), node, epoch, holder, high_water_ms, start_ms)
        _redis.answer("release", {"namespace": ns, "node": node, "epoch": epoch}, v)

    async def init_segment(self, biz_tag: str, *, floor: int, step: int = 1000, guard: bool = False) -> None:
        """Create the counter at ``floor`` if missing (never lowered); ``floor``
        below ``2**53 - 1 - step`` (Redis Lua computes in doubles: ``InvalidRangeError``).
        ``guard=True``: as ``RedisStore.init_segment`` (re-initialise after every restart)."""
        check_input("biz_tag", biz_tag)
        check_arg("floor", floor)
        check_arg("counter_step", step)
        _redis_counter_floor(floor, step)
        _redis.segment_init(biz_tag, await self._run("SEGMENT_INIT", _redis_key("counter", biz_tag), floor,
                                                     "1" if check_guard(guard) else "0"))

    def segment_source(self, biz_tag: str) -> AsyncSource:
        """``await source(step) -> (start, end)`` by ``INCRBY``; a missing counter is ``StoreStateLostError``."""
        key = _redis_key("counter", check_input("biz_tag", biz_tag))

        async def source(step: int) -> Tuple[int, int]:
            _, start, end = _redis.answer("incrby", {"biz_tag": biz_tag}, await self._run("INCRBY", key, check_arg("step", step)))
            return (start, end)

        return source


class AsyncSegment:
    """IDs from ranges an async source hands out, for asyncio: the core's
    ``SegmentBuffer`` serves memory, and a task refills it when the buffer
    asks, so ``await ids.next()`` returns without waiting while prefetched IDs
    remain; a dry buffer waits for the fetch at most ``timeout_ms``
    (``StoreUnavailableError``). The source's own error surfaces once memory
    is dry. One event loop; after ``os.fork()`` the buffer starts empty."""

    def __init__(self, source: AsyncSource, *, step: Optional[int] = None, threshold_percent: Optional[int] = None,
                 max_prefetched: Optional[int] = None, stride: Optional[int] = None, offset: Optional[int] = None,
                 adaptive: Optional[Tuple[int, int, int]] = None, timeout_ms: int = 10_000) -> None:
        if not callable(source):
            raise error("invalid_type", "source must be an async callable step -> (start, end)")
        self._source = source
        self._buffer = SegmentBuffer(step=step, threshold_percent=threshold_percent, max_prefetched=max_prefetched,
                                     stride=stride, offset=offset, adaptive=adaptive)
        self._timeout_s = check_arg("timeout_ms", timeout_ms) / 1000.0
        self._task: Optional["asyncio.Task[None]"] = None
        self._arrived = asyncio.Event()
        self._failure: Optional[BaseException] = None
        #: Ranges fetched, and fetches that failed.
        self.fetches = 0
        self.failures = 0
        # Its events (idloom.events): counted for stats(), named by the source's biz_tag.
        self._counters = _EventCounters()
        tag = getattr(source, "biz_tag", None)
        self._detail: Dict[str, Any] = {"detail": tag} if isinstance(tag, str) else {}

    def _kick(self) -> None:
        step = self._buffer.begin_fetch(now_ms())
        if step is not None:
            self._task = asyncio.get_running_loop().create_task(self._fetch(step))

    async def _fetch(self, step: int) -> None:
        try:
            start, end = await self._source(step)
            self._buffer.supply(start, end)
            self.fetches += 1
            self._failure = None
            emit("segment_fetched", self, amount=end - start, **self._detail)
        except Exception as e:  # reported once memory is dry
            self._buffer.fetch_failed()
            self.failures += 1
            self._failure = e
            emit("segment_fetch_failed", self, code=e.code if isinstance(e, IdloomError) else None, **self._detail)
        finally:
            self._arrived.set()

    def _take(self) -> Optional[int]:
        """An ID from memory (after asking for a fetch if one is due), or None when dry."""
        self._kick()
        try:
            return self._buffer.next()
        except IdloomError as e:
            if e.code != "segment_exhausted":
                raise
            return None

    async def next(self) -> int:
        """The next ID; waits only when memory is dry."""
        got = self._take()
        if got is not None:
            return got
        try:
            return await self._wait()
        except IdloomError as e:
            emit("segment_ran_dry", self, code=e.code, **self._detail)
            raise
        except Exception:
            emit("segment_ran_dry", self, **self._detail)
            raise

    def stats(self) -> Dict[str, Any]:
        """As ``Segment.stats()``: ``{name: count}`` for every event kind, and
        ``"remaining"``, ``"fetches"``, ``"failures"``."""
        d: Dict[str, Any] = self._counters.as_dict()
        d.update(remaining=self.remaining, fetches=self.fetches, failures=self.failures)
        return d

    async def _wait(self) -> int:
        """Memory is dry: wait for a range (at most ``timeout_ms``), or the source's failure."""
        deadline = time.monotonic() + self._timeout_s
        while True:
            got = self._take()
            if got is not None:
                return got
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise failure
            left = deadline - time.monotonic()
            if left <= 0:
                raise error("store_unavailable", f"segment: no range arrived within {int(self._timeout_s * 1000)} ms "
                                                 "(timeout_ms) and memory is dry")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except asyncio.TimeoutError:
                pass

    @property
    def remaining(self) -> int:
        """IDs left in memory."""
        return self._buffer.remaining

    def __aiter__(self) -> "AsyncSegment":
        return self

    async def __anext__(self) -> int:
        return await self.next()
