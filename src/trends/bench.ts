/**
 * Bench of the daily trends (CLI/bench only: it loads DuckDB, which the Lambdas never do).
 * Synthetic day: `pods` container series × `samples` captures, written once as hourly
 * compacted Parquet parts (+ manifests) under a folder, then
 *  - memgap: aggregateDay (hyparquet, columnar projection, streaming) → trends rows;
 *  - DuckDB (SET threads=1): duckdbTrendsSql over the same files, the same aggregates;
 * in the same process, on the same bytes, timed separately.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { partitionPrefix } from '../outputs/layout.js';
import { hourLabel, manifestKey, type HourManifest } from '../pipeline/compact.js';
import { FsObjectStore } from '../store/fs-store.js';
import { aggregateDay } from './build.js';

const MiB = 1024 * 1024;
const HOUR_MS = 3_600_000;
export const BENCH_DT = '2026-11-26';
export const BENCH_CLUSTER = 'bench';

/**
 * The aggregates of trends_daily that DuckDB computes the same way: nearest-rank percentiles
 * as the ⌈p·n⌉-th of the sorted non-null values, regr_slope over hours since midnight, the OOM
 * counter's increases with the reset rule. `files` is a read_parquet path or glob.
 */
export function duckdbTrendsSql(files: string, dt: string): string {
  const day = Date.parse(`${dt}T00:00:00Z`) / HOUR_MS;
  const q = (col: string, p: number) => `list_sort(list(${col}) FILTER (WHERE ${col} IS NOT NULL))[ceil(${p} * count(${col}))::BIGINT]`;
  const key = 'level, node, namespace, pod, pod_uid, container';
  return `
WITH d AS (
  SELECT *, coalesce(working_set_bytes, kubectl_top_bytes) AS ws, epoch_ms(captured_at) / 3600000.0 - ${day} AS h
  FROM read_parquet('${files.replace(/'/g, "''")}')
), o AS (
  SELECT ${key}, oom_kill_count AS c, lag(oom_kill_count) OVER (PARTITION BY ${key} ORDER BY captured_at) AS p
  FROM d WHERE oom_kill_count IS NOT NULL
), oo AS (
  SELECT ${key}, sum(CASE WHEN p IS NULL THEN 0 WHEN c >= p THEN c - p ELSE c END) AS oom_kills
  FROM o GROUP BY ALL
), a AS (
  SELECT ${key}, count(*) AS samples, min(captured_at) AS first_seen, max(captured_at) AS last_seen,
    min(ws) AS working_set_min, round(avg(ws)) AS working_set_avg, ${q('ws', 0.5)} AS working_set_p50, ${q('ws', 0.95)} AS working_set_p95, max(ws) AS working_set_max,
    ${q('rss_bytes', 0.95)} AS rss_p95, max(rss_bytes) AS rss_max, ${q('cache_bytes', 0.95)} AS cache_p95, max(cache_bytes) AS cache_max,
    ${q('gap_bytes', 0.5)} AS gap_p50, ${q('gap_bytes', 0.95)} AS gap_p95, max(gap_bytes) AS gap_max,
    regr_slope(rss_bytes, h) AS rss_slope_bytes_per_hour, regr_slope(ws, h) AS working_set_slope_bytes_per_hour,
    arg_max_null(limit_bytes, captured_at) AS limit_bytes, max(working_set_pct_of_limit) AS max_pct_of_limit
  FROM d GROUP BY ALL
)
SELECT a.*, oo.oom_kills FROM a LEFT JOIN oo ON ${key.split(', ').map((k) => `a.${k} IS NOT DISTINCT FROM oo.${k}`).join(' AND ')}
ORDER BY namespace, pod, level DESC, container, node`;
}

/**
 * Writes (once; reused when present) the synthetic day as compacted hourly parts + manifests.
 * DuckDB writes the files (SNAPPY, 100,000-row groups like ours): hyparquet-writer's ~120k rows/s
 * would spend 4 minutes on 28.8 M rows before the bench even starts. Every 100th pod leaks
 * 8 MiB/h, every 500th is OOM-killed at noon; the rest wobble around a flat level.
 */
