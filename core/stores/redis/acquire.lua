-- Lease a node. KEYS[1] = {idloom:NS}:ns; node records are {idloom:NS}:node:K
-- (hash: holder, epoch, expires_ms, start_ms, fence_ms). ARGV: holder,
-- proposed fence. Answers {"state_lost"} (no namespace), {"no_free_node"},
-- {"invalid_range", what, value} (a number Lua cannot hold: see ints.lua),
-- or {"ok", node, epoch, start_ms, fence_ms, store_now_ms, identity_changed}
-- (1: the server's run_id was not the namespace's, so the floor rose first:
-- the event store_identity_changed; else 0). Same rules as
-- the SQL: sticky first, epoch + 1, start = max(fence, floor),
-- fence = max(start, min(proposed, store now + ttl + max_skew)): a holder
-- cannot push a node's fence further than one lease ahead of the store's clock.
--
-- O(log n) in the node count, never a scan: an index of two keys beside the
-- node records, {idloom:NS}:expiry (sorted set: node -> expires_ms) and
-- {idloom:NS}:holders (hash: holder -> its last node), and the record's
-- `next`: nodes from `next` on were never indexed (never leased by these
-- scripts; a namespace made by an older idloom starts at 0). The node
-- records stay the truth: an index entry is checked against its record
-- before it is used (an older script may have leased the node), and a stale
-- one is corrected, so each entry is fixed at most once.
local now = idloom_now()
local ns = idloom_namespace(KEYS[1], now)
if not ns then
  return { 'state_lost' }
end
local proposed = idloom_int(ARGV[2])
if not proposed then
  return { 'invalid_range', 'proposed_fence_ms', ARGV[2] }
end
local base = string.sub(KEYS[1], 1, -3)
local prefix, expiry, holders = base .. 'node:', base .. 'expiry', base .. 'holders'
local function expires(k)
  return tonumber(redis.call('HGET', prefix .. k, 'expires_ms') or '0')
end
local pick = nil
-- 1. The holder's previous node, if it is free (sticky restarts).
local mine = redis.call('HGET', holders, ARGV[1])
if mine then
  local k = tonumber(mine)
  local r = redis.call('HMGET', prefix .. mine, 'holder', 'expires_ms')
  if k and k < ns.nodes and r[1] == ARGV[1] and tonumber(r[2] or '0') <= now then
    pick = k
  end
end
-- 2. The indexed node that expired first.
while not pick do
  local z = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 1)
  if #z == 0 then
    break
  end
  local k, e = tonumber(z[1]), expires(z[1])
  if e <= now and k < ns.nodes then
    pick = k
  elseif k < ns.nodes then
    redis.call('ZADD', expiry, e, z[1])
  else
    redis.call('ZREM', expiry, z[1])
  end
end
-- 3. A node never indexed; one leased meanwhile by an older script is indexed and skipped.
local nxt = ns.next
while not pick and nxt < ns.nodes do
  local k = nxt
  nxt = nxt + 1
  local e = expires(k)
  if e <= now then
    pick = k
  else
    redis.call('ZADD', expiry, e, k)
  end
end
if nxt ~= ns.next then
  redis.call('HSET', KEYS[1], 'next', nxt)
end
if not pick then
  return { 'no_free_node' }
end
local key = prefix .. pick
local r = redis.call('HMGET', key, 'epoch', 'fence_ms', 'holder')
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
redis.call('ZADD', expiry, now + ns.ttl, pick)
-- The previous holder's sticky entry goes with its node; the new holder's points here.
if r[3] and r[3] ~= ARGV[1] and tonumber(redis.call('HGET', holders, r[3]) or '-1') == pick then
  redis.call('HDEL', holders, r[3])
end
redis.call('HSET', holders, ARGV[1], pick)
return { 'ok', pick, epoch, start, fence, now, ns.changed }
