MERGE INTO trends_daily AS t
USING (
{{sql/pipeline/trends-daily.sql bound to dt = '2026-11-26', cluster = 'prod'}}
) AS s
ON t.dt = '2026-11-26'
  AND t.cluster = 'prod'
  AND t.level IS NOT DISTINCT FROM s.level
  AND t.node IS NOT DISTINCT FROM s.node
  AND t.namespace IS NOT DISTINCT FROM s.namespace
  AND t.pod IS NOT DISTINCT FROM s.pod
  AND t.pod_uid IS NOT DISTINCT FROM s.pod_uid
  AND t.container IS NOT DISTINCT FROM s.container
WHEN MATCHED THEN UPDATE SET
  day = s.day,
  container_id = s.container_id,
  samples = s.samples,
  first_seen = s.first_seen,
  last_seen = s.last_seen,
  working_set_min = s.working_set_min,
  working_set_avg = s.working_set_avg,
  working_set_p50 = s.working_set_p50,
  working_set_p95 = s.working_set_p95,
  working_set_max = s.working_set_max,
  rss_p95 = s.rss_p95,
  rss_max = s.rss_max,
  cache_p95 = s.cache_p95,
  cache_max = s.cache_max,
  gap_p50 = s.gap_p50,
  gap_p95 = s.gap_p95,
  gap_max = s.gap_max,
  rss_slope_bytes_per_hour = s.rss_slope_bytes_per_hour,
  working_set_slope_bytes_per_hour = s.working_set_slope_bytes_per_hour,
  limit_bytes = s.limit_bytes,
  limit_unlimited = s.limit_unlimited,
  max_pct_of_limit = s.max_pct_of_limit,
  oom_kills = s.oom_kills,
  leak_suspect = s.leak_suspect,
  leak_memory = s.leak_memory,
  leak_slope_bytes_per_hour = s.leak_slope_bytes_per_hour,
  recommended_request_bytes = s.recommended_request_bytes,
  recommended_limit_bytes = s.recommended_limit_bytes,
  recommendation_kind = s.recommendation_kind,
  recommendation_reason = s.recommendation_reason
WHEN NOT MATCHED THEN INSERT (day, node, namespace, pod, pod_uid, container, container_id, level, samples, first_seen, last_seen, working_set_min, working_set_avg, working_set_p50, working_set_p95, working_set_max, rss_p95, rss_max, cache_p95, cache_max, gap_p50, gap_p95, gap_max, rss_slope_bytes_per_hour, working_set_slope_bytes_per_hour, limit_bytes, limit_unlimited, max_pct_of_limit, oom_kills, leak_suspect, leak_memory, leak_slope_bytes_per_hour, recommended_request_bytes, recommended_limit_bytes, recommendation_kind, recommendation_reason, dt, cluster)
  VALUES (s.day, s.node, s.namespace, s.pod, s.pod_uid, s.container, s.container_id, s.level, s.samples, s.first_seen, s.last_seen, s.working_set_min, s.working_set_avg, s.working_set_p50, s.working_set_p95, s.working_set_max, s.rss_p95, s.rss_max, s.cache_p95, s.cache_max, s.gap_p50, s.gap_p95, s.gap_max, s.rss_slope_bytes_per_hour, s.working_set_slope_bytes_per_hour, s.limit_bytes, s.limit_unlimited, s.max_pct_of_limit, s.oom_kills, s.leak_suspect, s.leak_memory, s.leak_slope_bytes_per_hour, s.recommended_request_bytes, s.recommended_limit_bytes, s.recommendation_kind, s.recommendation_reason, '2026-11-26', 'prod')
