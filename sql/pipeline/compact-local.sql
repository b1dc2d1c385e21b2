-- name: compact-local
-- description: Local step per (table, dt, cluster), DuckDB: the partition's current file (if any) plus the deduplicated staging rows of captures it does not hold yet, written sorted to a temporary file that then replaces data.parquet by rename. Same dedupe and the same NOT MATCHED rule as the Athena MERGE, so both stores hold the same rows.
-- {{existing}}: the partition's current rows (contract columns), or an empty relation
-- {{dedupe}}: sql/pipeline/dedupe.sql rendered for this dt and cluster (contract columns + dt, cluster)
-- {{contract}}: the contract columns only (the partition keys live in the path, never in the file)
-- {{target}}: the temporary output file
-- {{options}}: Parquet writer options
COPY (
  SELECT {{contract}} FROM {{existing}} AS t
  UNION ALL
  SELECT {{contract}} FROM (
{{dedupe}}
  ) AS s
  WHERE NOT EXISTS (SELECT 1 FROM {{existing}} AS t WHERE t.node = s.node AND t.captured_at = s.captured_at)
  ORDER BY node, captured_at
) TO {{target}} ({{options}})
