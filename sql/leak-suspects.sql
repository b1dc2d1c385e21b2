-- name: leak-suspects
-- description: Containers whose anonymous memory (RSS) grew steadily over one UTC day: least-squares slope above a floor, R² of the straight-line fit at least 0.8 (as the trends leak rule).
-- param day: UTC date, YYYY-MM-DD (the dt partition)
-- param cluster: cluster name (the cluster partition; Athena's injected projection needs it)
-- param min_mib_per_hour: smallest RSS growth, in MiB per hour, worth reporting
SELECT
  cluster,
  namespace,
  pod,
  container,
  count(*) AS captures,
  min(rss_bytes) AS min_rss_bytes,
  max(rss_bytes) AS max_rss_bytes,
  regr_slope(rss_bytes, to_unixtime(captured_at)) * 3600 AS rss_slope_bytes_per_hour,
  regr_r2(rss_bytes, to_unixtime(captured_at)) AS fit_r2,
  max(limit_bytes) AS limit_bytes
FROM discrepancy
WHERE dt = :day
  AND cluster = :cluster
  AND level = 'container'
  AND rss_bytes IS NOT NULL
GROUP BY cluster, namespace, pod, container
HAVING count(*) >= 6
  AND regr_slope(rss_bytes, to_unixtime(captured_at)) * 3600 >= :min_mib_per_hour * 1048576
  AND regr_r2(rss_bytes, to_unixtime(captured_at)) >= 0.8
ORDER BY rss_slope_bytes_per_hour DESC, cluster, namespace, pod, container
