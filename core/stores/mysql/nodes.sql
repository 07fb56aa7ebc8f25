-- The nodes of a namespace with their holder, epoch, expiry and fence (status).
SELECT node, holder, epoch, expires_ms, start_ms, fence_ms FROM idloom_node WHERE namespace = ? ORDER BY node
