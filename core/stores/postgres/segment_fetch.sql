-- Atomic mode: take $2 counters of $1 in one statement; the range is
-- [start, end). Zero rows: the counter is missing (store_state_lost).
UPDATE {table} SET max_id = max_id + $2, update_time = now() WHERE biz_tag = $1
RETURNING max_id - $2 AS range_start, max_id AS range_end
