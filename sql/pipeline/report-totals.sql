-- name: report-totals
-- description: The daily report's totals for one (dt, cluster), counted in SQL over trends_daily: one row, whatever the cluster's size. The *_rows counts are the rows each report table would list in full (the report shows the first few of each, report-lists.sql).
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
-- param near_pct: the near-limit threshold, percent of the limit (working-set max at or above it)
SELECT
  coalesce(sum(samples), 0) AS discrepancy_rows,
  count_if(level = 'pod') AS pods,
  count_if(level = 'container') AS containers,
  count(DISTINCT node) AS nodes,
  count_if(level = 'container' AND leak_suspect) AS leak_suspects,
  count_if(level = 'container' AND container IS DISTINCT FROM 'POD' AND max_pct_of_limit >= CAST(:near_pct AS double)) AS near_limit,
  coalesce(sum(CASE WHEN level = 'container' THEN oom_kills END), 0) AS oom_kills,
  count_if(level = 'pod' AND gap_max > 4096) AS top_gap_rows,
  count_if(container IS DISTINCT FROM 'POD' AND max_pct_of_limit >= CAST(:near_pct AS double)) AS near_limit_rows,
  count_if(leak_suspect) AS leak_rows,
  count_if(level = 'container' AND oom_kills > 0) AS oom_rows,
  count_if(level = 'container' AND recommended_limit_bytes IS NOT NULL AND recommended_request_bytes IS NOT NULL) AS right_sizing_rows
FROM trends_daily
WHERE dt = :dt AND cluster = :cluster
