"""A leased process SIGSTOPped past its TTL while a second process takes its
node, then SIGCONTed: no duplicate in everything both wrote, and the first
ends in lease_lost. Real processes, real stores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from idloom import Layout
from stores_support import ENGINES, connect, unique

HERE = Path(__file__).resolve().parent
TTL_MS = 600


class Minter:
    def __init__(self, engine: str, ns: str, holder: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(HERE)}
        self.proc = subprocess.Popen([sys.executable, str(HERE / "lease_minter.py"), engine, ns, holder],
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.ids: list[int] = []
        self.lease: list[int] = []
        self.end = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("lease "):
                self.lease = [int(x) for x in line.split()[1:]]
            elif line.startswith("end "):
                self.end = line.split()[1]
            elif line.strip():
                self.ids.append(int(line))

    def wait_ids(self, n: int, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while len(self.ids) < n:
            assert time.monotonic() < deadline and self.proc.poll() is None, (len(self.ids), self.end)
            time.sleep(0.01)

    def finish(self, seconds: float = 20) -> None:
        self.proc.wait(timeout=seconds)
        self.reader.join(timeout=5)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_paused_holder_never_repeats_the_new_holders_ids_and_ends_in_lease_lost(engine: str) -> None:
    store = connect(engine)
    ns = unique("pause")
    store.init_namespace(ns, layout=Layout.TWITTER, nodes=1, ttl_ms=TTL_MS, max_skew_ms=200, fresh=True)
    a = Minter(engine, ns, "a")
    b = None
    try:
        a.wait_ids(2000)
        a.proc.send_signal(signal.SIGSTOP)  # a GC pause, a VM migration
        time.sleep(TTL_MS / 1000 * 2.5)  # past the TTL on the store's clock
        b = Minter(engine, ns, "b")  # takes the only node
        b.wait_ids(2000)
        assert b.lease[:2] == [a.lease[0], a.lease[1] + 1], (a.lease, b.lease)
        a.proc.send_signal(signal.SIGCONT)
        a.finish()
        b.wait_ids(len(b.ids) + 1000)
    finally:
        for m in (a, b):
            if m is not None and m.proc.poll() is None:
                m.proc.send_signal(signal.SIGCONT)
                m.proc.kill()
                m.proc.wait()
    assert a.end == "lease_lost", a.end
    layout = Layout.TWITTER
    assert not set(a.ids) & set(b.ids), "a duplicate between the paused holder and the new one"
    # The fence rule itself: every tick a used ends by the fence b started at.
    assert max(layout.decompose(i).timestamp_ms for i in a.ids) < b.lease[2]
    assert all(layout.decompose(i).timestamp_ms >= b.lease[2] for i in b.ids)
    rows = {r[0]: r for r in store.status(ns)["nodes"]}
    assert rows[0][1] == "b"


def test_a_holder_paused_inside_a_call_holds_no_lock_that_stalls_other_acquirers() -> None:
    """A holder paused after its statement ran but before the call returned
    (the window a SIGSTOP landed in once, in CI: every other acquirer waited on
    the namespace row) holds no lock on PostgreSQL: from_url's connection is
    autocommit, and one-statement calls open no transaction block."""
    store = connect("postgres")
    ns = unique("midcall")
    store.init_namespace(ns, layout=Layout.TWITTER, nodes=2, ttl_ms=TTL_MS, max_skew_ms=200, fresh=True)
    other = connect("postgres")
    got: list = []
    with store._conn() as conn:  # inside a call: the statement ran, the holder is paused here
        conn.execute("UPDATE idloom_namespace SET floor_ms = floor_ms WHERE namespace = %s", (ns,))
        t = threading.Thread(target=lambda: got.append(other.lease_node(ns, holder="b")), daemon=True)
        t.start()
        t.join(5)
        acquired_meanwhile = not t.is_alive()
    t.join(10)  # the call returned: a stalled acquire goes on now
    assert acquired_meanwhile, "another holder's acquire waited on the paused holder's lock"
    got[0].release()
