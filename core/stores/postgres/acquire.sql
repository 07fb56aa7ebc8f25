-- Lease a node: $1 namespace, $2 holder, $3 proposed fence (holder now + ttl, ID time).
-- First the store identity: another one (restore, promotion) raises the floor.
-- Then a node whose lease expired on the store's clock, the holder's previous
-- one first (sticky restarts), skipping rows other acquirers hold locked:
-- epoch + 1, expiry one TTL away, start = max(fence, floor),
-- fence = max(start, min($3, store now + ttl + max_skew)): a holder cannot
-- push a node's fence further than one lease ahead of the store's clock.
-- One row: found (false: the namespace is missing: store_state_lost), the
-- grant (node NULL: no_free_node), and identity_changed: the namespace
-- recorded another store identity, so the floor was raised first (the
-- event store_identity_changed; read from the statement's snapshot, so two
-- acquires racing the first one after a restore may both report it). Each pick is one index range read with
-- LIMIT 1 (idloom_node_holder, idloom_node_expiry): O(log n) in the node
-- count; the store's clock and the node count come in as scalar subqueries
-- so that they bound the index scans.
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
    RETURNING n.floor_ms, n.ttl_ms, n.max_skew_ms, n.nodes, now.ms AS now_ms
), sticky AS (
    SELECT d.node FROM idloom_node AS d
    WHERE d.namespace = $1 AND d.holder = $2
      AND d.expires_ms <= (SELECT now_ms FROM ns) AND d.node < (SELECT nodes FROM ns)
    ORDER BY d.node
    LIMIT 1
    FOR UPDATE OF d SKIP LOCKED
), other AS (
    SELECT d.node FROM idloom_node AS d
    WHERE NOT EXISTS (SELECT 1 FROM sticky)
      AND d.namespace = $1
      AND d.expires_ms <= (SELECT now_ms FROM ns) AND d.node < (SELECT nodes FROM ns)
    ORDER BY d.expires_ms, d.node
    LIMIT 1
    FOR UPDATE OF d SKIP LOCKED
), pick AS (
    SELECT node FROM sticky UNION ALL SELECT node FROM other
), granted AS (
    UPDATE idloom_node AS d
    SET holder = $2,
        epoch = d.epoch + 1,
        expires_ms = ns.now_ms + ns.ttl_ms,
        start_ms = greatest(d.fence_ms, ns.floor_ms),
        fence_ms = greatest(d.fence_ms, ns.floor_ms, least($3, ns.now_ms + ns.ttl_ms + ns.max_skew_ms))
    FROM pick, ns
    WHERE d.namespace = $1 AND d.node = pick.node
    RETURNING d.node, d.epoch, d.start_ms, d.fence_ms, ns.now_ms
)
SELECT EXISTS (SELECT 1 FROM ns) AS found, g.node, g.epoch, g.start_ms, g.fence_ms,
       coalesce(g.now_ms, (SELECT ms FROM now)) AS now_ms,
       (SELECT o.store_identity <> n.identity FROM old AS o, now AS n) IS TRUE AS identity_changed
FROM (SELECT 1) AS one LEFT JOIN granted AS g ON true
