-- The nodes of a namespace (status). KEYS[1] = {idloom:NS}:ns. Answers
-- {"state_lost"} or {"ok", node, holder, epoch, expires_ms, start_ms, fence_ms, ...}
-- for every node, flattened.
local nodes = tonumber(redis.call('HGET', KEYS[1], 'nodes') or '-1')
if nodes < 0 then
  return { 'state_lost' }
end
local prefix = string.sub(KEYS[1], 1, -3) .. 'node:'
local out = { 'ok' }
for k = 0, nodes - 1 do
  local r = redis.call('HMGET', prefix .. k, 'holder', 'epoch', 'expires_ms', 'start_ms', 'fence_ms')
  table.insert(out, k)
  for i = 1, 5 do
    table.insert(out, r[i] or (i == 1 and '' or '0'))
  end
end
return out
