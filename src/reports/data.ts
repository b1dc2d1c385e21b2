/**
 * What the reports read, as SQL through the query engine (DuckDB over a local output, Athena in
 * AWS): small result sets from sql/pipeline/report-*.sql — a day's trends_daily rows, a few pods'
 * points, OOM-kill events, causes per namespace, one pod's rows. Never the whole day's rows.
 */
import type { DiscrepancyRow, TrendsDailyRow } from '../outputs/tables.js';
import type { QueryEngine } from '../query/engine.js';
import { pipelineStatement, type PipelineSqlName } from '../trends/sql.js';

/** Engine values → the row types: BIGINT (bigint) as number, a NULL list as []. */
function plain(r: Record<string, unknown>): Record<string, unknown> {
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

export function dayTrends(engine: QueryEngine, dt: string, cluster: string): Promise<TrendsDailyRow[]> {
  return rowsOf(engine, 'report-trends', { dt, cluster });
}

export interface PodRef {
  node: string;
  namespace: string | null;
  pod: string | null;
}

/** The pod-level rows of the given pods on one day, in time order per pod. */
export async function podPoints(engine: QueryEngine, dt: string, cluster: string, pods: readonly PodRef[]): Promise<PartitionedRow[]> {
  if (pods.length === 0) return [];
  const list = pods.map((p) => `,${p.node}|${p.namespace ?? ''}|${p.pod ?? ''},`).join('');
  return rowsOf(engine, 'report-pod-points', { dt, cluster, pods: list });
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
}

export function oomEvents(engine: QueryEngine, w: RowWindow): Promise<OomEvent[]> {
  return rowsOf(engine, 'report-oom-events', { dt_from: dayOf(w.fromMs), dt_to: dayOf(w.toMs), from: sqlInstant(w.fromMs), to: sqlInstant(w.toMs), cluster: w.cluster ?? '', namespace: w.namespace ?? '', pod: w.pod ?? '' });
}

export async function namespaceCauses(engine: QueryEngine, dt: string, cluster: string): Promise<{ namespace: string; causes: Record<string, number> }[]> {
  const out = new Map<string, Record<string, number>>();
  for (const r of await rowsOf<{ namespace: string; cause: string; captures: number }>(engine, 'report-causes', { dt, cluster })) {
    const m = out.get(r.namespace) ?? {};
    m[r.cause] = r.captures;
    out.set(r.namespace, m);
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
