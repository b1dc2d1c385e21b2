/**
 * trends_daily against an independent engine: DuckDB computes the same aggregates (nearest-rank
 * as the ⌈p·n⌉-th sorted value, regr_slope, the OOM counter's increases with the reset rule)
 * over the same discrepancy files. memgap reads a partition that is half compacted (hours
 * 00–11 merged, the rest still per-capture), so the read rule is exercised too.
 */
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionPrefix } from '../../src/outputs/layout.js';
import { compactHour, compactPartition } from '../../src/pipeline/compact.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { duckdbTrendsSql } from '../../src/trends/bench.js';
import { buildDayTrends, type DayTrends } from '../../src/trends/build.js';
import { buildDemoOutput } from './helpers/demo-output.js';

const DT = '2026-11-26';
const HOUR_MS = 3_600_000;
let dir: string;
let store: FsObjectStore;
let con: DuckDBConnection;
let expected: Record<string, unknown>[];
let ours: DayTrends;

const prefixDir = () => path.join(dir, partitionPrefix('discrepancy', DT, 'demo'));

beforeAll(async () => {
  dir = await buildDemoOutput();
  store = new FsObjectStore(dir);
  const db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run('SET threads=1');
  // Before any compaction, every file is a per-capture file: DuckDB reads them all.
  expected = (await con.runAndReadAll(duckdbTrendsSql(path.join(prefixDir(), 'capture_*.parquet'), DT))).getRowObjectsJS() as Record<string, unknown>[];
  for (let h = 0; h < 12; h++) await compactHour(store, 'discrepancy', DT, 'demo', Date.parse(`${DT}T00:00:00Z`) + h * HOUR_MS);
  ours = await buildDayTrends(store, DT, 'demo');
}, 120_000);

afterAll(() => con?.closeSync());

const keyOf = (r: { level: unknown; node: unknown; namespace: unknown; pod: unknown; container: unknown }) => `${r.level}|${r.node}|${r.namespace}|${r.pod}|${r.container}`;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

describe('trends_daily = DuckDB over the same files', () => {
  it('has one row per series', () => {
    expect(ours.rows.length).toBe(expected.length);
    expect(new Set(ours.rows.map(keyOf))).toEqual(new Set(expected.map((r) => keyOf(r as never))));
    expect(ours.inputRows).toBe(expected.reduce((a, r) => a + Number(r.samples), 0));
  });

  it('agrees on every aggregate of every series', () => {
    const byKey = new Map(expected.map((r) => [keyOf(r as never), r]));
    for (const row of ours.rows) {
      const d = byKey.get(keyOf(row))!;
      const where = keyOf(row);
      expect({ where, samples: row.samples }).toEqual({ where, samples: Number(d.samples) });
      expect(row.first_seen.getTime()).toBe(new Date(d.first_seen as string | Date).getTime());
      expect(row.last_seen.getTime()).toBe(new Date(d.last_seen as string | Date).getTime());
      for (const c of ['working_set_min', 'working_set_avg', 'working_set_p50', 'working_set_p95', 'working_set_max', 'rss_p95', 'rss_max', 'cache_p95', 'cache_max', 'gap_p50', 'gap_p95', 'gap_max', 'limit_bytes', 'oom_kills'] as const) {
        expect({ where, c, v: row[c] }).toEqual({ where, c, v: num(d[c]) });
      }
      for (const c of ['rss_slope_bytes_per_hour', 'working_set_slope_bytes_per_hour', 'max_pct_of_limit'] as const) {
        const a = row[c];
        const b = num(d[c]);
        if (b === null) expect({ where, c, v: a }).toEqual({ where, c, v: null });
        else expect(Math.abs(a! - b)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b)));
      }
    }
  });

  it('writes a trends_daily file that DuckDB reads with the contract types', async () => {
    const file = path.join(dir, ours.key!);
    const cols = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS() as { column_name: string; column_type: string }[];
    const type = Object.fromEntries(cols.map((c) => [c.column_name, c.column_type]));
    expect(type.day).toBe('TIMESTAMP WITH TIME ZONE');
    expect(type.working_set_p95).toBe('BIGINT');
    expect(type.rss_slope_bytes_per_hour).toBe('DOUBLE');
    expect(type.leak_suspect).toBe('BOOLEAN');
    const n = (await con.runAndReadAll(`SELECT count(*) AS n, count(*) FILTER (WHERE leak_suspect) AS leaks FROM read_parquet('${file}')`)).getRowObjectsJS()[0]!;
    expect(Number(n.n)).toBe(expected.length);
    // on-the-hour samples of the leaking pod: its container row and its pod row
    expect(Number(n.leaks)).toBe(2);
  });

  it('after full compaction DuckDB sees exactly the rows it saw before', async () => {
    await compactPartition(store, 'discrepancy', DT, 'demo', new Date('2026-11-28T00:00:00Z'));
    const after = (await con.runAndReadAll(duckdbTrendsSql(path.join(prefixDir(), 'compact_*.parquet'), DT))).getRowObjectsJS();
    expect(after).toEqual(expected);
  });
});
