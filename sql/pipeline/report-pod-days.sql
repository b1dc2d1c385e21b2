-- name: report-pod-days
-- description: The (dt, cluster) partitions that hold a pod, newest first, with its capture rows in each: `memgap explain` without a window tells the latest day. An empty cluster means any.
-- param cluster: cluster name, or ''
-- param namespace: namespace
-- param pod: pod name
SELECT dt, cluster, count(*) AS n
FROM discrepancy
WHERE (:cluster = '' OR cluster = :cluster) AND namespace = :namespace AND pod = :pod
GROUP BY dt, cluster
ORDER BY dt DESC, cluster
