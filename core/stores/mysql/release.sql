-- Release (?: high-water, namespace, node, epoch, holder, the lease's
-- start): only the current lease (as renew.sql: the same epoch, holder and
-- start, at or above the namespace floor); free at once, fence clamped into
-- [start, fence]. 0 rows affected (counted as rows matched:
-- CLIENT_FOUND_ROWS, see renew.sql): lease_lost.
-- FORCE INDEX (PRIMARY): lock the one row, never a range of the node indexes
-- (a lookup by idloom_node_holder deadlocked with a concurrent acquire).
UPDATE idloom_node FORCE INDEX (PRIMARY) SET expires_ms = 0, fence_ms = LEAST(GREATEST(?, start_ms), fence_ms)
WHERE namespace = ? AND node = ? AND epoch = ? AND holder = ? AND start_ms = ?
  AND start_ms >= (SELECT n.floor_ms FROM idloom_namespace AS n WHERE n.namespace = idloom_node.namespace)
