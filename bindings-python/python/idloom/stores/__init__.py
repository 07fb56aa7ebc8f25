"""Node leases and segment ranges from the stores you already run.

``PostgresStore`` (psycopg 3), ``MySQLStore`` (PyMySQL) and ``RedisStore``
(redis-py) run the core's SQL and Lua texts on your own connection, pool or
client; ``ZooKeeperStore`` (kazoo) and ``EtcdStore`` (etcd3gw) run the core's
compare-and-set calls on yours; each driver is imported only when its store is made. See the
package README's "Coordination" chapter.
"""

from __future__ import annotations

# Each adapter imports its driver only when a store is made: importing idloom.stores costs nothing.
from ._base import LeafSource, Namespace, SequenceSource, Store
from .aio import AsyncPostgresStore, AsyncRedisStore, AsyncSegment
from .etcd import EtcdStore
from ._group import SegmentGroup
from ._lease import AsyncNodeLease, NodeLease
from .mysql import MySQLStore
from .postgres import PostgresStore
from .redis import RedisStore
from .zookeeper import ZooKeeperStore

__all__ = ["AsyncNodeLease", "AsyncPostgresStore", "AsyncRedisStore", "AsyncSegment", "EtcdStore", "LeafSource", "MySQLStore", "Namespace", "NodeLease", "PostgresStore", "RedisStore",
           "SegmentGroup", "SequenceSource", "Store", "ZooKeeperStore", "from_url"]


def from_url(url: str) -> Store:
    """The store a URL names: ``postgresql://…`` (or a libpq ``host=… dbname=…``
    string), ``mysql://…`` / ``mariadb://…``, ``redis://…`` / ``rediss://…``,
    ``zookeeper://…``, ``etcd://…``."""
    from ._base import check_text
    from ._lease import error

    scheme = check_text(url, "url").split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgres", "postgresql") or (not scheme and "=" in url):
        return PostgresStore.from_url(url)
    if scheme in ("mysql", "mariadb"):
        return MySQLStore.from_url(url)
    if scheme in ("redis", "rediss", "unix"):
        return RedisStore.from_url(url)
    if scheme == "zookeeper":
        return ZooKeeperStore.from_url(url)
    if scheme == "etcd":
        return EtcdStore.from_url(url)
    from .._idloom import _redact_url

    raise error("invalid_argument", f"url must be postgresql://, mysql://, mariadb://, redis://, zookeeper:// or etcd://, got {_redact_url(url)!r}")
