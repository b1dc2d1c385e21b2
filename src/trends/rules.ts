/**
 * The leak rule and the right-sizing rule (docs/trends.md explains both with examples).
 * Thresholds are exported so the tests and the docs quote the same numbers.
 */
const MiB = 1024 * 1024;

/** Leak rule: RSS (anonymous memory) only — page cache growth alone is never a leak. */
export const LEAK_MIN_HOURS = 6;
export const LEAK_MIN_SAMPLES = 12;
export const LEAK_MIN_R2 = 0.8;
export const LEAK_MIN_SLOPE_BYTES_PER_HOUR = 1 * MiB;
export const LEAK_MIN_GROWTH_BYTES = 16 * MiB;
export const LEAK_MIN_GROWTH_FRACTION = 0.1;

export interface LeakInput {
  samples: number;
  spanHours: number;
  rssSlope: number | null;
  rssR2: number | null;
  rssMin: number | null;
}

/**
 * leak_suspect ⇔ RSS was measured for ≥ LEAK_MIN_HOURS with ≥ LEAK_MIN_SAMPLES samples, its
 * least-squares slope is ≥ 1 MiB/h, the line explains ≥ 80 % of the variance (R² ≥ 0.8: steady
 * growth, not one spike), and the growth over the span (slope × hours) is ≥ max(16 MiB, 10 % of
 * the day's minimum RSS).
 */
export function isLeakSuspect(x: LeakInput): boolean {
  if (x.rssSlope === null || x.rssR2 === null || x.rssMin === null) return false;
  if (x.samples < LEAK_MIN_SAMPLES || x.spanHours < LEAK_MIN_HOURS) return false;
  if (x.rssSlope < LEAK_MIN_SLOPE_BYTES_PER_HOUR || x.rssR2 < LEAK_MIN_R2) return false;
  return x.rssSlope * x.spanHours >= Math.max(LEAK_MIN_GROWTH_BYTES, LEAK_MIN_GROWTH_FRACTION * x.rssMin);
}

export const REQUEST_HEADROOM = 1.1;
export const LIMIT_HEADROOM = 1.25;
export const OOM_LIMIT_RAISE = 1.25;
export const MIN_RECOMMENDATION_BYTES = 16 * MiB;

export type PeakKind = 'anonymous' | 'page-cache' | 'oom-killed';

export interface RecommendInput {
  workingSetP95: number | null;
  workingSetMax: number | null;
  /** max over samples of rss + shmem: memory the kernel cannot reclaim without swap */
  unreclaimableMax: number | null;
  limit: number | null;
  oomKills: number | null;
  leakSuspect: boolean;
  rssSlope: number | null;
}

export interface Recommendation {
  request: number;
  limit: number;
  kind: PeakKind;
  reason: string;
}

// The epsilon keeps float noise (1.1 × 100 = 110.00000000000001) from adding a whole MiB.
const ceilMiB = (b: number) => Math.max(MIN_RECOMMENDATION_BYTES, Math.ceil(b / MiB - 1e-9) * MiB);
const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;

/**
 * request = ⌈1.1 × working-set p95⌉ MiB for every kind: kubelet eviction ranks pods by working
 * set above request, and the working set includes active page cache (DOMAIN: eviction vs OOM).
 * limit depends on what made the peak:
 *  - oom-killed (the counter rose): ⌈1.25 × max(current limit, unreclaimable peak)⌉;
 *  - anonymous (rss + shmem ≥ half of the working-set peak): ⌈1.25 × working-set peak⌉;
 *  - page-cache (the peak is mostly active page cache, reclaimable before the OOM killer acts):
 *    ⌈1.25 × unreclaimable peak⌉ — a cache peak is no reason to raise a limit.
 * Both are at least 16 MiB and limit ≥ request.
 */
export function recommend(x: RecommendInput): Recommendation | null {
  if (x.workingSetP95 === null || x.workingSetMax === null || x.unreclaimableMax === null) return null;
  const request = ceilMiB(REQUEST_HEADROOM * x.workingSetP95);
  const cacheAtPeak = Math.max(0, x.workingSetMax - x.unreclaimableMax);
  let kind: PeakKind;
  let limit: number;
  let reason: string;
  if ((x.oomKills ?? 0) > 0) {
    kind = 'oom-killed';
    limit = ceilMiB(OOM_LIMIT_RAISE * Math.max(x.limit ?? 0, x.unreclaimableMax));
    reason = `OOM-killed ${x.oomKills} time(s)${x.limit !== null ? ` at a limit of ${mib(x.limit)}` : ''}; anonymous+shmem peak ${mib(x.unreclaimableMax)}: raise the limit by 25 %`;
  } else if (x.unreclaimableMax >= 0.5 * x.workingSetMax) {
    kind = 'anonymous';
    limit = ceilMiB(LIMIT_HEADROOM * x.workingSetMax);
    reason = `peak working set ${mib(x.workingSetMax)} is mostly anonymous memory/tmpfs (${mib(x.unreclaimableMax)}), which cannot be reclaimed: limit = 1.25 × peak`;
  } else {
    kind = 'page-cache';
    limit = ceilMiB(LIMIT_HEADROOM * x.unreclaimableMax);
    reason = `peak working set ${mib(x.workingSetMax)} is mostly active page cache (${mib(cacheAtPeak)}), reclaimable under pressure: limit sized on the anonymous+shmem peak ${mib(x.unreclaimableMax)}, not on the cache`;
  }
  if (x.leakSuspect && x.rssSlope !== null) reason = `RSS grows ${mib(x.rssSlope)}/h (leak suspect): a higher limit only postpones the OOM kill; ${reason}`;
  return { request, limit: Math.max(limit, request), kind, reason };
}
