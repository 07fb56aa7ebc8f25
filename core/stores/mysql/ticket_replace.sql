-- Flickr's original form (?: stub), for existing ticket servers; then
-- segment_last_id.sql. Prefer ticket_next.sql: REPLACE deadlocks under load on InnoDB.
REPLACE INTO {table} (stub) VALUES (?)
