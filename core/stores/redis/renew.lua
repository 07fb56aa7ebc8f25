-- Renew. KEYS[1] = {idloom:NS}:ns. ARGV: node, epoch, holder, proposed fence.
-- Only under the same epoch and holder: {"lease_lost"} otherwise;
-- {"ok", node, epoch, start_ms, fence_ms, store_now_ms, identity_changed} on
-- success (identity_changed 1: this call found another run_id and raised the
-- namespace floor first, as acquire.lua does), with
-- fence = max(fence, min(proposed, store now + ttl + max_skew)) (a holder
-- cannot push the fence further than one lease ahead of the store's clock);
-- {"invalid_range", what, value}: a number Lua cannot hold (ints.lua).
-- The node's score in {idloom:NS}:expiry (acquire.lua's index) follows.
local now = idloom_now()
local ns = idloom_namespace(KEYS[1], now)
if not ns then
  return { 'state_lost' }
end
local key = string.sub(KEYS[1], 1, -3) .. 'node:' .. ARGV[1]
local r = redis.call('HMGET', key, 'epoch', 'holder', 'start_ms', 'fence_ms')
if r[1] ~= ARGV[2] or r[2] ~= ARGV[3] then
  return { 'lease_lost' }
end
local proposed = idloom_int(ARGV[4])
if not proposed then
  return { 'invalid_range', 'proposed_fence_ms', ARGV[4] }
end
local old = idloom_int(r[4])
if not old then
  return { 'invalid_range', 'fence_ms', r[4] }
end
local fence = math.max(old, math.min(proposed, now + ns.ttl + ns.skew))
redis.call('HSET', key, 'expires_ms', now + ns.ttl, 'fence_ms', fence)
redis.call('ZADD', string.sub(KEYS[1], 1, -3) .. 'expiry', now + ns.ttl, ARGV[1])
return { 'ok', tonumber(ARGV[1]), tonumber(r[1]), tonumber(r[3]), fence, now, ns.changed }
