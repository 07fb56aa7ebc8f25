-- Compare-and-set mode, read: the current max_id of $1 (zero rows:
-- store_state_lost) and whether it is guarded under another store identity
-- (identity_changed: store_state_lost too; see segment_fetch.sql).
SELECT t.max_id,
       coalesce((to_jsonb(t) ->> 'store_identity') <>
                (SELECT system_identifier::text FROM pg_control_system()) || '/' ||
                (SELECT timeline_id::text FROM pg_control_checkpoint()), false) AS identity_changed
FROM {table} AS t WHERE t.biz_tag = $1
