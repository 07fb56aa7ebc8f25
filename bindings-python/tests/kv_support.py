"""Private ZooKeeper and etcd servers for the tests (Debian's ``zookeeper``
3.8 on Java and ``etcd-server`` 3.4; the test command installs them), ported
from ``stores/tests/support/zk.rs`` and ``etcd.rs``: a free port of their
own (never 2181/2379), a temp dir, killed when the fixture ends and by a
watchdog once the test process is gone. A server that does not start fails
the tests; they never skip."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import List, Optional


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _watchdog(pid: int, directory: str) -> None:
    """Kill ``pid`` (woken first if stopped) and remove ``directory`` once this process is gone."""
    me = os.getpid()
    subprocess.Popen(["sh", "-c", f"while kill -0 {me} 2>/dev/null; do sleep 0.3; done; kill -CONT {pid} 2>/dev/null; "
                                  f"kill -9 {pid} 2>/dev/null; rm -rf '{directory}'"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


class _Server:
    proc: subprocess.Popen  # type: ignore[type-arg]
    dir: str
    port: int

    def log(self) -> str:
        return ""

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateZooKeeper(_Server):
    """A standalone ZooKeeper: tickTime 500 ms (sessions of 1–10 s), no admin server."""

    def __init__(self) -> None:
        assert shutil.which("java") and os.path.exists("/usr/share/java/zookeeper.jar"), \
            "java and Debian's zookeeper are missing: the test command installs them"
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="idloom-zk-")
        os.makedirs(os.path.join(self.dir, "data"))
        cfg = os.path.join(self.dir, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write(f"tickTime=500\ndataDir={self.dir}/data\nclientPort={self.port}\nclientPortAddress=127.0.0.1\n"
                    "admin.enableServer=false\nmaxSessionTimeout=10000\n")
        log = open(os.path.join(self.dir, "zk.log"), "wb")  # noqa: SIM115 - the JVM writes it while it runs
        self.proc = subprocess.Popen(["java", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
                                      "/usr/share/java/zookeeper.jar:/etc/zookeeper/conf",
                                      "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        _watchdog(self.proc.pid, self.dir)
        self.url = f"zookeeper://127.0.0.1:{self.port}?call_timeout_ms=2000&session_timeout_ms=4000"
        from idloom.stores import ZooKeeperStore

        deadline = time.monotonic() + 60
        while True:
            store = ZooKeeperStore.from_url(self.url)
            try:
                store.init()
                break
            except Exception:
                assert time.monotonic() < deadline, f"the private ZooKeeper did not start: {self.log()}"
                time.sleep(0.2)
            finally:
                store.close()

    def log(self) -> str:
        try:
            with open(os.path.join(self.dir, "zk.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def client(self):  # type: ignore[no-untyped-def]
        """A started kazoo client of the test's own (stop it)."""
        from kazoo.client import KazooClient

        c = KazooClient(hosts=f"127.0.0.1:{self.port}", timeout=4)
        c.start(timeout=10)
        return c


