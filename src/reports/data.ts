/**
 * What the reports read, as SQL through the query engine (DuckDB over a local output, Athena in
 * AWS): bounded result sets from sql/pipeline/report-*.sql — the day's totals (one row), the first
 * rows of each report table, a few pods' chart points and widest-gap rows, their OOM-kill events,
 * causes per namespace (a capped number of namespaces), one pod's rows. Never a result that grows
 * with the number of pods in the cluster: a 1,000-node cluster-day has ~330,000 trends_daily rows.
 */
import type { PodPoint } from './charts.js';
import type { DiscrepancyRow, TrendsDailyRow } from '../outputs/tables.js';
import type { QueryEngine } from '../query/engine.js';
import { pipelineStatement, type PipelineSqlName } from '../trends/sql.js';

/** Engine values → the row types: BIGINT (bigint) as number, a NULL list as []. */
export function plain(r: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) o[k] = typeof v === 'bigint' ? Number(v) : v;
  if ('flags' in o && o.flags == null) o.flags = [];
  return o;
}

async function rowsOf<T>(engine: QueryEngine, name: PipelineSqlName, params: Record<string, string>): Promise<T[]> {
  return (await engine.query(pipelineStatement(name, params))).rows.map((r) => plain(r) as T);
}

/** `2026-11-26 10:00:00.000`: a timestamp literal both engines read as UTC. */
const sqlInstant = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A discrepancy row with the partition it came from. */
export type PartitionedRow = DiscrepancyRow & { dt: string; cluster: string };

/** The report's totals of one (dt, cluster) (sql/pipeline/report-totals.sql): one row. */
export interface DayTotals {
  discrepancy_rows: number;
  pods: number;
  containers: number;
  nodes: number;
  leak_suspects: number;
  near_limit: number;
  oom_kills: number;
  /** rows each report section would list in full */
  top_gap_rows: number;
  near_limit_rows: number;
  leak_rows: number;
  oom_rows: number;
  right_sizing_rows: number;
}

export async function dayTotals(engine: QueryEngine, dt: string, cluster: string, nearPct: number): Promise<DayTotals> {
  const [row] = await rowsOf<DayTotals>(engine, 'report-totals', { dt, cluster, near_pct: String(nearPct) });
  return row!;
}

export type ReportSection = 'top-gaps' | 'near-limit' | 'leaks' | 'ooms' | 'right-sizing';

/**
 * The first `n` trends_daily rows of each report section of one (dt, cluster), in report order
 * (sql/pipeline/report-lists.sql): at most 5 × n rows, whatever the cluster's size.
 */
export async function daySections(engine: QueryEngine, dt: string, cluster: string, nearPct: number, n: number): Promise<Record<ReportSection, TrendsDailyRow[]>> {
  const out: Record<ReportSection, TrendsDailyRow[]> = { 'top-gaps': [], 'near-limit': [], leaks: [], ooms: [], 'right-sizing': [] };
  for (const r of await rowsOf<TrendsDailyRow & { section: ReportSection; pos: number }>(engine, 'report-lists', { dt, cluster, near_pct: String(nearPct), n: String(n) })) {
    const { section, pos: _pos, ...row } = r;
    out[section].push(row);
  }
  return out;
}

export interface PodRef {
  node: string;
  namespace: string | null;
  pod: string | null;
}

/** `,<node>|<namespace>|<pod>,` entries: a pod list as one bound literal (Kubernetes names hold no `,` or `|`). */
const podList = (pods: readonly PodRef[]) => pods.map((p) => `,${p.node}|${p.namespace ?? ''}|${p.pod ?? ''},`).join('');

/** One chart point of a pod, with the pod it belongs to. */
export type PodPointRow = Pick<DiscrepancyRow, 'node' | 'namespace' | 'pod' | 'captured_at'> & Omit<PodPoint, 'at'>;

/** The chart points (pod-level rows, chart columns only) of the given pods on one day, in time order per pod. */
export async function podPoints(engine: QueryEngine, dt: string, cluster: string, pods: readonly PodRef[]): Promise<PodPointRow[]> {
  if (pods.length === 0) return [];
  return rowsOf(engine, 'report-pod-points', { dt, cluster, pods: podList(pods) });
}

