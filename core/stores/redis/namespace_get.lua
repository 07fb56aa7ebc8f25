-- A namespace's record. KEYS[1] = {idloom:NS}:ns. Answers {"state_lost"} or
-- {"ok", layout, nodes, ttl_ms, max_skew_ms, floor_ms}, read only (the floor
-- a new run_id would raise is raised by the next lease call).
local r = redis.call('HMGET', KEYS[1], 'layout', 'nodes', 'ttl_ms', 'max_skew_ms', 'floor_ms')
if not r[1] then
  return { 'state_lost' }
end
return { 'ok', r[1], r[2], r[3], r[4], r[5] }
