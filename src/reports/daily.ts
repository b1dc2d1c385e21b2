/**
 * The daily report of one (dt, cluster): summary.json (the model), summary.md and a
 * self-contained index.html (inline CSS + SVG, no script, no network), under
 * reports/daily/dt=…/cluster=…/. Built by SQL (src/reports/data.ts) from bounded result sets only:
 * the day's totals counted in SQL, the first LIST_ROWS rows of each table (top gaps: TOP_GAPS),
 * the causes of at most CAUSE_NAMESPACES namespaces, and the pod-level rows of the few pods that
 * get a chart. What a report reads does not grow with the cluster; each table says how many rows
 * it leaves out and which query lists them all.
 */
import { dailyReportPrefix } from '../outputs/layout.js';
import type { TrendsDailyRow } from '../outputs/tables.js';
import type { QueryEngine } from '../query/engine.js';
import type { ObjectStore } from '../store/port.js';
import { CAUSE_COLORS, causesChart, decompositionChart, hasGap, podChart, POD_POINT_COLUMNS, type PodPoint, type PodSeries } from './charts.js';
import { dayTotals, daySections, namespaceCauses, oomEvents, podPoints, widestGaps, type OomEvent, type PodPointRow, type WidestRow } from './data.js';
import { explainRow, limitText, mib } from './explain.js';
import { esc } from './svg.js';

export type { PodSeries } from './charts.js';

export const TOP_GAPS = 10;
export const MAX_CHARTS = 8;
export const NEAR_LIMIT_REPORT_PCT = 90;
/** Rows shown per report table (near limit, leak suspects, OOM kills, right-sizing); the rest are counted. */
export const LIST_ROWS = 50;
/** Namespaces named in the causes chart; the others are summed into one bar. */
export const CAUSE_NAMESPACES = 30;

/** Which rule sized a recommended limit (trends_daily.recommendation_kind). */
export type PeakKind = 'anonymous' | 'page-cache' | 'oom-killed';

/** A table's rows not shown (0 when it shows them all) and the SQL (Athena or `memgap query`) that lists them all. */
export interface MoreRows {
  rows: number;
  sql: string;
}

export interface DailyReport {
  schema: 'memgap.daily-report/v1';
  dt: string;
  cluster: string;
  totals: { discrepancyRows: number; pods: number; containers: number; nodes: number; leakSuspects: number; nearLimit: number; oomKills: number };
  topGaps: { namespace: string; pod: string; node: string; gapP50: number | null; gapP95: number | null; gapMax: number | null; cause: string | null; explanation: string | null; at: string | null }[];
  nearLimit: { namespace: string; pod: string; container: string | null; node: string; maxPctOfLimit: number; limitBytes: number | null; workingSetMax: number | null }[];
  /** memory: what grows (trends_daily.leak_memory: rss, shmem, rss+shmem) and slopeBytesPerHour its slope */
  leakSuspects: { namespace: string; pod: string; container: string | null; level: string; node: string; memory: string; slopeBytesPerHour: number; rssSlopeBytesPerHour: number; rssMax: number | null; workingSetMax: number | null; maxPctOfLimit: number | null }[];
  oomKills: { namespace: string; pod: string; container: string | null; node: string; oomKills: number; at: string[] }[];
  /** limitUnlimited: trends_daily.limit_unlimited (true: no limit; false: limitBytes; null: the limit was not captured) */
  rightSizing: { namespace: string; pod: string; container: string; node: string; limitBytes: number | null; limitUnlimited: boolean | null; workingSetP95: number | null; workingSetMax: number | null; recommendedRequestBytes: number; recommendedLimitBytes: number; peak: PeakKind | null; reason: string }[];
  namespaceCauses: { namespace: string; causes: Record<string, number> }[];
  /** per table: the rows left out of it (LIST_ROWS shown) and the query that lists them all */
  more: { topGaps: MoreRows; nearLimit: MoreRows; leakSuspects: MoreRows; oomKills: MoreRows; rightSizing: MoreRows };
}