class PrivateEtcd(_Server):
    """A one-member etcd with short raft timings (its minimum lease TTL is 1.5 election timeouts: 1 s here)."""

    def __init__(self) -> None:
        exe = shutil.which("etcd")
        assert exe, "etcd is missing: the test command installs etcd-server"
        self.port, peer = free_port(), free_port()
        self.dir = tempfile.mkdtemp(prefix="idloom-etcd-")
        client_url, peer_url = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{peer}"
        log = open(os.path.join(self.dir, "etcd.log"), "wb")  # noqa: SIM115 - etcd writes it while it runs
        args: List[str] = [exe, "--name", "m1", "--data-dir", os.path.join(self.dir, "data"),
                           "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
                           "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                           "--initial-cluster", f"m1={peer_url}", "--initial-cluster-token", f"idloom-py-{os.getpid()}",
                           "--initial-cluster-state", "new", "--heartbeat-interval", "50", "--election-timeout", "500",
                           "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
        _watchdog(self.proc.pid, self.dir)
        self.url = f"etcd://127.0.0.1:{self.port}?call_timeout_ms=2000"
        from idloom.stores import EtcdStore

        deadline = time.monotonic() + 30
        while True:
            try:
                EtcdStore.from_url(self.url).init()
                break
            except Exception:
                assert time.monotonic() < deadline, f"the private etcd did not start: {self.log()}"
                time.sleep(0.1)

    def log(self) -> str:
        try:
            with open(os.path.join(self.dir, "etcd.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def client(self, timeout: Optional[float] = 5):  # type: ignore[no-untyped-def]
        """An etcd3gw client of the test's own."""
        from etcd3gw.client import Etcd3Client

        return Etcd3Client(host="127.0.0.1", port=self.port, timeout=timeout)


# -- what both engines' tests share (test_zookeeper.py, test_etcd.py) ----------------------------------------------

def wait_for(predicate, seconds: float = 8.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not reached in time"
        time.sleep(0.02)


def case_init(store, ns: str) -> None:  # type: ignore[no-untyped-def]
    """A fresh namespace starts at floor 0, one that is not above the store's
    now; an init again answers the record as it is; another layout or node
    count is StoreSchemaError."""
    import pytest

    import idloom
    from idloom import Layout

    fresh = store.init_namespace(ns + "f", nodes=4, ttl_ms=2_000, max_skew_ms=500, fresh=True)
    assert (fresh.nodes, fresh.ttl_ms, fresh.max_skew_ms, fresh.floor_ms) == (4, 2_000, 500, 0)
    before = time.time_ns() // 1_000_000
    old = store.init_namespace(ns + "o", nodes=4, ttl_ms=2_000, max_skew_ms=500)
    assert old.floor_ms >= before + 2_000, "not fresh: above every fence a holder from before could use"
    again = store.init_namespace(ns + "o", nodes=4, ttl_ms=2_000, max_skew_ms=500, fresh=True)
    assert again.floor_ms == old.floor_ms, "an existing namespace is answered as it is"
    assert store.namespace(ns + "o").floor_ms == old.floor_ms
    with pytest.raises(idloom.StoreSchemaError):
        store.init_namespace(ns + "o", layout=Layout.SONYFLAKE, nodes=4)
    with pytest.raises(idloom.StoreSchemaError):
        store.init_namespace(ns + "o", nodes=8)
    with pytest.raises(idloom.StoreStateLostError):
        store.namespace(ns + "missing")


def case_lease_renew_release(store, ns: str) -> None:  # type: ignore[no-untyped-def]
    """Lease, renewals in the background, a clean release with the
    high-water: the next holder starts right above it, at once."""
    import pytest

    import idloom
    from idloom import Snowflake

    store.init_namespace(ns, nodes=1, ttl_ms=1_500, max_skew_ms=300, fresh=True)
    with store.lease_node(ns, holder="first") as lease:
        assert (lease.node, lease.epoch, lease.state) == (0, 1, "active")
        gen = Snowflake(lease=lease)
        ids = [gen.next() for _ in range(2000)]
        first_fence = lease.fence_ms
        wait_for(lambda: lease.renewals >= 2, what="two renewals")
        assert lease.fence_ms > first_fence and lease.error is None
        ids += gen.next_batch(500)
        rows = {row[0]: row for row in store.status(ns)["nodes"]}
        assert rows[0][1] == "first" and rows[0][2] == 1
    assert lease.state == "released"
    with pytest.raises(idloom.LeaseLostError):
        gen.next()
    last_ms = max(gen.decode(i).timestamp_ms for i in ids)
    t = time.monotonic()
    with store.lease_node(ns, holder="second") as again:
        assert time.monotonic() - t < 1.0, "no TTL wait after a clean release"
        assert again.epoch == 2 and again.start_ms == last_ms + 1
        more = [Snowflake(lease=again).next() for _ in range(100)]
    assert len(set(ids + more)) == len(ids) + len(more)


def case_taken_after_the_ttl(store, other, ns: str, ttl_ms: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A holder whose renewals stop loses its node once the TTL passes;
    another takes it at the next epoch, above the old fence; the old
    holder's next renewal is refused (lease_lost), no ID twice."""
    import pytest

    import idloom
    from idloom import Snowflake
    from stores_support import pause_renewals

    store.init_namespace(ns, nodes=1, ttl_ms=ttl_ms, max_skew_ms=100, fresh=True)
    a = store.lease_node(ns, holder="a")
    paused = pause_renewals(store, monkeypatch)
    gen_a = Snowflake(lease=a)
    a_ids = []
    while True:
        try:
            a_ids.append(gen_a.next())
        except idloom.LeaseExpiredError:
            break
    taken = []

    def take() -> bool:
        try:
            taken.append(other.lease_node(ns, holder="b"))
            return True
        except idloom.NoFreeNodeError:
            return False

    wait_for(take, seconds=10, what="the node free after the TTL")
    b = taken[0]
    assert (b.node, b.epoch) == (a.node, a.epoch + 1) and b.start_ms >= a.fence_ms
    b_ids = [Snowflake(lease=b).next() for _ in range(1000)]
    paused.clear()  # a wakes up: its next renewal is refused
    wait_for(lambda: a.state == "lost", what="the old holder lost")
    assert a.error is not None and a.error.code == "lease_lost"
    with pytest.raises(idloom.LeaseLostError):
        gen_a.next()
    assert not set(a_ids) & set(b_ids)
    monkeypatch.undo()
    b.release()


def case_counters(store, tag: str) -> None:  # type: ignore[no-untyped-def]
    """A counter made at its floor (never lowered by another init), ranges
    from two threads never overlap, a missing counter is store_state_lost,
    a guard or a table is refused with a typed error."""
    import threading

    import pytest

    import idloom

    store.init_segment(tag, floor=100, step=10)
    store.init_segment(tag, floor=1, step=10)  # exists: left as it is
    assert store.segment_peek(tag) == 100
    source = store.segment_source(tag)
    got: list = []  # type: ignore[type-arg]
    lock = threading.Lock()

    def draw() -> None:
        for _ in range(40):
            r = source(7)
            with lock:
                got.append(r)

    threads = [threading.Thread(target=draw) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got.sort()
    assert len(got) == 80 and got[0][0] == 100 and all(e - s == 7 for s, e in got)
    assert all(got[i][1] <= got[i + 1][0] for i in range(len(got) - 1)), "ranges overlap"
    assert store.segment_peek(tag) == 100 + 80 * 7
    with pytest.raises(idloom.StoreStateLostError):
        store.segment_source(tag + "x")(10)
    with pytest.raises(idloom.StoreStateLostError):
        store.segment_peek(tag + "x")
    with pytest.raises(idloom.IdloomError) as guard:
        store.init_segment(tag + "g", floor=1, guard=True)
    assert guard.value.code == "invalid_argument" and "guard" in str(guard.value)
    with pytest.raises(idloom.InvalidArgumentError, match="table"):
        store.init_segment(tag, floor=1, table="leaf_alloc")


def case_bad_record(store, put, ns: str) -> None:  # type: ignore[no-untyped-def]
    """A record that is not one of ours (written by hand) is store_schema, never a guess."""
    import pytest

    import idloom

    store.init_namespace(ns, nodes=2, ttl_ms=2_000, max_skew_ms=500, fresh=True)
    put(f"/idloom/{ns}/nodes/0000000001", "idloom-node 1\nholder=x\nepoch=oops\n")
    with pytest.raises(idloom.StoreSchemaError):
        store.status(ns)
    with pytest.raises(idloom.StoreSchemaError):
        store.lease_node(ns)
    put(f"/idloom/{ns}", "hello")
    with pytest.raises(idloom.StoreSchemaError):
        store.namespace(ns)
    put("/idloom/counters:" + ns, "idloom-counter 1\nmax_id=-1\n")
    with pytest.raises(idloom.StoreSchemaError):
        store.segment_source(ns)(10)


def case_written_by_another_binding(store, put, ns: str) -> None:  # type: ignore[no-untyped-def]
    """Records in the protocol's text (docs/COORDINATION.md), as the Rust and
    Node engines write them: an expired holder's node is taken at the next
    epoch, above its fence."""
    from idloom import Layout
    from idloom._idloom import _layout_record

    now = time.time_ns() // 1_000_000
    put(f"/idloom/{ns}", f"idloom-namespace 1\nlayout={_layout_record(Layout.TWITTER)}\nnodes=1\nttl_ms=1000\n"
                         f"max_skew_ms=200\nfloor_ms=0\nidentity=rust\n")
    fence = now + 500  # the Rust holder's last fence: just ahead of now
    put(f"/idloom/{ns}/nodes/0000000000",
        f"idloom-node 1\nholder=rust-holder\nepoch=3\nexpires_ms={now - 5_000}\nstart_ms={now - 60_000}\nfence_ms={fence}\n")
    assert store.namespace(ns).nodes == 1
    rows = store.status(ns)["nodes"]
    assert rows[0][:3] == (0, "rust-holder", 3)
    with store.lease_node(ns, holder="python") as lease:
        assert (lease.node, lease.epoch) == (0, 4) and lease.start_ms >= fence


def case_cli(url: str, ns: str, tag: str) -> None:
    """idloom store init|status|release on the engine's URL."""
    import subprocess
    import sys

    from idloom.stores import from_url

    def run(*argv: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run([sys.executable, "-m", "idloom", "store", *argv, "--url", url],
                              capture_output=True, text=True, timeout=60)

    r = run("init", "--namespace", ns, "--nodes", "2", "--ttl-ms", "5000", "--fresh")
    assert r.returncode == 0, r.stderr
    assert f"namespace {ns}: 2 nodes, ttl 5000 ms" in r.stdout and "floor 0" in r.stdout
    lease = from_url(url).lease_node(ns, holder="cli-holder")
    r = run("status", "--namespace", ns)
    assert r.returncode == 0 and "cli-holder" in r.stdout, r.stderr
    r = run("release", "--namespace", ns, "--node", str(lease.node))
    assert r.returncode == 0 and f"node {lease.node}: free" in r.stdout, r.stderr
    # The operator freed the node of a holder that still runs (the reference protocol lets
    # that same lease renew while nobody took the node): stop it, so that it renews nothing
    # behind later tests.
    lease.release()
    r = run("init", "--segment", tag, "--floor", "42")
    assert r.returncode == 0 and "ready (floor 42)" in r.stdout, r.stderr
    r = run("status", "--segment", tag)
    assert r.returncode == 0 and "next range starts at 42" in r.stdout, r.stderr
    r = run("init", "--segment", tag, "--floor", "1", "--guard")
    assert r.returncode != 0 and "invalid_argument" in r.stderr
    r = run("init", "--segment", tag, "--floor", "1", "--table", "leaf_alloc")
    assert r.returncode != 0 and "table" in r.stderr and "invalid_argument" in r.stderr
