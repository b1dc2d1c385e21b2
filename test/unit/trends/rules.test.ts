import { describe, expect, it } from 'vitest';
import { TREND_INPUT_COLUMNS, TrendsAggregator } from '../../../src/trends/aggregate.js';
import { isLeakSuspect, recommend } from '../../../src/trends/rules.js';

const MiB = 1024 * 1024;
const DAY = Date.parse('2026-11-26T00:00:00Z');
const H = 3_600_000;

type In = Partial<Record<(typeof TREND_INPUT_COLUMNS)[number], unknown>> & { captured_at: number };
/** Rows → the column arrays the aggregator reads from Parquet. */
function feed(agg: TrendsAggregator, rows: In[]) {
  const cols: Record<string, unknown[]> = {};
  for (const c of TREND_INPUT_COLUMNS) cols[c] = rows.map((r) => r[c] ?? null);
  agg.addColumns(cols, rows.length);
}
const base = { node: 'n1', namespace: 'ns', pod_uid: 'u', level: 'container', cause: 'none', limit_bytes: 1024 * MiB };

describe('leak rule', () => {
  it('steady RSS growth over 12 h is a leak suspect', () => {
    // 13 samples at h = 0..12, rss = 100 MiB + 10 MiB·h: slope 10 MiB/h, R² = 1, span 12 h,
    // growth 120 MiB ≥ max(16 MiB, 10 % of 100 MiB)
    const agg = new TrendsAggregator(DAY);
    feed(agg, Array.from({ length: 13 }, (_, h) => ({ ...base, pod: 'leaky', container: 'app', captured_at: DAY + h * H, rss_bytes: 100 * MiB + h * 10 * MiB, cache_bytes: 50 * MiB, working_set_bytes: 140 * MiB + h * 10 * MiB })));
    const [t] = agg.finish();
    expect(t!.row.rss_slope_bytes_per_hour).toBeCloseTo(10 * MiB, 3);
    expect(t!.row.working_set_slope_bytes_per_hour).toBeCloseTo(10 * MiB, 3);
    expect(t!.row.leak_suspect).toBe(true);
    expect(t!.row.recommendation_reason).toMatch(/leak suspect/);
  });

  it('page cache growth with flat RSS is not a leak, although the working set grows', () => {
    // rss 100 MiB constant; active cache 20 + 20·h MiB → working set 120 + 20·h MiB: slope 20 MiB/h
    const agg = new TrendsAggregator(DAY);
    feed(agg, Array.from({ length: 13 }, (_, h) => ({ ...base, pod: 'cachey', container: 'app', captured_at: DAY + h * H, rss_bytes: 100 * MiB, cache_bytes: (20 + 20 * h) * MiB, working_set_bytes: (120 + 20 * h) * MiB })));
    const [t] = agg.finish();
    expect(t!.row.rss_slope_bytes_per_hour).toBe(0);
    expect(t!.row.working_set_slope_bytes_per_hour).toBeCloseTo(20 * MiB, 3);
    expect(t!.row.leak_suspect).toBe(false);
  });

  it('rejects growth over too short a span, too few samples, a poor fit, or a small rise', () => {
    const ok = { samples: 13, spanHours: 12, rssSlope: 10 * MiB, rssR2: 1, rssMin: 100 * MiB };
    expect(isLeakSuspect(ok)).toBe(true);
    expect(isLeakSuspect({ ...ok, spanHours: 5 })).toBe(false); // < 6 h
    expect(isLeakSuspect({ ...ok, samples: 11 })).toBe(false); // < 12 samples
    expect(isLeakSuspect({ ...ok, rssR2: 0.79 })).toBe(false); // not steady
    expect(isLeakSuspect({ ...ok, rssSlope: 0.9 * MiB })).toBe(false); // < 1 MiB/h
    // 1.2 MiB/h × 12 h = 14.4 MiB < 16 MiB
    expect(isLeakSuspect({ ...ok, rssSlope: 1.2 * MiB })).toBe(false);
    // 2 MiB/h × 12 h = 24 MiB ≥ 16 MiB but < 10 % of a 400 MiB minimum (40 MiB)
    expect(isLeakSuspect({ ...ok, rssSlope: 2 * MiB, rssMin: 400 * MiB })).toBe(false);
    expect(isLeakSuspect({ ...ok, rssSlope: 2 * MiB, rssMin: 200 * MiB })).toBe(true); // 24 ≥ max(16, 20)
  });
});

