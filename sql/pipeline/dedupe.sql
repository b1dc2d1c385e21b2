-- name: dedupe
-- description: The staging rows to add to one compacted table: per capture (cluster, node, captured_at) the rows of exactly one staging batch, the greatest batch_id among those holding it. A capture re-delivered in several batches, or a batch retried into another arrival hour, therefore counts once. Trino (Athena engine 3) dialect; DuckDB runs it through src/query/translate.ts.
-- {{columns}}: the table's contract columns, then dt and cluster
-- {{staging}}: the staging relation (columns: contract + dt, cluster, batch_id)
-- {{where}}: which staging rows this step consumes (an arrival hour and a cluster on Athena; a dt locally)
SELECT {{columns}}
FROM (
  SELECT
    staged.*,
    max(staged.batch_id) OVER (PARTITION BY staged.cluster, staged.node, staged.captured_at) AS kept_batch_id
  FROM {{staging}} AS staged
  WHERE {{where}}
) AS ranked
WHERE ranked.batch_id = ranked.kept_batch_id
