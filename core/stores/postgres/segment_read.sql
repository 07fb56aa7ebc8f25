-- Compare-and-set mode, read: the current max_id of $1 (zero rows: store_state_lost).
SELECT max_id FROM {table} WHERE biz_tag = $1
