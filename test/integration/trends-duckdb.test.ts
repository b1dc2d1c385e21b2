/**
 * trends_daily as built by the real step (buildTrends: sql/pipeline/trends-daily.sql on DuckDB,
 * COPY → rename) over the demo output of the real pipeline (ingest → staging → compaction),
 * against an independent computation over the same discrepancy file: exact aggregates by a
 * plain DuckDB GROUP BY, the OOM counter with resets by a JS walk of each series in time order,
 * and the percentiles within 0.5 % of the exact nearest-rank value of each series' sorted values.
 */
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactedKey } from '../../src/outputs/layout.js';
import { openQueryEngine, type QueryEngine } from '../../src/query/engine.js';
import { dayTrends } from './helpers/day-trends.js';
import type { TrendsDailyRow } from '../../src/outputs/tables.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { buildTrends, type BuiltTrends } from '../../src/trends/build.js';
import { buildDemoOutput } from './helpers/demo-output.js';

const DT = '2026-11-26';
let dir: string;
let con: DuckDBConnection;
let engine: QueryEngine;
let built: BuiltTrends;
let ours: TrendsDailyRow[];
let input: string;

const rowsOf = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));

beforeAll(async () => {
  dir = await buildDemoOutput();
  input = path.join(dir, ...compactedKey('discrepancy', DT, 'demo').split('/'));
  const db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run(`SET TimeZone = 'UTC'`);
  engine = await openQueryEngine(dir);
  built = await buildTrends(engine, new FsObjectStore(dir), DT, 'demo');
  ours = await dayTrends(engine, DT, 'demo');
}, 120_000);

afterAll(async () => {
  con?.closeSync();
  await engine?.close();
});

const KEY = ['level', 'node', 'namespace', 'pod', 'pod_uid', 'container'] as const;
const keyOf = (r: Record<string, unknown>) => KEY.map((k) => String(r[k] ?? '∅')).join('|');

