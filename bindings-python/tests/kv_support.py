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
