-- name: report-pod-points
-- description: The pod-level discrepancy rows of a few pods on one (dt, cluster), in time order: the points of the daily report's charts and each pod's widest-gap capture.
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
-- param pods: the pods, as one string of `,<node>|<namespace>|<pod>,` entries (one literal, so the statement stays one bound template; Kubernetes names hold no `,` or `|`)
SELECT *
FROM discrepancy
WHERE dt = :dt AND cluster = :cluster AND level = 'pod'
  AND strpos(:pods, ',' || node || '|' || coalesce(namespace, '') || '|' || coalesce(pod, '') || ',') > 0
ORDER BY node, namespace, pod, captured_at
