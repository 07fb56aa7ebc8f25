-- (shared head of every idloom script; the loader prepends it)
-- Lua computes in doubles: integers are exact only up to 2^53 - 1, and
-- tonumber() of a longer string rounds. Every number a script computes with
-- goes through idloom_int, which answers nil for anything that is not a
-- decimal integer below IDLOOM_MAX_INT (the caller refuses with
-- {"invalid_range", what}). The comparison is exact: rounding is monotonic
-- and IDLOOM_MAX_INT is a double, so a string at or past it never reads as below.
-- Numbers handed back to redis.call are formatted %.17g (exact below 2^53);
-- never tostring() or `..` a large number (%.14g).
local IDLOOM_MAX_INT = 9007199254740991
local function idloom_int(s)
  if type(s) == 'number' then
    if s >= 0 and s < IDLOOM_MAX_INT and s == math.floor(s) then
      return s
    end
    return nil
  end
  if type(s) ~= 'string' or not string.match(s, '^%d+$') then
    return nil
  end
  local v = tonumber(s)
  if v >= IDLOOM_MAX_INT then
    return nil
  end
  return v
end
