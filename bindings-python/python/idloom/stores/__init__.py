"""Node leases and segment ranges from the stores you already run.

``PostgresStore`` (psycopg 3), ``MySQLStore`` (PyMySQL) and ``RedisStore``
(redis-py) run the core's SQL and Lua texts on your own connection, pool or
client; each driver is imported only when its store is made. See the
package README's "Coordination" chapter.
"""

from __future__ import annotations

# Each adapter imports its driver only when a store is made: importing idloom.stores costs nothing.
from ._base import LeafSource, Namespace, Store
from ._lease import NodeLease
from .mysql import MySQLStore
from .postgres import PostgresStore
from .redis import RedisStore

__all__ = ["LeafSource", "MySQLStore", "Namespace", "NodeLease", "PostgresStore", "RedisStore", "Store"]
