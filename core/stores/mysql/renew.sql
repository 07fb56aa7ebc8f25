-- Renew (?: now_ms + ttl, proposed fence, namespace, node, epoch, holder),
-- after namespace_lock.sql in the same transaction: only under the same
-- epoch and holder (0 rows affected: lease_lost); fence = max(fence, proposed).
-- Rows affected must count rows *matched*: connect with CLIENT_FOUND_ROWS
-- (PyMySQL client_flag FOUND_ROWS, mysql2 flags 'FOUND_ROWS'), or a renewal
-- that changes nothing (same millisecond) reads as lost.
UPDATE idloom_node SET expires_ms = ?, fence_ms = GREATEST(fence_ms, ?)
WHERE namespace = ? AND node = ? AND epoch = ? AND holder = ?
