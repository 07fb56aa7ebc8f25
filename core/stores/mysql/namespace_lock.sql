-- Lease transaction, step 1: lock the namespace and read the store's clock
-- (?: namespace). Zero rows: store_state_lost.
SELECT ttl_ms, floor_ms, CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED) AS now_ms
FROM idloom_namespace WHERE namespace = ? FOR UPDATE
