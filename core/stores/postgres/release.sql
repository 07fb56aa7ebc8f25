-- Release cleanly: $1 namespace, $2 node, $3 epoch, $4 holder, $5 high-water
-- (end of the last tick minted), $6 the lease's start. Only the current
-- lease (as renew.sql: the same epoch, holder and start, at or above the
-- namespace floor). Free at once; the fence drops to the high-water,
-- clamped into the epoch's [start, fence]. Zero rows: lease_lost. The
-- identity is not read: the next acquire compares it and raises the floor.
UPDATE idloom_node AS d
SET expires_ms = 0,
    fence_ms = least(greatest($5, d.start_ms), d.fence_ms)
FROM idloom_namespace AS n
WHERE d.namespace = $1 AND d.node = $2 AND d.epoch = $3 AND d.holder = $4
  AND n.namespace = d.namespace AND d.start_ms = $6 AND d.start_ms >= n.floor_ms
RETURNING d.node, d.fence_ms
