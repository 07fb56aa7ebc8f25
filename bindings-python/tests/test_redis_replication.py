"""Redis replication under a lease: what ``min-replicas-to-write`` with
``min-replicas-max-lag`` closes, and what it does not. A private primary
with one replica (the test's own servers), holders leasing through a TCP
proxy of the test (a failover keeps the address, as a Sentinel-aware client
would move on):

- the primary cut off from its replica (the replica stopped with SIGSTOP,
  so its acknowledgements stop): with ``min-replicas-to-write 1`` the
  primary refuses writes once the replica's lag passes the bound, every
  renewal fails ``store_unavailable`` (``NOREPLICAS``) and the holder stops
  at its fence; without the setting the primary goes on renewing, alone;
- an acquisition the primary acknowledged but never replicated (the replica
  stopped within its lag bound, the primary killed, the replica promoted)
  is lost: the new primary has no record of it and gives the same epoch
  number again. The store's ``run_id`` check is what keeps the IDs apart:
  the lost lease's renewal is refused (``lease_lost``), and the next
  acquire raises the floor above every fence the old primary granted."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import pytest

from idloom import Layout
from stores_support import unique, wait_redis
from test_redis_cluster import Holder

TTL_MS = 1500
SKEW_MS = 500


def _socket_buffers_mb() -> int:
    """The most the kernel buffers on one TCP connection (receive + send), in MB."""
    total = 0
    for name in ("tcp_rmem", "tcp_wmem"):
        with open(f"/proc/sys/net/ipv4/{name}") as f:
            total += int(f.read().split()[2])
    return total >> 20


#: Megabytes written while the replica is stopped: more than the socket
#: buffers between it and the primary can hold, so the primary keeps the rest.
FILL_MB = _socket_buffers_mb() + 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(port: int) -> Any:
    import redis

    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, decode_responses=True)


class Pair:
    """A primary and its replica (no persistence), killed and removed on close."""

    def __init__(self, *primary_config: str) -> None:
        exe = shutil.which("redis-server")
        assert exe, "redis-server is missing: scripts/test installs it"
        self.dir = tempfile.mkdtemp(prefix="idloom-repl-")
        self.primary, self.replica = free_port(), free_port()
        self.procs: Dict[int, subprocess.Popen] = {}
        for port, extra in ((self.primary, list(primary_config)),
                            (self.replica, ["--replicaof", "127.0.0.1", str(self.primary)])):
            d = os.path.join(self.dir, str(port))
            os.mkdir(d)
            self.procs[port] = subprocess.Popen(
                [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", d, "--repl-ping-replica-period", "1", *extra],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait(lambda: client(self.replica).info("replication").get("master_link_status") == "up", "the replica to sync")
            cfg = list(primary_config)
            if "--min-replicas-to-write" in cfg and int(cfg[cfg.index("--min-replicas-to-write") + 1]) > 0:
                # The primary counts its good replicas once a second (replicationCron): until then a
                # write is NOREPLICAS although the replica is in sync (a CI run met it at init).
                wait(lambda: int(client(self.primary).info("replication").get("min_slaves_good_slaves", 0)) >= 1,
                     "the primary to count its replica as good")
        except BaseException:
            self.close()
            raise

    def signal(self, port: int, sig: int) -> None:
        self.procs[port].send_signal(sig)

    def kill(self, port: int) -> None:
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait()

    def close(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait(done: Any, what: str, seconds: float = 20, state: Any = lambda: "") -> None:
    wait_redis(done, what, seconds, state, every=0.02)


class Proxy:
    """127.0.0.1:port → the current target; ``switch`` closes every
    connection and sends new ones to another server (a failover that
    keeps the address)."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.conns: List[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                a, _ = self.server.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(("127.0.0.1", self.target), timeout=2)
            except OSError:
                a.close()
                continue
            b.settimeout(None)
            with self.lock:
                self.conns += [a, b]
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def switch(self, target: int) -> None:
        self.target = target
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.server.close()
        self.switch(self.target)


def store_through(proxy: Proxy) -> Any:
    from idloom.stores import RedisStore

    return RedisStore.from_url(f"redis://127.0.0.1:{proxy.port}/", socket_timeout=0.5, socket_connect_timeout=0.5)


class Events:
    """The lease events the holder threads log (``idloom`` logger), by name."""

    def __init__(self) -> None:
        import logging

        self.names: List[Tuple[float, str]] = []
        handler = logging.Handler()
        handler.emit = lambda record: self.names.append((time.monotonic(), record.getMessage().split()[0]))  # type: ignore[method-assign]
        self.handler = handler
        logging.getLogger("idloom").addHandler(handler)

    def close(self) -> None:
        import logging

        logging.getLogger("idloom").removeHandler(self.handler)


