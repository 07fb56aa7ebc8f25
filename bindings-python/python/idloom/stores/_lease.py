"""A node lease held by this process: the core's ``LeaseMachine`` driven by
a background renewal thread over a store's three calls (acquire, renew,
release). The generators it fences (``Snowflake(lease=...)``) mint only
ticks inside ``[start_ms, fence_ms)``; a refused renewal makes them raise
``LeaseLostError`` at the fence, and a release stops them first and gives
the node back with its high-water, so the next holder starts at once.

Every step is an event of the core's (``idloom.events``): ``lease_acquired``,
``lease_renewed``, ``lease_renewal_failed``, ``lease_lost``,
``lease_expired``, ``lease_released``, counted in ``stats()`` and delivered
to the logger ``"idloom"`` and the hooks outside the lease's lock.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Dict, Generic, List, Optional, Tuple, TypeVar, overload

from .._errors import BY_CODE, IdloomError
from .._idloom import Layout, LeaseMachine, _EventCounters, _fork_generation
from ..events import emit

if TYPE_CHECKING:
    from ._base import Store

#: node, epoch, start_ms, fence_ms, store_now_ms, identity_changed (1: the
#: acquire found the store under another identity and raised the floor; 0 on MariaDB, and
#: for a renewal, which is refused under another identity).
Grant = Tuple[int, int, int, int, int, int]
Event = Optional[Tuple[str, Dict[str, Any]]]  # the machine's last event: (name, facts)
T = TypeVar("T")


def now_ms() -> int:
    """The holder's clock (Unix ms), the one the generators read."""
    return time.time_ns() // 1_000_000


def error(code: str, message: str) -> IdloomError:
    """The idloom exception of ``code`` (one class per code, as the core's)."""
    return BY_CODE[code](message, code)


def default_holder() -> str:
    """An instance string for humans: host, pid and a random suffix. A holder is
    printable ASCII (the core's check): a host name outside it shows as ``?``."""
    host = "".join(c if " " <= c <= "~" else "?" for c in socket.gethostname())[:200]
    return f"{host}:{os.getpid()}:{os.urandom(3).hex()}"