const podKey = (node: string, ns: string | null, pod: string | null) => `${node}\u0000${ns ?? ''}\u0000${pod ?? ''}`;
const n0 = (s: string | null) => s ?? '(none)';

/** The chosen pods' chart series, from their chart points of the day. */
function collectPods(points: readonly PodPointRow[], ooms: readonly OomEvent[]): Map<string, PodSeries> {
  const series = new Map<string, PodSeries>();
  for (const r of points) {
    const key = podKey(r.node, r.namespace, r.pod);
    let s = series.get(key);
    if (!s) series.set(key, (s = { namespace: n0(r.namespace), pod: n0(r.pod), node: r.node, points: [], oomAt: [] }));
    const point: Record<string, unknown> = { at: r.captured_at.getTime() };
    for (const name of POD_POINT_COLUMNS) if (name !== 'captured_at') point[name] = r[name] ?? null;
    s.points.push(point as PodPoint);
  }
  for (const e of ooms) series.get(podKey(e.node, e.namespace, e.pod))?.oomAt.push(e.seen_at.getTime());
  return series;
}

/** The trends_daily query (Athena or `memgap query`) that lists every row of a report table. */
function listAll(dt: string, cluster: string, where: string, order: string): string {
  const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
  return `SELECT * FROM trends_daily WHERE dt = ${lit(dt)} AND cluster = ${lit(cluster)} AND ${where} ORDER BY ${order}`;
}

/**
 * The report model, the pods charted over the day (OOM-killed, leaking, near the limit, widest
 * gaps; at most MAX_CHARTS) and the top-gap pods whose gap is decomposed (at most MAX_CHARTS).
 * Read by SQL (src/reports/data.ts), every result bounded: totals, the first rows of each table,
 * causes per namespace, then the chosen pods' points, widest-gap rows and OOM events.
 */
