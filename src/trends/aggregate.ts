/**
 * trends_daily (SPEC §3.3): one streaming pass over a day's discrepancy rows, per container and
 * per pod. State is a fixed set of accumulators per series (percentiles bounded by
 * quantiles.ts), so memory grows with the number of series, not with the samples.
 */
import type { TrendsDailyRow } from '../outputs/tables.js';
import { dictionaryCodes } from '../read/parquet-read.js';
import { LinearFit } from './fit.js';
import { QuantileAccumulator } from './quantiles.js';
import { isLeakSuspect, recommend, type PeakKind } from './rules.js';

const HOUR_MS = 3_600_000;

/** The discrepancy columns the aggregation reads (a projection: the rest stays on disk). */
export const TREND_INPUT_COLUMNS = [
  'captured_at', 'node', 'namespace', 'pod', 'pod_uid', 'container', 'container_id', 'level',
  'working_set_bytes', 'kubectl_top_bytes', 'rss_bytes', 'cache_bytes', 'shmem_bytes', 'gap_bytes',
  'limit_bytes', 'working_set_pct_of_limit', 'oom_kill_count', 'cause',
] as const;

class Series {
  samples = 0;
  first = Number.POSITIVE_INFINITY;
  last = Number.NEGATIVE_INFINITY;
  containerId: string | null = null;
  ws = new QuantileAccumulator();
  wsMin: number | null = null;
  wsMax: number | null = null;
  wsSum = 0;
  rss = new QuantileAccumulator();
  rssMin: number | null = null;
  rssMax: number | null = null;
  cache = new QuantileAccumulator();
  cacheMax: number | null = null;
  gap = new QuantileAccumulator();
  gapMax: number | null = null;
  unreclaimableMax: number | null = null;
  rssFit = new LinearFit();
  wsFit = new LinearFit();
  limit: number | null = null;
  limitAt = Number.NEGATIVE_INFINITY;
  maxPct: number | null = null;
  oomKills: number | null = null;
  lastOom: number | null = null;
  lastOomAt = Number.NEGATIVE_INFINITY;
  constructor(
    readonly id: number,
    readonly node: string,
    readonly namespace: string | null,
    readonly pod: string | null,
    readonly podUid: string | null,
    readonly container: string | null,
    readonly level: string,
  ) {}
}

const max = (a: number | null, b: number) => (a === null || b > a ? b : a);
const min = (a: number | null, b: number) => (a === null || b < a ? b : a);

export interface NamespaceCauses {
  namespace: string;
  /** pod-level capture rows per cause */
  causes: Record<string, number>;
}

export interface TrendExtras {
  kind: PeakKind | null;
  rssR2: number | null;
  spanHours: number;
  /** exact nearest-rank percentiles, or the bounded sketch */
  exactPercentiles: boolean;
}

type Cols = Record<string, ArrayLike<unknown>>;

export class TrendsAggregator {
  /** by pod name, then a short list (a pod's containers + its pod row): no key string per row */
  private readonly series = new Map<string, Series[]>();
  private readonly all: Series[] = [];
  private readonly causes = new Map<string, Map<string, number>>();
  rows = 0;
  constructor(readonly dayStartMs: number) {}

  // Scratch of addColumns, reused across batches (see there).
  private sid = new Int32Array(0);
  private order = new Int32Array(0);
  private runStart = new Int32Array(0);
  private stamp = new Int32Array(0);
  private batch = 0;

