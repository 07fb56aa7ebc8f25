-- One range per call: [v, v + step). A nextval is not flushed to the WAL by
-- itself, so a crash could hand the value out again; txid_current() gives the
-- transaction an ID, and its commit then waits for the flush (with
-- synchronous_commit on, the default): run it in its own transaction.
SELECT nextval('{table}'), txid_current()
