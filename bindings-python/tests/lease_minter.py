"""A leased minter process for the pause test: leases the namespace's node,
writes every ID it mints to stdout, and ends with one line "end CODE" when
its lease stops it. On a fence reached it waits (bounded) for the renewal in
flight, as an application would, before giving up."""

from __future__ import annotations

import sys
import time

import idloom
from idloom import Snowflake
from stores_support import connect

engine, ns = sys.argv[1], sys.argv[2]
store = connect(engine)
lease = store.lease_node(ns, holder=sys.argv[3])
gen = Snowflake(lease=lease)
out = sys.stdout
print(f"lease {lease.node} {lease.epoch} {lease.start_ms} {lease.fence_ms}", flush=True)
expired_since = None
while True:
    try:
        out.write(f"{gen.next()}\n")
        out.flush()
        expired_since = None
        time.sleep(0.0005)
    except idloom.LeaseExpiredError:
        expired_since = expired_since or time.monotonic()
        if time.monotonic() - expired_since > 3:
            print("end lease_expired", flush=True)
            break
        time.sleep(0.01)
    except idloom.IdloomError as e:
        print(f"end {e.code}", flush=True)
        break
