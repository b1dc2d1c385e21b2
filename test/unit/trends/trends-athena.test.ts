/**
 * The Athena side of the trends and report SQL: the statements are Trino (every function call in
 * the checked Trino list, no DuckDB-only syntax), the MERGE text is the golden file, and the MERGE
 * run twice on an Iceberg-like table (DuckDB's MERGE INTO, the translated text) leaves one row per
 * series with the second run's values: the daily step is idempotent.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeParquet } from '../../../src/outputs/parquet.js';
import { columnsOf, PARTITION_COLUMNS, TABLES } from '../../../src/outputs/tables.js';
import { DUCKDB_TYPE, openQueryEngine } from '../../../src/query/engine.js';
import { trendsMergeSql, trendsSelectSql } from '../../../src/trends/build.js';
import { pipelineStatement, type PipelineSqlName } from '../../../src/trends/sql.js';
import { dialectProblems } from '../../integration/helpers/trino-dialect.js';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden', 'trends-merge.sql');
const MiB = 1024 * 1024;

describe('trends and report SQL in the Athena dialect', () => {
  const w = { dt_from: '2026-11-25', dt_to: '2026-11-26', from: '2026-11-25 00:00:00.000', to: '2026-11-26 23:59:59.999', cluster: 'prod', namespace: 'shop', pod: 'orders-api' };
  const statements: [string, string][] = [
    ['trends-daily', trendsSelectSql('2026-11-26', 'prod')],
    ['trends MERGE', trendsMergeSql('2026-11-26', 'prod')],
    ...([
      ['report-totals', { dt: '2026-11-26', cluster: 'prod', near_pct: '90' }],
      ['report-lists', { dt: '2026-11-26', cluster: 'prod', near_pct: '90', n: '50' }],
      ['report-pod-points', { dt: '2026-11-26', cluster: 'prod', pods: ',n1|shop|orders-api,' }],
      ['report-widest', { dt: '2026-11-26', cluster: 'prod', pods: ',n1|shop|orders-api,' }],
      ['report-oom-events', { ...w, pods: '' }],
      ['report-causes', { dt: '2026-11-26', cluster: 'prod', n: '30' }],
      ['report-pod-rows', w],
      ['report-pod-days', { cluster: '', namespace: 'shop', pod: 'orders-api' }],
      ['report-pod-names', { dt_from: '2026-11-20', dt_to: '2026-11-26', prefix: 'orders%' }],
    ] as [PipelineSqlName, Record<string, string>][]).map(([n, p]) => [n, pipelineStatement(n, p)] as [string, string]),
  ];
  it.each(statements)('%s calls only Trino functions, with no DuckDB-only syntax', (_, sql) => {
    expect(dialectProblems(sql)).toEqual([]);
  });

  it('binds every value as a quoted string (a cluster named 123 stays a string)', () => {
    expect(trendsSelectSql('2026-11-26', '123')).toContain("cluster = '123'");
    expect(trendsSelectSql('2026-11-26', "o'brien")).toContain("cluster = 'o''brien'");
    expect(() => pipelineStatement('report-causes', { dt: 'x' })).toThrow(/takes cluster, dt, n/);
  });

  it('renders the MERGE of one (dt, cluster) exactly as the golden file (around the trends SELECT)', () => {
    const merge = trendsMergeSql('2026-11-26', 'prod');
    const select = trendsSelectSql('2026-11-26', 'prod');
    expect(merge.split(select)).toHaveLength(2);
    const golden = readFileSync(GOLDEN, 'utf8').trimEnd().replace("{{sql/pipeline/trends-daily.sql bound to dt = '2026-11-26', cluster = 'prod'}}", select);
    expect(merge).toBe(golden);
  });
});

describe('the MERGE on an Iceberg-like table (DuckDB MERGE INTO, translated text)', () => {
  it('run twice: one row per series, values of the latest run, other days and clusters untouched', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-trends-merge-'));
    try {
      const DT = '2026-11-26';
      const at = (h: number) => new Date(Date.parse(`${DT}T00:00:00Z`) + h * 3_600_000);
      const row = (h: number, container: string | null, ws: number) => {
        const o: Record<string, unknown> = {};
        for (const c of columnsOf(TABLES.discrepancy)) o[c.name] = c.glue === 'array<string>' ? [] : null;
        Object.assign(o, { captured_at: at(h), node: 'n1', namespace: 'ns', pod: 'p', pod_uid: 'u', container, container_id: null, level: container ? 'container' : 'pod', docker_formula: 'unknown', cause: 'none', working_set_bytes: ws * MiB, rss_bytes: ws * MiB });
        return o;
      };
      const dir = path.join(root, 'discrepancy', `dt=${DT}`, 'cluster=prod');
      await mkdir(dir, { recursive: true });
      const write = (rows: Record<string, unknown>[]) => writeFile(path.join(dir, 'data.parquet'), writeParquet(TABLES.discrepancy, rows));
      // day 1: 2 captures of a pod with one container (pod_uid set, namespace set; container NULL on the pod row)
      await write([row(0, 'app', 10), row(0, null, 11), row(1, 'app', 20), row(1, null, 21)]);
      const engine = await openQueryEngine(root);
      try {
        const cols = [...columnsOf(TABLES.trends_daily).map((c) => `${c.name} ${DUCKDB_TYPE[c.glue]}`), ...PARTITION_COLUMNS.map((p) => `${p.name} VARCHAR`)];
        await engine.query('DROP VIEW trends_daily');
        await engine.query(`CREATE TABLE trends_daily (${cols.join(', ')})`);
        // a row of another cluster and of another day that the MERGE must leave alone
        await engine.query(`INSERT INTO trends_daily (node, level, samples, dt, cluster) VALUES ('n1', 'pod', 7, '${DT}', 'other'), ('n1', 'pod', 8, '2026-11-25', 'prod')`);
        await engine.query(trendsMergeSql(DT, 'prod'));
        const first = (await engine.query(`SELECT level, container, samples, working_set_max FROM trends_daily WHERE dt = '${DT}' AND cluster = 'prod' ORDER BY level`)).rows;
        expect(first.map((r) => [r.level, r.container, Number(r.samples), Number(r.working_set_max) / MiB])).toEqual([['container', 'app', 2, 20], ['pod', null, 2, 21]]);
        // a late capture arrives (hour 2), and the day is rebuilt
        await write([row(0, 'app', 10), row(0, null, 11), row(1, 'app', 20), row(1, null, 21), row(2, 'app', 30), row(2, null, 31)]);
        await engine.query(`CREATE OR REPLACE VIEW discrepancy AS SELECT * FROM read_parquet('${path.join(dir, 'data.parquet')}')`.replace('SELECT *', `SELECT *, '${DT}' AS dt, 'prod' AS cluster`));
        await engine.query(trendsMergeSql(DT, 'prod'));
        const all = (await engine.query(`SELECT dt, cluster, level, container, samples, working_set_max FROM trends_daily ORDER BY dt, cluster, level`)).rows;
        expect(all.map((r) => [r.dt, r.cluster, r.level, r.container, Number(r.samples), r.working_set_max === null ? null : Number(r.working_set_max) / MiB])).toEqual([
          ['2026-11-25', 'prod', 'pod', null, 8, null],
          [DT, 'other', 'pod', null, 7, null],
          [DT, 'prod', 'container', 'app', 3, 30],
          [DT, 'prod', 'pod', null, 3, 31],
        ]);
      } finally {
        await engine.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
