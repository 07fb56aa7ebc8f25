-- Create a counter if missing: $1 biz_tag, $2 max_id to start at (the floor), $3 step, $4 description.
-- An existing counter is left as it is (never lowered).
INSERT INTO {table} (biz_tag, max_id, step, description) VALUES ($1, $2, $3, $4)
ON CONFLICT (biz_tag) DO NOTHING
