-- Create a counter if missing, at the floor ARGV[1]; an existing one is
-- never lowered. Answers the counter's value, or {"invalid_range", "floor",
-- floor} for a floor Lua cannot compute with (not an integer below 2^53 - 1;
-- the bindings refuse earlier, with the step: stores::redis::check_counter_floor).
-- ARGV[2] = "1": guarded. The counter records this server's run_id in
-- KEYS[1] .. ':run_id' (incrby.lua refuses it under another run_id); a
-- guarded counter under another run_id (or not guarded yet) rises to
-- max(counter, floor) and records this run_id; under this run_id it is left
-- as it is. {"invalid_range", "counter", value}: a counter Lua cannot hold.
local floor = idloom_int(ARGV[1])
if not floor then
  return { 'invalid_range', 'floor', ARGV[1] }
end
if ARGV[2] ~= '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
  return redis.call('GET', KEYS[1])
end
local guard, run_id = KEYS[1] .. ':run_id', idloom_run_id()
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', guard, run_id)
elseif redis.call('GET', guard) ~= run_id then
  local v = idloom_int(current)
  if not v then
    return { 'invalid_range', 'counter', current }
  end
  if floor > v then
    redis.call('SET', KEYS[1], ARGV[1])
  end
  redis.call('SET', guard, run_id)
end
return redis.call('GET', KEYS[1])
