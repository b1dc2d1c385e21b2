/**
 * `memgap explain <namespace>/<pod>`: the post-incident story of one pod over a window — what
 * each tool said when, why they differed, peak vs limit, OOM kills — as data, a terminal
 * table, Markdown, or a self-contained HTML page with the daily report's chart.
 */
import { ObjectNotFoundError } from '../errors.js';
import { columnsOf, TABLES, type DiscrepancyRow } from '../outputs/tables.js';
import { clustersOf, scanPartition } from '../pipeline/compact.js';
import type { ObjectStore } from '../store/port.js';
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

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Days that have any partition, newest first (from the discrepancy listing). */
async function knownDays(store: ObjectStore): Promise<string[]> {
  const days = new Set<string>();
  for await (const o of store.list('discrepancy/')) {
    const m = /^discrepancy\/dt=(\d{4}-\d{2}-\d{2})\//.exec(o.key);
    if (m) days.add(m[1]!);
  }
  return [...days].sort().reverse();
}

async function podRows(store: ObjectStore, namespace: string, pod: string, dts: string[], fromMs: number, toMs: number): Promise<{ rows: DiscrepancyRow[]; clusters: Set<string> }> {
  const names = columnsOf(TABLES.discrepancy).map((c) => c.name);
  const rows: DiscrepancyRow[] = [];
  const clusters = new Set<string>();
  for (const dt of dts) {
    for (const cluster of await clustersOf(store, dt)) {
      for (let attempt = 1; ; attempt++) {
        const found: DiscrepancyRow[] = [];
        try {
          await scanPartition(store, 'discrepancy', dt, cluster, names, (c, n) => {
            for (let i = 0; i < n; i++) {
              if (c.pod![i] !== pod || c.namespace![i] !== namespace) continue;
              const t = c.captured_at![i] as number;
              if (t < fromMs || t > toMs) continue;
              const row: Record<string, unknown> = {};
              for (const name of names) row[name] = c[name]![i] ?? null;
              row.captured_at = new Date(t);
              row.flags = (row.flags as string[] | null) ?? [];
              found.push(row as DiscrepancyRow);
            }
          });
        } catch (err) {
          if (err instanceof ObjectNotFoundError && attempt < 4) continue;
          throw err;
        }
        if (found.length > 0) clusters.add(cluster);
        rows.push(...found);
        break;
      }
    }
  }
  rows.sort((a, b) => a.captured_at.getTime() - b.captured_at.getTime() || (a.level === b.level ? 0 : a.level === 'pod' ? -1 : 1) || (a.container ?? '').localeCompare(b.container ?? ''));
  return { rows, clusters };
}

export interface StoryWindow {
  from?: Date;
  to?: Date;
}

/**
 * Without --from/--to the window is the latest day holding the pod (searching back day by day);
 * with only one bound, the other is 24 h away.
 */
export async function podStory(store: ObjectStore, namespace: string, pod: string, window: StoryWindow = {}): Promise<PodStory> {
  let fromMs: number;
  let toMs: number;
  let found: Awaited<ReturnType<typeof podRows>>;
  if (window.from || window.to) {
    toMs = window.to?.getTime() ?? window.from!.getTime() + DAY_MS;
    fromMs = window.from?.getTime() ?? toMs - DAY_MS;
    found = await podRows(store, namespace, pod, daysBetween(fromMs, toMs), fromMs, toMs);
  } else {
    found = { rows: [], clusters: new Set() };
    fromMs = toMs = Date.now();
    for (const dt of await knownDays(store)) {
      const start = Date.parse(`${dt}T00:00:00Z`);
      found = await podRows(store, namespace, pod, [dt], start, start + DAY_MS - 1);
      if (found.rows.length > 0) {
        fromMs = start;
        toMs = start + DAY_MS;
        break;
      }
    }
  }
  const story = storyOf(namespace, pod, fromMs, toMs, found.rows, [...found.clusters].sort());
  if (story.captures === 0) {
    const days = window.from || window.to ? daysBetween(fromMs, toMs) : (await knownDays(store)).slice(0, SUGGESTION_DAYS);
    story.suggestions = await similarPods(store, namespace, pod, days);
  }
  return story;
}

/** How many of the latest days are searched for a similar name when no window is given. */
const SUGGESTION_DAYS = 7;

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

