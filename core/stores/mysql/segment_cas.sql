-- Compare-and-set mode, write (?: new max_id, biz_tag, old max_id): 1 row: the range is the caller's.
UPDATE {table} SET max_id = ? WHERE biz_tag = ? AND max_id = ?
