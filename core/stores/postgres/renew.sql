-- Renew: $1 namespace, $2 node, $3 epoch, $4 holder, $5 proposed fence,
-- $6 the lease's start. Only the current lease renews (zero rows:
-- lease_lost): the same epoch, holder and start, that start at or above the
-- namespace floor (a lease granted before the floor rose — revived by a
-- restore from an older snapshot, or an epoch number given again after the
-- store forgot — is over), and a server whose identity is the one the
-- namespace records (on another, the next acquire raises the floor and
-- reports it; the namespace row is only read here). Expiry one TTL away,
-- fence = max(fence, min($5, store now + ttl + max_skew)) (a holder cannot
-- push the fence further than one lease ahead of the store's clock). The
-- last column (identity_changed, as acquire's) is false: a renewal never
-- meets a change it would grant under.
WITH now AS (
    SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms,
           (SELECT system_identifier::text FROM pg_control_system()) || '/' ||
           (SELECT timeline_id::text FROM pg_control_checkpoint()) AS identity
), ns AS (
    SELECT n.ttl_ms, n.max_skew_ms, n.floor_ms, now.ms AS now_ms
    FROM idloom_namespace AS n, now
    WHERE n.namespace = $1 AND n.store_identity = now.identity
)
UPDATE idloom_node AS d
SET expires_ms = ns.now_ms + ns.ttl_ms,
    fence_ms = greatest(d.fence_ms, least($5, ns.now_ms + ns.ttl_ms + ns.max_skew_ms))
FROM ns
WHERE d.namespace = $1 AND d.node = $2 AND d.epoch = $3 AND d.holder = $4
  AND d.start_ms = $6 AND d.start_ms >= ns.floor_ms
RETURNING d.node, d.epoch, d.start_ms, d.fence_ms, ns.now_ms, false AS identity_changed
