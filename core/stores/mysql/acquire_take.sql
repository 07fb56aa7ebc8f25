-- Acquire, step 3 (?: holder, now_ms + ttl, floor, proposed fence, namespace, node):
-- epoch + 1, expiry one TTL away, start = max(fence, floor),
-- fence = max(start, min(proposed, store now + ttl + max_skew)): a holder
-- cannot push a node's fence further than one lease ahead of the store's
-- clock (expires_ms, just set, is store now + ttl; max_skew_ms is the
-- namespace's). MariaDB evaluates a single-table SET left to right, so
-- expires_ms and start_ms are set before fence_ms reads them.
-- FORCE INDEX (PRIMARY): lock the one row, never a range of the node indexes
-- (a lookup by idloom_node_holder deadlocked with a concurrent acquire).
UPDATE idloom_node FORCE INDEX (PRIMARY)
SET holder = ?, epoch = epoch + 1, expires_ms = ?,
    start_ms = GREATEST(fence_ms, ?),
    fence_ms = GREATEST(start_ms, LEAST(?, expires_ms +
        (SELECT n.max_skew_ms FROM idloom_namespace AS n WHERE n.namespace = idloom_node.namespace)))
WHERE namespace = ? AND node = ?