/** A pod's widest-gap row and the active_file of its app containers in that capture (explainRow's appsActiveFile). */
export type WidestRow = PartitionedRow & { apps_active_file_bytes: number | null };

/** The widest-gap pod-level row of each given pod on one day (pods without a gap have none). */
export async function widestGaps(engine: QueryEngine, dt: string, cluster: string, pods: readonly PodRef[]): Promise<WidestRow[]> {
  if (pods.length === 0) return [];
  return (await rowsOf<WidestRow & { pos?: number }>(engine, 'report-widest', { dt, cluster, pods: podList(pods) })).map(({ pos: _pos, ...r }) => r);
}

export interface OomEvent {
  cluster: string;
  node: string;
  namespace: string | null;
  pod: string | null;
  container: string | null;
  /** the capture before the rise and the one that saw it */
  previous_at: Date;
  seen_at: Date;
  kills: number;
}

export interface RowWindow {
  fromMs: number;
  toMs: number;
  /** '' or undefined: any */
  cluster?: string;
  namespace?: string;
  pod?: string;
  /** only these pods (undefined: any) */
  pods?: readonly PodRef[];
}

export async function oomEvents(engine: QueryEngine, w: RowWindow): Promise<OomEvent[]> {
  if (w.pods?.length === 0) return [];
  return rowsOf(engine, 'report-oom-events', { dt_from: dayOf(w.fromMs), dt_to: dayOf(w.toMs), from: sqlInstant(w.fromMs), to: sqlInstant(w.toMs), cluster: w.cluster ?? '', namespace: w.namespace ?? '', pod: w.pod ?? '', pods: w.pods ? podList(w.pods) : '' });
}

/**
 * Pod captures per namespace and dominant cause of one (dt, cluster): the `n` namespaces with the
 * most captures that have a gap cause, then one `(N other namespaces)` entry for the rest.
 */
export async function namespaceCauses(engine: QueryEngine, dt: string, cluster: string, n: number): Promise<{ namespace: string; causes: Record<string, number> }[]> {
  const out = new Map<string, Record<string, number>>();
  for (const r of await rowsOf<{ namespace: string; cause: string; captures: number; other_namespaces: number }>(engine, 'report-causes', { dt, cluster, n: String(n) })) {
    const name = r.other_namespaces > 0 ? `(${r.other_namespaces} other namespace${r.other_namespaces === 1 ? '' : 's'})` : r.namespace;
    const m = out.get(name) ?? {};
    m[r.cause] = r.captures;
    out.set(name, m);
  }
  return [...out.entries()].map(([namespace, causes]) => ({ namespace, causes }));
}

/** Every row of one pod in a window (both bounds inclusive), in time order, the pod row first. */
export function podRows(engine: QueryEngine, w: RowWindow & { namespace: string; pod: string }): Promise<PartitionedRow[]> {
  return rowsOf(engine, 'report-pod-rows', { dt_from: dayOf(w.fromMs), dt_to: dayOf(w.toMs), from: sqlInstant(w.fromMs), to: sqlInstant(w.toMs), cluster: w.cluster ?? '', namespace: w.namespace, pod: w.pod });
}

/** The partitions holding a pod, newest day first. */
export function podDays(engine: QueryEngine, namespace: string, pod: string, cluster?: string): Promise<{ dt: string; cluster: string; n: number }[]> {
  return rowsOf(engine, 'report-pod-days', { namespace, pod, cluster: cluster ?? '' });
}

/** Distinct namespace/pod names of days dtFrom…dtTo whose pod starts with `prefix`. */
export function podNames(engine: QueryEngine, dtFrom: string, dtTo: string, prefix: string): Promise<{ namespace: string; pod: string }[]> {
  return rowsOf(engine, 'report-pod-names', { dt_from: dtFrom, dt_to: dtTo, prefix: `${prefix.replace(/[%_\\]/g, '')}%` });
}
