-- Release (?: high-water, namespace, node, epoch, holder): free at once,
-- fence clamped into [start, fence]. 0 rows affected (counted as rows
-- matched: CLIENT_FOUND_ROWS, see renew.sql): lease_lost.
-- FORCE INDEX (PRIMARY): lock the one row, never a range of the node indexes
-- (a lookup by idloom_node_holder deadlocked with a concurrent acquire).
UPDATE idloom_node FORCE INDEX (PRIMARY) SET expires_ms = 0, fence_ms = LEAST(GREATEST(?, start_ms), fence_ms)
WHERE namespace = ? AND node = ? AND epoch = ? AND holder = ?
