-- name: top-gaps
-- description: The 20 containers where kubectl top and docker stats disagree most on one UTC day, with the gap split into its causes.
-- param day: UTC date, YYYY-MM-DD (the dt partition)
-- param cluster: cluster name (the cluster partition; Athena's injected projection needs it)
SELECT
  cluster,
  namespace,
  pod,
  container,
  captured_at,
  kubectl_top_bytes,
  docker_stats_bytes,
  gap_bytes,
  gap_page_cache_bytes,
  gap_rounding_bytes,
  gap_skew_bytes,
  gap_residual_bytes,
  cause,
  docker_formula
FROM discrepancy
WHERE dt = :day
  AND cluster = :cluster
  AND level = 'container'
  AND gap_bytes IS NOT NULL
ORDER BY abs(gap_bytes) DESC, cluster, namespace, pod, container, captured_at
LIMIT 20
