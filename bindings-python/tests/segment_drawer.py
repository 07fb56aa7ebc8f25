"""A process of the many-process segment test: 2 threads draw from one
PostgreSQL Leaf row, one MariaDB row in CAS mode and a group of Redis
servers (offset k, stride N); every ID goes to a JSON file."""

from __future__ import annotations

import json
import sys
import threading

from idloom import Segment
from idloom.stores import RedisStore, SegmentGroup
from stores_support import connect

out_path, pg_tag, my_tag, redis_tag, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
redis_urls = sys.argv[6:]
pg = Segment(connect("postgres").segment_source(pg_tag), step=100)
my = Segment(connect("mysql").segment_source(my_tag, mode="cas"), step=100)
group = SegmentGroup([Segment(RedisStore.from_url(url, socket_timeout=1, socket_connect_timeout=1).segment_source(redis_tag),
                              step=100, stride=len(redis_urls), offset=k, timeout_ms=2_000)
                      for k, url in enumerate(redis_urls)])
got: dict = {"pg": [], "mysql": [], "redis": []}  # type: ignore[type-arg]
lock = threading.Lock()
print("ready", flush=True)


def draw() -> None:
    mine: dict = {"pg": [], "mysql": [], "redis": []}  # type: ignore[type-arg]
    for _ in range(count):
        mine["pg"].append(pg.next())
        mine["mysql"].append(my.next())
        mine["redis"].append(group.next())
    with lock:
        for k, v in mine.items():
            got[k] += v


threads = [threading.Thread(target=draw) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(out_path, "w") as f:
    json.dump(got, f)
print("done", flush=True)
