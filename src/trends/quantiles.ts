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
  private pos: Map<number, number> | null = null;
  private neg: Map<number, number> | null = null;
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
    this.pos = new Map();
    this.neg = new Map();
    for (const v of vals) this.sketchAdd(v);
  }

  private sketchAdd(v: number): void {
    if (v === 0) this.zeros++;
    else {
      const m = v > 0 ? this.pos! : this.neg!;
      const i = Math.ceil(Math.log(Math.abs(v)) / LOG_GAMMA);
      m.set(i, (m.get(i) ?? 0) + 1);
    }
  }

  quantile(p: number): number | null {
    if (this.n === 0) return null;
    if (this.values) return nearestRank(this.values.slice(0, this.n).sort(), p);
    const rank = Math.min(this.n, Math.max(1, Math.ceil((p / 100) * this.n)));
    // Ascending: most negative first (largest |v| bucket), zeros, then positives.
    const negKeys = [...this.neg!.keys()].sort((a, b) => b - a);
    let seen = 0;
    for (const k of negKeys) {
      seen += this.neg!.get(k)!;
      if (seen >= rank) return -bucketValue(k);
    }
    seen += this.zeros;
    if (seen >= rank) return 0;
    const posKeys = [...this.pos!.keys()].sort((a, b) => a - b);
    for (const k of posKeys) {
      seen += this.pos!.get(k)!;
      if (seen >= rank) return bucketValue(k);
    }
    return bucketValue(posKeys[posKeys.length - 1]!);
  }
}

/** Representative of bucket i, (γ^(i−1), γ^i]: within α of every value in it. */
function bucketValue(i: number): number {
  return (2 * Math.pow(GAMMA, i)) / (GAMMA + 1);
}
