-- Acquire, step 3 (?: holder, now_ms + ttl, floor, floor, proposed fence, namespace, node):
-- epoch + 1, expiry one TTL away, start = max(fence, floor), fence = max(start, proposed).
-- MariaDB evaluates SET left to right, so start_ms is set before fence_ms reads it.
UPDATE idloom_node
SET holder = ?, epoch = epoch + 1, expires_ms = ?,
    start_ms = GREATEST(fence_ms, ?),
    fence_ms = GREATEST(start_ms, ?)
WHERE namespace = ? AND node = ?
