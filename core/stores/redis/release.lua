-- Release cleanly. KEYS[1] = {idloom:NS}:ns. ARGV: node, epoch, holder,
-- high-water. Free at once, fence clamped into [start, fence].
-- {"ok", fence_ms}, {"lease_lost"} or {"invalid_range", what, value} (a
-- number Lua cannot hold: ints.lua). The node's score in {idloom:NS}:expiry
-- (acquire.lua's index) drops to 0: free at once.
local key = string.sub(KEYS[1], 1, -3) .. 'node:' .. ARGV[1]
local r = redis.call('HMGET', key, 'epoch', 'holder', 'start_ms', 'fence_ms')
if r[1] ~= ARGV[2] or r[2] ~= ARGV[3] then
  return { 'lease_lost' }
end
local high, start, fence = idloom_int(ARGV[4]), idloom_int(r[3]), idloom_int(r[4])
if not high then
  return { 'invalid_range', 'high_water_ms', ARGV[4] }
end
if not (start and fence) then
  return { 'invalid_range', 'fence_ms', r[4] }
end
fence = math.min(math.max(high, start), fence)
redis.call('HSET', key, 'expires_ms', 0, 'fence_ms', fence)
redis.call('ZADD', string.sub(KEYS[1], 1, -3) .. 'expiry', 0, ARGV[1])
return { 'ok', fence }
