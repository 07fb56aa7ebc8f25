-- Release cleanly. KEYS[1] = {idloom:NS}:ns. ARGV: node, epoch, holder,
-- high-water. Free at once, fence clamped into [start, fence].
-- {"ok", fence_ms} or {"lease_lost"}.
local key = string.sub(KEYS[1], 1, -3) .. 'node:' .. ARGV[1]
local r = redis.call('HMGET', key, 'epoch', 'holder', 'start_ms', 'fence_ms')
if r[1] ~= ARGV[2] or r[2] ~= ARGV[3] then
  return { 'lease_lost' }
end
local fence = math.min(math.max(tonumber(ARGV[4]), tonumber(r[3])), tonumber(r[4]))
redis.call('HSET', key, 'expires_ms', 0, 'fence_ms', fence)
return { 'ok', fence }
