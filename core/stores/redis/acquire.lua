-- Lease a node. KEYS[1] = {idloom:NS}:ns; node records are {idloom:NS}:node:K
-- (hash: holder, epoch, expires_ms, start_ms, fence_ms). ARGV: holder,
-- proposed fence. Answers {"state_lost"} (no namespace), {"no_free_node"},
-- or {"ok", node, epoch, start_ms, fence_ms, store_now_ms}. Same rules as
-- the SQL: sticky first, epoch + 1, start = max(fence, floor), fence = max(start, proposed).
local now = idloom_now()
local ns = idloom_namespace(KEYS[1], now)
if not ns then
  return { 'state_lost' }
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
local epoch = tonumber(r[1] or '0') + 1
local start = math.max(tonumber(r[2] or '0'), ns.floor)
local fence = math.max(start, tonumber(ARGV[2]))
redis.call('HSET', key, 'holder', ARGV[1], 'epoch', epoch, 'expires_ms', now + ns.ttl, 'start_ms', start, 'fence_ms', fence)
return { 'ok', pick, epoch, start, fence, now }
