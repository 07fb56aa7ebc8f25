"""A store example as a user runs it after `pip install idloom[redis]`: a leased node and a segment on Redis."""

from __future__ import annotations

import os
import uuid

from idloom import Layout, Segment, Snowflake
from idloom.stores import RedisStore

store = RedisStore.from_url(os.environ.get("IDLOOM_REDIS", "redis://127.0.0.1:6379/"))
namespace = f"release-{uuid.uuid4().hex[:12]}"  # a throwaway namespace and counter
store.init_namespace(namespace, layout=Layout.TWITTER, nodes=16, ttl_ms=10_000, max_skew_ms=1_000, fresh=True)
with store.lease_node(namespace) as lease:
    gen = Snowflake(lease=lease)
    a, b = gen.next(), gen.next()
    assert a < b and gen.decode(a).node == lease.node
store.init_segment(namespace, floor=1, step=100)
ids = Segment(store.segment_source(namespace))
x, y = ids.next(), ids.next()
assert y == x + 1
print(f"store example ok: node {lease.node}, segment {x}, {y}")
