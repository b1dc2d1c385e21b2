-- name: report-pod-names
-- description: The distinct namespace/pod names of some days whose pod name starts with a prefix: the candidates `memgap explain` offers when the typed pod has no capture (refined by isSimilarPodName).
-- param dt_from: first UTC day, YYYY-MM-DD
-- param dt_to: last UTC day, YYYY-MM-DD
-- param prefix: pod name prefix (LIKE pattern, ending in %)
SELECT DISTINCT namespace, pod
FROM discrepancy
WHERE dt BETWEEN :dt_from AND :dt_to AND pod LIKE :prefix AND namespace IS NOT NULL
ORDER BY namespace, pod
