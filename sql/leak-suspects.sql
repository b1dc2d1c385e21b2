-- name: leak-suspects
-- description: Containers whose unreclaimable memory grew steadily over one UTC day, by the trends leak rule (docs/trends.md): RSS (anonymous), tmpfs/shmem, or the two together, measured over at least 6 h with at least 12 captures, least-squares slope at least 1 MiB/h (and at least min_mib_per_hour), R² of the straight-line fit at least 0.8, and growth over the span at least max(16 MiB, 10 % of the day's minimum). Page cache never counts; the pause container never is a suspect. leak_memory names what grows (rss, shmem, rss+shmem), slope_bytes_per_hour and fit_r2 are its fit.
-- param day: UTC date, YYYY-MM-DD (the dt partition)
-- param cluster: cluster name (the cluster partition; Athena's injected projection needs it)
-- param min_mib_per_hour: smallest growth, in MiB per hour, worth reporting (the rule's own floor is 1)
WITH d AS (
  SELECT cluster, node, namespace, pod, pod_uid, container, captured_at, limit_bytes,
    rss_bytes AS rss,
    shmem_bytes AS shmem,
    CASE WHEN rss_bytes IS NOT NULL THEN rss_bytes + coalesce(shmem_bytes, 0) END AS unrec,
    -- x of the fits: hours since 00:00 UTC
    (to_unixtime(captured_at) - to_unixtime(CAST(:day AS timestamp))) / 3600e0 AS h
  FROM discrepancy
  WHERE dt = :day
    AND cluster = :cluster
    AND level = 'container'
    AND container IS DISTINCT FROM 'POD'
),
f AS (
  SELECT cluster, node, namespace, pod, pod_uid, container,
    count(*) AS captures,
    -- the last limit of the day (-1 stands for NULL: max_by treats a NULL value differently in Trino and DuckDB)
    nullif(max_by(coalesce(limit_bytes, -1), captured_at), -1) AS limit_bytes,
    count(rss) AS rss_n,
    max(CASE WHEN rss IS NOT NULL THEN h END) - min(CASE WHEN rss IS NOT NULL THEN h END) AS rss_span,
    regr_slope(rss, h) AS rss_slope,
    power(corr(rss, h), 2) AS rss_r2,
    min(rss) AS min_rss_bytes,
    max(rss) AS max_rss_bytes,
    count(shmem) AS shmem_n,
    max(CASE WHEN shmem IS NOT NULL THEN h END) - min(CASE WHEN shmem IS NOT NULL THEN h END) AS shmem_span,
    regr_slope(shmem, h) AS shmem_slope,
    power(corr(shmem, h), 2) AS shmem_r2,
    min(shmem) AS min_shmem_bytes,
    max(shmem) AS max_shmem_bytes,
    count(unrec) AS unrec_n,
    max(CASE WHEN unrec IS NOT NULL THEN h END) - min(CASE WHEN unrec IS NOT NULL THEN h END) AS unrec_span,
    regr_slope(unrec, h) AS unrec_slope,
    power(corr(unrec, h), 2) AS unrec_r2,
    min(unrec) AS unrec_min
  FROM d
  GROUP BY cluster, node, namespace, pod, pod_uid, container
),
l AS (
  SELECT f.*,
    rss_n >= 12 AND rss_span >= 6 AND rss_slope >= 1048576 AND rss_r2 >= 0.8
      AND rss_slope * rss_span >= greatest(16777216, 0.1e0 * min_rss_bytes) AS rss_leak,
    shmem_n >= 12 AND shmem_span >= 6 AND shmem_slope >= 1048576 AND shmem_r2 >= 0.8
      AND shmem_slope * shmem_span >= greatest(16777216, 0.1e0 * min_shmem_bytes) AS shmem_leak,
    unrec_n >= 12 AND unrec_span >= 6 AND unrec_slope >= 1048576 AND unrec_r2 >= 0.8
      AND unrec_slope * unrec_span >= greatest(16777216, 0.1e0 * unrec_min) AS unrec_leak
  FROM f
),
k AS (
  SELECT l.*,
    CASE
      WHEN rss_leak AND shmem_leak THEN 'rss+shmem'
      WHEN rss_leak THEN 'rss'
      WHEN shmem_leak THEN 'shmem'
      WHEN unrec_leak THEN 'rss+shmem'
    END AS leak_memory
  FROM l
),
s AS (
  SELECT k.*,
    CASE leak_memory WHEN 'rss' THEN rss_slope WHEN 'shmem' THEN shmem_slope WHEN 'rss+shmem' THEN unrec_slope END AS slope_bytes_per_hour,
    CASE leak_memory WHEN 'rss' THEN rss_r2 WHEN 'shmem' THEN shmem_r2 WHEN 'rss+shmem' THEN unrec_r2 END AS fit_r2
  FROM k
  WHERE leak_memory IS NOT NULL
)
SELECT
  cluster,
  namespace,
  pod,
  container,
  node,
  captures,
  leak_memory,
  slope_bytes_per_hour,
  fit_r2,
  rss_slope AS rss_slope_bytes_per_hour,
  shmem_slope AS shmem_slope_bytes_per_hour,
  min_rss_bytes,
  max_rss_bytes,
  min_shmem_bytes,
  max_shmem_bytes,
  limit_bytes
FROM s
WHERE slope_bytes_per_hour >= :min_mib_per_hour * 1048576
ORDER BY slope_bytes_per_hour DESC, cluster, namespace, pod, container, node
