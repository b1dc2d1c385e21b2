-- name: report-lists
-- description: The first rows of each table of the daily report of one (dt, cluster), from trends_daily, tagged by section and numbered in report order: top gaps (pods by widest gap), near the limit, leak suspects, OOM kills, right-sizing (largest change of limit first). At most :n rows per section, so the result is bounded whatever the cluster's size; report-totals.sql counts the rest.
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
-- param near_pct: the near-limit threshold, percent of the limit
-- param n: rows per section (top gaps take their own, smaller, number from the report)
WITH t AS (
  SELECT * FROM trends_daily WHERE dt = :dt AND cluster = :cluster
),
picked AS (
  SELECT 'top-gaps' AS section, row_number() OVER (ORDER BY gap_max DESC, namespace, pod, level DESC, container, node) AS pos, t.*
  FROM t WHERE level = 'pod' AND gap_max > 4096
  UNION ALL
  SELECT 'near-limit' AS section, row_number() OVER (ORDER BY max_pct_of_limit DESC, namespace, pod, level DESC, container, node) AS pos, t.*
  FROM t WHERE container IS DISTINCT FROM 'POD' AND max_pct_of_limit >= CAST(:near_pct AS double)
  UNION ALL
  SELECT 'leaks' AS section, row_number() OVER (ORDER BY leak_slope_bytes_per_hour DESC, namespace, pod, level DESC, container, node) AS pos, t.*
  FROM t WHERE leak_suspect
  UNION ALL
  SELECT 'ooms' AS section, row_number() OVER (ORDER BY oom_kills DESC, namespace, pod, level DESC, container, node) AS pos, t.*
  FROM t WHERE level = 'container' AND oom_kills > 0
  UNION ALL
  SELECT 'right-sizing' AS section, row_number() OVER (ORDER BY abs(coalesce(limit_bytes, 0) - recommended_limit_bytes) DESC, namespace, pod, level DESC, container, node) AS pos, t.*
  FROM t WHERE level = 'container' AND recommended_limit_bytes IS NOT NULL AND recommended_request_bytes IS NOT NULL
)
SELECT *
FROM picked
WHERE pos <= CAST(:n AS bigint)
ORDER BY section, pos
