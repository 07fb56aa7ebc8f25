-- Create a namespace if missing. KEYS[1] = {idloom:NS}:ns (the hash tag puts
-- every key of a namespace on one Cluster slot). ARGV: layout, nodes, ttl_ms,
-- max_skew_ms, fresh ("1": floor 0; else store now + ttl + skew).
-- Answers the record: {layout, nodes, ttl_ms, max_skew_ms, floor_ms}; an
-- error reply for a ttl or skew that is not an integer below 2^53 (ints.lua).
local now = idloom_now()
if not (idloom_int(ARGV[3]) and idloom_int(ARGV[4])) then
  return redis.error_reply('idloom: ttl_ms and max_skew_ms must be integers below 2^53')
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  local floor = 0
  if ARGV[5] ~= '1' then
    floor = now + idloom_int(ARGV[3]) + idloom_int(ARGV[4])
  end
  redis.call('HSET', KEYS[1], 'layout', ARGV[1], 'nodes', ARGV[2], 'ttl_ms', ARGV[3], 'max_skew_ms', ARGV[4],
    'floor_ms', floor, 'run_id', idloom_run_id(), 'schema', '1', 'next', 0)
end
return redis.call('HMGET', KEYS[1], 'layout', 'nodes', 'ttl_ms', 'max_skew_ms', 'floor_ms')
