/**
 * The daily report reads bounded result sets: on a synthetic cluster-day (helpers/synthetic-day.ts)
 * of 300 pods and of 1,200 pods (900 and 3,600 trends_daily series), every statement the report
 * runs returns the same number of rows, each table shows its first rows and counts the rest, and
 * the causes chart names at most CAUSE_NAMESPACES namespaces. The counts below follow from the
 * planted cases (helpers/synthetic-day.ts) and the report's constants.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueryEngine } from '../../src/query/engine.js';
import { buildDailyReport, CAUSE_NAMESPACES, LIST_ROWS, MAX_CHARTS, renderMarkdown, TOP_GAPS, type DailyReport } from '../../src/reports/daily.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { buildTrends } from '../../src/trends/build.js';
import { countingEngine, wholeDayRead, type StatementRead } from './helpers/report-reads.js';
import { NAMESPACES, SYNTHETIC_CLUSTER as CLUSTER, SYNTHETIC_DT as DT, writeSyntheticDay } from './helpers/synthetic-day.js';

const SAMPLES = 24;
const SIZES = [300, 1200] as const;
const runs = new Map<number, { report: DailyReport; reads: StatementRead[]; whole: StatementRead; charts: number }>();
const roots: string[] = [];

beforeAll(async () => {
  for (const pods of SIZES) {
    const root = await mkdtemp(path.join(os.tmpdir(), `memgap-report-bounds-${pods}-`));
    roots.push(root);
    await writeSyntheticDay(root, pods, SAMPLES);
    const engine = await openQueryEngine(root);
    try {
      await buildTrends(engine, new FsObjectStore(root), DT, CLUSTER);
      const counted = countingEngine(engine);
      const { report, series, gapSeries } = await buildDailyReport(counted.engine, DT, CLUSTER);
      runs.set(pods, { report, reads: counted.reads, whole: await wholeDayRead(engine, DT, CLUSTER), charts: series.length + gapSeries.length });
    } finally {
      await engine.close();
    }
  }
}, 240_000);

afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

const rowsByStatement = (reads: readonly StatementRead[]) => reads.map((r) => [r.name, r.rows]);

describe('the daily report of a large cluster-day', () => {
  it('runs the same statements with the same number of rows at 300 and at 1,200 pods', () => {
    const small = runs.get(300)!;
    const large = runs.get(1200)!;
    expect(rowsByStatement(large.reads)).toEqual(rowsByStatement(small.reads));
    // what the report used to read, all trends_daily rows, grows with the pods: 3 series per pod
    expect([small.whole.rows, large.whole.rows]).toEqual([900, 3600]);
  });

  it('each result is bounded by the report constants, not by the pods', () => {
    const { reads } = runs.get(1200)!;
    const rows = Object.fromEntries(reads.map((r) => [r.name, r.rows]));
    expect(rows['report-totals']).toBe(1);
    // five sections, each saturated at LIST_ROWS (more than 50 planted rows in each at 300 pods)
    expect(rows['report-lists']).toBe(5 * LIST_ROWS);
    // 30 namespaces by name, then one '(other namespaces)' row per cause present among the other 10
    expect(rows['report-causes']).toBeLessThanOrEqual((CAUSE_NAMESPACES + 1) * 3);
    // chart points: at most MAX_CHARTS + TOP_GAPS pods × SAMPLES captures
    expect(rows['report-pod-points']).toBeLessThanOrEqual((MAX_CHARTS + TOP_GAPS) * SAMPLES);
    expect(rows['report-widest']).toBe(TOP_GAPS);
    expect(reads.map((r) => r.name)).not.toContain('other');
  });

  it('counts what the tables leave out, and names the query that lists it all', () => {
    const { report } = runs.get(1200)!;
    // 1,200 pods: near limit i % 10 = 2 → 120 pods, app container + pod row each = 240 rows
    expect([report.nearLimit.length, report.more.nearLimit.rows]).toEqual([LIST_ROWS, 240 - LIST_ROWS]);
    // OOM-killed i % 5 = 3 → 240 app containers
    expect([report.oomKills.length, report.more.oomKills.rows]).toEqual([LIST_ROWS, 240 - LIST_ROWS]);
    // every app container gets a recommendation; every pod has a gap > 4 KiB
    expect([report.rightSizing.length, report.more.rightSizing.rows]).toEqual([LIST_ROWS, 1200 - LIST_ROWS]);
    expect([report.topGaps.length, report.more.topGaps.rows]).toEqual([TOP_GAPS, 1200 - TOP_GAPS]);
    expect(report.totals).toMatchObject({ pods: 1200, containers: 2400, nodes: 11, oomKills: 240, nearLimit: 120, discrepancyRows: 3600 * SAMPLES });
    // leaks: RSS i % 20 = 0 (60 pods) and tmpfs i % 25 = 1 (48 pods), disjoint; the pause container never
    expect(report.totals.leakSuspects).toBe(60 + 48);
    expect(report.more.leakSuspects.rows).toBe(2 * (60 + 48) - LIST_ROWS);
    expect(report.more.nearLimit.sql).toBe(`SELECT * FROM trends_daily WHERE dt = '${DT}' AND cluster = '${CLUSTER}' AND container IS DISTINCT FROM 'POD' AND max_pct_of_limit >= 90 ORDER BY max_pct_of_limit DESC`);
    const md = renderMarkdown(report);
    expect(md).toContain(`… and ${240 - LIST_ROWS} more rows, listed by this query`);
  });

  it('names at most CAUSE_NAMESPACES namespaces in the causes chart and sums the rest', () => {
    const { report } = runs.get(1200)!;
    expect(report.namespaceCauses).toHaveLength(CAUSE_NAMESPACES + 1);
    const other = report.namespaceCauses.at(-1)!;
    expect(other.namespace).toBe(`(${NAMESPACES - CAUSE_NAMESPACES} other namespaces)`);
    // 1,200 pods over 40 namespaces = 30 pods each, 24 pod captures each
    const captures = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(captures(other.causes)).toBe((NAMESPACES - CAUSE_NAMESPACES) * 30 * SAMPLES);
    expect(report.namespaceCauses.reduce((a, n) => a + captures(n.causes), 0)).toBe(1200 * SAMPLES);
  });
});