export async function buildDailyReport(engine: QueryEngine, dt: string, cluster: string): Promise<{ report: DailyReport; series: PodSeries[]; gapSeries: PodSeries[] }> {
  const totals = await dayTotals(engine, dt, cluster, NEAR_LIMIT_REPORT_PCT);
  const lists = await daySections(engine, dt, cluster, NEAR_LIMIT_REPORT_PCT, LIST_ROWS);
  const topGapPods = lists['top-gaps'].slice(0, TOP_GAPS);
  const nearLimit = lists['near-limit'];
  const leaks = lists.leaks;
  const ooms = lists.ooms;

  const chartKeys: string[] = [];
  const chosen = new Map<string, TrendsDailyRow>();
  const pushKey = (r: TrendsDailyRow) => {
    const k = podKey(r.node, r.namespace, r.pod);
    if (!chartKeys.includes(k) && chartKeys.length < MAX_CHARTS) chartKeys.push(k);
  };
  for (const r of ooms) pushKey(r);
  for (const r of leaks) pushKey(r);
  for (const r of nearLimit) pushKey(r);
  for (const r of topGapPods) pushKey(r);
  for (const r of [...ooms, ...leaks, ...nearLimit, ...topGapPods]) {
    const k = podKey(r.node, r.namespace, r.pod);
    if (!chosen.has(k) && (chartKeys.includes(k) || topGapPods.includes(r))) chosen.set(k, r);
  }
  const dayMs = Date.parse(`${dt}T00:00:00Z`);
  // OOM events of the pods the report names: the OOM table's and the charted ones
  const oomPods = new Map<string, TrendsDailyRow>([...ooms.map((r) => [podKey(r.node, r.namespace, r.pod), r] as const), ...chosen]);
  const events = await oomEvents(engine, { fromMs: dayMs, toMs: dayMs + 86_400_000 - 1, cluster, pods: [...oomPods.values()] });
  const series = collectPods(await podPoints(engine, dt, cluster, [...chosen.values()]), events);
  const widest = new Map<string, WidestRow>((await widestGaps(engine, dt, cluster, topGapPods)).map((r) => [podKey(r.node, r.namespace, r.pod), r]));
  const seenAt = (r: TrendsDailyRow) => events.filter((e) => e.node === r.node && e.namespace === r.namespace && e.pod === r.pod && e.container === r.container).map((e) => e.seen_at.toISOString());
  const more = (shown: number, all: number, where: string, order: string): MoreRows => ({ rows: Math.max(0, all - shown), sql: listAll(dt, cluster, where, order) });

  const report: DailyReport = {
    schema: 'memgap.daily-report/v1',
    dt,
    cluster,
    totals: {
      discrepancyRows: totals.discrepancy_rows,
      pods: totals.pods,
      containers: totals.containers,
      nodes: totals.nodes,
      leakSuspects: totals.leak_suspects,
      nearLimit: totals.near_limit,
      oomKills: totals.oom_kills,
    },
    topGaps: topGapPods.map((r) => {
      const w = widest.get(podKey(r.node, r.namespace, r.pod));
      return { namespace: n0(r.namespace), pod: n0(r.pod), node: r.node, gapP50: r.gap_p50, gapP95: r.gap_p95, gapMax: r.gap_max, cause: w?.cause ?? null, explanation: w ? explainRow(w, undefined, w.apps_active_file_bytes) : null, at: w ? w.captured_at.toISOString() : null };
    }),
    nearLimit: nearLimit.map((r) => ({ namespace: n0(r.namespace), pod: n0(r.pod), container: r.container, node: r.node, maxPctOfLimit: r.max_pct_of_limit!, limitBytes: r.limit_bytes, workingSetMax: r.working_set_max })),
    leakSuspects: leaks.map((r) => ({ namespace: n0(r.namespace), pod: n0(r.pod), container: r.container, level: r.level, node: r.node, memory: r.leak_memory ?? 'rss', slopeBytesPerHour: r.leak_slope_bytes_per_hour ?? 0, rssSlopeBytesPerHour: r.rss_slope_bytes_per_hour ?? 0, rssMax: r.rss_max, workingSetMax: r.working_set_max, maxPctOfLimit: r.max_pct_of_limit })),
    oomKills: ooms.map((r) => ({ namespace: n0(r.namespace), pod: n0(r.pod), container: r.container, node: r.node, oomKills: r.oom_kills!, at: seenAt(r) })),
    rightSizing: lists['right-sizing'].map((r) => ({
      namespace: n0(r.namespace), pod: n0(r.pod), container: r.container!, node: r.node, limitBytes: r.limit_bytes, limitUnlimited: r.limit_unlimited, workingSetP95: r.working_set_p95, workingSetMax: r.working_set_max,
      recommendedRequestBytes: r.recommended_request_bytes!, recommendedLimitBytes: r.recommended_limit_bytes!, peak: (r.recommendation_kind as PeakKind | null) ?? null, reason: r.recommendation_reason ?? '',
    })),
    namespaceCauses: await namespaceCauses(engine, dt, cluster, CAUSE_NAMESPACES),
    more: {
      topGaps: more(topGapPods.length, totals.top_gap_rows, "level = 'pod' AND gap_max > 4096", 'gap_max DESC'),
      nearLimit: more(nearLimit.length, totals.near_limit_rows, `container IS DISTINCT FROM 'POD' AND max_pct_of_limit >= ${NEAR_LIMIT_REPORT_PCT}`, 'max_pct_of_limit DESC'),
      leakSuspects: more(leaks.length, totals.leak_rows, 'leak_suspect', 'leak_slope_bytes_per_hour DESC'),
      oomKills: more(ooms.length, totals.oom_rows, "level = 'container' AND oom_kills > 0", 'oom_kills DESC'),
      rightSizing: more(lists['right-sizing'].length, totals.right_sizing_rows, "level = 'container' AND recommended_limit_bytes IS NOT NULL", 'abs(coalesce(limit_bytes, 0) - recommended_limit_bytes) DESC'),
    },
  };
  const charted = (keys: string[]) => keys.map((k) => series.get(k)).filter((s): s is PodSeries => s !== undefined);
  return { report, series: charted(chartKeys), gapSeries: charted(topGapPods.map((r) => podKey(r.node, r.namespace, r.pod))).filter(hasGap).slice(0, MAX_CHARTS) };
}

