-- Create a namespace if missing (?: namespace, layout, nodes, ttl_ms, max_skew_ms,
-- fresh 1/0 (floor 0, or store now + ttl + skew)). Then namespace_get.sql and node_rows.sql.
INSERT IGNORE INTO idloom_namespace (namespace, layout, nodes, ttl_ms, max_skew_ms, floor_ms)
VALUES (?, ?, ?, ?, ?, IF(? = 1, 0, CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED) + ? + ?))
