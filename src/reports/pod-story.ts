/**
 * `memgap explain <namespace>/<pod>`: the post-incident story of one pod over a window — what
 * each tool said when, why they differed, peak vs limit, OOM kills — as data, a terminal
 * table, Markdown, or a self-contained HTML page with the daily report's chart.
 */
import type { DiscrepancyRow } from '../outputs/tables.js';
import type { QueryEngine } from '../query/engine.js';
import { oomEvents, podDays, podNames, podRows, type OomEvent } from './data.js';
import { explainRow, mib } from './explain.js';
import { causesChart, decompositionChart, hasGap, podChart, type PodSeries } from './charts.js';
import { REPORT_CSS } from './daily.js';
import { esc } from './svg.js';

const DAY_MS = 86_400_000;

export interface PodStory {
  namespace: string;
  pod: string;
  from: string;
  to: string;
  clusters: string[];
  nodes: string[];
  containers: string[];
  captures: number;
  timeline: {
    at: string; node: string; kubectlTop: number | null; dockerStats: number | null; dockerFormula: string; workingSet: number | null; rss: number | null; cache: number | null; shmem: number | null; limit: number | null; pctOfLimit: number | null;
    gap: number | null; gapPageCache: number | null; gapRounding: number | null; gapSkew: number | null; gapResidual: number | null; cause: string; flags: string[];
  }[];
  peak: { at: string; workingSet: number; limit: number | null; pctOfLimit: number | null; rss: number | null; cache: number | null } | null;
  oomKills: { container: string; after: string | null; at: string; count: number }[];
  causes: Record<string, number>;
  widestGap: { at: string; gap: number; explanation: string } | null;
  latest: { at: string; explanation: string } | null;
  /** When no capture holds the pod: `namespace/pod` names it may have meant (same workload, other namespace). */
  suggestions: string[];
}

export interface StoryWindow {
  from?: Date;
  to?: Date;
  /** Only this cluster's captures (the same namespace/pod can exist in several). */
  cluster?: string;
}

/**
 * Without --from/--to the window is the latest day holding the pod; with only one bound, the
 * other is 24 h away. Read by SQL through `engine` (src/reports/data.ts): the pod's rows of the
 * window and its OOM-kill events, never a whole partition.
 */
export async function podStory(engine: QueryEngine, namespace: string, pod: string, window: StoryWindow = {}): Promise<PodStory> {
  const cluster = window.cluster;
  let fromMs: number;
  let toMs: number;
  let rowsTo: number;
  let days: { dt: string }[] | null = null;
  if (window.from || window.to) {
    toMs = window.to?.getTime() ?? window.from!.getTime() + DAY_MS;
    fromMs = window.from?.getTime() ?? toMs - DAY_MS;
    rowsTo = toMs;
  } else {
    days = await podDays(engine, namespace, pod, cluster);
    const latest = days[0]?.dt;
    fromMs = latest ? Date.parse(`${latest}T00:00:00Z`) : Date.now();
    toMs = latest ? fromMs + DAY_MS : fromMs;
    rowsTo = toMs - 1;
  }
  const w = { fromMs, toMs: rowsTo, namespace, pod, ...(cluster !== undefined ? { cluster } : {}) };
  const rows = rowsTo >= fromMs ? await podRows(engine, w) : [];
  const events = rows.length > 0 ? await oomEvents(engine, w) : [];
  const story = storyOf(namespace, pod, fromMs, toMs, rows, [...new Set(rows.map((r) => r.cluster))].sort(), events);
  if (story.captures === 0) {
    const recent = days ? null : daysBetween(fromMs, toMs);
    story.suggestions = await similarPods(engine, namespace, pod, recent);
  }
  return story;
}

/** How many of the latest days are searched for a similar name when no window is given. */
const SUGGESTION_DAYS = 7;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function daysBetween(fromMs: number, toMs: number): string[] {
  const dts: string[] = [];
  for (let d = Date.parse(`${dayOf(fromMs)}T00:00:00Z`); d <= toMs; d += DAY_MS) dts.push(dayOf(d));
  return dts;
}

