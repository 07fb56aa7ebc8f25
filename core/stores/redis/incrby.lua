-- A segment range from a counter. KEYS[1] = the counter; ARGV[1] = step.
-- A missing counter is {"state_lost"}, never a silent restart from 0 (a Redis
-- restarted without persistence). {"ok", start, end}: the range [start, end).
-- A guarded counter (segment_init.lua with guard) has the run_id it was
-- guarded under in KEYS[1] .. ':run_id' (same hash tag: same Cluster slot);
-- under another run_id (a restart, a restore, a failover) it is
-- {"state_lost", "store_identity"} and nothing moves.
-- Lua holds integers exactly only below 2^53: the counter is read and checked
-- before INCRBY, and a counter at or past 2^53 - 1 - step (or a step that is
-- not an integer below 2^53) is {"invalid_range", "counter" | "step", value}
-- with the counter left as it is. A counter there stays refused (a smaller
-- step may still fit below the edge); nothing is ever computed past it.
local current = redis.call('GET', KEYS[1])
if not current then
  return { 'state_lost' }
end
local guard = redis.call('GET', KEYS[1] .. ':run_id')
if guard and guard ~= idloom_run_id() then
  return { 'state_lost', 'store_identity' }
end
local step = idloom_int(ARGV[1])
if not step then
  return { 'invalid_range', 'step', ARGV[1] }
end
local v = idloom_int(current)
if not v or v >= IDLOOM_MAX_INT - step then
  return { 'invalid_range', 'counter', current }
end
local e = redis.call('INCRBY', KEYS[1], step)
return { 'ok', e - step, e }
