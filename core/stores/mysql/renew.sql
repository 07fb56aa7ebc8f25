-- Renew (?: now_ms + ttl, proposed fence, namespace, node, epoch, holder,
-- the lease's start), after namespace_lock.sql in the same transaction:
-- only the current lease (0 rows affected: lease_lost): the same epoch,
-- holder and start, that start at or above the namespace floor (a lease
-- granted before the floor rose — an epoch number given again after the
-- tables were lost and made again — is over);
-- fence = max(fence, min(proposed, store now + ttl + max_skew)) (a holder
-- cannot push the fence further than one lease ahead of the store's clock;
-- expires_ms is set first: SET runs left to right).
-- Rows affected must count rows *matched*: connect with CLIENT_FOUND_ROWS
-- (PyMySQL client_flag FOUND_ROWS, mysql2 flags 'FOUND_ROWS'), or a renewal
-- that changes nothing (same millisecond) reads as lost.
-- FORCE INDEX (PRIMARY): lock the one row, never a range of the node indexes
-- (a lookup by idloom_node_holder deadlocked with a concurrent acquire).
UPDATE idloom_node FORCE INDEX (PRIMARY) SET expires_ms = ?,
    fence_ms = GREATEST(fence_ms, LEAST(?, expires_ms +
        (SELECT n.max_skew_ms FROM idloom_namespace AS n WHERE n.namespace = idloom_node.namespace)))
WHERE namespace = ? AND node = ? AND epoch = ? AND holder = ? AND start_ms = ?
  AND start_ms >= (SELECT n.floor_ms FROM idloom_namespace AS n WHERE n.namespace = idloom_node.namespace)
