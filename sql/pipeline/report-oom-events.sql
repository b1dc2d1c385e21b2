-- name: report-oom-events
-- description: Every rise of a container's OOM-kill counter in a window, with the two captures it happened between. The counter is cumulative per cgroup; a drop means a new cgroup (restart), whose kills count from 0 (the rule trends_daily.oom_kills sums). An empty string for cluster, namespace, pod or pods means any.
-- param dt_from: first UTC day, YYYY-MM-DD
-- param dt_to: last UTC day, YYYY-MM-DD
-- param from: window start, 'YYYY-MM-DD HH:MM:SS.fff' UTC
-- param to: window end, inclusive
-- param cluster: cluster name, or ''
-- param namespace: namespace, or ''
-- param pod: pod name, or ''
-- param pods: only these pods, as one string of `,<node>|<namespace>|<pod>,` entries (as report-pod-points.sql), or ''
SELECT cluster, node, namespace, pod, container, previous_at, captured_at AS seen_at,
  CASE WHEN counter >= previous THEN counter - previous ELSE counter END AS kills
FROM (
  SELECT cluster, node, namespace, pod, container, captured_at, oom_kill_count AS counter,
    lag(oom_kill_count) OVER w AS previous,
    lag(captured_at) OVER w AS previous_at
  FROM discrepancy
  WHERE dt BETWEEN :dt_from AND :dt_to
    AND (:cluster = '' OR cluster = :cluster)
    AND (:namespace = '' OR namespace = :namespace)
    AND (:pod = '' OR pod = :pod)
    AND (:pods = '' OR strpos(:pods, ',' || node || '|' || coalesce(namespace, '') || '|' || coalesce(pod, '') || ',') > 0)
    AND captured_at >= CAST(:from AS timestamp) AND captured_at <= CAST(:to AS timestamp)
    AND level = 'container' AND oom_kill_count IS NOT NULL
  WINDOW w AS (PARTITION BY cluster, node, namespace, pod, pod_uid, container ORDER BY captured_at)
) AS counted
WHERE previous IS NOT NULL AND counter <> previous AND (CASE WHEN counter >= previous THEN counter - previous ELSE counter END) > 0
ORDER BY seen_at, node, namespace, pod, container