describe('trends_daily = an independent computation over the same file', () => {
  it('has one row per series, and every discrepancy row counted once', async () => {
    const [n] = await rowsOf(`SELECT count(*) AS rows, count(DISTINCT (level, node, namespace, pod, pod_uid, container)) AS series FROM read_parquet('${input}')`);
    expect(ours.length).toBe(n!.series);
    expect(built.rows).toBe(n!.series);
    expect(ours.reduce((a, r) => a + r.samples, 0)).toBe(n!.rows);
  });

  it('agrees on the exact aggregates of every series', async () => {
    const expected = await rowsOf(`
SELECT level, node, namespace, pod, pod_uid, container, count(*) AS samples, min(captured_at) AS first_seen, max(captured_at) AS last_seen,
  min(coalesce(working_set_bytes, kubectl_top_bytes)) AS working_set_min, max(coalesce(working_set_bytes, kubectl_top_bytes)) AS working_set_max,
  round(avg(coalesce(working_set_bytes, kubectl_top_bytes)))::BIGINT AS working_set_avg,
  max(rss_bytes) AS rss_max, max(cache_bytes) AS cache_max, max(gap_bytes) AS gap_max,
  arg_max_null(limit_bytes, captured_at) AS limit_bytes, max(working_set_pct_of_limit) AS max_pct_of_limit,
  regr_slope(rss_bytes, epoch(captured_at) / 3600.0) AS rss_slope_bytes_per_hour,
  regr_slope(coalesce(working_set_bytes, kubectl_top_bytes), epoch(captured_at) / 3600.0) AS working_set_slope_bytes_per_hour
FROM read_parquet('${input}') GROUP BY ALL`);
    const byKey = new Map(ours.map((r) => [keyOf(r as never), r]));
    expect(byKey.size).toBe(expected.length);
    for (const e of expected) {
      const r = byKey.get(keyOf(e))!;
      const where = keyOf(e);
      for (const c of ['samples', 'working_set_min', 'working_set_max', 'working_set_avg', 'rss_max', 'cache_max', 'gap_max', 'limit_bytes'] as const) expect({ where, c, v: r[c] }).toEqual({ where, c, v: e[c] });
      expect((r.first_seen as Date).getTime()).toBe((e.first_seen as Date).getTime());
      expect((r.last_seen as Date).getTime()).toBe((e.last_seen as Date).getTime());
      for (const c of ['max_pct_of_limit', 'rss_slope_bytes_per_hour', 'working_set_slope_bytes_per_hour'] as const) {
        const want = e[c] as number | null;
        if (want === null) expect({ where, c, v: r[c] }).toEqual({ where, c, v: null });
        else expect(Math.abs(r[c]! - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
      }
    }
  });

  it('counts OOM kills as the sum of the counter rises, a drop counting from 0 (walked in JS)', async () => {
    const rows = await rowsOf(`SELECT level, node, namespace, pod, pod_uid, container, captured_at, oom_kill_count FROM read_parquet('${input}') WHERE oom_kill_count IS NOT NULL ORDER BY captured_at`);
    const kills = new Map<string, { last: number; sum: number }>();
    for (const r of rows) {
      const k = keyOf(r);
      const c = r.oom_kill_count as number;
      const s = kills.get(k);
      if (!s) kills.set(k, { last: c, sum: 0 });
      else {
        s.sum += c >= s.last ? c - s.last : c;
        s.last = c;
      }
    }
    for (const r of ours) expect({ k: keyOf(r as never), v: r.oom_kills }).toEqual({ k: keyOf(r as never), v: kills.get(keyOf(r as never))?.sum ?? null });
    // the demo's one kill: batch/etl-nightly at 14:00
    expect(ours.filter((r) => r.level === 'container' && (r.oom_kills ?? 0) > 0).map((r) => [r.pod, r.oom_kills])).toEqual([['etl-nightly-28f7x', 1]]);
  });

  it('puts each percentile within 0.5 % of the exact nearest-rank value', async () => {
    const exact = await rowsOf(`
SELECT level, node, namespace, pod, pod_uid, container, list_sort(list(ws) FILTER (WHERE ws IS NOT NULL)) AS ws, list_sort(list(rss_bytes) FILTER (WHERE rss_bytes IS NOT NULL)) AS rss, list_sort(list(gap_bytes) FILTER (WHERE gap_bytes IS NOT NULL)) AS gap
FROM (SELECT *, coalesce(working_set_bytes, kubectl_top_bytes) AS ws FROM read_parquet('${input}')) GROUP BY ALL`);
    // the value at rank ⌈p·n⌉ (1-based) of the ascending values
    const nearestRank = (sorted: unknown[] | null, p: number) => (!sorted || sorted.length === 0 ? null : Number(sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]));
    const byKey = new Map(ours.map((r) => [keyOf(r as never), r]));
    let checked = 0;
    for (const e of exact) {
      const r = byKey.get(keyOf(e))!;
      const near = (v: number | null, sorted: unknown[] | null, p: number, what: string) => {
        const want = nearestRank(sorted, p);
        const ok = want === null ? v === null : v !== null && Math.abs(v - want) <= 0.005 * Math.abs(want);
        expect({ k: keyOf(e), what, v, want, ok }).toEqual({ k: keyOf(e), what, v, want, ok: true });
        checked++;
      };
      near(r.working_set_p50, e.ws as unknown[] | null, 0.5, 'ws p50');
      near(r.working_set_p95, e.ws as unknown[] | null, 0.95, 'ws p95');
      near(r.rss_p95, e.rss as unknown[] | null, 0.95, 'rss p95');
      near(r.gap_p50, e.gap as unknown[] | null, 0.5, 'gap p50');
      near(r.gap_p95, e.gap as unknown[] | null, 0.95, 'gap p95');
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('writes data.parquet with the contract types, and a re-run gives the same rows', async () => {
    const file = path.join(dir, built.key!);
    const cols = await rowsOf(`DESCRIBE SELECT * FROM read_parquet('${file}', hive_partitioning = false)`);
    const type = Object.fromEntries(cols.map((c) => [c.column_name, c.column_type]));
    expect(type.day).toBe('TIMESTAMP WITH TIME ZONE');
    expect(type.working_set_p95).toBe('BIGINT');
    expect(type.rss_slope_bytes_per_hour).toBe('DOUBLE');
    expect(type.leak_suspect).toBe('BOOLEAN');
    expect(type.leak_memory).toBe('VARCHAR');
    expect(type.dt).toBeUndefined(); // partition keys live in the path only
    const again = await buildTrends(engine, new FsObjectStore(dir), DT, 'demo');
    expect(again.key).toBe(built.key);
    expect(await dayTrends(engine, DT, 'demo')).toEqual(ours);
  });
});
