import { writeDailyReport, type DailyReport } from '../reports/daily.js';
import type { ObjectStore } from '../store/port.js';
import { buildDayTrends, type DayTrends } from '../trends/build.js';
import type { OnPhase, Partition } from './analyze.js';
import { clustersOf, compactStaging } from './compact.js';

export interface FinishedDay {
  dt: string;
  cluster: string;
  trendsKey: string;
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
}

/**
 * After ingest: compact any staging left (a run killed before its compaction), then build daily
 * trends and reports for the (dt, cluster) partitions. Each step is idempotent, so a re-run after
 * a failure is safe.
 */
export async function finishPartitions(out: ObjectStore, partitions: readonly Partition[], options: FinishOptions = {}): Promise<FinishSummary> {
  const summary: FinishSummary = { compacted: 0, trendRows: 0, reports: [], days: [] };
  if (options.compact !== false) summary.compacted = (await compactStaging(out, { onProgress: (d, t) => options.onPhase?.('compaction', d, t) })).partitions.length;
  const trends: DayTrends[] = [];
  for (const [i, { dt, cluster }] of partitions.entries()) {
    trends.push(await buildDayTrends(out, dt, cluster));
    options.onPhase?.('trends', i + 1, partitions.length);
  }
  for (const [i, t] of trends.entries()) {
    const { keys, report } = await writeDailyReport(out, t);
    summary.days.push({ dt: t.dt, cluster: t.cluster, trendsKey: t.key!, reportKeys: keys, totals: report.totals });
    options.onPhase?.('reports', i + 1, trends.length);
  }
  for (const d of summary.days) summary.reports.push(...d.reportKeys);
  summary.trendRows = summary.days.reduce((a, d) => a + (d.totals.pods + d.totals.containers), 0);
  return summary;
}

/** trends_daily + the daily report of one (dt, cluster). */
export async function buildDay(out: ObjectStore, dt: string, cluster: string): Promise<FinishedDay> {
  const trends = await buildDayTrends(out, dt, cluster);
  const { keys, report } = await writeDailyReport(out, trends);
  return { dt, cluster, trendsKey: trends.key!, reportKeys: keys, totals: report.totals };
}

/** The scheduled daily job: the UTC day before `now`, every cluster with discrepancy data that day (or the given ones). */
export async function runDaily(out: ObjectStore, now: Date, clusters?: readonly string[], options: FinishOptions = {}): Promise<FinishSummary> {
  const dt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 86_400_000).toISOString().slice(0, 10);
  // Staging first (locally), so a cluster whose only data of the day is still staged is found too.
  if (options.compact !== false) await compactStaging(out);
  const list = clusters ?? (await clustersOf(out, dt));
  return finishPartitions(out, list.map((cluster) => ({ dt, cluster })), { ...options, compact: false });
}
