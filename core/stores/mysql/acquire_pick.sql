-- Acquire, step 2 (?: namespace, holder, now_ms, namespace, now_ms): a node
-- whose lease expired on the store's clock, the holder's previous one first
-- (sticky restarts), else the one that expired first. Each is one index
-- range read with LIMIT 1 (idloom_node_holder, idloom_node_expiry): O(log n)
-- in the node count. Zero rows: no_free_node. A plain read, no FOR UPDATE:
-- acquisitions and renewals of the namespace wait for its row
-- (namespace_lock.sql), so nobody else can lease the node before
-- acquire_take.sql, whose UPDATE reads the row as it is; a locking read here
-- would lock ranges of the node indexes and deadlock with release.sql.
SELECT p.node FROM (
    (SELECT node, 0 AS pref FROM idloom_node
     WHERE namespace = ? AND holder = ? AND expires_ms <= ? ORDER BY node LIMIT 1)
    UNION ALL
    (SELECT node, 1 AS pref FROM idloom_node
     WHERE namespace = ? AND expires_ms <= ? ORDER BY expires_ms, node LIMIT 1)
    ORDER BY pref LIMIT 1
) AS p
