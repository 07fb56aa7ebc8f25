-- Compare-and-set mode, write: move $1 from $2 to $3 only if nobody did
-- first (one row: the range [$2, $3) is the caller's; zero: read again).
UPDATE {table} SET max_id = $3, update_time = now() WHERE biz_tag = $1 AND max_id = $2