class _Machine(Generic[T]):
    """A read-only attribute of a lease that is its machine's attribute of
    the same name (``node``, ``epoch``, ``fence_ms``, …)."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, lease: None, owner: type) -> "_Machine[T]": ...

    @overload
    def __get__(self, lease: "_LeaseState", owner: type) -> T: ...

    def __get__(self, lease: Optional["_LeaseState"], owner: type) -> Any:
        return self if lease is None else getattr(lease._machine, self._name)


class _LeaseState:
    """What a lease held by this process knows, without I/O: the core's
    ``LeaseMachine``, the generators it fences, and the steps every renewal
    and release takes. ``NodeLease`` (a thread) and ``AsyncNodeLease`` (an
    asyncio task) run the store calls around these steps."""

    def __init__(self, namespace: str, holder: str, layout: Layout, ttl_ms: int, max_skew_ms: int) -> None:
        self.namespace = namespace
        self.holder = holder
        self.layout = layout
        self._machine = LeaseMachine(ttl_ms=ttl_ms, max_skew_ms=max_skew_ms)
        self._fences: List[Any] = []
        self._lock = threading.Lock()
        # The process that took the lease (the core's fork generation moves at
        # every fork(), from os.fork or from C): the parent still holds the
        # lease and renews it, so a child must not renew, release or mint under it.
        self._born = _fork_generation()
        #: The error that ended renewals (LeaseLostError, ClockSkewError), if any.
        self.error: Optional[IdloomError] = None
        #: Renewals confirmed, and renewals that got no answer.
        self.renewals = 0
        self.renewal_failures = 0
        self._counters = _EventCounters()
        self._released: Event = None

    @property
    def _forked(self) -> bool:
        return _fork_generation() != self._born

    @property
    def _renewing(self) -> bool:
        """Whether the renewal loop goes on: this process took the lease, it is
        active and no error ended renewals."""
        return not self._forked and self._machine.state == "active" and self.error is None

    # -- what the lease is: the core's machine ---------------------------------
    node = _Machine[int]("The node leased.")
    epoch = _Machine[int]("The fencing token: it grows on every acquisition of the node.")
    start_ms = _Machine[int]("ID time from which this holder mints.")
    fence_ms = _Machine[int]("ID time before which every tick minted ends (the last confirmed fence).")
    expires_ms = _Machine[int]("Holder time from which the store may give the node away unless a renewal lands.")
    skew_ms = _Machine[int]("The store's clock minus this holder's, as last estimated.")
    state = _Machine[str]('``"active"``, ``"lost"`` or ``"released"``.')

    def stats(self) -> Dict[str, int]:
        """How many events of each kind this lease saw: ``{name: count}`` for
        every kind of the core's (``lease_acquired``, ``lease_renewed``,
        ``lease_renewal_failed``, ``lease_lost``, ``lease_expired``, ``lease_released``, …)."""
        counts: Dict[str, int] = self._counters.as_dict()
        return counts

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(namespace={self.namespace!r}, node={self.node}, epoch={self.epoch}, "
                f"start_ms={self.start_ms}, fence_ms={self.fence_ms}, state={self.state!r})")

    # -- the steps around the store calls -------------------------------------
    def _proposal(self) -> int:
        return self._machine.begin_acquire(now_ms())

    def _granted(self, grant: Grant) -> None:
        """``ClockSkewError`` when the clocks are too far apart (the caller gives the node back)."""
        self._machine.granted(*grant[:5], now_ms())
        if grant[5]:  # the floor rose first: the grant starts at or above it
            emit("store_identity_changed", self, node=grant[0], epoch=grant[1], fence_ms=grant[2])
        self._emit(self._machine._take_event())  # lease_acquired

    def _emit(self, event: Event) -> None:
        """Deliver the machine's event (taken under the lock) with no lock held:
        a hook may use this lease."""
        if event is not None:
            emit(event[0], self, **event[1])

    def _check_fork(self) -> None:
        if self._forked:
            raise error("forked", f"namespace {self.namespace}, node {self.node}: this lease belongs to the parent "
                                  "process; lease a node of its own in the child")

    def _generator(self) -> Any:
        """Called by ``Snowflake(lease=...)``: the lease's generator, if one was made."""
        self._check_fork()
        return self._fences[0] if self._fences else None

    def _attach(self, fence: Any) -> None:
        """Called by ``Snowflake(lease=...)``: fence its generator by this lease."""
        self._check_fork()
        with self._lock:
            if self._machine.state != "active":
                raise self.error or error("lease_lost", f"namespace {self.namespace}, node {self.node}: "
                                                        f"the lease is {self._machine.state}; lease a node again")
            if any(f is fence for f in self._fences):
                return
            fence.set(self.start_ms, self.fence_ms, self.epoch)
            self._fences.append(fence)

    def _renew_begin(self) -> Optional[int]:
        """The fence to propose if a renewal is due now, else None."""
        with self._lock:
            if self._machine.state != "active" or self.error is not None:
                return None
            return self._machine.begin_renew(now_ms())

    def _renew_end(self, grant: Optional[Grant], failure: Optional[BaseException]) -> Optional[float]:
        """Take a renewal's outcome, the core's action: None when renewals are
        over (lost, skew, released), else the seconds to wait before the next
        check (0 after a confirmed renewal; the core's ``in_ms`` after a retry).
        Its event (the core's ``Action::event``) follows, outside the lock."""
        with self._lock:
            pause = self._renew_judge(grant, failure)
            event = self._machine._take_event()
        self._emit(event)
        return pause

    def _renew_judge(self, grant: Optional[Grant], failure: Optional[BaseException]) -> Optional[float]:
        """A renewal's outcome judged by the core (called under ``self._lock``)."""
        if failure is not None:
            # The core says: no answer (store_unavailable, a driver's own failure) retries, any other code ends.
            known = failure if isinstance(failure, IdloomError) else None
            retry = self._machine.renew_failed(known.code if known is not None else None)
            if retry is None:
                self.error = known
                return None
            self.renewal_failures += 1  # the fence stands; retry soon
            return retry / 1000.0
        if grant is None:  # refused: another holder has the node from the fence on
            self.error = self._machine.refused()
            for f in self._fences:
                f.lose()
            return None
        if grant[5]:  # a store whose renewal grants under a new identity says so (none of ours: they refuse)
            emit("store_identity_changed", self, node=grant[0], epoch=grant[1], fence_ms=grant[3])
        try:
            action, value = self._machine.renewed(*grant[:5], now_ms())
        except IdloomError as e:  # the core's stop: clock_skew; or released meanwhile
            self.error = e if self._machine.state == "active" else None
            return None
        if action == "retry":
            # Answered too late to judge the clocks (this process was paused):
            # the fence stays at the last confirmed one; renew again in the core's in_ms.
            self.renewal_failures += 1
            return value / 1000.0
        for f in self._fences:
            f.extend(value)
        self.renewals += 1
        return 0.0

    def _renew_wait_s(self) -> float:
        """Seconds until the next renewal is due (at most a third of the TTL)."""
        with self._lock:
            return self._machine.next_renewal_in_ms(now_ms()) / 1000.0

    def _release_begin(self) -> Optional[Tuple[int, int, int]]:
        """Stop every generator and say what to release with (None: nothing to send)."""
        with self._lock:
            if self._machine.state != "active":
                return None
            marks = [m for m in (f.stop() for f in self._fences) if m is not None]
            sent = self._machine.release(max(marks) if marks else None)
            self._released = self._machine._take_event()
            return sent

    def _release_end(self) -> None:
        """The store took the release: ``lease_released`` (its ``fence_ms`` is the high-water)."""
        event, self._released = self._released, None
        self._emit(event)


