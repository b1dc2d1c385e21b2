/**
 * Percentiles for trends_daily, in memory bounded per series (the day's sample count does not
 * matter once it passes EXACT_LIMIT):
 *  - up to EXACT_LIMIT values: exact nearest-rank — the value at rank ⌈p/100 · n⌉ of the sorted
 *    values (1-based), always one of the observed values (no interpolation);
 *  - beyond: a logarithmic bucket sketch (DDSketch-style) whose answer is within a relative
 *    error of SKETCH_ALPHA of the exact nearest-rank value (|est − exact| ≤ α·|exact|).
 * A day at a 5-minute interval has 288 samples, so any interval of 3 minutes or more is exact.
 * (512 × 8 bytes × 4 metrics per series bounds the exact buffers: 10,000 series → 160 MiB.)
 */
export const EXACT_LIMIT = 512;
export const SKETCH_ALPHA = 0.005;
const GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
const LOG_GAMMA = Math.log(GAMMA);

/** Nearest-rank percentile of an ascending array (p in (0, 100]). */
export function nearestRank(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1]!;
}

export class QuantileAccumulator {
  private values: Float64Array | null = new Float64Array(16);
  private n = 0;
  private pos: Buckets | null = null;
  private neg: Buckets | null = null;
  private zeros = 0;

  get count(): number {
    return this.n;
  }
  get exact(): boolean {
    return this.values !== null;
  }

  add(v: number): void {
    if (this.values) {
      if (this.n < EXACT_LIMIT) {
        if (this.n === this.values.length) {
          const grown = new Float64Array(Math.min(EXACT_LIMIT, this.values.length * 2));
          grown.set(this.values);
          this.values = grown;
        }
        this.values[this.n++] = v;
        return;
      }
      this.toSketch();
    }
    this.sketchAdd(v);
    this.n++;
  }

  private toSketch(): void {
    const vals = this.values!.subarray(0, this.n);
    this.values = null;
    this.pos = new Buckets();
    this.neg = new Buckets();
    for (const v of vals) this.sketchAdd(v);
  }

  private sketchAdd(v: number): void {
    if (v === 0) this.zeros++;
    else {
      (v > 0 ? this.pos! : this.neg!).add(Math.ceil(Math.log(Math.abs(v)) / LOG_GAMMA));
    }
  }

  quantile(p: number): number | null {
    if (this.n === 0) return null;
    if (this.values) return nearestRank(this.values.slice(0, this.n).sort(), p);
    const rank = Math.min(this.n, Math.max(1, Math.ceil((p / 100) * this.n)));
    // Ascending: most negative first (largest |v| bucket), zeros, then positives.
    const neg = this.neg!.ascending();
    let seen = 0;
    for (let j = neg.length - 2; j >= 0; j -= 2) {
      seen += neg[j + 1]!;
      if (seen >= rank) return -bucketValue(neg[j]!);
    }
    seen += this.zeros;
    if (seen >= rank) return 0;
    const pos = this.pos!.ascending();
    for (let j = 0; j < pos.length; j += 2) {
      seen += pos[j + 1]!;
      if (seen >= rank) return bucketValue(pos[j]!);
    }
    return bucketValue(pos[pos.length - 2]!);
  }
}

/**
 * Bucket counts of one sign. A series' values usually span a few dozen buckets (a factor of
 * γ^48 ≈ 1.6 per 48), so the counts live in a dense window of bucket indexes: an array
 * increment per value instead of a Map lookup and insert, the sketch's main cost at 28.8 M
 * values. A window wider than MAX_DENSE buckets (values over a factor of e^20) moves to a Map.
 */
const MAX_DENSE = 2048;
class Buckets {
  private lo = 0;
  private counts: Uint32Array | null = null;
  private map: Map<number, number> | null = null;

  add(i: number): void {
    const c = this.counts;
    if (c) {
      const j = i - this.lo;
      if (j >= 0 && j < c.length) c[j]!++;
      else this.grow(i);
    } else if (this.map) this.map.set(i, (this.map.get(i) ?? 0) + 1);
    else {
      this.counts = new Uint32Array(16);
      this.lo = i - 8;
      this.counts[8] = 1;
    }
  }

  private grow(i: number): void {
    const c = this.counts!;
    const hi = Math.max(this.lo + c.length - 1, i);
    const lo = Math.min(this.lo, i);
    if (hi - lo + 1 > MAX_DENSE) {
      this.map = new Map();
      for (let j = 0; j < c.length; j++) if (c[j]! > 0) this.map.set(this.lo + j, c[j]!);
      this.counts = null;
      this.map.set(i, (this.map.get(i) ?? 0) + 1);
      return;
    }
    const len = Math.min(MAX_DENSE, Math.max(2 * c.length, hi - lo + 1));
    const newLo = i < this.lo ? hi - len + 1 : this.lo;
    const grown = new Uint32Array(len);
    grown.set(c, this.lo - newLo);
    this.counts = grown;
    this.lo = newLo;
    grown[i - newLo]!++;
  }

  /** [index, count, index, count, …] of the non-empty buckets, by ascending index. */
  ascending(): number[] {
    const out: number[] = [];
    if (this.counts) {
      for (let j = 0; j < this.counts.length; j++) if (this.counts[j]! > 0) out.push(this.lo + j, this.counts[j]!);
    } else if (this.map) {
      for (const k of [...this.map.keys()].sort((a, b) => a - b)) out.push(k, this.map.get(k)!);
    }
    return out;
  }
}

/** Representative of bucket i, (γ^(i−1), γ^i]: within α of every value in it. */
function bucketValue(i: number): number {
  return (2 * Math.pow(GAMMA, i)) / (GAMMA + 1);
}
