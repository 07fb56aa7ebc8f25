"""What every store adapter shares: the namespace and lease protocol on top
of three engine calls, argument checks, and the segment source contract."""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from .._idloom import (_CAS_TRIES, Layout, LeaseMachine, _CasLoop, _check_arg, _check_input, _check_namespace,
                      _layout_record, _namespace_nodes, _read_answer, _redact, _redact_url, _refuse, _sequence_numbers)
from ._lease import Grant, NodeLease, default_holder, error

#: Compare-and-set rounds before a fetch gives up (``store_unavailable``; the core's).
CAS_TRIES: int = _CAS_TRIES

Subject = Dict[str, Union[str, int]]  # what an answer is about, for the core's messages


def check_arg(key: str, value: Any) -> int:
    """A store call's number checked against the core's spec of ``key``
    (``nodes``, ``ttl_ms``, ``step``, ``counter_step``, ``floor``, ``servers``,
    ``timeout_ms``, …): ``InvalidTypeError`` for a non-int (a bool too),
    ``InvalidArgumentError`` naming the parameter and its range."""
    return _check_arg(key, value)


def check_int(value: Any, name: str, low: int, high: int) -> int:
    """An int in ``low..=high`` (bool refused), else the typed error: only for
    a bound that depends on another argument (the core's specs are ``check_arg``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error("invalid_type", f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise error("invalid_argument", f"{name} must be in {low}..={high}, got {value}")
    return value


def check_text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise error("invalid_type", f"{name} must be a str, got {type(value).__name__}")
    return value


def check_guard(guard: Any) -> bool:
    """``guard`` of ``init_segment``: a bool (``InvalidTypeError`` otherwise)."""
    if not isinstance(guard, bool):
        raise error("invalid_type", f"guard must be a bool, got {type(guard).__name__}")
    return guard


def check_input(kind: str, value: Any) -> str:
    """A string a caller gives a store, checked by the core (characters and
    length of ``kind``: ``biz_tag``, ``holder``, ``description``, …)."""
    return _check_input(kind, value)  # type: ignore[arg-type]


def check_mode(mode: Any) -> str:
    if check_text(mode, "mode") not in ("atomic", "cas"):
        raise error("invalid_argument", f'mode must be "atomic" or "cas", got {mode!r}')
    return str(mode)


class CasFetch:
    """Leaf's compare-and-set fetch, driven by the core's state machine
    (``_CasLoop``): the decisions, the bounds and the jittered pauses are the
    core's; the adapter reads ``max_id`` and runs the swap. ``retries`` counts
    the rounds lost. ``LeafSource`` runs it on a thread; the asyncio stores
    the same steps in a task."""

    def __init__(self, step: int, who: Subject) -> None:
        self._loop, self._who = _CasLoop(step), who

    @property
    def retries(self) -> int:
        return self._loop.retries

    def read(self, current: int) -> Tuple[int, int]:
        """The counter read: ``(old, new)`` to swap."""
        _, old, new = self._loop.read(current, self._who)
        return (old, new)

    def swapped(self, won: bool) -> Union[Tuple[int, int], float]:
        """The swap's outcome: the range ``(start, end)`` when it moved the
        row, else the seconds to pause before reading again
        (``StoreUnavailableError`` after the core's 16 lost rounds)."""
        step = self._loop.swapped(won, random.random(), self._who)
        if step[0] == "done":
            return (step[1], step[2])
        return float(step[1]) / 1e6


class LeafSource:
    """``source(step) -> (start, end)`` from one Leaf row (``biz_tag``), for
    ``Segment``: ``mode="atomic"`` takes the range in one statement;
    ``mode="cas"`` reads ``max_id`` and moves it only if nobody did first, at
    most 16 rounds with a jittered pause (the core's ``CasLoop``). ``retries``
    counts the rounds lost. A ``Segment`` over it refills in a background thread."""

    #: ``Segment`` refills from a store in a background thread by default.
    background_refill = True

    def __init__(self, biz_tag: str, mode: str, atomic: Callable[[int], Tuple[int, int]],
                 read: Callable[[], int], swap: Callable[[int, int], bool]) -> None:
        self.biz_tag, self.mode = biz_tag, mode
        self._atomic, self._read, self._swap = atomic, read, swap
        self.retries = 0

    def __call__(self, step: int) -> Tuple[int, int]:
        step = check_arg("step", step)
        if self.mode == "atomic":
            return self._atomic(step)
        cas, before = CasFetch(step, {"biz_tag": self.biz_tag}), self.retries
        while True:
            old, new = cas.read(self._read())
            got = cas.swapped(self._swap(old, new))
            self.retries = before + cas.retries
            if isinstance(got, tuple):
                return got
            time.sleep(got)


class SequenceSource:
    """``source(step) -> (v, v + step)`` from a database sequence whose
    increment is ``count × step`` (``N`` databases, sequence ``k`` starting
    at ``floor + k × step``: Tinyid's remainder and delta), so the ranges of
    ``N`` sequences never meet. The ``Segment``'s step must be the sequence's."""

    #: ``Segment`` refills from a store in a background thread by default.
    background_refill = True

    def __init__(self, name: str, step: int, nextval: Callable[[], int]) -> None:
        self.name, self.step, self._nextval = name, step, nextval

    def __call__(self, step: int) -> Tuple[int, int]:
        if check_arg("step", step) != self.step:
            raise error("invalid_argument", f"step must be the sequence's step {self.step} (Segment(step={self.step})), got {step}")
        v = self._nextval()
        return (v, v + self.step)


def sequence_numbers(step: int, floor: int, index: int, count: int) -> Tuple[int, int]:
    """(start, increment) of sequence ``index`` of ``count`` with ranges of ``step`` (the core's)."""
    return _sequence_numbers(step, floor, index, count)


def check_source_options(options: Dict[str, Any]) -> None:
    if options:
        raise error("invalid_argument", f"segment_source takes mode and table, not {sorted(options)}")


class Namespace:
    """A namespace's record: layout description, node count, TTL, skew bound, floor."""

    def __init__(self, layout: str, nodes: int, ttl_ms: int, max_skew_ms: int, floor_ms: int) -> None:
        self.layout, self.nodes, self.ttl_ms, self.max_skew_ms, self.floor_ms = layout, nodes, ttl_ms, max_skew_ms, floor_ms

    def __repr__(self) -> str:
        return (f"Namespace(layout={self.layout!r}, nodes={self.nodes}, ttl_ms={self.ttl_ms}, "
                f"max_skew_ms={self.max_skew_ms}, floor_ms={self.floor_ms})")


NamespaceArgs = Tuple[str, str, int, int, int, bool]  # namespace, layout record, nodes, ttl_ms, max_skew_ms, fresh


def namespace_args(engine: str, namespace: str, layout: Layout, nodes: Optional[int], ttl_ms: int, max_skew_ms: int,
                   fresh: bool) -> NamespaceArgs:
    """``init_namespace``'s arguments checked, every one whether or not it is used.
    ``nodes``: the core's default (1,024, at most the layout's node count) when
    ``None``; else 1..=min(the engine's most, the layout's node count)."""
    ns = _check_namespace(namespace)
    if not isinstance(layout, Layout):
        raise error("invalid_type", f"layout must be a Layout, got {type(layout).__name__}")
    if nodes is not None:
        check_arg("nodes", nodes)
    nodes = _namespace_nodes(engine, layout, nodes)
    ttl_ms, max_skew_ms = check_arg("ttl_ms", ttl_ms), check_arg("max_skew_ms", max_skew_ms)
    LeaseMachine(ttl_ms=ttl_ms, max_skew_ms=max_skew_ms)  # the core's bound of the pair: the skew below the TTL
    if not isinstance(fresh, bool):
        raise error("invalid_type", f"fresh must be a bool, got {type(fresh).__name__}")
    return (ns, _layout_record(layout), nodes, ttl_ms, max_skew_ms, fresh)


def check_record(args: NamespaceArgs, got: Namespace) -> Namespace:
    """The record a store answered, refused if it holds another layout or node count."""
    ns, record, nodes = args[0], args[1], args[2]
    if got.layout != record or got.nodes != nodes:
        raise error("store_schema", f"namespace {ns} exists with layout {got.layout!r} and {got.nodes} nodes, "
                                    f"not {record!r} and {nodes}")
    return got


def found(ns: str, got: Optional[Namespace]) -> Namespace:
    """The record a lookup found, or the core's ``StoreStateLostError`` for a missing namespace."""
    if got is None:
        raise _refuse("namespace_missing", {"namespace": ns})
    return got


def namespace_of(reading: Tuple[Any, ...]) -> Optional[Namespace]:
    """The record in a reading of the core's (``("namespace", …)``; None for ``("missing",)``)."""
    return Namespace(*reading[1:]) if reading[0] == "namespace" else None


def nodes_of(engine: str, ns: str, rows: Any) -> List[Tuple[Any, ...]]:
    """The status rows of a NODES statement, each read by the core: ``(node,
    holder, epoch, expires_ms, start_ms, fence_ms)``."""
    return [node for row in rows for node in _read_answer(engine, "nodes", {"namespace": ns}, tuple(row))[1]]


def grant_of(reading: Tuple[Any, ...]) -> Optional[Grant]:
    """The grant in a reading of the core's (``("grant", …)``; None for
    ``("refused",)``: the lease is lost), with the store's identity flag
    (1: an acquire found the store under another identity and raised the floor)."""
    if reading[0] != "grant":
        return None
    return (reading[1], reading[2], reading[3], reading[4], reading[5], reading[6])


def lease_args(namespace: str, record: Namespace, layout: Layout, holder: Optional[str]) -> str:
    """``lease_node``'s arguments checked against the namespace's record; the holder string."""
    if not isinstance(layout, Layout):
        raise error("invalid_type", f"layout must be a Layout, got {type(layout).__name__}")
    if record.layout != _layout_record(layout):
        raise error("store_schema", f"namespace {namespace} uses layout {record.layout!r}, "
                                    f"not {_layout_record(layout)!r}")
    return check_input("holder", default_holder() if holder is None else holder)


class ShownUrl:
    """The URL ``from_url`` was given, shown only redacted (``repr``, messages):
    what the synchronous and the asyncio stores share."""

    _shown_url: Optional[str] = None

    def __repr__(self) -> str:
        where = "" if self._shown_url is None else repr(_redact_url(self._shown_url))
        return f"{type(self).__name__}({where})"

    def _redacted(self, text: str) -> str:
        """A message without the password of the URL this store was made from."""
        return text if self._shown_url is None else _redact(text, self._shown_url)


class Store(ShownUrl):
    """The protocol every engine implements with the core's texts."""

    engine = ""

    # -- engine calls (each adapter) --------------------------------------------
    def init(self) -> None:
        raise NotImplementedError

    def _namespace_init(self, ns: str, record: str, nodes: int, ttl_ms: int, max_skew_ms: int, fresh: bool) -> Namespace:
        raise NotImplementedError

    def _namespace_get(self, ns: str) -> Optional[Namespace]:
        raise NotImplementedError

    def _acquire(self, ns: str, holder: str, proposed_fence_ms: int) -> Grant:
        raise NotImplementedError

    def _renew(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, proposed_fence_ms: int) -> Optional[Grant]:
        raise NotImplementedError

    def _release(self, ns: str, node: int, epoch: int, start_ms: int, holder: str, high_water_ms: int) -> None:
        raise NotImplementedError

    # -- the public protocol ------------------------------------------------------
    def init_namespace(self, namespace: str, *, layout: Layout = Layout.TWITTER, nodes: Optional[int] = None,
                       ttl_ms: int = 10_000, max_skew_ms: int = 1_000, fresh: bool = False) -> Namespace:
        """Create the tables if missing and the namespace if missing; answer its record.

        ``fresh=True`` (first deployment, tests) starts at floor 0; otherwise
        the floor is ``store now + ttl + max_skew``, above every fence a holder
        from before could still use (a store that lost its state). A namespace
        that exists with another layout or node count is ``StoreSchemaError``.
        """
        args = namespace_args(self.engine, namespace, layout, nodes, ttl_ms, max_skew_ms, fresh)
        self.init()
        return check_record(args, self._namespace_init(*args))

    def namespace(self, namespace: str) -> Namespace:
        """The namespace's record (``StoreStateLostError`` if the store has none)."""
        ns = _check_namespace(namespace)
        return found(ns, self._namespace_get(ns))

    def lease_node(self, namespace: str, *, layout: Layout = Layout.TWITTER, holder: Optional[str] = None) -> NodeLease:
        """Lease a node of ``namespace`` (its previous holder's first: sticky
        restarts) and renew it in a background thread. ``layout`` must be the
        namespace's (``StoreSchemaError`` otherwise)."""
        record = self.namespace(namespace)
        holder = lease_args(namespace, record, layout, holder)
        lease = NodeLease(self, namespace, holder, layout, record.ttl_ms, record.max_skew_ms)
        lease._acquire()
        return lease

    def status(self, namespace: str) -> Dict[str, Any]:
        """The namespace's record and its nodes (holder, epoch, expires_ms, start_ms, fence_ms)."""
        record = self.namespace(namespace)
        return {"namespace": namespace, "record": record, "nodes": self._nodes(namespace)}

    def _nodes(self, ns: str) -> list:  # type: ignore[type-arg]
        raise NotImplementedError

    # -- segments -------------------------------------------------------------------
    def init_segment(self, biz_tag: str, *, floor: int, step: int = 1000, description: str = "",
                     table: Optional[str] = None) -> None:
        """Create the counter ``biz_tag`` at ``floor`` if missing (never lowered).
        PostgreSQL and Redis also take ``guard=True``: the counter records the
        store's identity; under another one every fetch is
        ``StoreStateLostError`` until ``init_segment(…, guard=True)`` again
        raises it to ``max(counter, floor)``."""
        raise NotImplementedError

    def segment_peek(self, biz_tag: str, *, table: Optional[str] = None) -> int:
        """Where the counter's next range starts (``StoreStateLostError`` if missing); changes nothing."""
        raise NotImplementedError

    def segment_source(self, biz_tag: str, **options: Any) -> Callable[[int], Tuple[int, int]]:
        """A source for ``Segment``: ``source(step) -> (start, end)``, a range
        no other caller ever receives."""
        raise NotImplementedError
