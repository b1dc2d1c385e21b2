-- name: merge
-- description: Athena step per (arrival hour, cluster): adds the deduplicated staging rows of that hour to the Iceberg table in one atomic commit. A capture already in the table is left alone (WHEN NOT MATCHED only), so re-running a step, or two steps holding the same capture, never doubles it; readers see the table before or after the commit, never between.
-- {{table}}: the compacted Iceberg table (samples, discrepancy)
-- {{dedupe}}: sql/pipeline/dedupe.sql rendered for the step
-- {{columns}}: the contract columns, then dt and cluster
-- {{values}}: the same list, each prefixed with `s.`
MERGE INTO {{table}} AS t
USING (
{{dedupe}}
) AS s
ON t.dt = s.dt AND t.cluster = s.cluster AND t.node = s.node AND t.captured_at = s.captured_at
WHEN NOT MATCHED THEN INSERT ({{columns}}) VALUES ({{values}})