/**
 * Pod names are typed from memory during an incident, usually with a stale ReplicaSet hash or
 * the wrong namespace. Candidates: the same name in another namespace, names that start with what
 * was typed, and pods of the same workload (the name without its last `-suffix`, or two for a
 * `<deployment>-<hash>-<suffix>` name).
 */
export function isSimilarPodName(typed: { namespace: string; pod: string }, seen: { namespace: string; pod: string }): boolean {
  if (seen.pod === typed.pod) return seen.namespace !== typed.namespace;
  if (seen.pod.startsWith(typed.pod)) return true;
  const stems = workloadStems(typed.pod);
  return stems.some((stem) => seen.pod.startsWith(`${stem}-`) && workloadStems(seen.pod).includes(stem));
}

/** `orders-api-6f5d4-k8j2m` → [`orders-api-6f5d4`, `orders-api`]; never shorter than 3 characters. */
function workloadStems(pod: string): string[] {
  const parts = pod.split('-');
  const stems: string[] = [];
  for (let cut = 1; cut <= 2 && parts.length - cut >= 1; cut++) {
    const stem = parts.slice(0, parts.length - cut).join('-');
    if (stem.length >= 3) stems.push(stem);
  }
  return stems;
}

/** Names seen on `dts` (default: the last SUGGESTION_DAYS days before now) that the typed pod may have meant. */
async function similarPods(engine: QueryEngine, namespace: string, pod: string, dts: readonly string[] | null, max = 10): Promise<string[]> {
  const to = dts?.at(-1) ?? dayOf(Date.now());
  const from = dts?.[0] ?? dayOf(Date.parse(`${to}T00:00:00Z`) - (SUGGESTION_DAYS - 1) * DAY_MS);
  // Every candidate starts with the shortest stem (or the typed name itself): one LIKE prefilters.
  const prefix = workloadStems(pod).at(-1) ?? pod;
  const found = new Set<string>();
  for (const seen of await podNames(engine, from, to, prefix)) {
    if (isSimilarPodName({ namespace, pod }, seen)) found.add(`${seen.namespace}/${seen.pod}`);
  }
  return [...found].sort().slice(0, max);
}

