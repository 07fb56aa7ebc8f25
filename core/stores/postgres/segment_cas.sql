-- Compare-and-set mode, write: move $1 from $2 to $3 only if nobody did
-- first (one row: the range [$2, $3) is the caller's; zero: read again), and
-- for a guarded counter only under the store identity it recorded (a read
-- after zero rows then says identity_changed; see segment_fetch.sql).
UPDATE {table} AS t SET max_id = $3, update_time = now()
WHERE t.biz_tag = $1 AND t.max_id = $2
  AND ((to_jsonb(t) ->> 'store_identity') IS NULL
       OR (to_jsonb(t) ->> 'store_identity') =
          (SELECT system_identifier::text FROM pg_control_system()) || '/' ||
          (SELECT timeline_id::text FROM pg_control_checkpoint()))
