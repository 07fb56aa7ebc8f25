-- One row per node (?: namespace, node); run for node 0..nodes-1 (INSERT IGNORE: idempotent).
INSERT IGNORE INTO idloom_node (namespace, node) VALUES (?, ?)
