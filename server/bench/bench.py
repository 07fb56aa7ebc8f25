"""idloom-server under HTTP load on loopback, in one run: requests per second
and p50/p99/p99.9 latency of each single-ID route against a no-op handler on
the same stack (server/examples/noop.rs), IDs per second delivered in batches
and with the segment lease, and the same batches from ferroid-tonic-server
(gRPC streaming) through server/examples/grpc_peer.rs.

Run: ./scripts/bench server   (it builds the binaries, installs wrk and the peer,
then calls: python server/bench/bench.py --server BIN --noop BIN [--peer BIN
--peer-client BIN] [--json FILE])
Store: IDLOOM_REDIS as the tests (the machine's Redis by default), in a fresh
namespace and fresh tags, deleted at the end.
The load generator (wrk, one thread) and the server share the machine's
cores. Not a test: nothing asserts a time. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_LUA = os.path.join(HERE, "wrk.lua")
STORE = os.environ.get("IDLOOM_REDIS", "redis://127.0.0.1:6379/")
STEP = 100_000  # --segment-step and the lease's step: refills are rare, as in a busy deployment
BATCHES = (100, 1_000, 10_000)
PEER_WORKERS = 2  # ferroid-tonic-server --num-workers: one generator (machine ID) per core

ROWS: List[Dict[str, Any]] = []


class Server:
    """A server process; `addr` is the host:port it listens on."""

    def __init__(self, cmd: List[str], log: str, addr: Optional[str] = None) -> None:
        self.log = open(log, "wb")
        env = dict(os.environ, IDLOOM_LOG=os.environ.get("IDLOOM_LOG", "warn"))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, env=env)
        self.addr = addr or self._listening(cmd[0])
        if addr:
            self._wait_port(addr)

    def _listening(self, name: str) -> str:
        """The address on the first stdout line, `listening on ADDR`."""
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=60):
            self.stop()
            sys.exit(f"{name} printed nothing for 60 s (log: {self.log.name})")
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("listening on "):
            self.stop()
            sys.exit(f"{name}: expected 'listening on ADDR', got {line!r} (log: {self.log.name})")
        return line[len("listening on "):]

    def _wait_port(self, addr: str) -> None:
        host, port = addr.rsplit(":", 1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"{self.proc.args[0]} exited with {self.proc.returncode} (log: {self.log.name})")
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        sys.exit(f"nothing listens on {addr} after 30 s (log: {self.log.name})")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, seconds: int, connections: int, method: str = "GET") -> Dict[str, Any]:
    """One wrk run (one thread): its JSON line, checked to have no error of any kind."""
    env = dict(os.environ, IDLOOM_WRK_METHOD=method)
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", WRK_LUA, url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.splitlines() if line.startswith('{"requests"')]
    if not lines:
        sys.exit(f"wrk printed no report for {url}:\n{out}")
    r: Dict[str, Any] = json.loads(lines[-1])
    bad = {k: v for k, v in r["errors"].items() if v}
    if bad or r["requests"] == 0:
        sys.exit(f"{method} {url}: wrk counted errors {bad} in {r['requests']} requests")
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def ms(us: float) -> float:
    return round(us / 1000, 3)


def latency(r: Dict[str, Any]) -> Dict[str, Any]:
    return {"p50_ms": ms(r["p50_us"]), "p99_ms": ms(r["p99_us"]), "p999_ms": ms(r["p999_us"]), "max_ms": ms(r["max_us"])}


def aggregate(runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Slices of one measurement as one: rps over all of them, each percentile the slices' median, the max."""
    def median(key: str) -> float:
        values = sorted(float(r[key]) for r in runs)
        return values[len(values) // 2]
    requests = sum(int(r["requests"]) for r in runs)
    return {"requests": requests, "rps": requests / (sum(int(r["duration_us"]) for r in runs) / 1e6),
            "p50_us": median("p50_us"), "p99_us": median("p99_us"), "p999_us": median("p999_us"),
            "max_us": max(float(r["max_us"]) for r in runs)}


def show(what: str, r: Dict[str, Any], extra: str = "") -> None:
    print(f"{what:<58} {r['rps']:10.0f} req/s  p50 {ms(r['p50_us']):7.3f}  p99 {ms(r['p99_us']):7.3f}  "
          f"p99.9 {ms(r['p999_us']):7.3f} ms  {extra}", flush=True)


def peer_ids_per_s(client: str, addr: str, count: int, seconds: int, concurrency: int) -> Dict[str, Any]:
    cmd = [client, "--addr", f"http://{addr}", "--count", str(count), "--concurrency", str(concurrency),
           "--seconds", str(seconds)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    r: Dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return r


def redis_cleanup(namespace: str, tags: List[str]) -> None:
    """Delete the run's keys (the namespace's and the counters') from the shared Redis."""
    if not shutil.which("redis-cli"):
        print(f"redis-cli missing: the keys of namespace {namespace} and tags {tags} stay in {STORE}")
        return
    for pattern in [f"{{idloom:{namespace}}}*"] + [f"{{idloom:seg:{t}}}*" for t in tags]:
        keys = subprocess.run(["redis-cli", "-u", STORE, "--scan", "--pattern", pattern],
                              capture_output=True, text=True, check=True).stdout.split()
        if keys:
            subprocess.run(["redis-cli", "-u", STORE, "DEL", *keys], capture_output=True, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True, help="the idloom-server binary (release)")
    ap.add_argument("--noop", required=True, help="the noop example binary (release)")
    ap.add_argument("--peer", default="", help="the ferroid-tonic-server binary (left out when empty)")
    ap.add_argument("--peer-client", default="", help="the grpc_peer example binary")
    ap.add_argument("--peer-version", default="", help="the peer's version, for the rows")
    ap.add_argument("--seconds", type=int, default=5, help="each batch, lease and peer run (default 5)")
    ap.add_argument("--rounds", type=int, default=5, help="1 s slices per single-ID route (default 5)")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections, and the peer's calls in flight")
    ap.add_argument("--json", default="", help="write the rows here")
    a = ap.parse_args()
    secs, conns = a.seconds, a.connections
    logs = tempfile.mkdtemp(prefix="idloom-server-bench-")
    stamp = f"{os.getpid()}-{int(time.time())}"
    namespace, tag, lease_tag = f"bench-{stamp}", f"bench-{stamp}", f"bench-{stamp}-lease"
    notes = [
        f"wrk -t1 -c{conns} on loopback (1 s of warm-up per server); wrk and the servers share the machine's "
        f"{os.cpu_count()} cores. wrk is closed-loop: its latencies leave out the requests a stall held back "
        "(coordinated omission), so p99.9 under a fixed arrival rate would be higher.",
        f"Single-ID routes: {a.rounds} slices of 1 s each, alternating with 1 s slices of the no-op handler "
        f"({a.rounds + 1} around each route, one shared with the route before), so drift in the machine's pace (other work on it) "
        "hits both alike. rps = all requests / all time; p50/p99/p99.9 = the median of the slices' own; "
        "max = the largest. ratio = route rps / the no-op's rps beside it (noop_rps); ours_ns and peer_ns "
        f"are ns per request. Batches, the lease and the peer: one {secs} s run each.",
        f"idloom-server on Redis ({STORE}), a fresh namespace and tags, --segment-step {STEP}, twitter layout; "
        "no tokens. The no-op handler (server/examples/noop.rs) is axum 0.8 with the same features on the same "
        "multi-thread tokio runtime, built in the same cargo invocation with the same release profile.",
        "Batches: IDs/s = rps x count; the snowflake routes cannot pass the layout's 4,096,000 IDs/s (4096 per ms "
        "on one node). The lease row: IDs/s = rps x step (each request is one Redis round trip: the INCRBY script).",
    ]

    load_before = os.getloadavg()
    # Both servers run from here on; each is idle while the other is measured.
    noop = Server([a.noop, "--listen", "127.0.0.1:0"], os.path.join(logs, "noop.log"))
    servers = [noop]
    noop_url = f"http://{noop.addr}/noop"
    singles = [
        ("GET /api/snowflake/get/x (Leaf snowflake)", "/api/snowflake/get/x"),
        ("GET /api/segment/get/TAG (Leaf segment)", f"/api/segment/get/{tag}"),
        ("GET /v1/snowflake/NS", f"/v1/snowflake/{namespace}"),
        ("GET /v1/segment/TAG", f"/v1/segment/{tag}"),
        ("GET /tinyid/id/nextIdSimple?bizType=TAG", f"/tinyid/id/nextIdSimple?bizType={tag}"),
        ("GET /v1/uuid7", "/v1/uuid7"),
    ]
    measured: List[tuple] = []  # type: ignore[type-arg]  (what, the route's slices, the no-op's beside them)
    all_noops: List[Dict[str, Any]] = []
    batches: List[tuple] = []  # type: ignore[type-arg]
    try:
        srv = Server([a.server, "--listen", "127.0.0.1:0", "--store", STORE, "--namespace", namespace, "--fresh",
                      "--segment", tag, "--segment", lease_tag, "--segment-step", str(STEP),
                      "--holder", f"bench-{stamp}"], os.path.join(logs, "server.log"))
        servers.append(srv)
        base = f"http://{srv.addr}"
        wrk(noop_url, 1, conns)  # warm-up
        wrk(f"{base}/v1/snowflake/{namespace}", 1, conns)
        wrk(f"{base}/v1/segment/{tag}", 1, conns)
        # Each route in 1 s slices alternating with the no-op's (N, R, N, R, … N): the
        # machine's pace drifts with whatever else runs on it, and both sides see the same drift.
        last_noop = wrk(noop_url, 1, conns)
        for what, path in singles:
            route_runs: List[Dict[str, Any]] = []
            noop_runs = [last_noop]  # the slice before this route's first, after the last route's last
            for _ in range(a.rounds):
                route_runs.append(wrk(base + path, 1, conns))
                noop_runs.append(wrk(noop_url, 1, conns))
            r, n = aggregate(route_runs), aggregate(noop_runs)
            show(what, r, f"no-op beside it {n['rps']:,.0f} req/s: ratio {r['rps'] / n['rps']:.3f}")
            measured.append((what, r, n))
            all_noops.extend(noop_runs[1:] if all_noops else noop_runs)
            last_noop = noop_runs[-1]
        for route, path in (("snowflake", f"/v1/snowflake/{namespace}"), ("segment", f"/v1/segment/{tag}")):
            for count in BATCHES:
                r = wrk(f"{base}{path}?count={count}", secs, conns)
                r["ids_per_s"] = r["rps"] * count
                show(f"GET /v1/{route}/{'NS' if route == 'snowflake' else 'TAG'}?count={count:,}", r,
                     f"{r['ids_per_s']:,.0f} IDs/s")
                batches.append((route, count, r))
        lease = wrk(f"{base}/v1/segment/{lease_tag}/lease?step={STEP}", secs, conns, method="POST")
        lease["ids_per_s"] = lease["rps"] * STEP
        show(f"POST /v1/segment/TAG/lease?step={STEP:,}", lease, f"{lease['ids_per_s']:,.0f} IDs/s")
    finally:
        for server in servers:
            server.stop()
        redis_cleanup(namespace, [tag, lease_tag])
    noop_all = aggregate(all_noops)
    show(f"no-op handler, all {len(all_noops)} slices", noop_all)

    peer: Dict[int, Dict[str, Any]] = {}
    peer_name = f"ferroid-tonic-server {a.peer_version}".strip()
    if a.peer and a.peer_client:
        addr = f"127.0.0.1:{free_port()}"  # the peer prints no address: it is given one and polled
        psrv = Server([a.peer, "--server-addr", addr, "--num-workers", str(PEER_WORKERS)], os.path.join(logs, "peer.log"),
                      addr=addr)
        try:
            for count in BATCHES:
                p = peer_ids_per_s(a.peer_client, addr, count, secs, conns)
                print(f"{peer_name} StreamIds count={count:<6,} {p['ids_per_s']:14,.0f} IDs/s ({p['calls']} calls)",
                      flush=True)
                peer[count] = p
        finally:
            psrv.stop()
        notes.append(f"Peer: {peer_name} --num-workers {PEER_WORKERS} (one generator per core, each its own machine ID), "
                     f"asked through server/examples/grpc_peer.rs: one HTTP/2 connection with {conns} StreamIds "
                     "calls in flight on one client thread; IDs arrive packed as 8 little-endian bytes each, "
                     "where idloom's /v1 answers JSON arrays of decimal strings. The peer accepts its TCP "
                     "connections without TCP_NODELAY (its own listener handed to tonic), so a call whose answer "
                     "is small can wait out the client's delayed ACK (~40 ms; by hand on this machine, one call in flight "
                     "made ~24 calls/s at any count): at count=100 that, not ID generation, sets its figure.")
    else:
        notes.append("Peer: ferroid-tonic-server was not available in this run (its install failed or was "
                     "skipped): the batch rows have no peer.")

    ROWS.append({"what": f"no-op handler (axum 0.8, same features and runtime), {len(all_noops)} slices of 1 s",
                 "rps": round(noop_all["rps"]), **latency(noop_all)})
    for what, r, n in measured:
        ROWS.append({"what": f"{what}, 1 ID per request", "peer": "no-op handler, same stack",
                     "ours_ns": round(1e9 / r["rps"], 1), "peer_ns": round(1e9 / n["rps"], 1),
                     "ratio": round(r["rps"] / n["rps"], 3), "rps": round(r["rps"]), "noop_rps": round(n["rps"]),
                     **latency(r)})
    for route, count, r in batches:
        name = "NS" if route == "snowflake" else "TAG"
        row: Dict[str, Any] = {"what": f"GET /v1/{route}/{name}?count={count:,}, IDs in batches",
                               "ours_ns": round(1e9 / r["ids_per_s"], 3)}
        if route == "snowflake" and count in peer:
            pr = peer[count]
            p = pr["ids_per_s"]
            # A call that took far longer than its IDs take at the layout's ceiling
            # (4096 per ms per worker) waited on something else (see the peer's note).
            call_ms = 1000 * pr["seconds"] * pr["concurrency"] / pr["calls"]
            ceiling_ms = count * pr["concurrency"] / (4096 * PEER_WORKERS)
            stalled = f", {call_ms:.0f} ms per call: see notes" if call_ms > max(20, 4 * ceiling_ms) else ""
            row.update({"peer": f"{peer_name} (gRPC StreamIds{stalled})", "peer_ns": round(1e9 / p, 3),
                        "ratio": round(r["ids_per_s"] / p, 3), "peer_ids_per_s": round(p),
                        "peer_ms_per_call": round(call_ms, 2)})
        row.update({"ids_per_s": round(r["ids_per_s"]), "rps": round(r["rps"]), **latency(r)})
        ROWS.append(row)
    ROWS.append({"what": f"POST /v1/segment/TAG/lease?step={STEP:,} (a thin client's whole range; IDs/s = rps x step)",
                 "ids_per_s": round(lease["ids_per_s"]), "rps": round(lease["rps"]), **latency(lease)})
    ROWS.append({"what": "Leaf (Meituan), its published figure: ~50,000 QPS, TP999 1 ms, 4 cores / 8 GB, "
                         "through Meituan's RPC framework",
                 "rps": 50_000, "p999_ms": 1.0, "source": "published, not measured here"})
    notes.append(f"Load average (1 min) {load_before[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end: "
                 "anything else running on the machine takes cores from wrk and the servers alike.")
    ROWS.append({"what": "notes", "notes": notes})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(ROWS, f, indent=1)
            f.write("\n")
        print(f"wrote {a.json}")
    shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    main()
