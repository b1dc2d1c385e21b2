-- name: report-pod-rows
-- description: Every discrepancy row (pod and container level) of one pod in a window, in time order, pod row first: what `memgap explain` tells the story from. An empty cluster means any.
-- param dt_from: first UTC day, YYYY-MM-DD
-- param dt_to: last UTC day, YYYY-MM-DD
-- param from: window start, 'YYYY-MM-DD HH:MM:SS.fff' UTC
-- param to: window end, inclusive
-- param cluster: cluster name, or ''
-- param namespace: namespace
-- param pod: pod name
SELECT *
FROM discrepancy
WHERE dt BETWEEN :dt_from AND :dt_to
  AND (:cluster = '' OR cluster = :cluster)
  AND namespace = :namespace AND pod = :pod
  AND captured_at >= CAST(:from AS timestamp) AND captured_at <= CAST(:to AS timestamp)
ORDER BY captured_at, level DESC, container, cluster, node
