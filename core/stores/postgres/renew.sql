-- Renew: $1 namespace, $2 node, $3 epoch, $4 holder, $5 proposed fence.
-- Only under the same epoch and holder (zero rows: lease_lost); expiry one
-- TTL away, fence = max(fence, min($5, store now + ttl + max_skew)) (a holder
-- cannot push the fence further than one lease ahead of the store's clock).
-- The identity check runs first, as in acquire, and the last column says
-- whether it raised the floor (identity_changed, as acquire's).
WITH now AS (
    SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms,
           (SELECT system_identifier::text FROM pg_control_system()) || '/' ||
           (SELECT timeline_id::text FROM pg_control_checkpoint()) AS identity
), old AS (
    SELECT store_identity FROM idloom_namespace WHERE namespace = $1
), ns AS (
    UPDATE idloom_namespace AS n
    SET floor_ms = CASE WHEN n.store_identity <> now.identity
                        THEN greatest(n.floor_ms, now.ms + n.ttl_ms + n.max_skew_ms) ELSE n.floor_ms END,
        store_identity = now.identity
    FROM now
    WHERE n.namespace = $1
    RETURNING n.ttl_ms, n.max_skew_ms, now.ms AS now_ms, now.identity
)
UPDATE idloom_node AS d
SET expires_ms = ns.now_ms + ns.ttl_ms,
    fence_ms = greatest(d.fence_ms, least($5, ns.now_ms + ns.ttl_ms + ns.max_skew_ms))
FROM ns
WHERE d.namespace = $1 AND d.node = $2 AND d.epoch = $3 AND d.holder = $4
RETURNING d.node, d.epoch, d.start_ms, d.fence_ms, ns.now_ms,
          coalesce((SELECT store_identity FROM old) <> ns.identity, false) AS identity_changed
