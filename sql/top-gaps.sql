-- name: top-gaps
-- description: The 20 pods where kubectl top and docker stats disagree most on one UTC day: one row per pod, its worst capture (largest |gap|), with the gap split into its causes.
-- param day: UTC date, YYYY-MM-DD (the dt partition)
-- param cluster: cluster name (the cluster partition; Athena's injected projection needs it)
--
-- Pod rows (level = 'pod'): kubectl top pod's figure (the app containers' working sets summed)
-- against docker stats summed over the same containers (pause excluded). Of each pod's captures
-- that day the one with the largest |gap| is kept (ties: the earliest); `captures_with_gap` says
-- how many captures of the pod had both figures.
SELECT
  cluster,
  namespace,
  pod,
  node,
  captured_at,
  captures_with_gap,
  kubectl_top_bytes,
  docker_stats_bytes,
  gap_bytes,
  gap_page_cache_bytes,
  gap_rounding_bytes,
  gap_skew_bytes,
  gap_residual_bytes,
  cause,
  docker_formula
FROM (
  SELECT
    cluster, namespace, pod, node, captured_at, kubectl_top_bytes, docker_stats_bytes, gap_bytes,
    gap_page_cache_bytes, gap_rounding_bytes, gap_skew_bytes, gap_residual_bytes, cause, docker_formula,
    row_number() OVER (PARTITION BY cluster, namespace, pod ORDER BY abs(gap_bytes) DESC, captured_at, node) AS rank_in_pod,
    count(*) OVER (PARTITION BY cluster, namespace, pod) AS captures_with_gap
  FROM discrepancy
  WHERE dt = :day
    AND cluster = :cluster
    AND level = 'pod'
    AND pod IS NOT NULL
    AND gap_bytes IS NOT NULL
) worst
WHERE rank_in_pod = 1
ORDER BY abs(gap_bytes) DESC, cluster, namespace, pod
LIMIT 20
