"""A node lease held by this process: the core's ``LeaseMachine`` driven by
a background renewal thread over a store's three calls (acquire, renew,
release). The generators it fences (``Snowflake(lease=...)``) mint only
ticks inside ``[start_ms, fence_ms)``; a refused renewal makes them raise
``LeaseLostError`` at the fence, and a release stops them first and gives
the node back with its high-water, so the next holder starts at once.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from .._errors import BY_CODE, IdloomError
from .._idloom import Layout, LeaseMachine

if TYPE_CHECKING:
    from ._base import Store

Grant = Tuple[int, int, int, int, int]  # node, epoch, start_ms, fence_ms, store_now_ms


def now_ms() -> int:
    """The holder's clock (Unix ms), the one the generators read."""
    return time.time_ns() // 1_000_000


def error(code: str, message: str) -> IdloomError:
    """The idloom exception of ``code`` (one class per code, as the core's)."""
    return BY_CODE[code](message, code)


def default_holder() -> str:
    """An instance string for humans: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


_live: "weakref.WeakSet[NodeLease]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The parent still holds these leases (and its thread renews them): the
    # child must not renew, release or mint under them.
    for lease in list(_live):
        lease._forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)


class NodeLease:
    """A node leased from a store, renewed in a background thread.

    ``node``, ``epoch`` (the fencing token), ``start_ms`` and ``fence_ms``
    (ID time) describe it. Use it as a context manager, or call
    ``release()``: leaving stops every generator made from it and gives the
    node back with its high-water. After ``os.fork()`` the child cannot use
    it (``ForkedError``): the child leases a node of its own.
    """

    def __init__(self, store: "Store", namespace: str, holder: str, layout: Layout,
                 ttl_ms: int, max_skew_ms: int) -> None:
        self._store = store
        self.namespace = namespace
        self.holder = holder
        self.layout = layout
        self._machine = LeaseMachine(ttl_ms=ttl_ms, max_skew_ms=max_skew_ms)
        self._fences: List[Any] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._forked = False
        self._thread: Optional[threading.Thread] = None
        #: The error that ended renewals (LeaseLostError, ClockSkewError), if any.
        self.error: Optional[IdloomError] = None
        #: Renewals confirmed, and renewals that got no answer.
        self.renewals = 0
        self.renewal_failures = 0

    # -- acquisition (called by Store.lease_node) ---------------------------
    def _acquire(self) -> None:
        proposed = self._machine.begin_acquire(now_ms())
        grant = self._store._acquire(self.namespace, self.holder, proposed)
        try:
            self._machine.granted(*grant, now_ms())
        except IdloomError:
            # Clock skew past the bound: give the node back untouched.
            node, epoch, start, _, _ = grant
            self._store._release(self.namespace, node, epoch, self.holder, start)
            raise
        _live.add(self)
        self._thread = threading.Thread(target=self._renew_loop, name=f"idloom-lease-{self.namespace}-{self.node}",
                                        daemon=True)
        self._thread.start()

    # -- what the lease is ---------------------------------------------------
    @property
    def node(self) -> int:
        """The node leased."""
        return self._machine.node

    @property
    def epoch(self) -> int:
        """The fencing token: it grows on every acquisition of the node."""
        return self._machine.epoch

    @property
    def start_ms(self) -> int:
        """ID time from which this holder mints."""
        return self._machine.start_ms

    @property
    def fence_ms(self) -> int:
        """ID time before which every tick minted ends (the last confirmed fence)."""
        return self._machine.fence_ms

    @property
    def expires_ms(self) -> int:
        """Holder time from which the store may give the node away unless a renewal lands."""
        return self._machine.expires_ms

    @property
    def skew_ms(self) -> int:
        """The store's clock minus this holder's, as last estimated."""
        return self._machine.skew_ms

    @property
    def state(self) -> str:
        """``"active"``, ``"lost"`` or ``"released"``."""
        return self._machine.state

    def __repr__(self) -> str:
        return (f"NodeLease(namespace={self.namespace!r}, node={self.node}, epoch={self.epoch}, "
                f"start_ms={self.start_ms}, fence_ms={self.fence_ms}, state={self.state!r})")

    # -- generators -----------------------------------------------------------
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

    # -- renewal --------------------------------------------------------------
    def _renew_once(self) -> None:
        with self._lock:
            if self._machine.state != "active":
                return
            proposed = self._machine.begin_renew(now_ms())
            if proposed is None:
                return
        try:
            grant = self._store._renew(self.namespace, self.node, self.epoch, self.holder, proposed)
        except IdloomError as e:
            with self._lock:
                if e.code == "store_unavailable":
                    self._machine.renew_failed()
                    self.renewal_failures += 1
                    return
                self._machine.renew_failed()
                self.error = e
            raise
        with self._lock:
            if grant is None:
                lost = self._machine.refused()
                self.error = lost
                for f in self._fences:
                    f.lose()
                return
            try:
                fence = self._machine.renewed(*grant, now_ms())
            except IdloomError as e:  # clock_skew: the fence stays; stop renewing
                self.error = e
                raise
            for f in self._fences:
                f.extend(fence)
            self.renewals += 1

    def _renew_loop(self) -> None:
        retry_s = max(self._machine.renew_every_ms / 4000.0, 0.01)
        while not self._forked:
            with self._lock:
                if self._machine.state != "active" or self.error is not None:
                    return
                wait_ms = max(self._machine.expires_ms - self._machine.ttl_ms
                              + self._machine.renew_every_ms - now_ms(), 0)
            if self._wake.wait(min(wait_ms / 1000.0, retry_s * 4)):
                return  # released
            try:
                self._renew_once()
            except IdloomError:
                return  # recorded in self.error; the fence ends minting
            except Exception:  # an unexpected driver failure: try again soon
                with self._lock:
                    self._machine.renew_failed()
                    self.renewal_failures += 1
                time.sleep(retry_s)

    # -- release ----------------------------------------------------------------
    def release(self) -> Optional[int]:
        """Stop every generator made from this lease, then give the node back
        with the end of the last tick minted: the next holder starts there at
        once. Returns the high-water sent (None if the lease was lost or
        already released; then nothing is sent)."""
        self._check_fork()
        self._wake.set()
        with self._lock:
            if self._machine.state != "active":
                return None
            marks = [m for m in (f.stop() for f in self._fences) if m is not None]
            node, epoch, high_water = self._machine.release(max(marks) if marks else None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._store._release(self.namespace, node, epoch, self.holder, high_water)
        return high_water

    def __enter__(self) -> "NodeLease":
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self._forked:
            self.release()
