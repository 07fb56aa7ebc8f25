-- Lease a node. KEYS[1] = {idloom:NS}:ns; node records are {idloom:NS}:node:K
-- (hash: holder, epoch, expires_ms, start_ms, fence_ms). ARGV: holder,
-- proposed fence. Answers {"state_lost"} (no namespace), {"no_free_node"},
-- {"invalid_range", what, value} (a number Lua cannot hold: see ints.lua),
-- or {"ok", node, epoch, start_ms, fence_ms, store_now_ms}. Same rules as
-- the SQL: sticky first, epoch + 1, start = max(fence, floor),
-- fence = max(start, min(proposed, store now + ttl + max_skew)): a holder
-- cannot push a node's fence further than one lease ahead of the store's clock.
local now = idloom_now()
local ns = idloom_namespace(KEYS[1], now)
if not ns then
  return { 'state_lost' }
end
local proposed = idloom_int(ARGV[2])
if not proposed then
  return { 'invalid_range', 'proposed_fence_ms', ARGV[2] }
end
local prefix = string.sub(KEYS[1], 1, -3) .. 'node:'
local pick = nil
for k = 0, ns.nodes - 1 do
  local r = redis.call('HMGET', prefix .. k, 'holder', 'expires_ms')
  if tonumber(r[2] or '0') <= now then
    if r[1] == ARGV[1] then
      pick = k
      break
    end
    if not pick then
      pick = k
    end
  end
end
if not pick then
  return { 'no_free_node' }
end
local key = prefix .. pick
local r = redis.call('HMGET', key, 'epoch', 'fence_ms')
local epoch = idloom_int(r[1] or '0')
local old = idloom_int(r[2] or '0')
if not epoch or epoch + 1 >= IDLOOM_MAX_INT then
  return { 'invalid_range', 'epoch', r[1] }
end
if not old then
  return { 'invalid_range', 'fence_ms', r[2] }
end
epoch = epoch + 1
local start = math.max(old, ns.floor)
local fence = math.max(start, math.min(proposed, now + ns.ttl + ns.skew))
redis.call('HSET', key, 'holder', ARGV[1], 'epoch', epoch, 'expires_ms', now + ns.ttl, 'start_ms', start, 'fence_ms', fence)
return { 'ok', pick, epoch, start, fence, now }
