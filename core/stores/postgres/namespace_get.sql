-- A namespace's record: $1 namespace (no row: store_state_lost).
SELECT layout, nodes, ttl_ms, max_skew_ms, floor_ms FROM idloom_namespace WHERE namespace = $1
