-- Compare-and-set mode, read (?: biz_tag). Zero rows: store_state_lost.
SELECT max_id FROM {table} WHERE biz_tag = ?
