-- Node rows first..end-1 of a namespace in one statement (?: namespace,
-- first, first, end; end - first at most 1,000): run for first = 0, 1000,
-- 2000, ... below the node count, after node_get.sql found no row for the
-- last node (the rows exist). INSERT IGNORE: idempotent. A cross join of
-- digits, not a recursive CTE: no server recursion limit applies.
INSERT IGNORE INTO idloom_node (namespace, node)
SELECT ?, ? + a.d + 10 * b.d + 100 * c.d
FROM (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS a,
     (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS b,
     (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS c
WHERE ? + a.d + 10 * b.d + 100 * c.d < ?
