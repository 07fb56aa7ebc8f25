"""The Python minter of the soak: the protocol of stores/examples/soak_minter.rs.

    minter.py ENGINE LEASE_URL SEG_URL NS TAG NODES,TTL,SKEW OUT HOLDER

It leases a node (renewed by the lease's background thread), mints on it
with ``Snowflake(lease=...)``, draws segment IDs from one Leaf row (a Redis
counter on Redis) and logs every grant, end and error to OUT.log.
"""

from __future__ import annotations

import os
import random
import struct
import sys
import time

import idloom
from idloom import Layout, Segment, Snowflake
from idloom.stores import EtcdStore, MySQLStore, PostgresStore, RedisStore, SegmentGroup, ZooKeeperStore

engine, lease_url, seg_url, ns, tag, conf, out, holder = sys.argv[1:9]
extra_spec = sys.argv[9] if len(sys.argv) > 9 else ""
nodes, ttl_ms, max_skew_ms = (int(x) for x in conf.split(","))
Store = {"postgres": PostgresStore, "mysql": MySQLStore, "redis": RedisStore, "zookeeper": ZooKeeperStore, "etcd": EtcdStore}[engine]
log = open(f"{out}.log", "a", buffering=1)
last_error = ""


def line(s: str) -> None:
    log.write(f"{time.time_ns() // 1_000_000} {s}\n")


def error(where: str, e: BaseException) -> str:
    global last_error
    code = getattr(e, "code", None) or f"not_idloom:{type(e).__name__}"
    if f"{where} {code}" != last_error:
        line(f"error {where} {code}")
    last_error = f"{where} {code}"
    return code


def connect(url: str):  # type: ignore[no-untyped-def]
    """A store that is down when the process starts is retried, as after any failure."""
    while True:
        try:
            if engine == "redis":
                return Store.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            return Store.from_url(url)
        except Exception as e:  # noqa: BLE001 - logged: the soak checks every code
            error("connect", e)
            time.sleep(0.1)


store = connect(lease_url)
seg = Segment(connect(seg_url).segment_source(tag), step=200, timeout_ms=2_000)
seg_file = open(f"{out}.seg", "ab", buffering=0)


def lazy(make):  # type: ignore[no-untyped-def]
    """A source that connects on its first fetch: a member down when this
    process starts is skipped like one that went down later."""
    source = None

    def fetch(step: int):  # type: ignore[no-untyped-def]
        nonlocal source
        if source is None:
            source = make()
        return source(step)

    return fetch


# The optional extra source, several servers as one SegmentGroup: group:URL,URL,URL
# (Redis INCRBY, offset k, stride 3) or tickets:ODD,EVEN (Flickr ticket servers).
extra = None
if extra_spec:
    kind, _, rest = extra_spec.partition(":")
    urls = rest.split(",")
    if kind == "group":
        extra = SegmentGroup([
            Segment(lazy(lambda u=u: RedisStore.from_url(u, socket_timeout=1, socket_connect_timeout=1).segment_source(tag)),
                    step=100, stride=len(urls), offset=k, background=True, timeout_ms=1_000)
            for k, u in enumerate(urls)])
    else:
        extra = SegmentGroup([
            Segment(lazy(lambda u=u, k=k: MySQLStore.from_url(u, connect_timeout=1).ticket_source("soak_tickets", servers=2, index=k + 1)),
                    step=1, background=True, timeout_ms=1_000)
            for k, u in enumerate(urls)])
extra_file = open(f"{out}.extra", "ab", buffering=0)
turn = 0
grants = 0
held = None  # [k, lease, gen, file, failures, expired_since, reported, until]
# Turns: a holder releases its node (cleanly, with the high-water) after 3 to
# 6 s and waits before asking again, so the minters that wait get nodes too
# (minter.mjs does the same).
HOLD_S = (3.0, 6.0)
AFTER_TURN_S = 0.3
not_before = 0.0


