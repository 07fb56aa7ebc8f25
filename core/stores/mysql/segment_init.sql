-- Create a counter if missing (?: biz_tag, max_id floor, step, description); never lowered.
INSERT IGNORE INTO {table} (biz_tag, max_id, step, description) VALUES (?, ?, ?, ?)