// ---------------------------------------------------------------------------------------------
// Rendering

const pct = (v: number) => `${v.toFixed(1)} %`;
const who = (r: { namespace: string; pod: string; container?: string | null }) => `${r.namespace}/${r.pod}${r.container ? ` [${r.container}]` : ''}`;

function mdTable(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '_none_\n';
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n') + '\n';
}

const LEAK_MEMORY: Record<string, string> = { rss: 'RSS (anonymous)', shmem: 'tmpfs/shmem', 'rss+shmem': 'RSS + tmpfs/shmem' };

/** The sentence under a table that leaves rows out: how many, and the query that lists them all. */
function moreText(m: MoreRows | undefined): string | null {
  if (!m || m.rows === 0) return null;
  return `… and ${m.rows} more row${m.rows === 1 ? '' : 's'}, listed by this query (Athena, or memgap query "…" --out <output>):`;
}

function sections(r: DailyReport) {
  return {
    topGaps: { title: 'Top gaps: kubectl top vs docker stats', head: ['pod', 'node', 'gap p50', 'gap p95', 'gap max', 'cause', 'why'], rows: r.topGaps.map((g) => [who(g), g.node, mib(g.gapP50), mib(g.gapP95), mib(g.gapMax), g.cause ?? '', g.explanation ?? '']), more: r.more?.topGaps },
    nearLimit: { title: `Near their limit (working set ≥ ${NEAR_LIMIT_REPORT_PCT} % of limit)`, head: ['container / pod', 'node', 'max % of limit', 'limit', 'working set max'], rows: r.nearLimit.map((x) => [who(x), x.node, pct(x.maxPctOfLimit), mib(x.limitBytes), mib(x.workingSetMax)]), more: r.more?.nearLimit },
    leaks: { title: 'Leak suspects (RSS or tmpfs/shmem grows steadily)', head: ['container / pod', 'level', 'node', 'what grows', 'slope', 'working set max', 'max % of limit'], rows: r.leakSuspects.map((x) => [who(x), x.level, x.node, LEAK_MEMORY[x.memory] ?? x.memory, `${mib(x.slopeBytesPerHour)}/h`, mib(x.workingSetMax), x.maxPctOfLimit === null ? '—' : pct(x.maxPctOfLimit)]), more: r.more?.leakSuspects },
    ooms: { title: 'OOM kills', head: ['container', 'node', 'kills', 'seen at (UTC)'], rows: r.oomKills.map((x) => [who(x), x.node, String(x.oomKills), x.at.map((a) => a.slice(11, 19)).join(', ')]), more: r.more?.oomKills },
    sizing: { title: 'Right-sizing', head: ['container', 'limit now', 'ws p95', 'ws max', 'request →', 'limit →', 'peak made of', 'reason'], rows: r.rightSizing.map((x) => [who(x), limitText(x.limitBytes, x.limitUnlimited), mib(x.workingSetP95), mib(x.workingSetMax), mib(x.recommendedRequestBytes), mib(x.recommendedLimitBytes), x.peak ?? '', x.reason]), more: r.more?.rightSizing },
  };
}

export function renderMarkdown(r: DailyReport): string {
  const s = sections(r);
  const out = [`# memgap daily report — ${r.cluster}, ${r.dt} (UTC)`, ''];
  out.push(`${r.totals.pods} pods, ${r.totals.containers} containers on ${r.totals.nodes} nodes (${r.totals.discrepancyRows} discrepancy rows). Leak suspects: ${r.totals.leakSuspects}. Near limit: ${r.totals.nearLimit}. OOM kills: ${r.totals.oomKills}.`, '');
  for (const sec of Object.values(s)) {
    out.push(`## ${sec.title}`, '', mdTable(sec.head, sec.rows));
    const more = moreText(sec.more);
    if (more) out.push(more, '', '```sql', sec.more!.sql, '```', '');
  }
  out.push('## Gap causes per namespace', '', mdTable(['namespace', ...Object.keys(CAUSE_COLORS)], r.namespaceCauses.map((c) => [c.namespace, ...Object.keys(CAUSE_COLORS).map((k) => String(c.causes[k] ?? 0))])));
  out.push('Charts are in index.html beside this file.', '');
  return out.join('\n');
}

