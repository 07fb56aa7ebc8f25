"""Leases and segments on etcd through etcd3gw (``pip install 'idloom[etcd]'``).

Pass your ``etcd3gw.Etcd3Client`` (TLS, timeout are the client's), or
``EtcdStore.from_url("etcd://h:p[,h:p][?call_timeout_ms=N]")``. etcd 3.4+ via
its v3 JSON gateway (the same port as gRPC). Every call is the core's state
machine (``idloom.stores._kv``) as one ``Txn`` compared on ``mod_revision``
(a create compares ``create_revision == 0``), on the same keys and records
as ZooKeeper; a node's liveness is ``/idloom/NS/live/N`` under an etcd lease
of the namespace's TTL. The store's identity is the cluster ID from every
response header, with a watch on its revision (a restore that went back in
time); there is no store clock, a call's "now" is this process's
(docs/COORDINATION.md, "ZooKeeper and etcd"). Every request waits at most
the client's timeout (``call_timeout_ms``, default 5,000): a server down or
hanging is ``StoreUnavailableError``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .._errors import IdloomError
from .._idloom import _classify, _kv_url, _Revisions
from ._base import check_text
from ._kv import KvStore, Versioned, Write
from ._lease import error

#: gRPC status codes by number (the gateway's error bodies carry the number):
#: their names are what the core's ETCD table knows.
_GRPC = ("OK", "Cancelled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
         "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
         "Internal", "Unavailable", "DataLoss", "Unauthenticated")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(data: Optional[str]) -> bytes:
    return base64.b64decode(data or "")


def _status(e: BaseException) -> Optional[Tuple[str, str]]:
    """The gRPC status a gateway error body names: (name, message)."""
    try:
        body = json.loads(getattr(e, "detail_text", None) or "")
        code = int(body["code"])
    except (ValueError, TypeError, KeyError):
        return None
    message = str(body.get("message") or body.get("error") or "")
    return (_GRPC[code] if 0 <= code < len(_GRPC) else "Unknown", message)


def driver_error(e: BaseException) -> Exception:
    """An etcd3gw failure as the core classifies it: a gateway error by its
    gRPC status's name (``Unavailable``, ``DeadlineExceeded`` …
    ``store_unavailable``; ``InvalidArgument``, ``PermissionDenied`` …
    ``store_schema``), a connection refused (``Unavailable``) or a request
    past the timeout (``DeadlineExceeded``): no answer."""
    g = _driver()
    if isinstance(e, IdloomError):
        return e  # already the core's
    status = _status(e)
    if status is not None:
        name, message = status
        return _classify("etcd", "status", name, f"{name}: {message}")
    if isinstance(e, g.exceptions.ConnectionTimeoutError):
        return _classify("etcd", "status", "DeadlineExceeded", f"no answer within the call timeout: {e.detail_text}")
    if isinstance(e, g.exceptions.ConnectionFailedError):
        return _classify("etcd", "status", "Unavailable", f"the member cannot be reached: {e.detail_text}")
    detail = getattr(e, "detail_text", None) or str(e)
    return _classify("etcd", "status", "Unknown", f"{type(e).__name__}: {detail}")


def _refused(e: BaseException) -> bool:
    """Whether ``e`` is a connection that could not be made: the request never left."""
    g = _driver()
    return (isinstance(e, g.exceptions.ConnectionFailedError) and _status(e) is None
            and "refused" in str(getattr(e, "detail_text", "")).lower())


def _versioned(kv: Dict[str, Any]) -> Versioned:
    return (_unb64(kv.get("value")), int(kv.get("mod_revision", 0)), None)


class EtcdStore(KvStore):
    """An etcd store over etcd3gw clients (one per endpoint; a request that
    could not connect goes to the next)."""

    engine = "etcd"

    def __init__(self, client: Any, *more: Any) -> None:
        _driver()  # the driver is optional: imported when a store is made
        self._clients: Sequence[Any] = (client, *more)
        self._at = 0  # the endpoint the last request reached
        self._revisions = _Revisions()  # one per store handle: the core's watch on the revision
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> "EtcdStore":
        """Clients for ``etcd://host:port[,host:port…]`` (``?call_timeout_ms=N``,
        default 5,000: every request's timeout), connected on the first call
        (a server that is down then is ``StoreUnavailableError``)."""
        u = _kv_url(check_text(url, "url"))
        if u["engine"] != "etcd":
            raise error("invalid_argument", "url must start with etcd://")
        g = _driver()
        timeout = u["call_timeout_ms"] / 1000
        clients = []
        for h in u["hosts"]:
            host, port = h.rsplit(":", 1)
            clients.append(g.Etcd3Client(host=host.strip("[]"), port=int(port), timeout=timeout))
        store = cls(*clients)
        store._shown_url = url
        return store

    # -- requests -----------------------------------------------------------------
    def _post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        """One gateway request; a connection refused is sent to the next
        endpoint (it never left), every other failure classified."""
        n = len(self._clients)
        for i in range(n):
            c = self._clients[(self._at + i) % n]
            try:
                got: Dict[str, Any] = c.post(c.get_url(path), json=body)
            except Exception as e:  # noqa: BLE001 - every driver failure is classified
                if i + 1 < n and _refused(e):
                    continue
                raise driver_error(e) from None
            self._at = (self._at + i) % n
            return got
        raise AssertionError("unreachable: the last endpoint's failure is raised")

    def _identity(self, key: str) -> Any:
        """A count-only range's header: the cluster ID, and the revision the core's watch reads."""
        with self._lock:
            seen_before = self._revisions.seen()
        r = self._post("/kv/range", {"key": _b64(key), "count_only": True})
        header = r.get("header")
        if not isinstance(header, dict) or "cluster_id" not in header:
            raise error("store_schema", "etcd: answered without a response header")
        with self._lock:
            return self._revisions.identity(int(header["cluster_id"]), seen_before, int(header.get("revision", 0)))

    def _revoke(self, leases: List[int]) -> None:
        """Revoke etcd leases nobody needs any more, in the background: best
        effort (an unrevoked lease only runs out by itself; it holds no key)."""
        def run() -> None:
            for lease in leases:
                try:
                    self._post("/kv/lease/revoke", {"ID": lease})
                except Exception:  # noqa: BLE001, S110 - best effort
                    pass
        if leases:
            threading.Thread(target=run, name="idloom-etcd-revoke", daemon=True).start()

    # -- the engine's primitives ----------------------------------------------------
    def init(self) -> None:
        """Nothing to create on etcd: one read, so that a store that cannot be reached says so now."""
        self._identity("/idloom")

    def _ensure(self, keys: List[str]) -> None:
        """etcd keys need no parent."""

    def _now(self, clock: str) -> Optional[Tuple[int, Any]]:
        # etcd has no clock a client can read: the caller's (COORDINATION, "ZooKeeper and etcd").
        identity = self._identity(clock)
        return (time.time_ns() // 1_000_000, identity)

    def _rollback_handled(self) -> None:
        with self._lock:
            self._revisions.handled()

    def _get(self, key: str) -> Optional[Versioned]:
        kvs = self._post("/kv/range", {"key": _b64(key)}).get("kvs") or []
        return _versioned(kvs[0]) if kvs else None

    def _list(self, prefix: str) -> List[Tuple[str, Any, int, Optional[int]]]:
        end = bytearray(prefix.encode())
        end[-1] += 1  # every prefix the core lists ends in "/"
        r = self._post("/kv/range", {"key": _b64(prefix), "range_end": base64.b64encode(bytes(end)).decode()})
        out: List[Tuple[str, Any, int, Optional[int]]] = []
        for kv in r.get("kvs") or []:
            try:
                key = _unb64(kv.get("key")).decode()
            except UnicodeDecodeError:
                continue  # not UTF-8: not a key of ours (an operator's)
            text, version, _ = _versioned(kv)
            out.append((key, text, version, None))
        return out

    def _commit(self, writes: List[Write]) -> bool:
        # The etcd leases of the liveness keys, granted first (a Txn cannot grant one).
        granted = [int(self._post("/lease/grant", {"TTL": w[3], "ID": 0})["ID"]) for w in writes if w[0] == "live"]
        leases = iter(granted)
        compares: List[Dict[str, Any]] = []
        ops: List[Dict[str, Any]] = []
        for w in writes:
            kind, key = w[0], _b64(w[1])
            if kind == "create":
                compares.append({"key": key, "result": "EQUAL", "target": "CREATE", "create_revision": 0})
                ops.append({"request_put": {"key": key, "value": _b64(w[2])}})
            elif kind == "set":
                compares.append({"key": key, "result": "EQUAL", "target": "MOD", "mod_revision": w[3]})
                ops.append({"request_put": {"key": key, "value": _b64(w[2])}})
            elif kind == "check":
                compares.append({"key": key, "result": "EQUAL", "target": "MOD", "mod_revision": w[2]})
            elif kind == "live":
                ops.append({"request_put": {"key": key, "value": _b64(w[2]), "lease": next(leases), "prev_kv": True}})
            elif kind == "delete":
                ops.append({"request_delete_range": {"key": key, "prev_kv": True}})
            else:
                raise error("invalid_argument", f"etcd: {kind!r} is not an etcd write")
        # No answer: the transaction may have been applied, its lease with it (left to run out, never revoked on a guess).
        r = self._post("/kv/txn", {"compare": compares, "success": ops, "failure": []})
        if not r.get("succeeded", False):
            self._revoke(granted)
            return False
        # The leases the liveness keys were under before: nothing is left under them.
        replaced = []
        for resp in r.get("responses") or []:
            prev = [(resp.get("response_put") or {}).get("prev_kv") or {}]
            prev += (resp.get("response_delete_range") or {}).get("prev_kvs") or []
            replaced += [int(kv.get("lease", 0)) for kv in prev]
        self._revoke([lease for lease in replaced if lease and lease not in granted])
        return True


def _driver() -> Any:
    """etcd3gw's client class and exceptions (the package's ``client`` name is a function: the module is read here)."""
    import types

    import etcd3gw.exceptions
    from etcd3gw.client import Etcd3Client

    return types.SimpleNamespace(Etcd3Client=Etcd3Client, exceptions=etcd3gw.exceptions)