export async function writeSyntheticDay(dir: string, pods: number, samples: number): Promise<FsObjectStore> {
  const store = new FsObjectStore(dir);
  const done = path.join(dir, '.complete');
  if (existsSync(done)) return store;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const day = Date.parse(`${BENCH_DT}T00:00:00Z`);
  const intervalMs = (24 * HOUR_MS) / samples;
  const perHour = Math.ceil(samples / 24);
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  for (let hour = 0; hour < 24; hour++) {
    const s0 = hour * perHour;
    const s1 = Math.min(samples, s0 + perHour);
    if (s0 >= s1) break;
    const hourMs = day + hour * HOUR_MS;
    const key = `${partitionPrefix('discrepancy', BENCH_DT, BENCH_CLUSTER)}compact_${hourLabel(hourMs)}_${'0'.repeat(16)}_p000.parquet`;
    const file = path.join(dir, key);
    await mkdir(path.dirname(file), { recursive: true });
    await con.run(`
COPY (
  WITH g AS (
    SELECT s, i, s * ${intervalMs} / 3600000.0 AS h,
      100 * ${MiB} + (i % 50) * ${MiB} + CASE WHEN i % 100 = 0 THEN (s * ${intervalMs} / 3600000.0 * 8 * ${MiB})::BIGINT ELSE 0 END + (hash(i, s) % ${4 * MiB})::BIGINT AS rss,
      60 * ${MiB} + (hash(s, i) % ${8 * MiB})::BIGINT AS cache
    FROM range(${s0}, ${s1}) t(s), range(0, ${pods}) p(i)
  )
  SELECT make_timestamptz((${day} + s * ${intervalMs})::BIGINT * 1000) AS captured_at,
    'node-' || (i % 50) AS node, 'ns-' || (i % 20) AS namespace, 'app-' || i || '-5d6e7-q' || (i % 97) AS pod, 'uid-' || i AS pod_uid,
    'app' AS container, printf('c%012x', i) AS container_id, 'container' AS level,
    (rss + cache * 2 // 5)::BIGINT AS working_set_bytes, (rss + cache * 2 // 5)::BIGINT AS kubectl_top_bytes, rss::BIGINT AS rss_bytes, cache::BIGINT AS cache_bytes,
    0::BIGINT AS shmem_bytes, (cache * 2 // 5)::BIGINT AS gap_bytes, ${1024 * MiB}::BIGINT AS limit_bytes,
    100.0 * (rss + cache * 2 // 5) / ${1024 * MiB} AS working_set_pct_of_limit,
    CASE WHEN i % 500 = 0 AND h >= 12 THEN 1 ELSE 0 END::BIGINT AS oom_kill_count, 'page-cache' AS cause
  FROM g ORDER BY s, i
) TO '${file.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 100000)`);
    const n = (s1 - s0) * pods;
    const manifest: HourManifest = { schema: 'memgap.compact/v1', table: 'discrepancy', dt: BENCH_DT, cluster: BENCH_CLUSTER, hour: hourLabel(hourMs), generation: '0'.repeat(16), rows: n, checksum: '', parts: [{ key, rows: n, checksum: '' }], captures: [] };
    await store.put(manifestKey('discrepancy', BENCH_DT, BENCH_CLUSTER, hourMs), JSON.stringify(manifest));
  }
  con.closeSync();
  db.closeSync();
  await store.put('.complete', 'ok\n');
  return store;
}

export interface TrendsBenchResult {
  pods: number;
  samples: number;
  rows: number;
  wallMs: number;
  /** max RSS sampled while memgap aggregated (the whole process: includes what ran before) */
  peakRssMiB: number;
  /** RSS just before memgap started */
  startRssMiB: number;
  duckdbMs: number;
  ratio: number;
  /** series whose memgap and DuckDB aggregates differ beyond the sketch bound (expected 0) */
  mismatches: number;
}

/** Daily trends for `pods` × `samples` (default 10,000 × 2,880), memgap vs DuckDB on the same files. */
export async function benchTrends(opts: { pods?: number; samples?: number; dir?: string } = {}): Promise<TrendsBenchResult> {
  const pods = opts.pods ?? 10_000;
  const samples = opts.samples ?? 2_880;
  const dir = opts.dir ?? path.join(os.tmpdir(), `memgap-bench-trends-${pods}x${samples}`);
  const store = await writeSyntheticDay(dir, pods, samples);
  (globalThis as { gc?: () => void }).gc?.();

  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const t0 = performance.now();
  const ours = await aggregateDay(store, BENCH_DT, BENCH_CLUSTER);
  const wallMs = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);

  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET threads=1');
  const glob = path.join(dir, partitionPrefix('discrepancy', BENCH_DT, BENCH_CLUSTER), 'compact_*.parquet');
  const t1 = performance.now();
  const reader = await con.runAndReadAll(duckdbTrendsSql(glob, BENCH_DT));
  const duckRows = reader.getRowObjectsJS() as Record<string, unknown>[];
  const duckdbMs = performance.now() - t1;
  con.closeSync();
  db.closeSync();

  const byKey = new Map(duckRows.map((r) => [`${r.node}|${r.pod}|${r.container}|${r.level}`, r]));
  let mismatches = 0;
  for (const row of ours.rows) {
    const d = byKey.get(`${row.node}|${row.pod}|${row.container}|${row.level}`);
    const near = (a: number | null, b: unknown, rel: number) => a !== null && b !== null && Math.abs(a - Number(b)) <= rel * Math.max(1, Math.abs(Number(b)));
    if (!d || Number(d.samples) !== row.samples || !near(row.working_set_max, d.working_set_max, 0) || !near(row.working_set_p95, d.working_set_p95, 0.005) || !near(row.rss_slope_bytes_per_hour, d.rss_slope_bytes_per_hour, 1e-6) || Number(d.oom_kills) !== row.oom_kills) mismatches++;
  }
  return { pods, samples, rows: ours.inputRows, wallMs, peakRssMiB: peak / MiB, startRssMiB: start / MiB, duckdbMs, ratio: wallMs / duckdbMs, mismatches };
}