describe('daily aggregates', () => {
  it('percentiles, min/avg/max, last limit, max % of limit and the OOM counter with a reset', () => {
    // ws = 10, 20, 30, 40, 50 MiB in time order; counter 0, 1, 1, 0 (restart: new cgroup), 2
    const ws = [10, 20, 30, 40, 50];
    const oom = [0, 1, 1, 0, 2];
    const agg = new TrendsAggregator(DAY);
    feed(agg, ws.map((w, i) => ({ ...base, pod: 'p', container: 'c', captured_at: DAY + i * H, working_set_bytes: w * MiB, rss_bytes: w * MiB, gap_bytes: (i - 2) * MiB, limit_bytes: i < 4 ? 64 * MiB : 128 * MiB, working_set_pct_of_limit: (100 * w) / (i < 4 ? 64 : 128), oom_kill_count: oom[i] })));
    const [t] = agg.finish();
    const r = t!.row;
    expect(r.samples).toBe(5);
    expect(r.working_set_min).toBe(10 * MiB);
    expect(r.working_set_avg).toBe(30 * MiB); // (10+20+30+40+50)/5
    expect(r.working_set_p50).toBe(30 * MiB); // rank ceil(2.5) = 3
    expect(r.working_set_p95).toBe(50 * MiB); // rank ceil(4.75) = 5
    expect(r.gap_p50).toBe(0); // gaps −2..2 MiB, rank 3 → 0
    expect(r.gap_max).toBe(2 * MiB);
    expect(r.limit_bytes).toBe(128 * MiB); // the last one seen
    expect(r.max_pct_of_limit).toBeCloseTo(62.5, 10); // 40/64 = 62.5 % beats 50/128 = 39 %
    // increases: 0→1 (+1), 1→1 (0), 1→0 reset (+0), 0→2 (+2) = 3
    expect(r.oom_kills).toBe(3);
    expect(r.first_seen.getTime()).toBe(DAY);
    expect(r.last_seen.getTime()).toBe(DAY + 4 * H);
  });

  it('keeps container and pod series apart and leaves pod rows without a recommendation', () => {
    const agg = new TrendsAggregator(DAY);
    feed(agg, [
      { ...base, pod: 'p', container: 'c', captured_at: DAY, working_set_bytes: 10 * MiB, rss_bytes: 8 * MiB },
      { ...base, pod: 'p', container: null, level: 'pod', captured_at: DAY, working_set_bytes: 11 * MiB, rss_bytes: 9 * MiB },
    ]);
    const rows = agg.finish().map((x) => x.row);
    expect(rows.map((r) => r.level)).toEqual(['pod', 'container']);
    expect(rows[0]!.recommended_limit_bytes).toBeNull();
    expect(rows[1]!.recommended_limit_bytes).not.toBeNull();
  });
});

describe('right-sizing', () => {
  const common = { workingSetP95: 100 * MiB, limit: 512 * MiB, oomKills: 0, leakSuspect: false, rssSlope: 0 };
  it('a page-cache peak sizes the limit on anonymous memory, not on the cache', () => {
    // request = ceil(1.1 × 100 MiB) = 110 MiB; limit = ceil(1.25 × 100 MiB unreclaimable) = 125 MiB
    const r = recommend({ ...common, workingSetMax: 400 * MiB, unreclaimableMax: 100 * MiB })!;
    expect(r.kind).toBe('page-cache');
    expect(r.request).toBe(110 * MiB);
    expect(r.limit).toBe(125 * MiB);
    expect(r.reason).toMatch(/active page cache \(300\.0 MiB\)/);
  });
  it('an anonymous peak sizes the limit on the whole working-set peak', () => {
    // 250 ≥ 300/2 → anonymous; limit = 1.25 × 300 = 375 MiB
    const r = recommend({ ...common, workingSetMax: 300 * MiB, unreclaimableMax: 250 * MiB })!;
    expect(r.kind).toBe('anonymous');
    expect(r.limit).toBe(375 * MiB);
  });
  it('an OOM kill raises the limit by 25 % over the current one', () => {
    // max(512, 500) × 1.25 = 640 MiB
    const r = recommend({ ...common, oomKills: 1, workingSetMax: 510 * MiB, unreclaimableMax: 500 * MiB })!;
    expect(r.kind).toBe('oom-killed');
    expect(r.limit).toBe(640 * MiB);
  });
  it('never goes below 16 MiB and keeps limit ≥ request', () => {
    const r = recommend({ ...common, workingSetP95: 2 * MiB, workingSetMax: 3 * MiB, unreclaimableMax: 1 * MiB })!;
    expect(r.request).toBe(16 * MiB);
    expect(r.limit).toBe(16 * MiB);
    expect(recommend({ ...common, workingSetMax: null, unreclaimableMax: null })).toBeNull();
  });
});
