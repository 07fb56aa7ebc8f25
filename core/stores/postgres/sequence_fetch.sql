-- One range per call: [v, v + step). A nextval is made durable only with a
-- WAL flush: run it in a transaction that commits a write (or with
-- synchronous_commit on), or a crash can hand the value out again.
SELECT nextval('{table}')
