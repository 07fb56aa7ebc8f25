"""Leases and segments on ZooKeeper through kazoo (``pip install 'idloom[zookeeper]'``).

Pass your started ``kazoo.client.KazooClient`` (hosts, chroot, auth, TLS are
the client's), or ``ZooKeeperStore.from_url("zookeeper://h:p[,h:p][/chroot]
[?session_timeout_ms=N&call_timeout_ms=N]")``. Every call is the core's state
machine (``idloom.stores._kv``) on persistent znodes changed by versioned
``multi``: ``/idloom/NS`` the namespace's record, ``/idloom/NS/nodes/N`` node
N's, ``/idloom/NS/clock`` written by every lease call (its ``mtime`` is the
store's clock), ``/idloom/counters:TAG`` a segment counter. Liveness is the
record's expiry on that clock, not the session; the store's identity is
time (a silence longer than a TTL: docs/COORDINATION.md, "ZooKeeper and
etcd"). Every request waits at most ``call_timeout_ms`` (default 5,000):
a server that hangs is ``StoreUnavailableError``.
"""

from __future__ import annotations

import threading
from typing import Any, List, Optional, Tuple

from .._errors import IdloomError
from .._idloom import _classify, _kv_url
from ._base import check_input, check_text
from ._kv import KvStore, Versioned, Write
from ._lease import error

#: kazoo's exception classes (subclasses first) → the names the core's
#: ZOOKEEPER table knows (core/src/stores/failure.rs); any other is store_schema.
_NAMES = (("ConnectionClosedError", "ClientClosed"), ("ZookeeperStoppedError", "ClientClosed"),
          ("SessionExpiredError", "SessionExpired"), ("SessionMovedError", "SessionMoved"),
          ("ConnectionLoss", "ConnectionLoss"), ("ConnectionDropped", "ConnectionLoss"),
          ("NotReadOnlyCallError", "NotReadOnly"), ("ThrottledOpError", "Throttled"),
          ("OperationTimeoutError", "Timeout"), ("RequestTimeoutError", "Timeout"),
          ("NoAuthError", "NoAuth"), ("AuthFailedError", "AuthFailed"))


def driver_error(e: BaseException) -> Exception:
    """A kazoo failure as the core classifies it, by the ZooKeeper error's
    name: no answer (connection lost, session expired or closed, a request
    past the call timeout) is ``store_unavailable``; anything else ``store_schema``."""
    k = _driver()
    if isinstance(e, IdloomError):
        return e  # already the core's
    if isinstance(e, k.handlers.threading.KazooTimeoutError):
        name = "Timeout"
    else:
        name = next((n for cls, n in _NAMES if isinstance(e, getattr(k.exceptions, cls))), type(e).__name__)
    return _classify("zookeeper", "status", name, f"{type(e).__name__}: {e}".rstrip(": "))


