/**
 * trends_daily of one (dt, cluster), by the query engine, from one SQL source
 * (sql/pipeline/trends-daily.sql):
 *  - a local output folder (DuckDB): COPY the SELECT to a temporary file, then rename it to
 *    `trends_daily/dt=<d>/cluster=<c>/data.parquet` (readers see the old file or the new one);
 *  - AWS (Athena, Iceberg): one MERGE INTO trends_daily per (dt, cluster), an atomic commit that
 *    updates the day's series already there and inserts the new ones.
 * Re-running either replaces the day's rows with the same result.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { compactedKey } from '../outputs/layout.js';
import { columnsOf, TABLES } from '../outputs/tables.js';
import type { QueryEngine } from '../query/engine.js';
import { DUCKDB_TYPE, viewSql } from '../query/views.js';
import { writeDailyReport, type DailyReport } from '../reports/daily.js';
import { FsObjectStore } from '../store/fs-store.js';
import type { ObjectStore } from '../store/port.js';
import { pipelineStatement, stringLiteral } from './sql.js';

/** The series key of trends_daily: one row per (level, node, namespace, pod, pod_uid, container) and day. */
export const SERIES_KEY = ['level', 'node', 'namespace', 'pod', 'pod_uid', 'container'] as const;

/** The one file of a (dt, cluster) partition of trends_daily in a local output folder. */
export const trendsKey = (dt: string, cluster: string): string => compactedKey('trends_daily', dt, cluster);

/** The Athena-dialect SELECT of one day's trends_daily rows (contract columns, contract order). */
export function trendsSelectSql(dt: string, cluster: string): string {
  return pipelineStatement('trends-daily', { dt, cluster });
}

const trendsColumns = () => columnsOf(TABLES.trends_daily).map((c) => c.name);

/**
 * Athena: the MERGE of one (dt, cluster) into the Iceberg table trends_daily. A series matches on
 * its key (NULLs equal), so a re-run updates every column in place and adds what is new.
 */
export function trendsMergeSql(dt: string, cluster: string): string {
  const cols = trendsColumns();
  const keys = new Set<string>(SERIES_KEY);
  const on = [`t.dt = ${stringLiteral(dt)}`, `t.cluster = ${stringLiteral(cluster)}`, ...SERIES_KEY.map((k) => `t.${k} IS NOT DISTINCT FROM s.${k}`)].join('\n  AND ');
  const set = cols.filter((c) => !keys.has(c)).map((c) => `${c} = s.${c}`).join(',\n  ');
  return [
    'MERGE INTO trends_daily AS t',
    `USING (\n${trendsSelectSql(dt, cluster)}\n) AS s`,
    `ON ${on}`,
    `WHEN MATCHED THEN UPDATE SET\n  ${set}`,
    `WHEN NOT MATCHED THEN INSERT (${[...cols, 'dt', 'cluster'].join(', ')})`,
    `  VALUES (${[...cols.map((c) => `s.${c}`), stringLiteral(dt), stringLiteral(cluster)].join(', ')})`,
  ].join('\n');
}

/**
 * DuckDB: the COPY of one day's rows to `target`, each column cast to the type the contract gives
 * it (the file then reads back exactly like the other tables' files).
 */
export function localTrendsCopySql(dt: string, cluster: string, target: string): string {
  const cast = columnsOf(TABLES.trends_daily).map((c) => `CAST(${c.name} AS ${DUCKDB_TYPE[c.glue]}) AS ${c.name}`);
  return `COPY (SELECT ${cast.join(', ')} FROM (\n${trendsSelectSql(dt, cluster)}\n) AS s) TO ${stringLiteral(target.replace(/\\/g, '/'))} (FORMAT parquet, COMPRESSION snappy)`;
}

export interface BuiltTrends {
  dt: string;
  cluster: string;
  /** the data file (local) or null (Iceberg: Athena owns the files) */
  key: string | null;
  /** trends_daily rows of the day */
  rows: number;
}

/** Points the local engine's views at the files as they are now (a view lists files when created). */
export async function refreshLocalViews(engine: QueryEngine, root: string): Promise<void> {
  for (const t of ['discrepancy', 'trends_daily'] as const) await engine.query(viewSql(t, root));
}

/** `execute` when the engine has one (Athena: no result rows to page through), else `query`. */
async function run(engine: QueryEngine, sql: string): Promise<void> {
  const e = engine as QueryEngine & { execute?: (sql: string) => Promise<unknown> };
  if (typeof e.execute === 'function') await e.execute(sql);
  else await engine.query(sql);
}

/**
 * Builds trends_daily for (dt, cluster). With a local folder store (FsObjectStore) the engine must
 * be DuckDB opened on that folder (openQueryEngine(store.root)); with any other store the engine
 * is Athena and the table an Iceberg table.
 */
export async function buildTrends(engine: QueryEngine, store: ObjectStore, dt: string, cluster: string): Promise<BuiltTrends> {
  if (store instanceof FsObjectStore) {
    await refreshLocalViews(engine, store.root);
    const key = trendsKey(dt, cluster);
    const file = path.join(store.root, ...key.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    // Not *.parquet: the table's glob never sees a half-written file.
    const tmp = path.join(path.dirname(file), `.data.parquet.tmp-${randomBytes(6).toString('hex')}`);
    try {
      const copied = await engine.query(localTrendsCopySql(dt, cluster, tmp));
      await rename(tmp, file);
      await refreshLocalViews(engine, store.root);
      return { dt, cluster, key, rows: Number(copied.rows[0]?.Count ?? 0) };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
  await run(engine, trendsMergeSql(dt, cluster));
  const n = await engine.query(`SELECT count(*) AS n FROM trends_daily WHERE dt = ${stringLiteral(dt)} AND cluster = ${stringLiteral(cluster)}`);
  return { dt, cluster, key: null, rows: Number(n.rows[0]?.n ?? 0) };
}

export interface BuiltDay extends BuiltTrends {
  /** keys of the daily report's files (index.html, summary.md, summary.json) */
  reportKeys: string[];
  totals: DailyReport['totals'];
}

/**
 * trends_daily, then the daily report, of one (dt, cluster): the daily step. `engine` is DuckDB
 * on the folder when `store` is a local folder (FsObjectStore), else Athena; the report files go
 * to `store` either way.
 */
export async function buildDay(engine: QueryEngine, store: ObjectStore, dt: string, cluster: string): Promise<BuiltDay> {
  const trends = await buildTrends(engine, store, dt, cluster);
  const { keys, report } = await writeDailyReport(store, engine, dt, cluster);
  return { ...trends, reportKeys: keys, totals: report.totals };
}