/** The story from the pod's rows (exported for tests: pure). */
export function storyOf(namespace: string, pod: string, fromMs: number, toMs: number, rows: readonly DiscrepancyRow[], clusters: string[], ooms: readonly OomEvent[] = []): PodStory {
  const podLevel = rows.filter((r) => r.level === 'pod');
  const containerRows = rows.filter((r) => r.level === 'container');
  // A pod row without its own cgroup figures (no pod-level memory.stat captured) shows its containers' page cache summed.
  const containerCache = new Map<string, number>();
  for (const r of containerRows) {
    if (r.cache_bytes === null) continue;
    const k = `${r.node}|${r.captured_at.getTime()}`;
    containerCache.set(k, (containerCache.get(k) ?? 0) + r.cache_bytes);
  }
  const cacheOf = (r: DiscrepancyRow) => r.cache_bytes ?? containerCache.get(`${r.node}|${r.captured_at.getTime()}`) ?? null;
  // The active page cache in a pod row's gap: the kernel's active_file of its app containers, summed (null when one had none).
  const appsActive = new Map<string, number | null>();
  for (const r of containerRows) {
    if (r.container === 'POD') continue;
    const k = `${r.node}|${r.captured_at.getTime()}`;
    const sum = appsActive.get(k);
    appsActive.set(k, sum === null || r.active_file_bytes === null ? null : (sum ?? 0) + r.active_file_bytes);
  }
  const explain = (r: DiscrepancyRow) => explainRow(r, undefined, appsActive.get(`${r.node}|${r.captured_at.getTime()}`));
  const timeline = podLevel.map((r) => ({
    at: r.captured_at.toISOString(), node: r.node, kubectlTop: r.kubectl_top_bytes, dockerStats: r.docker_stats_bytes, dockerFormula: r.docker_formula, workingSet: r.working_set_bytes, rss: r.rss_bytes, cache: cacheOf(r), shmem: r.shmem_bytes,
    limit: r.limit_bytes, pctOfLimit: r.working_set_pct_of_limit, gap: r.gap_bytes, gapPageCache: r.gap_page_cache_bytes, gapRounding: r.gap_rounding_bytes, gapSkew: r.gap_skew_bytes, gapResidual: r.gap_residual_bytes, cause: r.cause, flags: r.flags,
  }));
  let peak: PodStory['peak'] = null;
  for (const r of podLevel) {
    const ws = r.working_set_bytes ?? r.kubectl_top_bytes;
    if (ws !== null && (peak === null || ws > peak.workingSet)) peak = { at: r.captured_at.toISOString(), workingSet: ws, limit: r.limit_bytes, pctOfLimit: r.working_set_pct_of_limit, rss: r.rss_bytes, cache: cacheOf(r) };
  }
  // The counter's rises with its reset rule, found by SQL (sql/pipeline/report-oom-events.sql).
  const oomKills: PodStory['oomKills'] = ooms.map((e) => ({ container: e.container ?? '?', after: e.previous_at.toISOString(), at: e.seen_at.toISOString(), count: e.kills }));
  const causes: Record<string, number> = {};
  for (const r of podLevel) causes[r.cause] = (causes[r.cause] ?? 0) + 1;
  let widest: DiscrepancyRow | null = null;
  for (const r of podLevel) if (r.gap_bytes !== null && (widest === null || r.gap_bytes > widest.gap_bytes!)) widest = r;
  const latestRow = podLevel[podLevel.length - 1] ?? null;
  return {
    namespace, pod, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), clusters,
    nodes: [...new Set(rows.map((r) => r.node))].sort(),
    containers: [...new Set(containerRows.map((r) => r.container).filter((c): c is string => c !== null))].sort(),
    captures: podLevel.length, timeline, peak, oomKills, causes,
    widestGap: widest ? { at: widest.captured_at.toISOString(), gap: widest.gap_bytes!, explanation: explain(widest) } : null,
    latest: latestRow ? { at: latestRow.captured_at.toISOString(), explanation: explain(latestRow) } : null,
    suggestions: [],
  };
}

/** At most `max` timeline rows: evenly spaced, plus the rows around OOM kills and the peak. */
export function sampleTimeline(s: PodStory, max = 48): PodStory['timeline'] {
  const n = s.timeline.length;
  if (n <= max) return s.timeline;
  const keep = new Set<number>();
  for (let i = 0; i < max; i++) keep.add(Math.round((i * (n - 1)) / (max - 1)));
  const marks = new Set([...s.oomKills.flatMap((o) => [o.after, o.at]), s.peak?.at]);
  s.timeline.forEach((t, i) => marks.has(t.at) && keep.add(i));
  return [...keep].sort((a, b) => a - b).map((i) => s.timeline[i]!);
}

