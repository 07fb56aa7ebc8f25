"""Leases and segments on Redis through redis-py (``pip install 'idloom[redis]'``).

Pass your ``redis.Redis`` client (TLS, Sentinel, timeouts are the client's).
Every call is one of the core's Lua scripts: store time from ``TIME``, the
store's identity from ``run_id``; a Redis that restarted without its data
raises the namespace floor or answers ``store_state_lost``, never a silent 0.
Keys of a namespace share one hash tag (one Cluster slot).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from .._idloom import _redis_counter_floor, _redis_key, _store_texts
from ._base import Namespace, Store, check_guard, check_input, check_int, check_text, guard_lost
from ._lease import Grant, error


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class RedisStore(Store):
    """A Redis store over a redis-py client."""

    engine = "redis"

    def __init__(self, client: Any) -> None:
        _driver()  # the driver is optional: imported when a store is made
        self._client = client
        self._scripts = {name: client.register_script(text)
                         for name, text in _store_texts("redis").items() if isinstance(text, str)}

    @classmethod
    def from_url(cls, url: str, **client_options: Any) -> "RedisStore":
        """``redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, **client_options)``."""
        redis = _driver()
        options = {"socket_timeout": 5, "socket_connect_timeout": 5, **client_options}
        store = cls(redis.Redis.from_url(check_text(url, "url"), **options))
        store._shown_url = url
        return store

    def _run(self, name: str, key: str, *args: Any) -> List[Any]:
        r = _driver()
        try:
            answer = self._scripts[name](keys=[key], args=list(args))
        except (r.exceptions.ConnectionError, r.exceptions.TimeoutError) as e:
            raise error("store_unavailable", self._redacted(f"redis: {e}")) from None
        except r.exceptions.RedisError as e:
            raise error("store_schema", self._redacted(f"redis refused an idloom script: {e}")) from None
        return list(answer) if isinstance(answer, (list, tuple)) else [answer]

    @staticmethod
    def _answer(v: Sequence[Any], what: str) -> List[Any]:
        head = _text(v[0]) if v else ""
        if head == "ok":
            return list(v[1:])
        if head == "state_lost" and len(v) > 1 and _text(v[1]) == "store_identity":
            raise guard_lost(what)  # a guarded counter under another run_id: nothing moved
        if head == "state_lost":
            raise error("store_state_lost", f"{what}: missing on this Redis (restarted without persistence?); "
                                            "init it (not fresh) to start above every old fence")
        if head == "no_free_node":
            raise error("no_free_node", f"{what}: every node is leased by a live holder")
        if head == "lease_lost":
            raise error("lease_lost", f"{what}: another epoch or holder")
        if head == "invalid_range":
            # Lua computes in doubles: a number at or past 2^53 - 1 (a counter
            # within one step of it) is refused, never rounded into a wrong range.
            name = _text(v[1]) if len(v) > 1 else "value"
            got = _text(v[2]) if len(v) > 2 else "?"
            raise error("invalid_range", f"{what}: {name} {got} is past what Redis Lua computes exactly "
                                         "(integers below 2^53 - 1, less one step for a counter)")
        raise error("store_schema", f"{what}: an answer that is not the idloom protocol: {v!r}")

    def init(self) -> None:
        """Nothing to create on Redis (namespaces and counters are created by their own init)."""

    def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        v = self._run("NAMESPACE_INIT", _redis_key("ns", ns), record, nodes, ttl_ms, max_skew_ms, "1" if fresh else "0")
        return Namespace(_text(v[0]), int(v[1]), int(v[2]), int(v[3]), int(v[4]))

    def _namespace_get(self, ns: str) -> Optional[Namespace]:
        v = self._run("NAMESPACE_GET", _redis_key("ns", ns))
        if _text(v[0]) == "state_lost":
            return None
        r = self._answer(v, f"namespace {ns}")
        return Namespace(_text(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]))

    def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        r = self._answer(self._run("ACQUIRE", _redis_key("ns", ns), holder, proposed_fence_ms), f"namespace {ns}")
        return (int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]))

    def _renew(self, ns: str, node: int, epoch: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        v = self._run("RENEW", _redis_key("ns", ns), node, epoch, holder, proposed_fence_ms)
        if _text(v[0]) in ("lease_lost", "state_lost"):
            return None
        r = self._answer(v, f"namespace {ns}, node {node}")
        return (int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]))

    def _release(self, ns: str, node: int, epoch: int, holder: str, high_water_ms: int) -> None:
        self._answer(self._run("RELEASE", _redis_key("ns", ns), node, epoch, holder, high_water_ms),
                     f"namespace {ns}, node {node}, epoch {epoch}")

    def _nodes(self, ns: str) -> List[Tuple[Any, ...]]:
        # A page of at most 1,024 nodes per script call (one call holds every Redis client).
        key, total = _redis_key("ns", ns), self.namespace(ns).nodes
        out: List[Tuple[Any, ...]] = []
        first = 0
        while first < total:
            r = self._answer(self._run("NODES", key, first), f"namespace {ns}")
            if not r:
                break
            out.extend((int(r[i]), _text(r[i + 1]), int(r[i + 2]), int(r[i + 3]), int(r[i + 4]), int(r[i + 5]))
                       for i in range(0, len(r), 6))
            first = int(r[-6]) + 1
        return out

    # -- segments -------------------------------------------------------------------
    def init_segment(self, biz_tag: str, *, floor: int, step: int = 1000, description: str = "",
                     table: Optional[str] = None, guard: bool = False) -> None:
        """Create the counter ``biz_tag`` at ``floor`` if missing (never lowered).
        Redis keeps the counter only: ``step`` and ``description`` are checked
        and not stored (the ``Segment``'s ``step`` is what each fetch takes).
        Redis Lua computes in doubles: ``floor`` must stay below
        ``2**53 - 1 - step`` (``InvalidRangeError``), and a fetch from a
        counter at or past ``2**53 - 1 - step`` is refused the same way.

        ``guard=True``: the counter records the server's ``run_id`` (key
        ``{idloom:seg:TAG}:run_id``); every fetch under another run_id is
        ``StoreStateLostError`` and moves nothing. ``run_id`` changes at
        *every* restart (with AOF or RDB too), a restore and a failover: a
        guarded counter then needs ``init_segment(…, guard=True)`` again,
        which raises it to ``max(counter, floor)``; give a floor above every
        ID handed out before. Under the same run_id it changes nothing."""
        check_input("biz_tag", biz_tag)
        check_int(floor, "floor", 0, (1 << 64) - 1)
        check_int(step, "step", 1, (1 << 31) - 1)
        check_input("description", description)
        if table is not None:
            raise error("invalid_argument", "table: Redis keeps counters in keys, not a table")
        # Lua computes in doubles: the core refuses a floor within one step of 2^53 - 1 (invalid_range).
        _redis_counter_floor(floor, step)
        v = self._run("SEGMENT_INIT", _redis_key("counter", biz_tag), floor, "1" if check_guard(guard) else "0")
        if _text(v[0]) == "invalid_range":
            self._answer(v, f"biz_tag {biz_tag}")

    def segment_peek(self, biz_tag: str, *, table: Optional[str] = None) -> int:
        """Where the counter's next range starts (``StoreStateLostError`` if
        missing, or guarded under another run_id); changes nothing."""
        if table is not None:
            raise error("invalid_argument", "table: Redis keeps counters in keys, not a table")
        r = self._answer(self._run("INCRBY", _redis_key("counter", check_input("biz_tag", biz_tag)), 0), f"biz_tag {biz_tag}")
        return int(r[1])

    def segment_source(self, biz_tag: str, **options: Any) -> "CounterSource":
        """``source(step) -> (start, end)`` by ``INCRBY`` (atomic on Redis);
        a missing counter is ``StoreStateLostError``."""
        check_input("biz_tag", biz_tag)
        if options:
            raise error("invalid_argument", f"a Redis segment source takes no options, got {sorted(options)}")
        return CounterSource(self, biz_tag)


class CounterSource:
    """``source(step) -> (start, end)`` from one Redis counter by ``INCRBY``.
    A ``Segment`` over it refills in a background thread."""

    #: ``Segment`` refills from a store in a background thread by default.
    background_refill = True

    def __init__(self, store: RedisStore, biz_tag: str) -> None:
        self.store, self.biz_tag = store, biz_tag
        self._key = _redis_key("counter", biz_tag)

    def __call__(self, step: int) -> Tuple[int, int]:
        check_int(step, "step", 1, 1 << 62)
        r = self.store._answer(self.store._run("INCRBY", self._key, step), f"biz_tag {self.biz_tag}")
        return (int(r[0]), int(r[1]))

def _driver() -> Any:
    import redis

    return redis
