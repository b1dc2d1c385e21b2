-- name: report-widest
-- description: The widest-gap capture (the whole pod-level discrepancy row; the earliest of equal gaps) of each of a few pods on one (dt, cluster): what the daily report's top-gaps table explains in words. apps_active_file_bytes is the kernel's active_file summed over the pod's app containers in that capture (NULL unless each had it): the active page cache in the pod row's page-cache term, which sums theirs.
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
-- param pods: the pods, as one string of `,<node>|<namespace>|<pod>,` entries (as report-pod-points.sql)
SELECT w.*, a.apps_active_file_bytes
FROM (
  SELECT d.*, row_number() OVER (PARTITION BY node, namespace, pod ORDER BY gap_bytes DESC, captured_at) AS pos
  FROM discrepancy AS d
  WHERE dt = :dt AND cluster = :cluster AND level = 'pod' AND gap_bytes IS NOT NULL
    AND strpos(:pods, ',' || node || '|' || coalesce(namespace, '') || '|' || coalesce(pod, '') || ',') > 0
) AS w
LEFT JOIN (
  SELECT node, namespace, pod, captured_at,
    CASE WHEN count(active_file_bytes) = count(*) THEN sum(active_file_bytes) END AS apps_active_file_bytes
  FROM discrepancy
  WHERE dt = :dt AND cluster = :cluster AND level = 'container' AND container IS DISTINCT FROM 'POD'
    AND strpos(:pods, ',' || node || '|' || coalesce(namespace, '') || '|' || coalesce(pod, '') || ',') > 0
  GROUP BY node, namespace, pod, captured_at
) AS a
  ON a.node = w.node AND a.namespace IS NOT DISTINCT FROM w.namespace AND a.pod IS NOT DISTINCT FROM w.pod AND a.captured_at = w.captured_at
WHERE w.pos = 1
ORDER BY w.node, w.namespace, w.pod
