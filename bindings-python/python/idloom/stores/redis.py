"""Leases and segments on Redis through redis-py (``pip install 'idloom[redis]'``).

Pass your ``redis.Redis`` client (TLS, Sentinel, timeouts are the client's).
Every call is one of the core's Lua scripts: store time from ``TIME``, the
store's identity from ``run_id``; a Redis that restarted without its data
raises the namespace floor or answers ``store_state_lost``, never a silent 0.
Keys of a namespace share one hash tag (one Cluster slot).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from .._idloom import _classify, _read_answer, _redis_counter_floor, _redis_key, _store_texts
from ._base import Namespace, Store, Subject, check_arg, check_guard, check_input, check_text, grant_of, namespace_of
from ._lease import Grant, error


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


#: redis-py's exception classes, which strip an error reply's first word,
#: back to that word (its ``EXCEPTION_CLASSES``); the core's table knows the words.
_REPLY_WORDS = (("BusyLoadingError", "LOADING"), ("ReadOnlyError", "READONLY"), ("NoScriptError", "NOSCRIPT"),
                ("OutOfMemoryError", "OOM"), ("ExecAbortError", "EXECABORT"), ("NoPermissionError", "NOPERM"),
                ("MasterDownError", "MASTERDOWN"), ("ClusterDownError", "CLUSTERDOWN"), ("TryAgainError", "TRYAGAIN"),
                ("MovedError", "MOVED"), ("AskError", "ASK"), ("ClusterCrossSlotError", "CROSSSLOT"))


def driver_error(e: Exception, redacted: Any) -> Exception:
    """A redis-py failure as the core classifies it: the error reply (its
    first word names the class: ``LOADING``, ``READONLY``, ``OOM``, …
    ``store_unavailable``; ``ERR``, ``WRONGTYPE``, ``NOPERM`` …
    ``store_schema``), or no answer at all (a connection that failed, broke
    or timed out: ``store_unavailable``). ``redacted(text)`` takes the
    password of the store's URL out of the driver's text."""
    r = _driver()
    word = getattr(e, "status_code", None)  # redis-py 6+: the reply's first word
    if not word:
        word = next((w for name, w in _REPLY_WORDS if isinstance(e, getattr(r.exceptions, name, ()))), None)
    if word == "LOADING" or not isinstance(e, (r.exceptions.ConnectionError, r.exceptions.TimeoutError)):
        reply = redacted(f"{word} {e}" if word else str(e))  # the reply as the server sent it
        return _classify("redis", "reply", reply, reply)
    return _classify("redis", "connection", None, redacted(str(e)))


def answer(call: str, who: Subject, reply: Sequence[Any]) -> Tuple[Any, ...]:
    """A script's reply to ``call``, read by the core (a refusal raises its error)."""
    return _read_answer("redis", call, who, list(reply))


def namespace_init(ns: str, reply: Sequence[Any]) -> Namespace:
    """The record NAMESPACE_INIT answers, read by the core."""
    got = namespace_of(answer("namespace_init", {"namespace": ns}, reply))
    assert got is not None
    return got


def segment_init(biz_tag: str, reply: Any) -> None:
    """SEGMENT_INIT's reply (the counter, or a refusal), read by the core."""
    answer("segment_init", {"biz_tag": biz_tag}, reply if isinstance(reply, (list, tuple)) else [reply])


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
            got = self._scripts[name](keys=[key], args=list(args))
        except r.exceptions.RedisError as e:
            raise driver_error(e, self._redacted) from None
        return list(got) if isinstance(got, (list, tuple)) else [got]

    def init(self) -> None:
        """Nothing to create on Redis (namespaces and counters are created by their own init)."""

    def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        v = self._run("NAMESPACE_INIT", _redis_key("ns", ns), record, nodes, ttl_ms, max_skew_ms, "1" if fresh else "0")
        return namespace_init(ns, v)

    def _namespace_get(self, ns: str) -> Optional[Namespace]:
        return namespace_of(answer("namespace_get", {"namespace": ns}, self._run("NAMESPACE_GET", _redis_key("ns", ns))))

    def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        v = self._run("ACQUIRE", _redis_key("ns", ns), holder, proposed_fence_ms)
        got = grant_of(answer("acquire", {"namespace": ns}, v))
        assert got is not None
        return got

    def _renew(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        v = self._run("RENEW", _redis_key("ns", ns), node, epoch, holder, proposed_fence_ms, start_ms)
        return grant_of(answer("renew", {"namespace": ns, "node": node, "epoch": epoch}, v))

    def _release(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, high_water_ms: int) -> None:
        v = self._run("RELEASE", _redis_key("ns", ns), node, epoch, holder, high_water_ms, start_ms)
        answer("release", {"namespace": ns, "node": node, "epoch": epoch}, v)

    def _nodes(self, ns: str) -> List[Tuple[Any, ...]]:
        # A page of at most 1,024 nodes per script call (one call holds every Redis client).
        key, total = _redis_key("ns", ns), self.namespace(ns).nodes
        out: List[Tuple[Any, ...]] = []
        first = 0
        while first < total:
            page = answer("nodes", {"namespace": ns}, self._run("NODES", key, first))[1]
            if not page:
                break
            out.extend(page)
            first = page[-1][0] + 1
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
        check_arg("floor", floor)
        check_arg("counter_step", step)
        check_input("description", description)
        if table is not None:
            raise error("invalid_argument", "table: Redis keeps counters in keys, not a table")
        # Lua computes in doubles: the core refuses a floor within one step of 2^53 - 1 (invalid_range).
        _redis_counter_floor(floor, step)
        segment_init(biz_tag, self._run("SEGMENT_INIT", _redis_key("counter", biz_tag), floor,
                                        "1" if check_guard(guard) else "0"))

    def segment_peek(self, biz_tag: str, *, table: Optional[str] = None) -> int:
        """Where the counter's next range starts (``StoreStateLostError`` if
        missing, or guarded under another run_id); changes nothing."""
        if table is not None:
            raise error("invalid_argument", "table: Redis keeps counters in keys, not a table")
        v = self._run("INCRBY", _redis_key("counter", check_input("biz_tag", biz_tag)), 0)
        return int(answer("incrby", {"biz_tag": biz_tag}, v)[2])

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
        self._who: Subject = {"biz_tag": biz_tag}

    def __call__(self, step: int) -> Tuple[int, int]:
        step = check_arg("step", step)
        _, start, end = answer("incrby", self._who, self.store._run("INCRBY", self._key, step))
        return (start, end)

def _driver() -> Any:
    import redis

    return redis
