-- name: gap-causes
-- description: How often each cause explains the kubectl top vs docker stats gap, per namespace, on one UTC day (container rows).
-- param day: UTC date, YYYY-MM-DD (the dt partition)
-- param cluster: cluster name (the cluster partition; Athena's injected projection needs it)
SELECT
  cluster,
  namespace,
  cause,
  count(*) AS container_captures,
  count(DISTINCT pod) AS pods,
  max(gap_bytes) AS max_gap_bytes,
  sum(gap_bytes) AS total_gap_bytes
FROM discrepancy
WHERE dt = :day
  AND cluster = :cluster
  AND level = 'container'
GROUP BY cluster, namespace, cause
ORDER BY cluster, namespace, container_captures DESC, cause
