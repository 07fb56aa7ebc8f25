-- Release cleanly: $1 namespace, $2 node, $3 epoch, $4 holder, $5 high-water
-- (end of the last tick minted). Free at once; the fence drops to the
-- high-water, clamped into the epoch's [start, fence]. Zero rows: lease_lost.
UPDATE idloom_node AS d
SET expires_ms = 0,
    fence_ms = least(greatest($5, d.start_ms), d.fence_ms)
WHERE d.namespace = $1 AND d.node = $2 AND d.epoch = $3 AND d.holder = $4
RETURNING d.node, d.fence_ms