@pytest.mark.parametrize("min_replicas", [1, 0])
def test_a_primary_cut_off_from_its_replica_refuses_renewals_only_with_min_replicas_to_write(min_replicas: int) -> None:
    """``min-replicas-to-write 1``, ``min-replicas-max-lag 1``: the replica
    stopped, the primary refuses writes once its lag passes the bound; the
    holder's renewals fail and it stops at its fence. With 0 (Redis's
    default) the primary renews alone and the holder mints on."""
    pair = Pair("--min-replicas-to-write", str(min_replicas), "--min-replicas-max-lag", "1")
    proxy = Proxy(pair.primary)
    events = Events()
    stop = threading.Event()
    holder: Optional[Holder] = None
    try:
        store = store_through(proxy)
        ns = unique("minrepl")
        store.init_namespace(ns, layout=Layout.TWITTER, nodes=1, ttl_ms=TTL_MS, max_skew_ms=SKEW_MS, fresh=True)
        holder = Holder(store, ns, stop)
        holder.start()
        wait(lambda: holder is not None and holder.leases and len(holder.leases[0]["ids"]) >= 500, "the first IDs")
        pair.signal(pair.replica, signal.SIGSTOP)  # the primary hears nothing more from its replica
        cut = time.monotonic()
        refused_after: Optional[float] = None
        deadline = cut + 3 * TTL_MS / 1000 + 3
        while time.monotonic() < deadline:
            try:
                client(pair.primary).set(f"probe:{ns}", "1")
            except Exception as e:  # redis-py's ResponseError: NOREPLICAS
                assert "NOREPLICAS" in str(e), e
                refused_after = refused_after or time.monotonic() - cut
            time.sleep(0.05)
        lease = holder.leases[0]
        failures = [name for at, name in events.names if at > cut and name == "lease_renewal_failed"]
        minted = len(lease["ids"])
        time.sleep(0.5)
        minting_on = len(lease["ids"]) > minted  # the holder still mints half a second later
        fence = store.status(ns)["nodes"][0][5]
    finally:
        stop.set()
        if holder is not None:
            holder.join(10)
        pair.signal(pair.replica, signal.SIGCONT)
        events.close()
        proxy.close()
        pair.close()
    last = max(Layout.TWITTER.decompose(i).timestamp_ms for i in lease["ids"])
    if min_replicas:
        assert refused_after is not None, "the primary kept accepting writes without its replica"
        assert failures, "no renewal failed while the primary refused writes"
        # Renewals refused by the primary: the store's fence stood, and the holder stopped below it.
        assert not minting_on and last < fence
        print(f"min-replicas-to-write 1, max-lag 1: writes refused {refused_after:.1f} s after the replica stopped; "
              f"{len(failures)} renewals failed; the holder stopped at its fence")
    else:
        assert refused_after is None and not failures and minting_on
        print("min-replicas-to-write 0: the primary renewed alone; the holder minted on")


def test_an_acquisition_the_primary_never_replicated_is_lost_and_the_run_id_keeps_the_ids_apart() -> None:
    """``min-replicas-to-write 1`` with ``min-replicas-max-lag 10``: the
    replica stopped (its lag still within the bound), an acquire is
    acknowledged by the primary alone (``WAIT 1`` counts 0 replicas); the
    primary is killed and the replica promoted: the acquisition is gone.
    The holder's renewal on the new primary is ``lease_lost`` (another
    run_id), and the next holder gets the same epoch number but starts
    above every fence the lost holder knew: no ID in common."""
    pair = Pair("--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
    proxy = Proxy(pair.primary)
    stop = threading.Event()
    threads: List[Holder] = []
    try:
        store = store_through(proxy)
        ns = unique("lostwrite")
        store.init_namespace(ns, layout=Layout.TWITTER, nodes=1, ttl_ms=TTL_MS, max_skew_ms=SKEW_MS, fresh=True)
        assert client(pair.primary).wait(1, 2000) == 1  # the namespace is on the replica
        # The replica stalls (SIGSTOP: a pause, a slow disk) and its link fills: what the
        # kernel already buffered for it would still reach it after a kill, so the
        # primary first queues more than those buffers hold.
        pair.signal(pair.replica, signal.SIGSTOP)
        primary = client(pair.primary)
        for k in range(FILL_MB):
            primary.set(f"fill:{ns}:{k}", "x" * (1 << 20))
        a = Holder(store, ns, stop, once=True)
        threads.append(a)
        a.start()
        wait(lambda: a.leases and len(a.leases[0]["ids"]) >= 500, "the first IDs")
        acked = client(pair.primary).wait(1, 300)  # how many replicas have the acquisition: none
        a_fence = store.status(ns)["nodes"][0][5]
        pair.kill(pair.primary)
        pair.signal(pair.replica, signal.SIGCONT)
        client(pair.replica).replicaof("NO", "ONE")
        proxy.switch(pair.replica)
        promoted = time.monotonic()
        node_after = store.status(ns)["nodes"][0]
        wait(lambda: a.leases[0]["end"] is not None, "the lost holder's end", state=lambda: a.leases)
        lost_after = time.monotonic() - promoted
        stop.set()
        a.join(10)
        b_stop = threading.Event()
        b = Holder(store, ns, b_stop, once=True)
        threads.append(b)
        b.start()
        wait(lambda: b.leases and len(b.leases[0]["ids"]) >= 500, "the next holder's IDs",
             state=lambda: (b.leases[:1], b.acquire_errors[-3:]))
        b_stop.set()
        b.join(10)
    finally:
        stop.set()
        for t in threads:
            t.stop.set()
            t.join(10)
        proxy.close()
        pair.close()
    la, lb = a.leases[0], b.leases[0]
    assert acked == 0, "the replica had the acquisition: no window was made"
    assert node_after[2] == 0 and node_after[1] == "", f"the promoted replica knows the lost acquisition: {node_after}"
    assert la["end"] == "lease_lost", la["end"]
    assert (lb["node"], lb["epoch"]) == (la["node"], la["epoch"]), "the epoch number is given again"
    assert lb["start"] >= a_fence, "the next holder starts below the lost holder's fence"
    assert not set(la["ids"]) & set(lb["ids"]), "an ID in common"
    assert max(Layout.TWITTER.decompose(i).timestamp_ms for i in la["ids"]) < lb["start"]
    print(f"lost acquisition: WAIT 1 counted {acked} replicas; the promoted replica had epoch {node_after[2]}; "
          f"lease_lost {lost_after:.2f} s after the promotion; the next holder got epoch {lb['epoch']} again, "
          f"starting {lb['start'] - a_fence} ms above the lost fence")