class NodeLease(_LeaseState):
    """A node leased from a store, renewed in a background thread.

    ``node``, ``epoch`` (the fencing token), ``start_ms`` and ``fence_ms``
    (ID time) describe it. Use it as a context manager, or call
    ``release()``: leaving stops every generator made from it and gives the
    node back with its high-water. After ``os.fork()`` the child cannot use
    it (``ForkedError``): the child leases a node of its own.
    """

    def __init__(self, store: "Store", namespace: str, holder: str, layout: Layout,
                 ttl_ms: int, max_skew_ms: int) -> None:
        super().__init__(namespace, holder, layout, ttl_ms, max_skew_ms)
        self._store = store
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _acquire(self) -> None:
        grant = self._store._acquire(self.namespace, self.holder, self._proposal())
        try:
            self._granted(grant)
        except IdloomError:
            # Clock skew past the bound: give the node back untouched.
            self._store._release(self.namespace, grant[0], grant[1], grant[2], self.holder, grant[2])
            raise
        self._thread = threading.Thread(target=self._renew_loop, name=f"idloom-lease-{self.namespace}-{self.node}",
                                        daemon=True)
        self._thread.start()

    def _renew_loop(self) -> None:
        while self._renewing:
            if self._wake.wait(self._renew_wait_s()):
                return  # released
            proposed = self._renew_begin()
            if proposed is None:
                continue  # not due yet, or renewals are over (the loop's test)
            try:
                grant = self._store._renew(self.namespace, self.node, self.epoch, self.start_ms, self.holder, proposed)
                failure: Optional[BaseException] = None
            except Exception as e:  # the driver's failure: judged by _renew_end
                grant, failure = None, e
            pause = self._renew_end(grant, failure)
            if pause is None:
                return
            if pause and self._wake.wait(pause):
                return  # released

    def release(self) -> Optional[int]:
        """Stop every generator made from this lease, then give the node back
        with the end of the last tick minted: the next holder starts there at
        once. Returns the high-water sent (None if the lease was lost or
        already released; then nothing is sent)."""
        self._check_fork()
        self._wake.set()
        sent = self._release_begin()
        if sent is None:
            return None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        node, epoch, high_water = sent
        self._store._release(self.namespace, node, epoch, self.start_ms, self.holder, high_water)
        self._release_end()
        return high_water

    def __enter__(self) -> "NodeLease":
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._forked:
            self.release()


class AsyncNodeLease(_LeaseState):
    """A node leased from an asyncio store, renewed by an asyncio task; the
    same rules as ``NodeLease``. ``async with`` releases it."""

    def __init__(self, store: Any, namespace: str, holder: str, layout: Layout, ttl_ms: int, max_skew_ms: int) -> None:
        super().__init__(namespace, holder, layout, ttl_ms, max_skew_ms)
        self._store = store
        self._task: Optional["asyncio.Task[None]"] = None

    async def _acquire(self) -> None:
        grant = await self._store._acquire(self.namespace, self.holder, self._proposal())
        try:
            self._granted(grant)
        except IdloomError:
            await self._store._release(self.namespace, grant[0], grant[1], grant[2], self.holder, grant[2])
            raise
        self._task = asyncio.get_running_loop().create_task(self._renew_loop())

    async def _renew_loop(self) -> None:
        while self._renewing:
            await asyncio.sleep(self._renew_wait_s())
            proposed = self._renew_begin()
            if proposed is None:
                continue  # not due yet, or renewals are over (the loop's test)
            try:
                grant = await self._store._renew(self.namespace, self.node, self.epoch, self.start_ms, self.holder, proposed)
                failure: Optional[BaseException] = None
            except Exception as e:
                grant, failure = None, e
            pause = self._renew_end(grant, failure)
            if pause is None:
                return
            if pause:
                await asyncio.sleep(pause)

    async def release(self) -> Optional[int]:
        """As ``NodeLease.release``: stop the generators, then give the node back with its high-water."""
        self._check_fork()
        if self._task is not None:
            self._task.cancel()
        sent = self._release_begin()
        if sent is None:
            return None
        node, epoch, high_water = sent
        await self._store._release(self.namespace, node, epoch, self.start_ms, self.holder, high_water)
        self._release_end()
        return high_water

    async def __aenter__(self) -> "AsyncNodeLease":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if not self._forked:
            await self.release()
