-- name: oom-kills
-- description: OOM kills on one UTC day (the cgroup's oom_kill counter went up between two captures) with the working set of the capture just before.
-- param day: UTC date, YYYY-MM-DD (the dt partition)
-- param cluster: cluster name (the cluster partition; Athena's injected projection needs it)
SELECT
  cluster,
  namespace,
  pod,
  container,
  previous_captured_at AS last_seen_alive_at,
  captured_at AS kill_seen_at,
  oom_kill_count - previous_oom_kill_count AS kills,
  previous_working_set_bytes AS working_set_before_bytes,
  previous_rss_bytes AS rss_before_bytes,
  limit_bytes,
  previous_pct_of_limit AS pct_of_limit_before
FROM (
  SELECT
    cluster,
    namespace,
    pod,
    container,
    captured_at,
    oom_kill_count,
    limit_bytes,
    lag(captured_at) OVER (PARTITION BY cluster, namespace, pod, container ORDER BY captured_at) AS previous_captured_at,
    lag(oom_kill_count) OVER (PARTITION BY cluster, namespace, pod, container ORDER BY captured_at) AS previous_oom_kill_count,
    lag(working_set_bytes) OVER (PARTITION BY cluster, namespace, pod, container ORDER BY captured_at) AS previous_working_set_bytes,
    lag(rss_bytes) OVER (PARTITION BY cluster, namespace, pod, container ORDER BY captured_at) AS previous_rss_bytes,
    lag(working_set_pct_of_limit) OVER (PARTITION BY cluster, namespace, pod, container ORDER BY captured_at) AS previous_pct_of_limit
  FROM discrepancy
  WHERE dt = :day
    AND cluster = :cluster
    AND level = 'container'
    AND oom_kill_count IS NOT NULL
) AS t
WHERE oom_kill_count > previous_oom_kill_count
ORDER BY kill_seen_at, cluster, namespace, pod, container