function htmlTable(head: string[], rows: string[][], more?: MoreRows): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  const rest = moreText(more);
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>${rest ? `<p class="more">${esc(rest)}</p><pre>${esc(more!.sql)}</pre>` : ''}`;
}

export const REPORT_CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1200px}h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:8px 0;font-size:12.5px}th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f5f5f5}.none{color:#777}.charts svg{display:block;margin:10px 0;border:1px solid #eee;background:#fff}.totals{background:#f8f8f8;padding:8px 12px}`;

export function renderHtml(r: DailyReport, series: PodSeries[], gapSeries: PodSeries[] = []): string {
  const s = sections(r);
  const from = Date.parse(`${r.dt}T00:00:00Z`);
  const to = from + 24 * 3_600_000;
  const body: string[] = [];
  body.push(`<h1>memgap daily report — ${esc(r.cluster)}, ${esc(r.dt)} (UTC)</h1>`);
  body.push(`<p class="totals">${r.totals.pods} pods, ${r.totals.containers} containers on ${r.totals.nodes} nodes (${r.totals.discrepancyRows} discrepancy rows). Leak suspects: <b>${r.totals.leakSuspects}</b>. Near limit: <b>${r.totals.nearLimit}</b>. OOM kills: <b>${r.totals.oomKills}</b>.</p>`);
  body.push(`<h2>${esc(s.topGaps.title)}</h2>${htmlTable(s.topGaps.head, s.topGaps.rows, s.topGaps.more)}`);
  body.push(`<h2>Pods over the day</h2><div class="charts">${series.map((x, i) => podChart(x, from, to, `pod-chart-${i}`)).join('\n') || '<p class="none">no pod to chart</p>'}</div>`);
  body.push(`<h2>What the gap is made of, over the day</h2><p>kubectl top − docker stats of each top-gap pod, stacked by cause: page cache and shmem the Docker formula subtracts, the CLI's rounding, the sources' time skew, and what is left (residual).</p><div class="charts">${gapSeries.map((x, i) => decompositionChart(x, from, to, `gap-chart-${i}`)).join('\n') || '<p class="none">no gap to decompose</p>'}</div>`);
  body.push(`<h2>Gap causes per namespace</h2><div class="charts">${causesChart(r.namespaceCauses)}</div>`);
  for (const sec of [s.nearLimit, s.leaks, s.ooms, s.sizing]) body.push(`<h2>${esc(sec.title)}</h2>${htmlTable(sec.head, sec.rows, sec.more)}`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"><title>memgap ${esc(r.cluster)} ${esc(r.dt)}</title><style>${REPORT_CSS}</style></head><body>${body.join('\n')}</body></html>\n`;
}

/** Writes the three report files of (dt, cluster), read through `engine`, to `store`; returns their keys. */
export async function writeDailyReport(store: ObjectStore, engine: QueryEngine, dt: string, cluster: string): Promise<{ keys: string[]; report: DailyReport }> {
  const { report, series, gapSeries } = await buildDailyReport(engine, dt, cluster);
  const prefix = dailyReportPrefix(dt, cluster);
  const files: [string, string, string][] = [
    ['summary.json', JSON.stringify(report, null, 2) + '\n', 'application/json'],
    ['summary.md', renderMarkdown(report), 'text/markdown; charset=utf-8'],
    ['index.html', renderHtml(report, series, gapSeries), 'text/html; charset=utf-8'],
  ];
  for (const [name, body, type] of files) await store.put(prefix + name, body, type);
  return { keys: files.map(([name]) => prefix + name), report };
}