class ZooKeeperStore(KvStore):
    """A ZooKeeper store over a kazoo client."""

    engine = "zookeeper"
    _counters_in = "znodes"

    def __init__(self, client: Any, *, call_timeout_ms: int = 5_000) -> None:
        _driver()  # the driver is optional: imported when a store is made
        self._client = client
        self._timeout = call_timeout_ms / 1000
        self._owned = False  # from_url's client: started (again) here when it is not running
        self._start_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> "ZooKeeperStore":
        """A client for ``zookeeper://host:port[,host:port…][/chroot]``
        (``?session_timeout_ms=N&call_timeout_ms=N``, defaults 10,000 and
        5,000), connected on the first call (a server that is down then is
        ``StoreUnavailableError``)."""
        u = _kv_url(check_text(url, "url"))
        if u["engine"] != "zookeeper":
            raise error("invalid_argument", "url must start with zookeeper://")
        k = _driver()
        client = k.client.KazooClient(hosts=u["connect_string"], timeout=u["session_timeout_ms"] / 1000)
        store = cls(client, call_timeout_ms=u["call_timeout_ms"])
        store._owned, store._shown_url = True, url
        return store

    def close(self) -> None:
        """Stop and close the client ``from_url`` made (a client you passed is yours to stop)."""
        if self._owned:
            self._client.stop()
            self._client.close()

    # -- requests -----------------------------------------------------------------
    def _connected(self) -> Any:
        """The client; ``from_url``'s is started here if it is not running
        (first call, or stopped after a failed start), within the call timeout."""
        if self._owned and not self._client.connected:
            with self._start_lock:
                # Not running: never started, or stopped by a start that timed out (kazoo's own flag).
                if self._client._stopped.is_set():
                    try:
                        self._client.start(timeout=self._timeout)
                    except Exception as e:  # noqa: BLE001 - every driver failure is classified
                        raise driver_error(e) from None
        return self._client

    def _wait(self, pending: Any) -> Any:
        """A request's result within the call timeout; a failure classified."""
        try:
            return pending.get(timeout=self._timeout)
        except Exception as e:  # noqa: BLE001 - every driver failure is classified
            raise driver_error(e) from None

    def _missing(self, pending: Any) -> Tuple[bool, Any]:
        """``(False, result)``, or ``(True, None)`` when the znode is missing."""
        k = _driver()
        try:
            return (False, pending.get(timeout=self._timeout))
        except k.exceptions.NoNodeError:
            return (True, None)
        except Exception as e:  # noqa: BLE001 - every driver failure is classified
            raise driver_error(e) from None

    def _create_if_missing(self, path: str) -> None:
        k, pending = _driver(), self._connected().create_async(path, b"")
        try:
            pending.get(timeout=self._timeout)
        except k.exceptions.NodeExistsError:
            pass
        except Exception as e:  # noqa: BLE001 - every driver failure is classified
            raise driver_error(e) from None

    # -- the engine's primitives ----------------------------------------------------
    def init(self) -> None:
        """``/idloom`` if missing (the parents of every record)."""
        self._create_if_missing("/idloom")

    def _ensure(self, keys: List[str]) -> None:
        for key in keys:
            self._create_if_missing(key)

    def _now(self, clock: str) -> Optional[Tuple[int, Any]]:
        # The leader stamps a write with its clock: the clock znode's mtime is the store's now.
        missing, stat = self._missing(self._connected().set_async(clock, b"", -1))
        return None if missing else (max(stat.mtime, 0), "silence")

    def _get(self, key: str) -> Optional[Versioned]:
        missing, got = self._missing(self._connected().get_async(key))
        if missing:
            return None
        data, stat = got
        return (data, stat.version, stat.mtime)

    def _list(self, prefix: str) -> List[Tuple[str, Any, int, Optional[int]]]:
        parent = prefix[:-1] if prefix.endswith("/") else prefix
        c = self._connected()
        missing, names = self._missing(c.get_children_async(parent))
        if missing or not names:
            return []
        keys = [f"{parent}/{n}" for n in sorted(names)]
        pending = [c.get_async(key) for key in keys]  # sent at once, read in order
        out = []
        for key, p in zip(keys, pending):
            gone, got = self._missing(p)
            if not gone:  # a child deleted between the list and the read is skipped
                data, stat = got
                out.append((key, data, stat.version, stat.mtime))
        return out

    def _commit(self, writes: List[Write]) -> bool:
        k = _driver()
        t = self._connected().transaction()
        for w in writes:
            if w[0] == "create":
                t.create(w[1], w[2].encode())
            elif w[0] == "set":
                t.set_data(w[1], w[2].encode(), w[3])
            elif w[0] == "check":
                t.check(w[1], w[2])
            elif w[0] == "delete":
                t.delete(w[1], -1)
            else:  # the core hands ZooKeeper no store-side lease (etcd's liveness keys)
                raise error("invalid_argument", f"zookeeper: {w[0]!r} is not a ZooKeeper write")
        results = self._wait(t.commit_async())
        failed = [r for r in results if isinstance(r, Exception) and not isinstance(r, k.exceptions.RolledBackError)]
        if not failed:
            return True
        lost = (k.exceptions.BadVersionError, k.exceptions.NodeExistsError, k.exceptions.NoNodeError)
        if all(isinstance(r, lost) for r in failed):
            return False  # a compare failed: nothing was written
        raise driver_error(failed[0])

    # -- ZooKeeper's own counter ------------------------------------------------------
    def next_sequential(self, biz_tag: str) -> int:
        """An ID from a sequential znode (ZooKeeper's own counter): each call
        creates ``/idloom/sequences:TAG/id-`` as a persistent sequential znode
        and answers its suffix, strictly increasing per tag (a signed 32-bit
        counter of the parent: 2³¹ IDs per tag, then ``InvalidRangeError``).
        The znode is deleted at once; only the parent's counter is kept."""
        parent = f"/idloom/sequences:{check_input('biz_tag', biz_tag)}"
        self._create_if_missing("/idloom")
        self._create_if_missing(parent)
        path = self._wait(self._connected().create_async(f"{parent}/id-", b"", sequence=True))
        try:  # best effort: a leftover znode costs space, never an ID
            self._client.delete_async(path).get(timeout=self._timeout)
        except Exception:  # noqa: BLE001, S110
            pass
        seq = int(str(path).rsplit("id-", 1)[1])
        if seq < 0:
            raise error("invalid_range", f"sequence must be in 0..={2**31 - 1}, got {seq} (the tag's 2³¹ IDs are spent)")
        return seq


def _driver() -> Any:
    import kazoo.client  # type: ignore[import-untyped]
    import kazoo.exceptions  # type: ignore[import-untyped]
    import kazoo.handlers.threading  # type: ignore[import-untyped]

    return kazoo
