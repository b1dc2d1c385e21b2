-- name: pod-timeline
-- description: One pod's containers capture by capture on one UTC day: what each tool showed, the cgroup breakdown behind it and why they differ.
-- param day: UTC date, YYYY-MM-DD (the dt partition)
-- param cluster: cluster name (the cluster partition; Athena's injected projection needs it)
-- param namespace: the pod's namespace
-- param pod: the pod's name
SELECT
  captured_at,
  cluster,
  node,
  container,
  kubectl_top_bytes,
  docker_stats_bytes,
  gap_bytes,
  cause,
  usage_bytes,
  working_set_bytes,
  rss_bytes,
  cache_bytes,
  active_file_bytes,
  inactive_file_bytes,
  shmem_bytes,
  limit_bytes,
  working_set_pct_of_limit,
  oom_kill_count,
  flags
FROM discrepancy
WHERE dt = :day
  AND cluster = :cluster
  AND namespace = :namespace
  AND pod = :pod
  AND level = 'container'
ORDER BY captured_at, container
