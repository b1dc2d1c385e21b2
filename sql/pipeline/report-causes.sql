-- name: report-causes
-- description: Pod captures of one (dt, cluster) per namespace and dominant gap cause (the daily report's causes chart). At most :n namespaces, those with the most captures whose cause is not 'none' (ties by name), in name order; the others are summed into one '(other namespaces)' row per cause, whose other_namespaces tells how many they are.
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
-- param n: namespaces shown by name
WITH c AS (
  SELECT coalesce(namespace, '(none)') AS namespace, cause, count(*) AS captures
  FROM discrepancy
  WHERE dt = :dt AND cluster = :cluster AND level = 'pod'
  GROUP BY 1, 2
),
ns AS (
  SELECT namespace,
    row_number() OVER (ORDER BY sum(CASE WHEN cause <> 'none' THEN captures ELSE 0 END) DESC, namespace) <= CAST(:n AS bigint) AS shown,
    count(*) OVER () - CAST(:n AS bigint) AS others
  FROM c
  GROUP BY namespace
)
SELECT
  CASE WHEN ns.shown THEN c.namespace ELSE '(other namespaces)' END AS namespace,
  c.cause,
  sum(c.captures) AS captures,
  CASE WHEN ns.shown THEN 0 ELSE max(ns.others) END AS other_namespaces
FROM c
JOIN ns ON c.namespace = ns.namespace
GROUP BY ns.shown, 1, 2
ORDER BY ns.shown DESC, 1, 2
