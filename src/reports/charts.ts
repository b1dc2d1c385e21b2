/**
 * The report's charts, from a pod's pod-level discrepancy rows:
 *
 * - the pod over the day: working set (what `kubectl top` shows), `docker stats`, RSS and limit.
 *   On a ≤ 19.03 node docker stats equals RSS-plus-a-little (usage − cache), on a ≥ 20.10 node it
 *   equals the working set (usage − inactive_file): it coincides with one of the other lines on
 *   every node. So the lines it may hide under are wide and drawn first, and docker stats is a
 *   thin line with a white casing drawn last, over them: where they are equal it shows as a stripe
 *   inside the wider line, and the wider line still shows on both sides.
 * - the decomposition of the gap over the day: kubectl top − docker stats stacked as page cache,
 *   shmem, rounding, skew and residual (the columns gap_*_bytes, docs/columns.md), with the
 *   gap itself as a line over the stack.
 * - the dominant gap cause per namespace, in pod captures.
 */
import { shmemShareOfPageCache } from '../analysis/discrepancy.js';
import type { DockerFormula } from '../analysis/formulas.js';
import type { DiscrepancyRow } from '../outputs/tables.js';
import { lineChart, stackedAreaChart, stackedBars, type LineSeries } from './svg.js';

/** The discrepancy columns a chart point is made of (pod rows). */
export const POD_POINT_COLUMNS = [
  'captured_at',
  'kubectl_top_bytes',
  'docker_stats_bytes',
  'docker_formula',
  'working_set_bytes',
  'rss_bytes',
  'shmem_bytes',
  'limit_bytes',
  'gap_bytes',
  'gap_page_cache_bytes',
  'gap_rounding_bytes',
  'gap_skew_bytes',
  'gap_residual_bytes',
] as const satisfies readonly (keyof DiscrepancyRow)[];

/** One pod-level discrepancy row, `captured_at` as epoch ms in `at`. */
export type PodPoint = { at: number } & Pick<DiscrepancyRow, Exclude<(typeof POD_POINT_COLUMNS)[number], 'captured_at'>>;

export interface PodSeries {
  namespace: string;
  pod: string;
  node: string;
  /** pod-level rows in time order */
  points: PodPoint[];
  oomAt: number[];
}

export const CAUSE_COLORS: Record<string, string> = {
  none: '#9ecae1', 'page-cache': '#1f77b4', shmem: '#9467bd', rounding: '#bcbd22', 'time-skew': '#ff7f0e', 'container-mismatch': '#8c564b', 'missing-source': '#c7c7c7', unexplained: '#d62728',
};

export const DOCKER_STATS_SERIES = 'docker stats';
export const DOCKER_STATS_COLOR = '#ff7f0e';

export function podChart(s: PodSeries, from: number, to: number, id?: string): string {
  const col = (pick: (p: PodPoint) => number | null) => s.points.map((p) => [p.at, pick(p)] as [number, number | null]);
  // Paint order: widest first, docker stats last and thinnest (see the module comment).
  const series: LineSeries[] = [
    { name: 'working set (kubectl top)', color: '#1f77b4', points: col((p) => p.kubectl_top_bytes ?? p.working_set_bytes), width: 7 },
    { name: 'RSS (anon)', color: '#2ca02c', points: col((p) => p.rss_bytes), width: 5 },
    { name: 'limit', color: '#d62728', points: col((p) => p.limit_bytes), dash: '8 4', width: 1.5 },
    // casing 1.8 + 1.2 = 3 px: 1 px of RSS and 2 px of working set stay visible on each side
    { name: DOCKER_STATS_SERIES, color: DOCKER_STATS_COLOR, points: col((p) => p.docker_stats_bytes), width: 1.8, halo: true },
  ];
  return lineChart({
    title: `${s.namespace}/${s.pod} (${s.node})`,
    id,
    from,
    to,
    series,
    markers: s.oomAt.map((t) => ({ at: t, label: `OOM ${new Date(t).toISOString().slice(11, 16)}` })),
  });
}

export const GAP_LAYERS = ['page cache', 'shmem', 'rounding', 'skew', 'residual'] as const;
export type GapLayer = (typeof GAP_LAYERS)[number];
const LAYER_COLORS: Record<GapLayer, string> = {
  'page cache': CAUSE_COLORS['page-cache']!,
  shmem: CAUSE_COLORS.shmem!,
  rounding: CAUSE_COLORS.rounding!,
  skew: CAUSE_COLORS['time-skew']!,
  residual: CAUSE_COLORS.unexplained!,
};

/**
 * The gap of one row split into the chart's layers; null when the row has no gap. The page-cache
 * column holds the whole WS − DOCKER term; its tmpfs/shmem share is shown apart.
 */
export function gapLayers(p: PodPoint): Record<GapLayer, number> | null {
  if (p.gap_bytes === null) return null;
  const shmem = shmemShareOfPageCache(p.docker_formula as DockerFormula, p.shmem_bytes, p.gap_page_cache_bytes);
  return {
    'page cache': (p.gap_page_cache_bytes ?? 0) - shmem,
    shmem,
    rounding: p.gap_rounding_bytes ?? 0,
    skew: p.gap_skew_bytes ?? 0,
    residual: p.gap_residual_bytes ?? 0,
  };
}

/** Whether a pod has any gap to decompose. */
export const hasGap = (s: PodSeries) => s.points.some((p) => p.gap_bytes !== null);

export function decompositionChart(s: PodSeries, from: number, to: number, id?: string): string {
  const parts = s.points.map(gapLayers);
  return stackedAreaChart({
    title: `${s.namespace}/${s.pod}: kubectl top − docker stats, by cause`,
    id,
    from,
    to,
    yTitle: 'gap',
    times: s.points.map((p) => p.at),
    layers: GAP_LAYERS.map((name) => ({ name, color: LAYER_COLORS[name], values: parts.map((x) => (x ? x[name] : null)) })),
    total: { name: 'gap (kubectl top − docker stats)', color: '#222', width: 1, points: s.points.map((p) => [p.at, p.gap_bytes]) },
  });
}

export function causesChart(causes: { namespace: string; causes: Record<string, number> }[], id = 'gap-causes', title = 'Dominant gap cause per namespace'): string {
  return stackedBars({
    title,
    id,
    unit: 'pod captures',
    colors: CAUSE_COLORS,
    rows: causes.map((c) => ({ label: c.namespace, parts: Object.keys(CAUSE_COLORS).map((name) => ({ name, value: c.causes[name] ?? 0 })) })),
  });
}
