-- Renew. KEYS[1] = {idloom:NS}:ns. ARGV: node, epoch, holder, proposed
-- fence, the lease's start. Only the current lease renews: the same epoch,
-- holder and start, that start at or above the namespace floor (a lease
-- granted before the floor rose — revived by a restore from an older RDB
-- or AOF, or an epoch number given again after a restart empty — is over),
-- on the run_id the namespace records (on another, the next acquire raises
-- the floor and reports it; the namespace is only read here).
-- {"lease_lost"} otherwise, {"state_lost"} with no namespace;
-- {"ok", node, epoch, start_ms, fence_ms, store_now_ms, 0} on success (the
-- last field is acquire's identity_changed: a renewal never grants under a
-- change), with fence = max(fence, min(proposed, store now + ttl + max_skew))
-- (a holder cannot push the fence further than one lease ahead of the
-- store's clock); {"invalid_range", what, value}: a number Lua cannot hold
-- (ints.lua). The node's score in {idloom:NS}:expiry (acquire.lua's index)
-- follows.
local now = idloom_now()
local ns = idloom_namespace_read(KEYS[1])
if not ns then
  return { 'state_lost' }
end
if ns.run_id ~= idloom_run_id() then
  return { 'lease_lost' }
end
local proposed = idloom_int(ARGV[4])
if not proposed then
  return { 'invalid_range', 'proposed_fence_ms', ARGV[4] }
end
local sent_start = idloom_int(ARGV[5])
if not sent_start then
  return { 'invalid_range', 'start_ms', ARGV[5] }
end
local key = string.sub(KEYS[1], 1, -3) .. 'node:' .. ARGV[1]
local r = redis.call('HMGET', key, 'epoch', 'holder', 'start_ms', 'fence_ms')
if r[1] ~= ARGV[2] or r[2] ~= ARGV[3] then
  return { 'lease_lost' }
end
local start, old = idloom_int(r[3]), idloom_int(r[4])
if not (start and old) then
  return { 'invalid_range', 'fence_ms', r[4] }
end
if start ~= sent_start or start < ns.floor then
  return { 'lease_lost' }
end
local fence = math.max(old, math.min(proposed, now + ns.ttl + ns.skew))
redis.call('HSET', key, 'expires_ms', now + ns.ttl, 'fence_ms', fence)
redis.call('ZADD', string.sub(KEYS[1], 1, -3) .. 'expiry', now + ns.ttl, ARGV[1])
return { 'ok', tonumber(ARGV[1]), tonumber(r[1]), start, fence, now, 0 }