function summaryLines(s: PodStory): string[] {
  const out = [`${s.namespace}/${s.pod}: ${s.captures} captures from ${s.from} to ${s.to} on ${s.nodes.join(', ') || 'no node'} (cluster ${s.clusters.join(', ') || '—'}); containers: ${s.containers.join(', ') || '—'}.`];
  if (s.captures === 0) return [...out, `No capture of this pod in the window.${s.suggestions.length > 0 ? ` Did you mean: ${s.suggestions.join(', ')}?` : ''}`];
  // limit_bytes is NULL both when unlimited (flag no-limit) and when no limit was captured (flag limit-unknown).
  const peakUnlimited = s.peak ? (s.timeline.find((t) => t.at === s.peak!.at)?.flags.includes('no-limit') ?? false) : false;
  if (s.peak) out.push(`Peak working set ${mib(s.peak.workingSet)} at ${s.peak.at}${s.peak.limit !== null ? ` = ${s.peak.pctOfLimit?.toFixed(1)} % of the ${mib(s.peak.limit)} limit` : peakUnlimited ? ' (no limit)' : ' (limit not captured)'}; RSS ${mib(s.peak.rss)}, page cache ${mib(s.peak.cache)}.`);
  out.push(s.oomKills.length === 0 ? 'No OOM kill seen by the cgroup counters.' : `OOM kills: ${s.oomKills.map((o) => `${o.container} ×${o.count} between ${o.after} and ${o.at}`).join('; ')}.`);
  out.push(`Dominant gap cause per capture: ${Object.entries(s.causes).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  if (s.widestGap) out.push(`Widest gap (${s.widestGap.at}): ${s.widestGap.explanation}`);
  if (s.latest) out.push(`Last capture (${s.latest.at}): ${s.latest.explanation}`);
  return out;
}

const tlHead = ['time (UTC)', 'node', 'kubectl top', 'docker stats', 'RSS', 'cache', 'limit', '% limit', 'gap', 'cause'];
const tlRow = (t: PodStory['timeline'][number]) => [t.at.replace('T', ' ').slice(0, 19), t.node, mib(t.kubectlTop), mib(t.dockerStats), mib(t.rss), mib(t.cache), t.limit === null ? (t.flags.includes('no-limit') ? 'none' : 'not captured') : mib(t.limit), t.pctOfLimit === null ? '—' : t.pctOfLimit.toFixed(1), mib(t.gap), t.cause];

export function renderStoryTable(s: PodStory): string {
  const rows = [tlHead, ...sampleTimeline(s).map(tlRow)];
  const widths = tlHead.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
  return `${summaryLines(s).join('\n')}\n\n${s.captures > 0 ? table + '\n' : ''}`;
}

export function renderStoryMarkdown(s: PodStory): string {
  const cell = (c: string) => c.replace(/\|/g, '\\|');
  const tl = sampleTimeline(s);
  const lines = [`# ${s.namespace}/${s.pod}: what happened, ${s.from} → ${s.to}`, '', ...summaryLines(s).map((l) => `- ${l}`), ''];
  if (tl.length > 0) lines.push('## Timeline: what each tool said', '', `| ${tlHead.join(' | ')} |`, `| ${tlHead.map(() => '---').join(' | ')} |`, ...tl.map((t) => `| ${tlRow(t).map(cell).join(' | ')} |`), '');
  return lines.join('\n');
}

export function storySeries(s: PodStory): PodSeries {
  return {
    namespace: s.namespace, pod: s.pod, node: s.nodes.join(', '),
    points: s.timeline.map((t) => ({
      at: Date.parse(t.at), kubectl_top_bytes: t.kubectlTop, docker_stats_bytes: t.dockerStats, docker_formula: t.dockerFormula, working_set_bytes: t.workingSet, rss_bytes: t.rss, shmem_bytes: t.shmem, limit_bytes: t.limit,
      gap_bytes: t.gap, gap_page_cache_bytes: t.gapPageCache, gap_rounding_bytes: t.gapRounding, gap_skew_bytes: t.gapSkew, gap_residual_bytes: t.gapResidual,
    })),
    oomAt: s.oomKills.map((o) => Date.parse(o.at)),
  };
}

export function renderStoryHtml(s: PodStory): string {
  const tl = sampleTimeline(s, 200);
  const series = storySeries(s);
  const [from, to] = [Date.parse(s.from), Date.parse(s.to)];
  const chart = s.captures > 0 ? podChart(series, from, to, 'pod-timeline') + (hasGap(series) ? decompositionChart(series, from, to, 'pod-gap') : '') : '<p>No capture of this pod in the window.</p>';
  const causes = causesChart([{ namespace: `${s.namespace}/${s.pod}`, causes: s.causes }], 'pod-causes', 'Dominant gap cause');
  const table = `<table><thead><tr>${tlHead.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${tl.map((t) => `<tr>${tlRow(t).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"><title>memgap explain ${esc(s.namespace)}/${esc(s.pod)}</title><style>${REPORT_CSS}</style></head><body><h1>${esc(s.namespace)}/${esc(s.pod)}</h1><ul>${summaryLines(s).map((l) => `<li>${esc(l)}</li>`).join('')}</ul><div class="charts">${chart}${causes}</div><h2>Timeline: what each tool said</h2>${table}</body></html>\n`;
}
