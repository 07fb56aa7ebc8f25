-- A segment range from a counter. KEYS[1] = the counter; ARGV[1] = step.
-- A missing counter is {"state_lost"}, never a silent restart from 0 (a Redis
-- restarted without persistence). {"ok", start, end}: the range [start, end).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 'state_lost' }
end
local step = tonumber(ARGV[1])
local v = redis.call('INCRBY', KEYS[1], step)
return { 'ok', v - step, v }