  /**
   * Feeds one batch of columns; rows must arrive in non-decreasing captured_at per series for
   * the OOM counter.
   *
   * Two passes: resolve each row's series, then update the series one after the other, each
   * with its rows of the batch in their original order. A row group holds a few rows of every
   * series, so visiting rows in file order touched a different series' state (a dozen objects
   * and buffers) at every row: on 10,000 series that was one cache miss per object per row,
   * most of the aggregation time. Grouping keeps one series' state hot for its run. Every
   * series still sees its own values in the same order, so the result is the same bit for bit.
   */
  addColumns(c: Cols, n: number): void {
    const node = c.node!, ns = c.namespace!, pod = c.pod!, uid = c.pod_uid!, ctr = c.container!, level = c.level!;
    if (this.sid.length < n) {
      this.sid = new Int32Array(n);
      this.order = new Int32Array(n);
    }
    const sid = this.sid;
    // Series ids in order of first appearance in this batch, with their row counts (stamp marks
    // "seen in this batch" so nothing of size #series is cleared per batch).
    const batch = ++this.batch;
    const touched: number[] = [];
    // When every key column is dictionary-coded, a row's series is a function of its six codes:
    // resolve each distinct code tuple once per batch, not each row by string hashing.
    const keyCodes = [pod, uid, ctr, level, node, ns].map((col) => dictionaryCodes(col));
    let radix = 1;
    for (const kc of keyCodes) radix *= kc ? kc.dictionary.length + 1 : Number.POSITIVE_INFINITY;
    const byCodes = radix <= Number.MAX_SAFE_INTEGER ? new Map<number, Series>() : null;
    const [podC, uidC, ctrC, levelC, nodeC, nsC] = keyCodes.map((kc) => kc?.codes ?? new Int32Array(0)) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
    const [uidN, ctrN, levelN, nodeN, nsN] = keyCodes.slice(1).map((kc) => (kc ? kc.dictionary.length + 1 : 0)) as [number, number, number, number, number];
    for (let i = 0; i < n; i++) {
      let s: Series | undefined;
      let key = 0;
      if (byCodes) {
        key = (((((podC[i]! + 1) * uidN + uidC[i]! + 1) * ctrN + ctrC[i]! + 1) * levelN + levelC[i]! + 1) * nodeN + nodeC[i]! + 1) * nsN + nsC[i]! + 1;
        s = byCodes.get(key);
      }
      if (!s) {
        s = this.resolve(pod[i] as string | null, uid[i] as string | null, ctr[i] as string | null, level[i] as string, node[i] as string, ns[i] as string | null);
        byCodes?.set(key, s);
      }
      const id = s.id;
      sid[i] = id;
      if (this.stamp[id] !== batch) {
        this.stamp[id] = batch;
        this.runStart[id] = 0;
        touched.push(id);
      }
      this.runStart[id]!++;
    }
    // Counting sort of the row indexes by series, stable: runStart becomes each run's offset.
    let off = 0;
    for (const id of touched) {
      const count = this.runStart[id]!;
      this.runStart[id] = off;
      off += count;
    }
    const order = this.order;
    const runStart = this.runStart;
    for (let i = 0; i < n; i++) order[runStart[sid[i]!]!++] = i;
    let from = 0;
    for (const id of touched) {
      const to = runStart[id]!;
      this.addRun(this.all[id]!, c, order, from, to);
      from = to;
    }
    this.rows += n;
  }

  private resolve(podValue: string | null, uidValue: string | null, ctrValue: string | null, lv: string, nd: string, nsValue: string | null): Series {
    const podName = podValue ?? '';
    let list = this.series.get(podName);
    if (!list) this.series.set(podName, (list = []));
    const nsv = nsValue ?? null, uv = uidValue ?? null, cv = ctrValue ?? null;
    for (const x of list) {
      if (x.container === cv && x.level === lv && x.node === nd && x.namespace === nsv && x.podUid === uv) return x;
    }
    const s = new Series(this.all.length, nd, nsv, podValue ?? null, uv, cv, lv);
    list.push(s);
    this.all.push(s);
    if (this.stamp.length < this.all.length) {
      const grown = new Int32Array(Math.max(64, this.all.length * 2));
      grown.set(this.stamp);
      this.stamp = grown;
      const runs = new Int32Array(grown.length);
      runs.set(this.runStart);
      this.runStart = runs;
    }
    return s;
  }

  /** The rows order[from…to) of one series, in order. */
  private addRun(s: Series, c: Cols, order: Int32Array, from: number, to: number): void {
    const at = c.captured_at!, ns = c.namespace!, cid = c.container_id!, level = c.level!;
    const ws = c.working_set_bytes!, top = c.kubectl_top_bytes!, rss = c.rss_bytes!, cache = c.cache_bytes!, shmem = c.shmem_bytes!, gap = c.gap_bytes!;
    const limit = c.limit_bytes!, pct = c.working_set_pct_of_limit!, oom = c.oom_kill_count!, cause = c.cause!;
    for (let k = from; k < to; k++) {
      const i = order[k]!;
      const t = at[i] as number;
      s.samples++;
      if (t < s.first) s.first = t;
      if (t > s.last) s.last = t;
      if (cid[i] != null) s.containerId = cid[i] as string;
      const hours = (t - this.dayStartMs) / HOUR_MS;
      const w = (ws[i] ?? top[i]) as number | null;
      if (w != null) {
        s.ws.add(w);
        s.wsMin = min(s.wsMin, w);
        s.wsMax = max(s.wsMax, w);
        s.wsSum += w;
        s.wsFit.add(hours, w);
      }
      const r = rss[i] as number | null;
      if (r != null) {
        s.rss.add(r);
        s.rssMin = min(s.rssMin, r);
        s.rssMax = max(s.rssMax, r);
        s.rssFit.add(hours, r);
        s.unreclaimableMax = max(s.unreclaimableMax, r + ((shmem[i] as number | null) ?? 0));
      }
      const kb = cache[i] as number | null;
      if (kb != null) {
        s.cache.add(kb);
        s.cacheMax = max(s.cacheMax, kb);
      }
      const g = gap[i] as number | null;
      if (g != null) {
        s.gap.add(g);
        s.gapMax = max(s.gapMax, g);
      }
      if (t >= s.limitAt) {
        s.limitAt = t;
        s.limit = (limit[i] as number | null) ?? null;
      }
      const p = pct[i] as number | null;
      if (p != null) s.maxPct = max(s.maxPct, p);
      const o = oom[i] as number | null;
      if (o != null && t >= s.lastOomAt) {
        // The counter is cumulative per cgroup; a drop means a new cgroup (restart): count from 0.
        if (s.lastOom !== null) s.oomKills = (s.oomKills ?? 0) + (o >= s.lastOom ? o - s.lastOom : o);
        else s.oomKills ??= 0;
        s.lastOom = o;
        s.lastOomAt = t;
      }
      if (level[i] === 'pod') {
        const nsKey = (ns[i] as string | null) ?? '(none)';
        let m = this.causes.get(nsKey);
        if (!m) this.causes.set(nsKey, (m = new Map()));
        const ck = cause[i] as string;
        m.set(ck, (m.get(ck) ?? 0) + 1);
      }
    }
  }

