-- name: report-pod-points
-- description: The chart points of a few pods on one (dt, cluster): their pod-level discrepancy rows in time order, only the columns a chart draws (src/reports/charts.ts POD_POINT_COLUMNS) and the pod's identity.
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
-- param pods: the pods, as one string of `,<node>|<namespace>|<pod>,` entries (one literal, so the statement stays one bound template; Kubernetes names hold no `,` or `|`)
SELECT node, namespace, pod,
  captured_at, kubectl_top_bytes, docker_stats_bytes, docker_formula, working_set_bytes, rss_bytes, shmem_bytes, limit_bytes,
  gap_bytes, gap_page_cache_bytes, gap_rounding_bytes, gap_skew_bytes, gap_residual_bytes
FROM discrepancy
WHERE dt = :dt AND cluster = :cluster AND level = 'pod'
  AND strpos(:pods, ',' || node || '|' || coalesce(namespace, '') || '|' || coalesce(pod, '') || ',') > 0
ORDER BY node, namespace, pod, captured_at
