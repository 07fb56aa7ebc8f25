-- (shared head of every idloom script; the loader prepends it)
-- The store's clock and identity, from the server itself: TIME and the
-- run_id of INFO server (a restart, a restore or a failover changes it).
local function idloom_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function idloom_run_id()
  return string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
end
-- A namespace's record as stored (run_id: the one it last saw), read only;
-- a record whose numbers are not integers below 2^53 reads as missing (nil).
local function idloom_namespace_read(key)
  local ns = redis.call('HMGET', key, 'ttl_ms', 'max_skew_ms', 'floor_ms', 'run_id', 'nodes', 'next')
  if not ns[1] then
    return nil
  end
  local ttl, skew, floor = idloom_int(ns[1]), idloom_int(ns[2]), idloom_int(ns[3])
  if not (ttl and skew and floor) then
    return nil
  end
  -- next: the first node acquire.lua never indexed (absent: 0, a namespace made by an older idloom).
  return { ttl = ttl, skew = skew, floor = floor, run_id = ns[4], nodes = tonumber(ns[5]),
    next = idloom_int(ns[6] or '0') or 0 }
end
-- A namespace's record; on another run_id the floor rises first
-- (store now + ttl + max_skew), the new run_id is kept and `changed` is 1
-- (else 0). Missing or unreadable: nil.
local function idloom_namespace(key, now)
  local ns = idloom_namespace_read(key)
  if not ns then
    return nil
  end
  local run_id = idloom_run_id()
  ns.changed = 0
  if ns.run_id ~= run_id then
    ns.floor = math.max(ns.floor, now + ns.ttl + ns.skew)
    ns.run_id = run_id
    redis.call('HSET', key, 'floor_ms', ns.floor, 'run_id', run_id)
    ns.changed = 1
  end
  return ns
end
