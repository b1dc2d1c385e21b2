-- name: report-widest
-- description: The widest-gap capture (the whole pod-level discrepancy row; the earliest of equal gaps) of each of a few pods on one (dt, cluster): what the daily report's top-gaps table explains in words.
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
-- param pods: the pods, as one string of `,<node>|<namespace>|<pod>,` entries (as report-pod-points.sql)
SELECT *
FROM (
  SELECT d.*, row_number() OVER (PARTITION BY node, namespace, pod ORDER BY gap_bytes DESC, captured_at) AS pos
  FROM discrepancy AS d
  WHERE dt = :dt AND cluster = :cluster AND level = 'pod' AND gap_bytes IS NOT NULL
    AND strpos(:pods, ',' || node || '|' || coalesce(namespace, '') || '|' || coalesce(pod, '') || ',') > 0
) AS ranked
WHERE pos = 1
ORDER BY node, namespace, pod
