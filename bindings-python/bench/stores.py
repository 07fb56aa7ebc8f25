"""idloom.stores against what Python users do today, on the real local
servers, in one process run: Segment.next() on each store vs MemorySource
and vs one query per ID, next() latency percentiles while refills run, a
fenced (leased) Snowflake.next() vs an unfenced one, and lease acquire
latency per store.

Run: ./scripts/bench python-stores   (or: python bindings-python/bench/stores.py [--json FILE])
Servers: IDLOOM_PG, IDLOOM_MYSQL, IDLOOM_REDIS as the tests (the machine's by default).
Not a test: nothing asserts a time. Run it on an idle machine.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import idloom  # noqa: E402
from idloom import Layout, MemorySource, Segment, Snowflake  # noqa: E402
from bench import per_call  # noqa: E402  (this script's folder is on the path)
from stores_support import connect  # noqa: E402

ROWS: list = []
STEP = 1_000_000  # a high-rate service's step: a range lasts ~40 ms at full speed; a fetch takes 1-20 ms


def name(tag: str) -> str:
    return f"bench_{tag}_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def row(what: str, ours: float, peer: str, peer_ns: float) -> None:
    ratio = peer_ns / ours
    print(f"{what:<58} idloom {ours:10.1f} ns   {peer:<34} {peer_ns:12.1f} ns   ratio {ratio:8.2f}")
    ROWS.append({"what": what, "peer": peer, "ours_ns": round(ours, 2), "peer_ns": round(peer_ns, 2), "ratio": round(ratio, 2)})


def percentiles(seg: Segment, n: int) -> tuple:  # type: ignore[type-arg]
    lat = []
    for _ in range(n):
        t = time.perf_counter_ns()
        seg.next()
        lat.append(time.perf_counter_ns() - t)
    lat.sort()
    return lat[len(lat) // 2], lat[int(len(lat) * 0.99)], lat[int(len(lat) * 0.999)], lat[-1]


def main() -> None:
    mem = Segment(MemorySource(1), step=STEP)
    mem_ns = per_call(mem.next, 1_000_000)
    print(f"MemorySource segment next(): {mem_ns:.1f} ns\n")
    for engine in ("postgres", "mysql", "redis"):
        store = connect(engine)
        tag = name("seg")
        store.init_segment(tag, floor=1)
        seg = Segment(store.segment_source(tag), step=STEP)
        seg.next()
        ours = per_call(seg.next, 1_000_000)
        row(f"Segment.next() on {engine} (step {STEP:,}, background refill)", ours, "the same on MemorySource", mem_ns)
        # What users do today: one round trip per ID.
        if engine == "postgres":
            seq = name("seq")
            with store._conn() as conn:
                conn.execute(f"CREATE SEQUENCE {seq}")
            per_id = per_call(lambda: store._one(f"SELECT nextval('{seq}')"), 2_000, rounds=3)
            peer = "SELECT nextval() per ID"
        elif engine == "redis":
            key = name("incr")
            per_id = per_call(lambda: store._client.incr(key), 2_000, rounds=3)
            peer = "INCR per ID"
        else:
            one = store.segment_source(tag)
            per_id = per_call(lambda: one(1), 1_000, rounds=3)
            peer = "UPDATE … LAST_INSERT_ID per ID"
        row(f"Segment.next() on {engine} vs one query per ID", ours, peer, per_id)
        small = Segment(store.segment_source(tag), step=1_000)
        small.next()
        p50, p99, p999, worst = percentiles(small, 200_000)
        stats = small.stats() or {}
        print(f"  next() with step 1,000 (a refill every 1,000 IDs, {stats.get('fetches')} fetches, last "
              f"{stats.get('last_fetch_ms')} ms): p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns, max {worst / 1e6:.2f} ms")
        ROWS.append({"what": f"Segment.next() latency on {engine}, step 1,000, refills in flight", "p50_ns": p50,
                     "p99_ns": p99, "p999_ns": p999, "max_ns": worst})
        # Lease acquire latency (and release).
        ns = name("lease")
        store.init_namespace(ns, nodes=1024, ttl_ms=60_000, max_skew_ms=1_000, fresh=True)
        lat = []
        leases = []
        for _ in range(200):
            t = time.perf_counter_ns()
            leases.append(store.lease_node(ns))
            lat.append(time.perf_counter_ns() - t)
        for lease in leases:
            lease.release()
        lat.sort()
        print(f"  lease_node() on {engine}: p50 {lat[100] / 1e6:.2f} ms, p99 {lat[198] / 1e6:.2f} ms\n")
        ROWS.append({"what": f"lease_node() latency on {engine}", "p50_ms": round(lat[100] / 1e6, 2), "p99_ms": round(lat[198] / 1e6, 2)})
    # Fenced vs unfenced next(), below the ceiling (22 sequence bits), same process.
    wide = Layout(39, 10, 14, 1_600_000_000_000, 1)
    redis_store = connect("redis")
    ns = name("fence")
    redis_store.init_namespace(ns, layout=wide, nodes=1024, ttl_ms=60_000, max_skew_ms=1_000, fresh=True)
    with redis_store.lease_node(ns, layout=wide) as lease:
        fenced = Snowflake(lease=lease, exhausted="borrow")
        free = Snowflake(node=1023 - lease.node, layout=wide, exhausted="borrow")
        ns_fenced = per_call(fenced.next, 300_000)
        ns_free = per_call(free.next, 300_000)
    row("Snowflake.next() fenced by a lease (unfenced = peer)", ns_fenced, "the same generator without a lease", ns_free)
    print(f"\nidloom {idloom.__name__} bench done")


if __name__ == "__main__":
    main()
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as f:
            json.dump(ROWS, f, indent=1)
