-- Atomic mode (?: step, biz_tag): one statement; then segment_last_id.sql on
-- the same connection gives the new max_id, and the range is [max_id - step, max_id).
-- 0 rows affected: the counter is missing (store_state_lost).
UPDATE {table} SET max_id = LAST_INSERT_ID(max_id + ?) WHERE biz_tag = ?
