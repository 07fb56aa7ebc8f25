-- idloom coordination schema for PostgreSQL, version 1 (idloom::stores::SCHEMA_VERSION).
-- Idempotent: run by `init`. Leases live in idloom_namespace / idloom_node;
-- segment counters in a Leaf-compatible table (segment_schema.sql).
CREATE TABLE IF NOT EXISTS idloom_schema (
    component text PRIMARY KEY,
    version integer NOT NULL
);
INSERT INTO idloom_schema (component, version) VALUES ('coordination', 1) ON CONFLICT (component) DO NOTHING;
CREATE TABLE IF NOT EXISTS idloom_namespace (
    namespace text PRIMARY KEY,
    layout text NOT NULL,
    nodes integer NOT NULL,
    ttl_ms bigint NOT NULL,
    max_skew_ms bigint NOT NULL,
    floor_ms bigint NOT NULL,
    store_identity text NOT NULL
);
CREATE TABLE IF NOT EXISTS idloom_node (
    namespace text NOT NULL,
    node integer NOT NULL,
    holder text NOT NULL DEFAULT '',
    epoch bigint NOT NULL DEFAULT 0,
    expires_ms bigint NOT NULL DEFAULT 0,
    start_ms bigint NOT NULL DEFAULT 0,
    fence_ms bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (namespace, node)
);
-- Acquire in O(log n) of the node count: the soonest-expired free node, and
-- the holder's own previous node (sticky), each by an index and LIMIT 1.
-- Additive (the texts answer the same without them): init adds them to
-- tables made by an older idloom, and the schema version stays 1.
CREATE INDEX IF NOT EXISTS idloom_node_expiry ON idloom_node (namespace, expires_ms, node);
CREATE INDEX IF NOT EXISTS idloom_node_holder ON idloom_node (namespace, holder, node);
