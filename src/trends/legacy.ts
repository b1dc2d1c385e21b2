/** TEMPORARY (until the reports read through SQL): the JS aggregation path, removed in the next commits. */
import { ObjectNotFoundError } from '../errors.js';
import { partitionPrefix } from '../outputs/layout.js';
import { writeParquet } from '../outputs/parquet.js';
import { TABLES, type TrendsDailyRow } from '../outputs/tables.js';
import { scanPartition } from '../pipeline/compact.js';
import type { ObjectStore } from '../store/port.js';
import { TREND_INPUT_COLUMNS, TrendsAggregator, type NamespaceCauses, type TrendExtras } from './aggregate.js';

function legacyTrendsKey(dt: string, cluster: string): string {
  return `${partitionPrefix('trends_daily', dt, cluster)}trends_daily.parquet`;
}

export interface DayTrends {
  dt: string;
  cluster: string;
  rows: TrendsDailyRow[];
  extras: TrendExtras[];
  namespaceCauses: NamespaceCauses[];
  inputRows: number;
  key: string | null;
}

/** Aggregates without writing (also used by `memgap explain` and the bench). */
export async function aggregateDay(store: ObjectStore, dt: string, cluster: string): Promise<DayTrends> {
  for (let attempt = 1; ; attempt++) {
    const agg = new TrendsAggregator(Date.parse(`${dt}T00:00:00Z`));
    try {
      await scanPartition(store, 'discrepancy', dt, cluster, TREND_INPUT_COLUMNS, (cols, n) => agg.addColumns(cols, n));
    } catch (err) {
      // A compaction finished while we read: start over on the new layout.
      if (err instanceof ObjectNotFoundError && attempt < 4) continue;
      throw err;
    }
    const done = agg.finish();
    return { dt, cluster, rows: done.map((d) => d.row), extras: done.map((d) => d.extras), namespaceCauses: agg.namespaceCauses(), inputRows: agg.rows, key: null };
  }
}

export async function buildDayTrends(store: ObjectStore, dt: string, cluster: string): Promise<DayTrends> {
  const day = await aggregateDay(store, dt, cluster);
  const key = legacyTrendsKey(dt, cluster);
  await store.put(key, writeParquet(TABLES.trends_daily, day.rows), 'application/vnd.apache.parquet');
  return { ...day, key };
}
