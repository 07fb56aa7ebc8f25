-- Release cleanly. KEYS[1] = {idloom:NS}:ns. ARGV: node, epoch, holder,
-- high-water, the lease's start. Only the current lease (as renew.lua: the
-- same epoch, holder and start, at or above the namespace floor; the run_id
-- is not read: the next acquire compares it and raises the floor). Free at
-- once, fence clamped into [start, fence].
-- {"ok", fence_ms}, {"lease_lost"} or {"invalid_range", what, value} (a
-- number Lua cannot hold: ints.lua). The node's score in {idloom:NS}:expiry
-- (acquire.lua's index) drops to 0: free at once.
local key = string.sub(KEYS[1], 1, -3) .. 'node:' .. ARGV[1]
local r = redis.call('HMGET', key, 'epoch', 'holder', 'start_ms', 'fence_ms')
if r[1] ~= ARGV[2] or r[2] ~= ARGV[3] then
  return { 'lease_lost' }
end
local high, sent_start = idloom_int(ARGV[4]), idloom_int(ARGV[5])
if not high then
  return { 'invalid_range', 'high_water_ms', ARGV[4] }
end
if not sent_start then
  return { 'invalid_range', 'start_ms', ARGV[5] }
end
local start, fence = idloom_int(r[3]), idloom_int(r[4])
if not (start and fence) then
  return { 'invalid_range', 'fence_ms', r[4] }
end
local floor = idloom_int(redis.call('HGET', KEYS[1], 'floor_ms') or '')
if start ~= sent_start or not floor or start < floor then
  return { 'lease_lost' }
end
fence = math.min(math.max(high, start), fence)
redis.call('HSET', key, 'expires_ms', 0, 'fence_ms', fence)
redis.call('ZADD', string.sub(KEYS[1], 1, -3) .. 'expiry', 0, ARGV[1])
return { 'ok', fence }
