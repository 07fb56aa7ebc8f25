-- Create or re-initialise a guarded counter: $1 biz_tag, $2 floor, $3 step,
-- $4 description. A missing counter starts at the floor with the store's
-- identity (system_identifier/timeline). An existing one recorded under
-- another identity (or not guarded yet) rises to max(max_id, floor), never
-- lowered, and records this identity; one under this identity is left as it
-- is. The operator gives a floor above every ID handed out before a restore.
INSERT INTO {table} AS t (biz_tag, max_id, step, description, store_identity)
VALUES ($1, $2, $3, $4,
        (SELECT system_identifier::text FROM pg_control_system()) || '/' ||
        (SELECT timeline_id::text FROM pg_control_checkpoint()))
ON CONFLICT (biz_tag) DO UPDATE
SET max_id = greatest(t.max_id, EXCLUDED.max_id), store_identity = EXCLUDED.store_identity, update_time = now()
WHERE t.store_identity IS DISTINCT FROM EXCLUDED.store_identity
