-- Flickr's ticket without REPLACE (which deadlocks under concurrency on
-- InnoDB): the row's id moves on and LAST_INSERT_ID carries it back on this
-- connection (then segment_last_id.sql); the step is the server's
-- auto_increment_increment, so odd and even servers stay odd and even. ?: stub.
INSERT INTO {table} (stub) VALUES (?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id + @@auto_increment_increment)
