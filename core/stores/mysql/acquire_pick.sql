-- Acquire, step 2 (?: namespace, now_ms, holder): a node whose lease expired on
-- the store's clock, the holder's previous one first (sticky restarts). Zero rows: no_free_node.
SELECT node FROM idloom_node WHERE namespace = ? AND expires_ms <= ?
ORDER BY (holder = ?) DESC, node LIMIT 1 FOR UPDATE
