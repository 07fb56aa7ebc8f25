-- A Flickr ticket table ({table}), one row per stub; the auto-increment is
-- the counter. Two servers: auto_increment_increment = 2, offsets 1 and 2.
CREATE TABLE IF NOT EXISTS {table} (
    id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
    stub char(1) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    UNIQUE KEY stub (stub)
) ENGINE=InnoDB
