-- A Leaf-compatible segment table ({table} is the configured name, checked
-- as an identifier): an existing Leaf `leaf_alloc` works unchanged.
CREATE TABLE IF NOT EXISTS {table} (
    biz_tag varchar(128) NOT NULL PRIMARY KEY,
    max_id bigint NOT NULL DEFAULT 1,
    step integer NOT NULL,
    description varchar(256) DEFAULT NULL,
    update_time timestamp NOT NULL DEFAULT now()
)