  get seriesCount(): number {
    return this.all.length;
  }

  namespaceCauses(): NamespaceCauses[] {
    return [...this.causes.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([namespace, m]) => ({ namespace, causes: Object.fromEntries([...m.entries()].sort()) }));
  }

  finish(): { row: TrendsDailyRow; extras: TrendExtras }[] {
    const out: { row: TrendsDailyRow; extras: TrendExtras }[] = [];
    for (const s of this.all) {
      const rssSlope = s.rssFit.slope();
      const rssR2 = s.rssFit.r2();
      const spanHours = s.rssFit.span;
      const isPause = s.container === 'POD';
      const leak = !isPause && isLeakSuspect({ samples: s.rssFit.count, spanHours, rssSlope, rssR2, rssMin: s.rssMin });
      const rec =
        s.level === 'container' && !isPause
          ? recommend({ workingSetP95: s.ws.quantile(95), workingSetMax: s.wsMax, unreclaimableMax: s.unreclaimableMax, limit: s.limit, oomKills: s.oomKills, leakSuspect: leak, rssSlope })
          : null;
      out.push({
        row: {
          day: new Date(this.dayStartMs),
          node: s.node,
          namespace: s.namespace,
          pod: s.pod,
          pod_uid: s.podUid,
          container: s.container,
          container_id: s.containerId,
          level: s.level,
          samples: s.samples,
          first_seen: new Date(s.first),
          last_seen: new Date(s.last),
          working_set_min: s.wsMin,
          working_set_avg: s.ws.count > 0 ? Math.round(s.wsSum / s.ws.count) : null,
          working_set_p50: s.ws.quantile(50),
          working_set_p95: s.ws.quantile(95),
          working_set_max: s.wsMax,
          rss_p95: s.rss.quantile(95),
          rss_max: s.rssMax,
          cache_p95: s.cache.quantile(95),
          cache_max: s.cacheMax,
          gap_p50: s.gap.quantile(50),
          gap_p95: s.gap.quantile(95),
          gap_max: s.gapMax,
          rss_slope_bytes_per_hour: rssSlope,
          working_set_slope_bytes_per_hour: s.wsFit.slope(),
          limit_bytes: s.limit,
          max_pct_of_limit: s.maxPct,
          oom_kills: s.oomKills,
          leak_suspect: leak,
          leak_memory: leak ? 'rss' : null,
          leak_slope_bytes_per_hour: leak ? rssSlope : null,
          recommended_request_bytes: rec?.request ?? null,
          recommended_limit_bytes: rec?.limit ?? null,
          recommendation_kind: rec?.kind ?? null,
          recommendation_reason: rec?.reason ?? null,
        },
        extras: { kind: rec?.kind ?? null, rssR2, spanHours, exactPercentiles: s.ws.exact && s.rss.exact && s.cache.exact && s.gap.exact },
      });
    }
    out.sort((a, b) => cmp(a.row.namespace, b.row.namespace) || cmp(a.row.pod, b.row.pod) || (a.row.level === b.row.level ? 0 : a.row.level === 'pod' ? -1 : 1) || cmp(a.row.container, b.row.container) || a.row.node.localeCompare(b.row.node));
    return out;
  }
}

const cmp = (a: string | null, b: string | null) => (a ?? '').localeCompare(b ?? '');
