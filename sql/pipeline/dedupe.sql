-- name: dedupe
-- description: The staging rows to add to one compacted table: per capture (cluster, node, captured_at) the rows of exactly one staging batch, the greatest batch_id among those holding it. A capture re-delivered in several batches, or a batch retried into another arrival hour, therefore counts once. Trino (Athena engine 3) dialect; DuckDB runs it through src/query/translate.ts. The kept batch comes from a GROUP BY joined back (a hash aggregate and a hash join), not a window over every row.
-- {{columns}}: the table's contract columns, then dt and cluster
-- {{staging}}: the staging relation (columns: contract + dt, cluster, batch_id)
-- {{where}}: which staging rows this step consumes (an arrival hour and a cluster on Athena; a dt and a cluster locally), written on the alias `staged`
SELECT {{columns}}
FROM {{staging}} AS staged
JOIN (
  SELECT staged.cluster AS k_cluster, staged.node AS k_node, staged.captured_at AS k_captured_at, max(staged.batch_id) AS k_batch_id
  FROM {{staging}} AS staged
  WHERE {{where}}
  GROUP BY staged.cluster, staged.node, staged.captured_at
) AS kept
  ON staged.cluster = kept.k_cluster AND staged.node = kept.k_node AND staged.captured_at = kept.k_captured_at AND staged.batch_id = kept.k_batch_id
WHERE {{where}}
