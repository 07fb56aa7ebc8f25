-- The nodes of a namespace (status), one page at a time. KEYS[1] =
-- {idloom:NS}:ns, ARGV[1] = the first node (0 if absent). Answers
-- {"state_lost"} or {"ok", node, holder, epoch, expires_ms, start_ms,
-- fence_ms, ...} for at most 1,024 nodes from ARGV[1] on, flattened; the
-- caller asks again from the last node + 1 until the namespace's node count
-- (an empty page past it). A script call holds every Redis client: a page
-- bounds that to ~1 ms whatever the node count.
local nodes = tonumber(redis.call('HGET', KEYS[1], 'nodes') or '-1')
if nodes < 0 then
  return { 'state_lost' }
end
local first = tonumber(ARGV[1] or '0') or 0
local prefix = string.sub(KEYS[1], 1, -3) .. 'node:'
local out = { 'ok' }
for k = first, math.min(nodes, first + 1024) - 1 do
  local r = redis.call('HMGET', prefix .. k, 'holder', 'epoch', 'expires_ms', 'start_ms', 'fence_ms')
  table.insert(out, k)
  for i = 1, 5 do
    table.insert(out, r[i] or (i == 1 and '' or '0'))
  end
end
return out
