-- Create a counter if missing, at the floor ARGV[1]; an existing one is
-- never lowered. Answers the counter's value, or {"invalid_range", "floor",
-- floor} for a floor Lua cannot compute with (not an integer below 2^53 - 1;
-- the bindings refuse earlier, with the step: stores::redis::check_counter_floor).
if not idloom_int(ARGV[1]) then
  return { 'invalid_range', 'floor', ARGV[1] }
end
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
