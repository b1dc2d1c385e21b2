-- name: report-trends
-- description: The trends_daily rows of one (dt, cluster), in report order: what the daily report's tables (top gaps, near limit, leak suspects, OOM kills, right-sizing) are made of.
-- param dt: UTC day, YYYY-MM-DD
-- param cluster: cluster name
SELECT *
FROM trends_daily
WHERE dt = :dt AND cluster = :cluster
ORDER BY namespace, pod, level DESC, container, node