async function similarPods(store: ObjectStore, namespace: string, pod: string, dts: readonly string[], max = 10): Promise<string[]> {
  const found = new Set<string>();
  for (const dt of dts) {
    for (const cluster of await clustersOf(store, dt)) {
      try {
        await scanPartition(store, 'discrepancy', dt, cluster, ['namespace', 'pod'], (c, n) => {
          for (let i = 0; i < n; i++) {
            const seen = { namespace: c.namespace![i] as string | null, pod: c.pod![i] as string | null };
            if (seen.namespace === null || seen.pod === null) continue;
            if (isSimilarPodName({ namespace, pod }, seen as { namespace: string; pod: string })) found.add(`${seen.namespace}/${seen.pod}`);
          }
        });
      } catch (err) {
        // A file compacted away under the scan: a suggestion list may miss it, nothing more.
        if (!(err instanceof ObjectNotFoundError)) throw err;
      }
    }
  }
  return [...found].sort().slice(0, max);
}

/** The story from the pod's rows (exported for tests: pure). */
export function storyOf(namespace: string, pod: string, fromMs: number, toMs: number, rows: readonly DiscrepancyRow[], clusters: string[]): PodStory {
  const podLevel = rows.filter((r) => r.level === 'pod');
  const containerRows = rows.filter((r) => r.level === 'container');
  const timeline = podLevel.map((r) => ({
    at: r.captured_at.toISOString(), node: r.node, kubectlTop: r.kubectl_top_bytes, dockerStats: r.docker_stats_bytes, dockerFormula: r.docker_formula, workingSet: r.working_set_bytes, rss: r.rss_bytes, cache: r.cache_bytes, shmem: r.shmem_bytes,
    limit: r.limit_bytes, pctOfLimit: r.working_set_pct_of_limit, gap: r.gap_bytes, gapPageCache: r.gap_page_cache_bytes, gapRounding: r.gap_rounding_bytes, gapSkew: r.gap_skew_bytes, gapResidual: r.gap_residual_bytes, cause: r.cause, flags: r.flags,
  }));
  let peak: PodStory['peak'] = null;
  for (const r of podLevel) {
    const ws = r.working_set_bytes ?? r.kubectl_top_bytes;
    if (ws !== null && (peak === null || ws > peak.workingSet)) peak = { at: r.captured_at.toISOString(), workingSet: ws, limit: r.limit_bytes, pctOfLimit: r.working_set_pct_of_limit, rss: r.rss_bytes, cache: r.cache_bytes };
  }
  const oomKills: PodStory['oomKills'] = [];
  const last = new Map<string, { at: Date; count: number }>();
  for (const r of containerRows) {
    if (r.oom_kill_count === null) continue;
    const k = `${r.node}/${r.container ?? ''}`;
    const prev = last.get(k);
    if (prev && r.oom_kill_count !== prev.count) {
      const count = r.oom_kill_count > prev.count ? r.oom_kill_count - prev.count : r.oom_kill_count;
      if (count > 0) oomKills.push({ container: r.container ?? '?', after: prev.at.toISOString(), at: r.captured_at.toISOString(), count });
    }
    last.set(k, { at: r.captured_at, count: r.oom_kill_count });
  }
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
    widestGap: widest ? { at: widest.captured_at.toISOString(), gap: widest.gap_bytes!, explanation: explainRow(widest) } : null,
    latest: latestRow ? { at: latestRow.captured_at.toISOString(), explanation: explainRow(latestRow) } : null,
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
  if (s.peak) out.push(`Peak working set ${mib(s.peak.workingSet)} at ${s.peak.at}${s.peak.limit !== null ? ` = ${s.peak.pctOfLimit?.toFixed(1)} % of the ${mib(s.peak.limit)} limit` : ' (no limit)'}; RSS ${mib(s.peak.rss)}, page cache ${mib(s.peak.cache)}.`);
  out.push(s.oomKills.length === 0 ? 'No OOM kill seen by the cgroup counters.' : `OOM kills: ${s.oomKills.map((o) => `${o.container} ×${o.count} between ${o.after} and ${o.at}`).join('; ')}.`);
  out.push(`Dominant gap cause per capture: ${Object.entries(s.causes).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  if (s.widestGap) out.push(`Widest gap (${s.widestGap.at}): ${s.widestGap.explanation}`);
  if (s.latest) out.push(`Last capture (${s.latest.at}): ${s.latest.explanation}`);
  return out;
}

const tlHead = ['time (UTC)', 'node', 'kubectl top', 'docker stats', 'RSS', 'cache', 'limit', '% limit', 'gap', 'cause'];
const tlRow = (t: PodStory['timeline'][number]) => [t.at.replace('T', ' ').slice(0, 19), t.node, mib(t.kubectlTop), mib(t.dockerStats), mib(t.rss), mib(t.cache), t.limit === null ? 'none' : mib(t.limit), t.pctOfLimit === null ? '—' : t.pctOfLimit.toFixed(1), mib(t.gap), t.cause];

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
