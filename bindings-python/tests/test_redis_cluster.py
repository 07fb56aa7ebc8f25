"""Redis Cluster: the lease and segment scripts through redis-py's
``RedisCluster`` client, on a private cluster of 3 masters with one replica
each (the test's own servers on free ports, in a temp dir). Holders mint and
a guarded segment fetches while the master that owns the namespace's slot
(and the counter's) is SIGKILLed and its replica takes over: no ID twice, no
two ranges overlapping; the new master's run_id ends every lease
(``lease_lost``), the holders lease again at or above the raised floor, and
the guarded counter answers ``store_state_lost`` until it is initialised
again above what it handed out."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Dict, List, Tuple

import pytest

import idloom
from idloom import Layout, Segment, Snowflake
from idloom._idloom import _redis_key
from stores_support import unique, wait_redis

TTL_MS = 1500
SKEW_MS = 500


def free_ports(n: int) -> List[int]:
    """``n`` ports free on 127.0.0.1 whose cluster bus port (``+ 10000``) is free too."""
    import random

    def free(p: int) -> bool:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                return True
            except OSError:
                return False

    out: List[int] = []
    while len(out) < n:
        p = random.randrange(20000, 30000)
        if p not in out and free(p) and free(p + 10000):
            out.append(p)
    return out


class Cluster:
    """Six redis-server processes (3 masters, 3 replicas), no persistence,
    ``cluster-node-timeout`` 1 s; killed and removed on close."""

    def __init__(self) -> None:
        exe, cli = shutil.which("redis-server"), shutil.which("redis-cli")
        assert exe and cli, "redis-server and redis-cli are missing: scripts/test installs them"
        self.dir = tempfile.mkdtemp(prefix="idloom-cluster-")
        self.ports = free_ports(6)
        self.procs: Dict[int, subprocess.Popen] = {}
        for p in self.ports:
            d = os.path.join(self.dir, str(p))
            os.mkdir(d)
            self.procs[p] = subprocess.Popen(
                [exe, "--port", str(p), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
                 "--save", "", "--appendonly", "no", "--dir", d],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._form(cli)
        except BaseException:
            self.close()  # a cluster that did not form leaves no server behind
            raise

    def _form(self, cli: str) -> None:
        self.wait(lambda: all(self.node(p).ping() for p in self.ports), "the servers to start")
        subprocess.run([cli, "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-replicas", "1", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

        def ready() -> bool:
            infos = [self.node(p).cluster("info") for p in self.ports]
            if not all(i["cluster_state"] == "ok" for i in infos):
                return False
            roles = [self.node(p).info("replication") for p in self.ports]
            # Every replica synced (a replica counted by its master may still have its link down).
            return sum(r["role"] == "master" for r in roles) == 3 and \
                all(r.get("master_link_status") == "up" for r in roles if r["role"] == "slave")

        self.wait(ready, "the cluster to form")

    @staticmethod
    def node(port: int) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, decode_responses=True)

    @staticmethod
    def wait(done: Any, what: str, seconds: float = 30, state: Any = lambda: "") -> None:
        wait_redis(done, what, seconds, state, every=0.1)

    def owner(self, key: str) -> Tuple[int, int]:
        """The master port that owns ``key``'s slot, and its replica's port."""
        any_node = self.node(self.alive()[0])
        slot = any_node.execute_command("CLUSTER", "KEYSLOT", key)
        # [[first, last, [host, port, id, …], replicas…], …]; the replicas a node lists can lag, so ask them.
        for first, last, master, *_ in any_node.execute_command("CLUSTER", "SLOTS"):
            if first <= slot <= last:
                replicas = [p for p in self.alive() if self.node(p).info("replication").get("master_port") == int(master[1])]
                return int(master[1]), replicas[0]
        raise AssertionError(f"no owner for slot {slot}")

    def alive(self) -> List[int]:
        return [p for p in self.ports if self.procs[p].poll() is None]

    def kill(self, port: int) -> None:
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait()

    def close(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster() -> Any:
    c = Cluster()
    try:
        yield c
    finally:
        c.close()


class Holder(threading.Thread):
    """Leases a node, mints until the lease ends, leases again; records
    each lease (node, epoch, start), its IDs and how it ended."""

    def __init__(self, store: Any, ns: str, stop: threading.Event, once: bool = False) -> None:
        super().__init__(daemon=True)
        self.store, self.ns, self.stop, self.once = store, ns, stop, once
        self.leases: List[Dict[str, Any]] = []
        self.acquire_errors: List[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                lease = self.store.lease_node(self.ns)
            except idloom.IdloomError as e:
                self.acquire_errors.append(e.code)
                time.sleep(0.05)
                continue
            rec: Dict[str, Any] = {"node": lease.node, "epoch": lease.epoch, "start": lease.start_ms,
                                   "ids": [], "end": None, "at": time.monotonic()}
            self.leases.append(rec)
            gen = Snowflake(lease=lease)
            while not self.stop.is_set():
                try:
                    rec["ids"].append(gen.next())
                    time.sleep(0.0005)
                except (idloom.LeaseExpiredError, idloom.ClockMovedBackwardsError):
                    time.sleep(0.01)  # at the fence (a renewal pending), or before a start ahead of the clock
                except idloom.IdloomError as e:
                    rec["end"] = e.code
                    break
            if rec["end"] is None:
                try:
                    lease.release()
                    rec["end"] = "released"
                except idloom.IdloomError as e:  # the node is free after its TTL anyway
                    rec["end"] = f"release: {e.code}"
            if self.once:
                return


class Fetcher(threading.Thread):
    """A Segment over the guarded counter; every range its source handed
    out is recorded. On ``store_state_lost`` (a new master's run_id) the
    counter is initialised again above every range it handed out, as an
    operator would, and fetching goes on."""

    def __init__(self, store: Any, tag: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.store, self.tag, self.stop = store, tag, stop
        self.ranges: List[Tuple[int, int]] = []
        self.ids: List[int] = []
        self.lost = 0
        self.source = store.segment_source(tag)

    def fetch(self, step: int) -> Tuple[int, int]:
        while True:
            try:
                r = self.source(step)
                self.ranges.append(r)
                return r
            except idloom.StoreStateLostError:
                self.lost += 1
                top = max(end for _, end in self.ranges)
                self.store.init_segment(self.tag, floor=top, step=1000, guard=True)

    def run(self) -> None:
        seg = Segment(self.fetch, step=50, background=True, timeout_ms=5_000)
        while not self.stop.is_set():
            try:
                self.ids.append(seg.next())
            except idloom.StoreUnavailableError:
                time.sleep(0.05)
            time.sleep(0.0005)


def test_a_failover_in_a_redis_cluster_ends_the_leases_and_repeats_no_id(cluster: Cluster) -> None:
    from redis.cluster import RedisCluster

    from idloom.stores import RedisStore

    client = RedisCluster(host="127.0.0.1", port=cluster.ports[0], socket_timeout=1, socket_connect_timeout=1)
    store = RedisStore(client)
    ns = unique("cluster")
    master, replica = cluster.owner(_redis_key("ns", ns))
    # A counter on the same master: its fetches meet the failover too.
    tag = next(t for t in (unique("seg") for _ in range(200)) if cluster.owner(_redis_key("counter", t))[0] == master)
    store.init_namespace(ns, layout=Layout.TWITTER, nodes=4, ttl_ms=TTL_MS, max_skew_ms=SKEW_MS, fresh=True)
    store.init_segment(tag, floor=1, step=1000, guard=True)
    # Both records on the replica before anything else: a write the master
    # never replicated is test_redis_replication.py's case, not this one's.
    assert Cluster.node(master).wait(1, 5000) == 1

    stop = threading.Event()
    holders = [Holder(store, ns, stop) for _ in range(2)]
    fetcher = Fetcher(store, tag, stop)
    for t in (*holders, fetcher):
        t.start()
    try:
        Cluster.wait(lambda: all(h.leases and len(h.leases[0]["ids"]) >= 500 for h in holders), "the first IDs")
        fences_before = max(store.status(ns)["nodes"], key=lambda r: r[5])[5]
        cluster.kill(master)  # SIGKILL the master that owns the namespace's slot
        killed_at = time.monotonic()
        # Its replica takes over at once (the cluster would after cluster-node-timeout, too).
        Cluster.node(replica).execute_command("CLUSTER", "FAILOVER", "TAKEOVER")
        Cluster.wait(lambda: Cluster.node(replica).info("replication")["role"] == "master", "the promotion")

        def leased_again() -> bool:
            return all(len(h.leases) >= 2 and len(h.leases[-1]["ids"]) >= 500 for h in holders) and fetcher.lost > 0 \
                and len(fetcher.ids) > 0
        def state() -> str:
            return (f"leases {[[(r['node'], r['epoch'], len(r['ids']), r['end']) for r in h.leases] for h in holders]}, "
                    f"acquire errors {[h.acquire_errors[-3:] for h in holders]}, "
                    f"segment: {len(fetcher.ids)} IDs, {len(fetcher.ranges)} ranges, lost {fetcher.lost}")
        Cluster.wait(leased_again, "every holder to lease again and mint, the counter to answer again", 40, state)
        resumed_after = time.monotonic() - killed_at
    finally:
        stop.set()
        for t in (*holders, fetcher):
            t.join(15)
    assert not any(t.is_alive() for t in (*holders, fetcher))

    floor = store.namespace(ns).floor_ms
    all_ids = [i for h in holders for rec in h.leases for i in rec["ids"]]
    assert len(all_ids) == len(set(all_ids)), "an ID minted twice"
    layout = Layout.TWITTER
    for h in holders:
        before = [rec for rec in h.leases if rec["at"] < killed_at]
        after = [rec for rec in h.leases if rec["at"] >= killed_at]
        # Every lease from before the failover ended when its renewal met the new run_id.
        assert before and all(rec["end"] == "lease_lost" for rec in before), [rec["end"] for rec in before]
        assert after and all(rec["start"] >= floor for rec in after), (floor, [rec["start"] for rec in after])
        for rec in h.leases:
            assert all(layout.decompose(i).node == rec["node"] and layout.decompose(i).timestamp_ms >= rec["start"]
                       for i in rec["ids"])
    # The floor rose past every fence granted before the kill, so no tick is minted under two leases.
    assert floor > fences_before
    assert all(layout.decompose(i).timestamp_ms < floor for h in holders for rec in h.leases if rec["at"] < killed_at
               for i in rec["ids"])

    ranges = sorted(fetcher.ranges)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ranges, ranges[1:])), "two ranges overlap"
    assert len(fetcher.ids) == len(set(fetcher.ids)), "a segment ID served twice"
    assert fetcher.lost >= 1  # the guarded counter refused the new master until initialised again
    print(f"cluster failover: leased again and minting {resumed_after:.1f} s after the kill; "
          f"{len(all_ids)} snowflakes, {len(fetcher.ids)} segment IDs from {len(ranges)} ranges; "
          f"acquire errors {sorted(set(e for h in holders for e in h.acquire_errors))}")
