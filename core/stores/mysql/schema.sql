-- idloom coordination schema for MariaDB / MySQL, version 1 (idloom::stores::SCHEMA_VERSION).
-- Idempotent: run by `init`, one statement at a time (stores::mysql::SCHEMA).
CREATE TABLE IF NOT EXISTS idloom_schema (
    component varchar(64) NOT NULL PRIMARY KEY,
    version int NOT NULL
) ENGINE=InnoDB;
INSERT IGNORE INTO idloom_schema (component, version) VALUES ('coordination', 1);
CREATE TABLE IF NOT EXISTS idloom_namespace (
    namespace varchar(64) NOT NULL PRIMARY KEY,
    layout varchar(255) NOT NULL,
    nodes int NOT NULL,
    ttl_ms bigint NOT NULL,
    max_skew_ms bigint NOT NULL,
    floor_ms bigint NOT NULL
) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS idloom_node (
    namespace varchar(64) NOT NULL,
    node int NOT NULL,
    holder varchar(255) NOT NULL DEFAULT '',
    epoch bigint NOT NULL DEFAULT 0,
    expires_ms bigint NOT NULL DEFAULT 0,
    start_ms bigint NOT NULL DEFAULT 0,
    fence_ms bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (namespace, node)
) ENGINE=InnoDB;
-- Acquire in O(log n) of the node count (acquire_pick.sql): the
-- soonest-expired free node and the holder's previous node, each by an index
-- and LIMIT 1. Additive (the texts answer the same without them): init adds
-- them to tables made by an older idloom; the schema version stays 1.
-- CREATE INDEX IF NOT EXISTS is MariaDB's (10.1.4+); on MySQL create them once by hand.
CREATE INDEX IF NOT EXISTS idloom_node_expiry ON idloom_node (namespace, expires_ms, node);
CREATE INDEX IF NOT EXISTS idloom_node_holder ON idloom_node (namespace, holder, node)
