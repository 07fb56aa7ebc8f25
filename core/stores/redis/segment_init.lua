-- Create a counter if missing, at the floor ARGV[1]; an existing one is
-- never lowered. Answers the counter's value.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
