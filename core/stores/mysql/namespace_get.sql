-- A namespace's record (zero rows: store_state_lost). In a lease transaction
-- it is read FOR UPDATE (namespace_lock.sql), which serialises acquisitions.
SELECT layout, nodes, ttl_ms, max_skew_ms, floor_ms FROM idloom_namespace WHERE namespace = ?
