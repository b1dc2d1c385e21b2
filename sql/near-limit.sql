-- name: near-limit
-- description: Containers whose working set stayed at or above a share of their memory limit for at least half of one UTC day's captures.
-- param day: UTC date, YYYY-MM-DD (the dt partition)
-- param cluster: cluster name (the cluster partition; Athena's injected projection needs it)
-- param threshold_pct: working set as a percentage of the limit that counts as near (90 matches the near-limit flag)
SELECT
  cluster,
  namespace,
  pod,
  container,
  count(*) AS captures,
  count_if(working_set_pct_of_limit >= :threshold_pct) AS near_limit_captures,
  max(working_set_pct_of_limit) AS max_pct_of_limit,
  max(working_set_bytes) AS max_working_set_bytes,
  max(rss_bytes) AS max_rss_bytes,
  max(limit_bytes) AS limit_bytes
FROM discrepancy
WHERE dt = :day
  AND cluster = :cluster
  AND level = 'container'
  AND limit_bytes IS NOT NULL
GROUP BY cluster, namespace, pod, container
HAVING 2 * count_if(working_set_pct_of_limit >= :threshold_pct) >= count(*)
ORDER BY max_pct_of_limit DESC, cluster, namespace, pod, container
