-- Create a namespace if missing: $1 namespace, $2 layout (Layout's Display), $3 nodes,
-- $4 ttl_ms, $5 max_skew_ms, $6 fresh (floor 0) or not (floor = store now + ttl + skew).
-- Answers the namespace's record, new or existing (a record with another
-- layout or node count is the caller's store_schema). Store time and identity
-- come from the server itself.
WITH now AS (
    SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms,
           (SELECT system_identifier::text FROM pg_control_system()) || '/' ||
           (SELECT timeline_id::text FROM pg_control_checkpoint()) AS identity
), created AS (
    INSERT INTO idloom_namespace (namespace, layout, nodes, ttl_ms, max_skew_ms, floor_ms, store_identity)
    SELECT $1, $2, $3, $4, $5, CASE WHEN $6::boolean THEN 0 ELSE now.ms + $4 + $5 END, now.identity FROM now
    -- A no-op update, not DO NOTHING: it waits for a creator racing this one
    -- and returns the row it committed. With DO NOTHING the record was read
    -- from this statement's snapshot, taken before that commit: no row at
    -- all (the soak's minters re-creating a namespace at once found it).
    ON CONFLICT (namespace) DO UPDATE SET namespace = idloom_namespace.namespace
    RETURNING layout, nodes, ttl_ms, max_skew_ms, floor_ms
), node_rows AS (
    -- Only for the record's own node count: a call with another count is
    -- refused by the caller (store_schema) and must not add nodes meanwhile.
    -- One statement for every row; skipped once the last node exists (the
    -- rows are inserted together), so a process starting up costs O(log n).
    INSERT INTO idloom_node (namespace, node)
    SELECT $1, g FROM generate_series(0, $3 - 1) AS g
    WHERE NOT EXISTS (SELECT 1 FROM idloom_namespace WHERE namespace = $1 AND nodes <> $3)
      AND NOT EXISTS (SELECT 1 FROM idloom_node WHERE namespace = $1 AND node = $3 - 1)
    ON CONFLICT (namespace, node) DO NOTHING
)
SELECT layout, nodes, ttl_ms, max_skew_ms, floor_ms FROM created
