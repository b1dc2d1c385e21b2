/**
 * `npm run bench`, trends section (BENCH_PODS / BENCH_SAMPLES for a quicker run): daily trends of
 * `pods` container series × `samples` captures (default 10,000 × 2,880 = 28.8 M rows) through
 * the real step, buildTrends → sql/pipeline/trends-daily.sql on DuckDB → trends_daily/…/data.parquet,
 * against a baseline on the same file in the same process: an expert-written plain aggregate
 * (exact quantile_disc percentiles, regr_slope, one GROUP BY, no window, no rules), i.e. what
 * DuckDB itself takes for the aggregates alone. The gunzip + JSON.parse floor does not apply: the
 * input is Parquet, not capture JSON.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { compactedKey } from '../src/outputs/layout.js';
import { openQueryEngine } from '../src/query/engine.js';
import { FsObjectStore } from '../src/store/fs-store.js';
import { buildTrends } from '../src/trends/build.js';

const MiB = 1024 * 1024;
const HOUR_MS = 3_600_000;
const DT = '2026-11-26';
const CLUSTER = 'bench';

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Writes (once; reused when present) the synthetic day as the compacted discrepancy partition
 * (one data.parquet sorted by node, captured_at, as compaction writes it). Every 100th pod leaks
 * 8 MiB/h, every 500th is OOM-killed at noon, every 250th grows tmpfs 6 MiB/h; the rest wobble
 * around a flat level.
 */
