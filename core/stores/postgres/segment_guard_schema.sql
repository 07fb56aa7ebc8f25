-- The column a guarded counter records its store identity in (NULL: not
-- guarded), added to an existing table (a Leaf `leaf_alloc` too) by the
-- first guarded init_segment. Idempotent.
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS store_identity varchar(64) DEFAULT NULL
