/**
 * What an SRE wants after `analyze` or `demo`: the pods with the largest kubectl top − docker stats
 * gap, each explained in plain words. Read back from the written tables with the same SQL engine
 * as `memgap query`, so an s3:// output works too.
 */
import path from 'node:path';
import type { HostFacts } from '../model/bundle.js';
import type { DiscrepancyRow } from '../outputs/tables.js';
import { explainRow, mib } from '../reports/explain.js';
import { withReportEngine } from '../reports/local-engine.js';
import type { FinishSummary } from '../pipeline/finish.js';
import { table } from './format.js';

/** apps_active_file_bytes: the kernel's active_file of the pod's app containers in that capture (explainRow's appsActiveFile). */
export type TopGap = DiscrepancyRow & { cluster: string; dt: string; apps_active_file_bytes: number | null };

const TOP_GAPS_SQL = (limit: number) => `
  select w.*, a.apps_active_file_bytes from (
    select d.*, row_number() over (partition by cluster, namespace, pod order by gap_bytes desc, captured_at) as rank_in_pod
    from discrepancy d
    where level = 'pod' and gap_bytes is not null
  ) w
  left join (
    select dt, cluster, node, namespace, pod, captured_at,
      case when count(active_file_bytes) = count(*) then sum(active_file_bytes) end as apps_active_file_bytes
    from discrepancy
    where level = 'container' and container is distinct from 'POD'
    group by all
  ) a on a.dt = w.dt and a.cluster = w.cluster and a.node = w.node and a.namespace is not distinct from w.namespace and a.pod is not distinct from w.pod and a.captured_at = w.captured_at
  where rank_in_pod = 1
  order by gap_bytes desc, cluster, namespace, pod limit ${limit}`;

/** The worst capture of each pod by gap. */
export async function topGaps(outLocation: string, limit = 8): Promise<TopGap[]> {
  const { rows } = await withReportEngine(outLocation, (engine) => engine.query(TOP_GAPS_SQL(limit)));
  return rows.map((r) => {
    const { rank_in_pod: _rank, ...row } = r;
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date || v === null || typeof v !== 'object' || Array.isArray(v) ? v : String(v)])) as TopGap;
  });
}

/** How many pods had each figure: why there may be no gap to rank. */
export interface GapCoverage {
  pods: number;
  withTop: number;
  withDocker: number;
}

const COVERAGE_SQL = `
  select count(distinct cluster || '/' || namespace || '/' || pod) as pods,
         count(distinct case when kubectl_top_bytes is not null then cluster || '/' || namespace || '/' || pod end) as with_top,
         count(distinct case when docker_stats_bytes is not null then cluster || '/' || namespace || '/' || pod end) as with_docker
  from discrepancy where level = 'pod'`;

export async function gapCoverage(outLocation: string): Promise<GapCoverage> {
  const { rows } = await withReportEngine(outLocation, (engine) => engine.query(COVERAGE_SQL));
  const r = rows[0] ?? {};
  return { pods: Number(r.pods ?? 0), withTop: Number(r.with_top ?? 0), withDocker: Number(r.with_docker ?? 0) };
}

/** The line printed instead of the table when no pod has a gap: which figure is missing, and where it comes from. */
export function noGapLine(c: GapCoverage): string {
  const what = `of ${c.pods} pod${c.pods === 1 ? '' : 's'}, ${c.withTop} had a kubectl top figure (kubelet /stats/summary or /metrics/resource, a pasted kubectl top) and ${c.withDocker} a docker stats figure (docker stats output, Docker Engine API stats)`;
  const both = c.withTop > 0 && c.withDocker > 0 ? ', never the same pod in the same capture' : '';
  return `No pod had both a kubectl top and a docker stats figure, so there is no gap to rank: ${what}${both}.`;
}

export function printTopGaps(top: readonly TopGap[], hostOf: (node: string) => HostFacts | undefined, coverage?: GapCoverage): void {
  if (top.length === 0) {
    process.stdout.write(`\n${coverage ? noGapLine(coverage) : 'No pod had both a kubectl top and a docker stats figure, so there is no gap to rank.'}\n`);
    return;
  }
  process.stdout.write('\nLargest kubectl top − docker stats gaps (pod rows, worst capture of each pod):\n\n');
  process.stdout.write(
    table([
      ['CLUSTER', 'POD', 'KUBECTL TOP', 'DOCKER STATS', 'GAP', 'CAUSE'],
      ...top.map((r) => [r.cluster, `${r.namespace}/${r.pod}`, mib(r.kubectl_top_bytes), mib(r.docker_stats_bytes), mib(r.gap_bytes), r.cause]),
    ]) + '\n\n',
  );
  // The same namespace/pod can exist in two clusters (the demo's busybox does): say which one.
  const severalClusters = new Set(top.map((r) => r.cluster)).size > 1;
  for (const r of top) process.stdout.write(`• ${severalClusters ? `[${r.cluster}] ` : ''}${explainRow(r, hostOf(r.node), r.apps_active_file_bytes)}\n`);
}

export function printWhereThingsAre(outLocation: string, finish: FinishSummary): void {
  const join = (p: string) => (outLocation.startsWith('s3://') ? `${outLocation.replace(/\/$/, '')}/${p}` : path.join(outLocation, p));
  process.stdout.write(`\nTables (Parquet, hive-partitioned): ${join('discrepancy')}, ${join('samples')}${finish.trendRows > 0 ? `, ${join('trends_daily')}` : ''}\n`);
  for (const report of finish.reports.filter((r) => r.endsWith('index.html'))) process.stdout.write(`Report: ${join(report)}\n`);
  process.stdout.write(`Query them:  memgap query "select * from discrepancy limit 10" --out ${outLocation}\n`);
}
