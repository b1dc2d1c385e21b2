-- name: report-causes
-- description: Pod captures of one (dt, cluster) per namespace and dominant gap cause (the daily report's causes chart).
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
SELECT coalesce(namespace, '(none)') AS namespace, cause, count(*) AS captures
FROM discrepancy
WHERE dt = :dt AND cluster = :cluster AND level = 'pod'
GROUP BY 1, 2
ORDER BY 1, 2