def draw() -> None:
    """Segment IDs (and the group's), every turn: with a lease or without one,
    so that a failed refill is seen while its fault lasts, not after a wait
    for a node."""
    global turn
    drawn: list[int] = []
    for _ in range(5):
        try:
            drawn.append(seg.next())
        except idloom.IdloomError as e:
            error("segment", e)
            break
    if drawn:
        seg_file.write(struct.pack(f"<{len(drawn)}Q", *drawn))
    if extra is not None and turn % 10 == 0:
        try:
            extra_file.write(struct.pack("<Q", extra.next()))
        except idloom.IdloomError as e:
            error("extra", e)
    turn += 1


while not os.path.exists(f"{out}.stop"):
    if held is None:
        if time.monotonic() < not_before:
            draw()
            time.sleep(max(0.0, min(0.05, not_before - time.monotonic())))
            continue
        try:
            lease = store.lease_node(ns, holder=holder)
        except idloom.IdloomError as e:
            if error("acquire", e) == "store_state_lost":
                try:
                    store.init_namespace(ns, layout=Layout.TWITTER, nodes=nodes, ttl_ms=ttl_ms, max_skew_ms=max_skew_ms, fresh=False)
                except idloom.IdloomError as e2:
                    error("init", e2)
            draw()
            time.sleep(0.05)
            continue
        grants += 1
        until = time.monotonic() + random.uniform(*HOLD_S)
        held = [grants, lease, Snowflake(lease=lease), open(f"{out}.g{grants}", "ab", buffering=0), 0, 0.0, False, until]
        line(f"grant {grants} {lease.node} {lease.epoch} {lease.start_ms} {lease.fence_ms}")
    k, lease, gen, f = held[0], held[1], held[2], held[3]
    if lease.renewal_failures > held[4]:
        held[4] = lease.renewal_failures
        error("renew", idloom.StoreUnavailableError("a renewal got no answer", "store_unavailable"))
    if lease.error is not None and not held[6]:
        held[6] = True
        error("renew", lease.error)
    ids: list[int] = []
    ended = None
    for _ in range(50):
        try:
            ids.append(gen.next())
        except idloom.IdloomError as e:
            code = error("mint", e)
            ahead = lease.start_ms - time.time_ns() // 1_000_000
            if code == "clock_moved_backwards" and ahead > 0:
                # A lease that starts ahead of this clock (the floor a store that
                # lost its state set): wait for the clock to reach it, keeping the lease.
                time.sleep(min(0.05, ahead / 1000))
                break
            # At the fence: wait (bounded) for the renewal in flight; a lost
            # lease, or one whose renewals ended, has nothing to wait for.
            held[5] = held[5] or time.monotonic()
            if code != "lease_expired" or lease.error is not None or time.monotonic() - held[5] > ttl_ms / 1000:
                ended = code
            break
    if ids:
        held[5] = 0.0
        f.write(struct.pack(f"<{len(ids)}Q", *ids))
    if ended:
        line(f"end {k} {ended}")
        held = None
        if ended != "lease_lost":
            try:
                lease.release()
            except idloom.IdloomError as e:
                error("release", e)
    elif time.monotonic() >= held[7]:
        # This holder's turn is over: a clean release, then a pause before asking again.
        held, not_before = None, time.monotonic() + AFTER_TURN_S
        try:
            hw = lease.release()
            line(f"released {k} {hw}" if hw is not None else f"end {k} lease_lost")
        except idloom.IdloomError as e:
            # The generators stopped before the store was asked: the lease ended
            # here (the store gives the node away a TTL later).
            line(f"end {k} {error('release', e)}")
    draw()
    time.sleep(0.002)

if held is not None:
    try:
        hw = held[1].release()
        line(f"released {held[0]} {hw}" if hw is not None else f"end {held[0]} lease_lost")
    except idloom.IdloomError as e:
        line(f"end {held[0]} {error('release', e)}")  # stopped before the store was asked, as above
line("exit")
