import { writeDailyReport, type DailyReport } from '../reports/daily.js';
import type { ObjectStore } from '../store/port.js';
import { buildDayTrends } from '../trends/build.js';
import type { Partition } from './analyze.js';
import { clustersOf, COMPACTED_TABLES, compactPartition, type CompactOptions } from './compact.js';

export interface FinishedDay {
  dt: string;
  cluster: string;
  trendsKey: string;
  reportKeys: string[];
  totals: DailyReport['totals'];
}

export interface FinishSummary {
  /** hours merged (per table) */
  compacted: number;
  trendRows: number;
  /** keys of every report file written (index.html, summary.md, summary.json per day) */
  reports: string[];
  days: FinishedDay[];
}

export interface FinishOptions extends CompactOptions {
  /** what counts as a closed hour; default: the wall clock */
  now?: Date;
}

/**
 * After ingest: compact closed hours, build daily trends and reports for the touched
 * (dt, cluster) partitions. Each step is idempotent, so a re-run after a failure is safe.
 */
export async function finishPartitions(out: ObjectStore, partitions: readonly Partition[], options: FinishOptions = {}): Promise<FinishSummary> {
  const now = options.now ?? new Date();
  const summary: FinishSummary = { compacted: 0, trendRows: 0, reports: [], days: [] };
  for (const { dt, cluster } of partitions) {
    for (const table of COMPACTED_TABLES) {
      const hours = await compactPartition(out, table, dt, cluster, now, options);
      summary.compacted += hours.filter((h) => h.merged > 0).length;
    }
    summary.days.push(await buildDay(out, dt, cluster));
  }
  for (const d of summary.days) {
    summary.reports.push(...d.reportKeys);
  }
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
  const list = clusters ?? (await clustersOf(out, dt));
  // The whole day is closed by now: late captures of any hour are merged before the trends read it.
  return finishPartitions(out, list.map((cluster) => ({ dt, cluster })), { ...options, now: options.now ?? now });
}
