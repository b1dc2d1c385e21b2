import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { partitionPrefix } from '../outputs/layout.js';
import { openQueryEngine, type QueryEngine } from '../query/engine.js';
import type { DailyReport } from '../reports/daily.js';
import { FsObjectStore } from '../store/fs-store.js';
import type { ObjectStore } from '../store/port.js';
import { buildTrends, trendsKey } from '../trends/build.js';
import { writeDailyReport } from '../reports/daily.js';
import type { OnPhase, Partition } from './analyze.js';
import { compactStaging } from './compact.js';

export interface FinishedDay {
  dt: string;
  cluster: string;
  /** the trends_daily data file (local folder) or null (Iceberg) */
  trendsKey: string | null;
  reportKeys: string[];
  totals: DailyReport['totals'];
}

export interface FinishSummary {
  /** (table, dt, cluster) partitions compacted from staging files left over (normally 0: analyze compacts) */
  compacted: number;
  trendRows: number;
  /** keys of every report file written (index.html, summary.md, summary.json per day) */
  reports: string[];
  days: FinishedDay[];
}

export interface FinishOptions {
  onPhase?: OnPhase;
  /** Compact leftover staging files with DuckDB first (default true; false where Athena compacts). */
  compact?: boolean;
  /** The engine the trends and reports run on; default: DuckDB on `out` (which must then be a local folder). */
  engine?: QueryEngine;
}

/**
 * After ingest: compact any staging left (a run killed before its compaction), then build daily
 * trends and reports for the (dt, cluster) partitions. Each step is idempotent, so a re-run after
 * a failure is safe.
 */
export async function finishPartitions(out: ObjectStore, partitions: readonly Partition[], options: FinishOptions = {}): Promise<FinishSummary> {
  const summary: FinishSummary = { compacted: 0, trendRows: 0, reports: [], days: [] };
  if (options.compact !== false) summary.compacted = (await compactStaging(out, { onProgress: (d, t) => options.onPhase?.('compaction', d, t) })).partitions.length;
  if (!options.engine && !(out instanceof FsObjectStore)) return { ...(await finishOnLocalMirror(out, partitions, options)), compacted: summary.compacted };
  const engine = options.engine ?? (await openLocalEngine(out as FsObjectStore));
  try {
    for (const [i, { dt, cluster }] of partitions.entries()) {
      await buildTrends(engine, out, dt, cluster);
      options.onPhase?.('trends', i + 1, partitions.length);
    }
    for (const [i, { dt, cluster }] of partitions.entries()) {
      const { keys, report } = await writeDailyReport(out, engine, dt, cluster);
      summary.days.push({ dt, cluster, trendsKey: out instanceof FsObjectStore ? trendsKey(dt, cluster) : null, reportKeys: keys, totals: report.totals });
      options.onPhase?.('reports', i + 1, partitions.length);
    }
  } finally {
    if (!options.engine) await engine.close();
  }
  for (const d of summary.days) summary.reports.push(...d.reportKeys);
  summary.trendRows = summary.days.reduce((a, d) => a + (d.totals.pods + d.totals.containers), 0);
  return summary;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = { '.parquet': 'application/vnd.apache.parquet', '.html': 'text/html; charset=utf-8', '.md': 'text/markdown; charset=utf-8', '.json': 'application/json' };

/**
 * `memgap analyze --out s3://…` without Athena: the partitions' discrepancy files are copied to a
 * temp folder, DuckDB builds the trends and reports there, and what it wrote (trends_daily/,
 * reports/) is uploaded to the same keys.
 */
async function finishOnLocalMirror(out: ObjectStore, partitions: readonly Partition[], options: FinishOptions): Promise<FinishSummary> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-finish-'));
  const local = new FsObjectStore(root);
  try {
    for (const { dt, cluster } of partitions) {
      for await (const o of out.list(partitionPrefix('discrepancy', dt, cluster))) await local.put(o.key, await out.getBytes(o.key));
    }
    const summary = await finishPartitions(local, partitions, { ...options, compact: false });
    for (const prefix of ['trends_daily/', 'reports/']) {
      for await (const o of local.list(prefix)) await out.put(o.key, await local.getBytes(o.key), CONTENT_TYPES[path.extname(o.key)]);
    }
    return summary;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** DuckDB on a local output folder (the trends and reports of `memgap analyze`). */
async function openLocalEngine(out: FsObjectStore): Promise<QueryEngine> {
  return openQueryEngine(out.root);
}