async function writeSyntheticDay(dir: string, pods: number, samples: number): Promise<void> {
  const done = path.join(dir, '.complete-v3');
  if (existsSync(done)) return;
  await rm(dir, { recursive: true, force: true });
  const file = path.join(dir, ...compactedKey('discrepancy', DT, CLUSTER).split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  const day = Date.parse(`${DT}T00:00:00Z`);
  const intervalMs = (24 * HOUR_MS) / samples;
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run(`
COPY (
  WITH g AS (
    SELECT s, i, s * ${intervalMs} / 3600000.0 AS h,
      100 * ${MiB} + (i % 50) * ${MiB} + CASE WHEN i % 100 = 0 THEN (s * ${intervalMs} / 3600000.0 * 8 * ${MiB})::BIGINT ELSE 0 END + (hash(i, s) % ${4 * MiB})::BIGINT AS rss,
      CASE WHEN i % 250 = 0 THEN (20 * ${MiB} + s * ${intervalMs} / 3600000.0 * 6 * ${MiB})::BIGINT ELSE 0 END AS shmem,
      60 * ${MiB} + (hash(s, i) % ${8 * MiB})::BIGINT AS cache
    FROM range(0, ${samples}) t(s), range(0, ${pods}) p(i)
  )
  SELECT make_timestamptz((${day} + s * ${intervalMs})::BIGINT * 1000) AS captured_at,
    'node-' || (i % 50) AS node, 'ns-' || (i % 20) AS namespace, 'app-' || i || '-5d6e7-q' || (i % 97) AS pod, 'uid-' || i AS pod_uid,
    'app' AS container, printf('c%012x', i) AS container_id, 'container' AS level,
    (rss + shmem + cache * 2 // 5)::BIGINT AS working_set_bytes, (rss + shmem + cache * 2 // 5)::BIGINT AS kubectl_top_bytes, rss::BIGINT AS rss_bytes,
    (cache + shmem)::BIGINT AS cache_bytes, (cache * 2 // 5)::BIGINT AS active_file_bytes, shmem::BIGINT AS shmem_bytes, (cache * 2 // 5)::BIGINT AS gap_bytes,
    ${1024 * MiB}::BIGINT AS limit_bytes, 100.0 * (rss + shmem + cache * 2 // 5) / ${1024 * MiB} AS working_set_pct_of_limit,
    CASE WHEN i % 500 = 0 AND h >= 12 THEN 1 ELSE 0 END::BIGINT AS oom_kill_count, 'page-cache' AS cause, CAST([] AS VARCHAR[]) AS flags
  FROM g ORDER BY node, captured_at
) TO ${q(file)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)`);
  con.closeSync();
  db.closeSync();
  await writeFile(done, 'ok\n');
}

/** The baseline: the same aggregates an expert would write for DuckDB, exact percentiles, no rules. */
function plainAggregateSql(file: string): string {
  return `
SELECT level, node, namespace, pod, pod_uid, container, count(*) AS samples, min(captured_at), max(captured_at),
  min(ws), round(avg(ws)), quantile_disc(ws, [0.5, 0.95]) AS ws_q, max(ws),
  quantile_disc(rss_bytes, 0.95) AS rss_p95, max(rss_bytes), quantile_disc(cache_bytes, 0.95), max(cache_bytes),
  quantile_disc(gap_bytes, [0.5, 0.95]), max(gap_bytes),
  regr_slope(rss_bytes, h) AS rss_slope, regr_slope(ws, h), regr_r2(rss_bytes, h), regr_slope(shmem_bytes, h), regr_r2(shmem_bytes, h),
  arg_max(limit_bytes, captured_at), max(working_set_pct_of_limit), max(oom_kill_count) - min(oom_kill_count) AS oom_kills
FROM (SELECT *, coalesce(working_set_bytes, kubectl_top_bytes) AS ws, epoch(captured_at) / 3600.0 AS h FROM read_parquet(${q(file)}))
GROUP BY ALL`;
}

/** Wall time, CPU time of the whole process (DuckDB's threads included) and peak RSS of `fn`. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number; peakMiB: number; startMiB: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { value, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakMiB: peak / MiB, startMiB: start / MiB };
}

const pods = Number(process.env.BENCH_PODS ?? 10_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 2_880);
const dir = path.join(os.tmpdir(), `memgap-bench-trends-${pods}x${samples}`);
await writeSyntheticDay(dir, pods, samples);
const input = path.join(dir, ...compactedKey('discrepancy', DT, CLUSTER).split('/'));

const ours = await timed(async () => {
  const engine = await openQueryEngine(dir);
  try {
    return await buildTrends(engine, new FsObjectStore(dir), DT, CLUSTER);
  } finally {
    await engine.close();
  }
});

// Checks on the written table: the planted leaks and OOM kills, and the histogram's percentile error.
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const base = await timed(async () => (await con.runAndReadAll(plainAggregateSql(input))).getRowObjectsJS());
const out = path.join(dir, ...ours.value.key!.split('/'));
const check = (await con.runAndReadAll(`
WITH t AS (SELECT * FROM read_parquet(${q(out)})),
b AS (SELECT pod, list_sort(list(ws))[CAST(ceil(0.95 * count(ws)) AS BIGINT)] AS p95
  FROM (SELECT pod, coalesce(working_set_bytes, kubectl_top_bytes) AS ws FROM read_parquet(${q(input)}) WHERE pod_uid LIKE '%7') GROUP BY pod)
SELECT count(*) AS n,
  count(*) FILTER (WHERE leak_memory = 'rss') AS rss_leaks, count(*) FILTER (WHERE leak_memory IN ('shmem', 'rss+shmem')) AS shmem_leaks,
  sum(oom_kills) AS oom_kills, max(abs(t.working_set_p95 - b.p95) / b.p95) AS max_rel_err_p95
FROM t LEFT JOIN b USING (pod)`)).getRowObjectsJS()[0]!;
con.closeSync();
db.closeSync();

console.log(`== trends: daily trends for ${pods} pods × ${samples} samples (${pods * samples} rows, one data.parquet) ==`);
console.log(`memgap  buildTrends (trends-daily.sql on DuckDB → data.parquet)   ${(ours.ms / 1000).toFixed(1)} s (target ≤ 60 s; CPU ${(ours.cpuMs / 1000).toFixed(1)} s on 2 threads), peak RSS ${ours.peakMiB.toFixed(0)} MiB (target ≤ 2048; ${ours.startMiB.toFixed(0)} MiB at start)`);
console.log(`baseline plain DuckDB aggregate, exact quantile_disc, same file   ${(base.ms / 1000).toFixed(1)} s (CPU ${(base.cpuMs / 1000).toFixed(1)} s), peak RSS ${base.peakMiB.toFixed(0)} MiB`);
console.log(`ratio   ${(ours.ms / base.ms).toFixed(2)}× the plain aggregate (the difference: the percentile histograms, the OOM walk, three leak fits, the rules and writing the file)`);
console.log(`check   ${check.n} series; leaks: ${check.rss_leaks} rss (planted ${Math.ceil(pods / 100) - Math.ceil(pods / 500)}), ${check.shmem_leaks} shmem or rss+shmem (planted ${Math.ceil(pods / 250)}); OOM kills ${check.oom_kills} (planted ${Math.ceil(pods / 500)}); working-set p95 vs the exact nearest rank (every 10th pod): max relative error ${(Number(check.max_rel_err_p95) * 100).toFixed(3)} %`);
console.log('floor   gunzip + JSON.parse does not apply here: the input is Parquet written by compaction');
console.log(`load    average ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} on ${os.cpus().length} cores (other work on the machine stretches the wall times, not the CPU times)`);
