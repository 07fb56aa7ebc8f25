"""The protocol on stores of keys changed by compare-and-set (ZooKeeper's
versioned ``multi``, etcd's transactions on ``mod_revision``), for both
engines: every call is the core's state machine (``_KvCall``, the one the
Rust and Node engines drive too), and ``KvStore._drive`` does what it needs
on the engine — ensure parents, read the store's clock, read a key, list a
prefix, commit a batch that holds only if no version moved, pause. An engine
implements those five primitives (and ``_rollback_handled``); every decision
is the core's (docs/COORDINATION.md, "ZooKeeper and etcd")."""

from __future__ import annotations

import random
import time
from typing import Any, List, Optional, Tuple

from .._idloom import _KvCall, _kv_counter_key, _kv_peek
from ._base import Namespace, Store, check_arg, check_guard, check_input, grant_of, namespace_of
from ._lease import Grant, error

#: A key's record as an engine reads it: (text, version, written_ms or None).
Versioned = Tuple[Any, int, Optional[int]]
#: One write of a batch, as the core gives it: ("create", key, text) |
#: ("set", key, text, version) | ("check", key, version) | ("live", key, text, ttl_s) | ("delete", key).
Write = Tuple[Any, ...]


class KvStore(Store):
    """A store driven by the core's ``_KvCall`` (ZooKeeper, etcd)."""

    #: The word ``table=`` is refused with (where the engine keeps counters).
    _counters_in = "keys"

    # -- the engine's primitives (each adapter) -----------------------------------
    def _ensure(self, keys: List[str]) -> None:
        """Create each key (empty) where it is absent, in order."""
        raise NotImplementedError

    def _now(self, clock: str) -> Optional[Tuple[int, Any]]:
        """The store's clock (ms) and identity (``"silence"``, ``("named",
        name)``, ``("rolled_back", name)``); None when ZooKeeper's clock key is missing."""
        raise NotImplementedError

    def _get(self, key: str) -> Optional[Versioned]:
        raise NotImplementedError

    def _list(self, prefix: str) -> List[Tuple[str, Any, int, Optional[int]]]:
        """Every key below ``prefix`` with its record: (key, text, version, written_ms)."""
        raise NotImplementedError

    def _commit(self, writes: List[Write]) -> bool:
        """The batch as one transaction: False when a compare failed (nothing written)."""
        raise NotImplementedError

    def _rollback_handled(self) -> None:
        """The floor rose after a rollback (etcd): stop reporting it."""

    # -- the one driver loop ------------------------------------------------------
    def _drive(self, call: _KvCall) -> Tuple[Any, ...]:
        """Run ``call`` to its end on this engine: the reading it finishes with."""
        need = call.start()
        while True:
            kind = need[0]
            if kind == "finished":
                return tuple(need[1])
            if kind == "ensure":
                self._ensure(list(need[1]))
                need = call.answer("done")
            elif kind == "now":
                need = call.answer("now", self._now(need[1]))
            elif kind == "get":
                need = call.answer("got", self._get(need[1]))
            elif kind == "list":
                need = call.answer("listed", self._list(need[1]))
            elif kind == "commit":
                need = call.answer("committed", bool(self._commit(list(need[1]))))
            elif kind == "rollback_handled":
                self._rollback_handled()
                need = call.answer("done")
            elif kind == "pause":
                time.sleep(need[1] / 1e6)
                need = call.answer("done")
            else:  # a need this driver does not know: the core is newer than this file
                raise error("invalid_argument", f"{self.engine}: the core asked for {kind!r}, which this binding cannot do")

    # -- the Store calls ----------------------------------------------------------
    def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        got = namespace_of(self._drive(_KvCall.create_namespace(self.engine, ns, record, nodes, ttl_ms, max_skew_ms, fresh)))
        assert got is not None  # an init finishes with the record
        return got

    def _namespace_get(self, ns: str) -> Optional[Namespace]:
        return namespace_of(self._drive(_KvCall.namespace(self.engine, ns)))

    def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        got = grant_of(self._drive(_KvCall.acquire(self.engine, ns, holder, proposed_fence_ms)))
        assert got is not None  # an acquire finishes with a grant or raises
        return got

    def _renew(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        return grant_of(self._drive(_KvCall.renew(self.engine, ns, node, epoch, start_ms, holder, proposed_fence_ms)))

    def _release(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, high_water_ms: int) -> None:
        self._drive(_KvCall.release(self.engine, ns, node, epoch, start_ms, holder, high_water_ms))

    def _nodes(self, ns: str) -> List[Tuple[Any, ...]]:
        return list(self._drive(_KvCall.nodes(self.engine, ns))[1])

    # -- segments -------------------------------------------------------------------
    def _no_table(self, table: Optional[str]) -> None:
        if table is not None:
            raise error("invalid_argument", f"table: {self.engine} keeps counters in {self._counters_in} "
                                            f"(/idloom/counters:TAG), not a table")

    def init_segment(self, biz_tag: str, *, floor: int, step: int = 1000, description: str = "",
                     table: Optional[str] = None, guard: bool = False) -> None:
        """Create the counter ``/idloom/counters:TAG`` at ``floor`` if missing
        (never lowered). ``description`` is checked and not stored; ``guard``
        is refused (the core's reason: no store identity to record)."""
        check_input("biz_tag", biz_tag)
        check_arg("floor", floor)
        check_arg("counter_step", step)
        check_input("description", description)
        self._no_table(table)
        self._drive(_KvCall.create_counter(self.engine, biz_tag, floor, step, check_guard(guard)))

    def segment_peek(self, biz_tag: str, *, table: Optional[str] = None) -> int:
        """Where the counter's next range starts (``StoreStateLostError`` if missing); changes nothing."""
        self._no_table(table)
        key = _kv_counter_key(check_input("biz_tag", biz_tag))
        got = self._get(key)
        return _kv_peek(biz_tag, None if got is None else got[0])

    def segment_source(self, biz_tag: str, **options: Any) -> "KvCounterSource":
        """``source(step) -> (start, end)`` by compare-and-set on the counter's
        version (the core's bounded, jittered loop); a missing counter is
        ``StoreStateLostError``. ``table`` is refused; no other option."""
        check_input("biz_tag", biz_tag)
        self._no_table(options.pop("table", None))
        if options:
            raise error("invalid_argument", f"a {self.engine} segment source takes no options, got {sorted(options)}")
        return KvCounterSource(self, biz_tag)


class KvCounterSource:
    """``source(step) -> (start, end)`` from one counter key by the core's
    compare-and-set loop. A ``Segment`` over it refills in a background thread."""

    #: ``Segment`` refills from a store in a background thread by default.
    background_refill = True

    def __init__(self, store: KvStore, biz_tag: str) -> None:
        self.store, self.biz_tag = store, biz_tag

    def __call__(self, step: int) -> Tuple[int, int]:
        step = check_arg("step", step)
        reading = self.store._drive(_KvCall.fetch(self.store.engine, self.biz_tag, step, random.getrandbits(53)))
        return (reading[1], reading[2])
