-- Atomic mode: take $2 counters of $1 in one statement; the range is
-- [start, end). Zero rows: the counter is missing (store_state_lost).
-- A guarded counter (store_identity set by segment_init_guard.sql) moves only
-- while the store's identity (system_identifier/timeline, as acquire.sql
-- reads it) is the one it recorded; otherwise one row of NULLs: the store
-- identity changed (a restore, a promotion): store_state_lost, nothing moved.
-- The column is read through to_jsonb(t), so a table made by older texts
-- (a Leaf `leaf_alloc` without it) works unchanged: every counter unguarded.
WITH taken AS (
    UPDATE {table} AS t SET max_id = t.max_id + $2, update_time = now()
    WHERE t.biz_tag = $1
      AND ((to_jsonb(t) ->> 'store_identity') IS NULL
           OR (to_jsonb(t) ->> 'store_identity') =
              (SELECT system_identifier::text FROM pg_control_system()) || '/' ||
              (SELECT timeline_id::text FROM pg_control_checkpoint()))
    RETURNING t.max_id - $2 AS range_start, t.max_id AS range_end
)
SELECT range_start, range_end FROM taken
UNION ALL
SELECT NULL, NULL FROM {table} AS t WHERE t.biz_tag = $1 AND NOT EXISTS (SELECT 1 FROM taken)
