-- name: trends-daily
-- description: trends_daily of one (dt, cluster): one row per series (a container, or a pod, on a node) from that day's discrepancy rows, with the leak rule, the right-sizing rule and the OOM-kill counter with resets. Trino (Athena engine 3) dialect; DuckDB runs it through src/query/translate.ts. Selects the contract columns of trends_daily in contract order (src/outputs/tables.ts); the partition keys are added by the statement that writes it (src/trends/build.ts). docs/trends.md explains every rule with examples.
-- param dt: UTC day, YYYY-MM-DD (the dt partition of discrepancy)
-- param cluster: cluster name (the cluster partition)
WITH d AS (
  SELECT
    captured_at, node, namespace, pod, pod_uid, container, container_id, level,
    -- the working set: the cgroup's, else what kubectl top showed
    coalesce(working_set_bytes, kubectl_top_bytes) AS ws,
    rss_bytes AS rss, cache_bytes AS cache, shmem_bytes AS shmem, active_file_bytes AS active_file, gap_bytes AS gap,
    -- memory the kernel cannot reclaim without swap: anonymous + tmpfs/shmem
    CASE WHEN rss_bytes IS NOT NULL THEN rss_bytes + coalesce(shmem_bytes, 0) END AS unreclaimable,
    limit_bytes, working_set_pct_of_limit, oom_kill_count AS oom,
    -- what the capture knew of the limit: 0 a limit (limit_bytes), 1 unlimited (flag no-limit), -1 not captured
    CASE WHEN limit_bytes IS NOT NULL THEN 0 WHEN contains(flags, 'no-limit') THEN 1 ELSE -1 END AS limit_state,
    -- x of the least-squares fits: hours since 00:00 UTC
    (to_unixtime(captured_at) - to_unixtime(CAST(:dt AS timestamp))) / 3600e0 AS h
  FROM discrepancy
  WHERE dt = :dt AND cluster = :cluster
),
-- OOM kills. The cgroup counter is cumulative; in time order a rise c_i - c_(i-1) adds that many
-- kills, a drop means a new cgroup (restart) and adds c_i, counted from 0. A series whose counter
-- never moved had no kill: only the series where it moved are walked in time order (a window
-- over a few rows, not over the day).
moved AS (
  SELECT level, node, namespace, pod, pod_uid, container
  FROM discrepancy
  WHERE dt = :dt AND cluster = :cluster AND oom_kill_count IS NOT NULL
  GROUP BY level, node, namespace, pod, pod_uid, container
  HAVING min(oom_kill_count) < max(oom_kill_count)
),
o AS (
  SELECT level, node, namespace, pod, pod_uid, container,
    sum(CASE WHEN previous IS NULL THEN 0 WHEN counter >= previous THEN counter - previous ELSE counter END) AS kills
  FROM (
    SELECT x.level, x.node, x.namespace, x.pod, x.pod_uid, x.container, x.oom_kill_count AS counter,
      lag(x.oom_kill_count) OVER (PARTITION BY x.level, x.node, x.namespace, x.pod, x.pod_uid, x.container ORDER BY x.captured_at) AS previous
    FROM discrepancy AS x
    JOIN moved AS m
      ON x.level = m.level AND x.node = m.node AND x.namespace IS NOT DISTINCT FROM m.namespace AND x.pod IS NOT DISTINCT FROM m.pod
      AND x.pod_uid IS NOT DISTINCT FROM m.pod_uid AND x.container IS NOT DISTINCT FROM m.container
    WHERE x.dt = :dt AND x.cluster = :cluster AND x.oom_kill_count IS NOT NULL
  ) AS walked
  GROUP BY level, node, namespace, pod, pod_uid, container
),
-- Percentiles: nearest rank (the value at rank ceil(p·n) of the n values in ascending order),
-- found in a logarithmic histogram per series (DDSketch-style buckets, gamma = (1 + a) / (1 - a),
-- a = 0.5 %): bucket k holds the values in (gamma^(k-1), gamma^k], mirrored for negative gaps, zero
-- apart. The answer is the bucket's value 2·gamma^k / (gamma + 1), clamped to the smallest and
-- largest value the bucket holds: within 0.5 % of the exact value, and exact when the bucket holds
-- one distinct value. Memory grows with the buckets a series spans (a few dozen), not with its
-- samples, and both engines compute the same numbers.
buckets AS (
  SELECT level, node, namespace, pod, pod_uid, container, metric,
    CASE WHEN v > 0 THEN 1 + CAST(ceil(ln(v) / ln(201e0 / 199e0)) AS bigint)
         WHEN v < 0 THEN -1 - CAST(ceil(ln(-v) / ln(201e0 / 199e0)) AS bigint)
         ELSE 0 END AS bucket,
    count(*) AS n, min(v) AS lo, max(v) AS hi
  FROM (
    SELECT level, node, namespace, pod, pod_uid, container, 'ws' AS metric, coalesce(working_set_bytes, kubectl_top_bytes) AS v FROM discrepancy WHERE dt = :dt AND cluster = :cluster
    UNION ALL SELECT level, node, namespace, pod, pod_uid, container, 'rss' AS metric, rss_bytes AS v FROM discrepancy WHERE dt = :dt AND cluster = :cluster
    UNION ALL SELECT level, node, namespace, pod, pod_uid, container, 'cache' AS metric, cache_bytes AS v FROM discrepancy WHERE dt = :dt AND cluster = :cluster
    UNION ALL SELECT level, node, namespace, pod, pod_uid, container, 'gap' AS metric, gap_bytes AS v FROM discrepancy WHERE dt = :dt AND cluster = :cluster
  ) AS metrics
  WHERE v IS NOT NULL
  GROUP BY level, node, namespace, pod, pod_uid, container, metric, 8
),
ranked AS (
  SELECT level, node, namespace, pod, pod_uid, container, metric, bucket,
    sum(n) OVER (PARTITION BY level, node, namespace, pod, pod_uid, container, metric ORDER BY bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
    sum(n) OVER (PARTITION BY level, node, namespace, pod, pod_uid, container, metric) AS total,
    greatest(lo, least(hi, CAST(round(CASE
      WHEN bucket > 0 THEN 2 * power(201e0 / 199e0, bucket - 1) / (1 + 201e0 / 199e0)
      WHEN bucket < 0 THEN -2 * power(201e0 / 199e0, -bucket - 1) / (1 + 201e0 / 199e0)
      ELSE 0 END) AS bigint))) AS estimate
  FROM buckets
),
p AS (
  SELECT level, node, namespace, pod, pod_uid, container,
    min_by(estimate, bucket) FILTER (WHERE metric = 'ws' AND upto >= ceil(0.5e0 * total)) AS working_set_p50,
    min_by(estimate, bucket) FILTER (WHERE metric = 'ws' AND upto >= ceil(0.95e0 * total)) AS working_set_p95,
    min_by(estimate, bucket) FILTER (WHERE metric = 'rss' AND upto >= ceil(0.95e0 * total)) AS rss_p95,
    min_by(estimate, bucket) FILTER (WHERE metric = 'cache' AND upto >= ceil(0.95e0 * total)) AS cache_p95,
    min_by(estimate, bucket) FILTER (WHERE metric = 'gap' AND upto >= ceil(0.5e0 * total)) AS gap_p50,
    min_by(estimate, bucket) FILTER (WHERE metric = 'gap' AND upto >= ceil(0.95e0 * total)) AS gap_p95
  FROM ranked
  GROUP BY level, node, namespace, pod, pod_uid, container
),
agg AS (
  SELECT
    level, node, namespace, pod, pod_uid, container,
    max_by(container_id, CASE WHEN container_id IS NOT NULL THEN captured_at END) AS container_id,
    count(*) AS samples,
    min(captured_at) AS first_seen,
    max(captured_at) AS last_seen,
    min(ws) AS working_set_min,
    CAST(round(avg(ws)) AS bigint) AS working_set_avg,
    max(ws) AS working_set_max,
    max(rss) AS rss_max,
    max(cache) AS cache_max,
    max(gap) AS gap_max,
    regr_slope(ws, h) AS working_set_slope_bytes_per_hour,
    -- the last limit of the day, NULL included (-1 stands for NULL: max_by treats a NULL value differently in Trino and DuckDB)
    nullif(max_by(coalesce(limit_bytes, -1), captured_at), -1) AS limit_bytes,
    -- and whether that last capture had no limit (TRUE), a limit (FALSE) or did not capture it (NULL)
    CASE max_by(limit_state, captured_at) WHEN 1 THEN TRUE WHEN 0 THEN FALSE END AS limit_unlimited,
    max(working_set_pct_of_limit) AS max_pct_of_limit,
    count(oom) AS oom_n,
    max(unreclaimable) AS unreclaimable_max,
    -- active page cache at the working-set peak: the kernel's active_file, never a difference
    max_by(active_file, CASE WHEN active_file IS NOT NULL THEN ws END) AS active_file_at_peak,
    -- the leak rule's inputs, per memory kind: samples, hours spanned, slope, R², day minimum
    count(rss) AS rss_n,
    max(CASE WHEN rss IS NOT NULL THEN h END) - min(CASE WHEN rss IS NOT NULL THEN h END) AS rss_span,
    regr_slope(rss, h) AS rss_slope,
    power(corr(rss, h), 2) AS rss_r2,
    min(rss) AS rss_min,
    count(shmem) AS shmem_n,
    max(CASE WHEN shmem IS NOT NULL THEN h END) - min(CASE WHEN shmem IS NOT NULL THEN h END) AS shmem_span,
    regr_slope(shmem, h) AS shmem_slope,
    power(corr(shmem, h), 2) AS shmem_r2,
    min(shmem) AS shmem_min,
    count(unreclaimable) AS unrec_n,
    max(CASE WHEN unreclaimable IS NOT NULL THEN h END) - min(CASE WHEN unreclaimable IS NOT NULL THEN h END) AS unrec_span,
    regr_slope(unreclaimable, h) AS unrec_slope,
    power(corr(unreclaimable, h), 2) AS unrec_r2,
    min(unreclaimable) AS unrec_min
  FROM d
  GROUP BY level, node, namespace, pod, pod_uid, container
),
a AS (
  SELECT agg.*, p.working_set_p50, p.working_set_p95, p.rss_p95, p.cache_p95, p.gap_p50, p.gap_p95,
    CASE WHEN agg.oom_n = 0 THEN NULL ELSE coalesce(o.kills, 0) END AS oom_kills
  FROM agg
  LEFT JOIN p
    ON agg.level = p.level AND agg.node = p.node AND agg.namespace IS NOT DISTINCT FROM p.namespace AND agg.pod IS NOT DISTINCT FROM p.pod
    AND agg.pod_uid IS NOT DISTINCT FROM p.pod_uid AND agg.container IS NOT DISTINCT FROM p.container
  LEFT JOIN o
    ON agg.level = o.level AND agg.node = o.node AND agg.namespace IS NOT DISTINCT FROM o.namespace AND agg.pod IS NOT DISTINCT FROM o.pod
    AND agg.pod_uid IS NOT DISTINCT FROM o.pod_uid AND agg.container IS NOT DISTINCT FROM o.container
),
-- Leak rule, for RSS, tmpfs/shmem and the two together: measured over >= 6 h with >= 12 samples,
-- least-squares slope >= 1 MiB/h, R² >= 0.8 (steady growth, not a spike), growth over the span
-- (slope × hours) >= max(16 MiB, 10 % of the day's minimum). Page cache is in none of the three:
-- a working set that grows by page cache alone is never a leak. The pause container never is.
l AS (
  SELECT
    a.*,
    container IS DISTINCT FROM 'POD' AND rss_n >= 12 AND rss_span >= 6 AND rss_slope >= 1048576 AND rss_r2 >= 0.8
      AND rss_slope * rss_span >= greatest(16777216, 0.1e0 * rss_min) AS rss_leak,
    container IS DISTINCT FROM 'POD' AND shmem_n >= 12 AND shmem_span >= 6 AND shmem_slope >= 1048576 AND shmem_r2 >= 0.8
      AND shmem_slope * shmem_span >= greatest(16777216, 0.1e0 * shmem_min) AS shmem_leak,
    container IS DISTINCT FROM 'POD' AND unrec_n >= 12 AND unrec_span >= 6 AND unrec_slope >= 1048576 AND unrec_r2 >= 0.8
      AND unrec_slope * unrec_span >= greatest(16777216, 0.1e0 * unrec_min) AS unrec_leak
  FROM a
),
k AS (
  SELECT
    l.*,
    CASE
      WHEN rss_leak AND shmem_leak THEN 'rss+shmem'
      WHEN rss_leak THEN 'rss'
      WHEN shmem_leak THEN 'shmem'
      WHEN unrec_leak THEN 'rss+shmem'
    END AS leak_memory
  FROM l
),
-- Right-sizing (container rows, not the pause container). Every figure is rounded up to a whole
-- MiB and is at least 16 MiB (the 1e-9 keeps float noise, 1.1 × 100 = 110.00000000000001, from
-- adding a MiB):
--   request = 1.1 × working-set p95 (kubelet eviction ranks pods by working set above request);
--   limit   = oom-killed: 1.25 × max(current limit, anonymous+shmem peak)
--             anonymous (anonymous+shmem peak >= half the working-set peak): 1.25 × working-set peak
--             page-cache (the rest): 1.25 × anonymous+shmem peak (page cache is reclaimed before an OOM kill)
--   and never below the request.
r AS (
  SELECT
    k.*,
    CASE
      WHEN leak_memory = 'rss' THEN rss_slope
      WHEN leak_memory = 'shmem' THEN shmem_slope
      WHEN leak_memory = 'rss+shmem' THEN unrec_slope
    END AS leak_slope,
    CASE
      WHEN level <> 'container' OR container = 'POD' OR working_set_p95 IS NULL OR working_set_max IS NULL OR unreclaimable_max IS NULL THEN NULL
      WHEN coalesce(oom_kills, 0) > 0 THEN 'oom-killed'
      WHEN unreclaimable_max >= 0.5e0 * working_set_max THEN 'anonymous'
      ELSE 'page-cache'
    END AS recommendation_kind,
    CASE WHEN working_set_p95 IS NOT NULL THEN 1.1e0 * working_set_p95 END AS request_raw,
    CASE
      WHEN coalesce(oom_kills, 0) > 0 THEN 1.25e0 * greatest(coalesce(limit_bytes, 0), coalesce(unreclaimable_max, 0))
      WHEN unreclaimable_max >= 0.5e0 * working_set_max THEN 1.25e0 * working_set_max
      ELSE 1.25e0 * unreclaimable_max
    END AS limit_raw
  FROM k
),
m AS (
  SELECT
    r.*,
    greatest(16777216, CAST(ceil(request_raw / 1048576e0 - 1e-9) AS bigint) * 1048576) AS request_mib,
    greatest(16777216, CAST(ceil(limit_raw / 1048576e0 - 1e-9) AS bigint) * 1048576) AS limit_mib
  FROM r
)
SELECT
  CAST(:dt AS timestamp) AS day,
  node, namespace, pod, pod_uid, container, container_id, level,
  samples, first_seen, last_seen,
  working_set_min, working_set_avg, working_set_p50, working_set_p95, working_set_max,
  rss_p95, rss_max, cache_p95, cache_max, gap_p50, gap_p95, gap_max,
  rss_slope AS rss_slope_bytes_per_hour,
  working_set_slope_bytes_per_hour,
  limit_bytes, limit_unlimited, max_pct_of_limit, oom_kills,
  leak_memory IS NOT NULL AS leak_suspect,
  leak_memory,
  leak_slope AS leak_slope_bytes_per_hour,
  CASE WHEN recommendation_kind IS NOT NULL THEN request_mib END AS recommended_request_bytes,
  CASE WHEN recommendation_kind IS NOT NULL THEN greatest(limit_mib, request_mib) END AS recommended_limit_bytes,
  recommendation_kind,
  CASE WHEN recommendation_kind IS NOT NULL THEN
    -- a leak first: a higher limit only postpones its OOM kill
    CASE WHEN leak_memory IS NOT NULL THEN format('%s grows %.1f MiB/h (leak suspect): a higher limit only postpones the OOM kill. ',
      CASE leak_memory WHEN 'rss' THEN 'RSS (anonymous memory)' WHEN 'shmem' THEN 'tmpfs/shmem' ELSE 'RSS + tmpfs/shmem' END, leak_slope / 1048576e0) ELSE '' END
    -- the request: the number and where it comes from
    || CASE WHEN request_mib = 16777216 AND request_raw < 16777216 THEN format('request 16.0 MiB = the 16 MiB minimum (1.1 × working-set p95 %.1f MiB is less)', working_set_p95 / 1048576e0)
         ELSE format('request %.1f MiB = 1.1 × working-set p95 %.1f MiB', request_mib / 1048576e0, working_set_p95 / 1048576e0) END
    -- the limit: the number and why
    || format('; limit %.1f MiB = ', greatest(limit_mib, request_mib) / 1048576e0)
    || CASE
         WHEN limit_mib < request_mib THEN format('the request floor (a limit is never below the request; sized on %s alone it would be %.1f MiB)',
           CASE recommendation_kind WHEN 'anonymous' THEN 'the working-set peak' WHEN 'page-cache' THEN 'the anonymous+shmem peak' ELSE 'the OOM rule' END, limit_mib / 1048576e0)
         WHEN limit_mib = 16777216 AND limit_raw < 16777216 THEN 'the 16 MiB minimum'
         WHEN recommendation_kind = 'oom-killed' THEN format('1.25 × max(limit %s, anonymous+shmem peak %.1f MiB)',
           CASE WHEN limit_bytes IS NOT NULL THEN format('%.1f MiB', limit_bytes / 1048576e0) WHEN limit_unlimited THEN 'none (unlimited)' ELSE 'not captured' END, unreclaimable_max / 1048576e0)
         WHEN recommendation_kind = 'anonymous' THEN format('1.25 × working-set peak %.1f MiB', working_set_max / 1048576e0)
         ELSE format('1.25 × anonymous+shmem peak %.1f MiB', unreclaimable_max / 1048576e0)
       END
    -- what made the peak
    || CASE recommendation_kind
         WHEN 'oom-killed' THEN format(': OOM-killed %d time(s) today, so the limit goes up by 25 %%', oom_kills)
         WHEN 'anonymous' THEN format(': the peak is mostly anonymous memory/tmpfs (%.1f MiB), which cannot be reclaimed', unreclaimable_max / 1048576e0)
         ELSE format(': the working-set peak %.1f MiB is mostly page cache (%s), which the kernel reclaims before it OOM-kills', working_set_max / 1048576e0,
           CASE WHEN active_file_at_peak IS NULL THEN 'active_file not reported' ELSE format('active_file %.1f MiB at the peak', active_file_at_peak / 1048576e0) END)
       END
  END AS recommendation_reason
FROM m
ORDER BY namespace, pod, level DESC, container, node
