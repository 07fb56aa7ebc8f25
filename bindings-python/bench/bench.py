"""idloom against the Python peers a user would pick, in one process run.

Run (release build): pip install ./bindings-python && pip install -r bindings-python/bench/requirements.txt
                     python bindings-python/bench/bench.py
Prints ns per ID (best of several rounds) and ratios (peer time / idloom time;
above 1 means idloom is faster), then the snowflake ceiling checks.
``--json FILE`` also writes the rows as JSON (scripts/bench feeds them to the plot).
"""

from __future__ import annotations

import json
import sys
import time
import uuid

import idloom

ROUNDS = 5
ROWS: list[dict] = []


def per_call(fn, n=200_000, rounds=ROUNDS):
    """Best-of-rounds ns per call of fn() (stores.py measures with it too)."""
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter_ns()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter_ns() - t) / n)
    return best


def per_id_batch(fn, batch, calls=20):
    best = float("inf")
    for _ in range(ROUNDS):
        t = time.perf_counter_ns()
        for _ in range(calls):
            fn(batch)
        best = min(best, (time.perf_counter_ns() - t) / (batch * calls))
    return best


def try_import(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def row(label, ours, peers):
    print(f"\n{label}: idloom {ours:.1f} ns/ID")
    for peer, ns in peers:
        if ns is not None:
            print(f"  vs {peer:<36} {ns:9.1f} ns/ID   ratio {ns / ours:6.2f}")
            ROWS.append({"what": label, "peer": peer, "ours_ns": round(ours, 2), "peer_ns": round(ns, 2), "ratio": round(ns / ours, 2)})
    if not any(ns is not None for _, ns in peers):
        ROWS.append({"what": label, "peer": None, "ours_ns": round(ours, 2)})


def ceiling(gen, layout_ids_per_second, seconds=2.0):
    """IDs per second one next() loop reaches, as a share of the layout ceiling."""
    n = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(10_000):
            gen.next()
        n += 10_000
    rate = n / (time.perf_counter() - start)
    return rate, 100.0 * rate / layout_ids_per_second


def main():
    uu = try_import("uuid_utils")
    uuc = try_import("uuid_utils.compat") and __import__("uuid_utils.compat", fromlist=["uuid4"])
    fu = try_import("fastuuid")
    nano = try_import("nanoid")
    fnano = try_import("fastnanoid")
    sf = try_import("snowflake")
    sony = try_import("sonyflake_turbo")

    row("uuid4 -> stdlib uuid.UUID", per_call(idloom.uuid4), [
        ("uuid.uuid4()", per_call(uuid.uuid4)),
        ("uuid_utils.compat.uuid4()", per_call(uuc.uuid4) if uuc else None),
    ])
    row("uuid4 fast path (str)", per_call(idloom.uuid4_str), [
        ("uuid_utils.uuid4() (own type)", per_call(uu.uuid4) if uu else None),
        ("str(uuid_utils.uuid4())", per_call(lambda: str(uu.uuid4())) if uu else None),
        ("fastuuid.uuid4() (own type)", per_call(fu.uuid4) if fu else None),
    ])
    row("uuid4 fast path (bytes)", per_call(idloom.uuid4_bytes), [("uuid_utils.uuid4() (own type)", per_call(uu.uuid4) if uu else None)])
    row("uuid7 -> stdlib uuid.UUID", per_call(idloom.uuid7), [
        ("uuid_utils.compat.uuid7()", per_call(uuc.uuid7) if uuc else None),
    ])
    row("uuid7 fast path (str)", per_call(idloom.uuid7_str), [
        ("uuid_utils.uuid7() (own type)", per_call(uu.uuid7) if uu else None),
        ("str(uuid_utils.uuid7())", per_call(lambda: str(uu.uuid7())) if uu else None),
    ])
    row("nanoid() 21 chars", per_call(idloom.nanoid), [
        ("fastnanoid.generate()", per_call(fnano.generate) if fnano else None),
        ("nanoid.generate()", per_call(nano.generate, 50_000) if nano else None),
    ])

    wide = idloom.Layout(39, 2, 22, 1_600_000_000_000, 1)
    gen = idloom.Snowflake(1, wide)
    peers = []
    if sf:
        g = sf.SnowflakeGenerator(1)
        peers.append(("snowflake-id next(gen)", per_call(lambda: next(g), 50_000)))
    if sony:
        s = sony.SonyFlake(*range(16))
        peers.append(("sonyflake-turbo next(s) (16 machine ids)", per_call(lambda: next(s), 50_000)))
    row("snowflake next() below the ceiling (22 sequence bits)", per_call(gen.next), peers)
    baseline = per_call((1).bit_length)
    print(f"  harness baseline: a no-op C method call in the same loop costs {baseline:.1f} ns; idloom net {per_call(gen.next) - baseline:.1f} ns")

    peers = []
    if sony:
        s = sony.SonyFlake(*range(256))
        peers.append(("sonyflake-turbo s(n) (256 machine ids)", per_id_batch(s, 10_000)))
    ours = per_id_batch(gen.next_batch, 10_000)
    row("snowflake batch of 10,000", ours, peers)
    print(f"  idloom batch: {1e3 / ours:.1f} M IDs/s")

    tw = idloom.Snowflake(2, idloom.Layout.TWITTER)
    rate, share = ceiling(tw, 4_096_000)
    print(f"\nTwitter-layout next() loop: {rate:,.0f} IDs/s = {share:.2f} % of the 4,096,000/s ceiling")
    ROWS.append({"what": "snowflake at the Twitter ceiling", "peer": "idloom next()", "ids_per_s": round(rate), "percent_of_ceiling": round(share, 2)})
    twb = idloom.Snowflake(3, idloom.Layout.TWITTER)
    t = time.perf_counter()
    n = 0
    while time.perf_counter() - t < 2.0:
        n += len(twb.next_batch(4096))
    rate = n / (time.perf_counter() - t)
    print(f"Twitter-layout next_batch(4096) loop: {rate:,.0f} IDs/s = {100 * rate / 4_096_000:.2f} % of the ceiling")
    ROWS.append({"what": "snowflake at the Twitter ceiling", "peer": "idloom next_batch(4096)", "ids_per_s": round(rate), "percent_of_ceiling": round(100 * rate / 4_096_000, 2)})


if __name__ == "__main__":
    main()
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as f:
            json.dump(ROWS, f, indent=1)
