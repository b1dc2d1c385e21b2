import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXACT_LIMIT, nearestRank, QuantileAccumulator, SKETCH_ALPHA } from '../../../src/trends/quantiles.js';

describe('nearest-rank percentiles', () => {
  // The textbook example: sorted 15, 20, 35, 40, 50 (n = 5); rank = ceil(p/100 · 5).
  const v = [15, 20, 35, 40, 50];
  it.each([
    [5, 15], // ceil(0.25) = 1 → 15
    [30, 20], // ceil(1.5) = 2 → 20
    [40, 20], // ceil(2.0) = 2 → 20
    [50, 35], // ceil(2.5) = 3 → 35
    [95, 50], // ceil(4.75) = 5 → 50
    [100, 50], // ceil(5) = 5 → 50
  ])('p%d = %d', (p, expected) => {
    expect(nearestRank(v, p)).toBe(expected);
    const acc = new QuantileAccumulator();
    for (const x of [40, 15, 50, 35, 20]) acc.add(x); // order of arrival must not matter
    expect(acc.quantile(p)).toBe(expected);
  });

  it('returns null without values, and negative gaps sort below zero', () => {
    expect(new QuantileAccumulator().quantile(50)).toBeNull();
    const acc = new QuantileAccumulator();
    for (const x of [-300, 0, 100, -5]) acc.add(x); // sorted: -300, -5, 0, 100
    expect(acc.quantile(50)).toBe(-5); // ceil(2) = 2
    expect(acc.quantile(25)).toBe(-300); // ceil(1) = 1
  });

  it('past EXACT_LIMIT values the sketch stays within the documented relative error', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { minLength: EXACT_LIMIT + 1, maxLength: EXACT_LIMIT * 3 }),
        fc.constantFrom(1, 50, 90, 95, 99, 100),
        (values, p) => {
          const acc = new QuantileAccumulator();
          for (const x of values) acc.add(x);
          expect(acc.exact).toBe(false);
          const exact = nearestRank([...values].sort((a, b) => a - b), p)!;
          const est = acc.quantile(p)!;
          expect(Math.abs(est - exact)).toBeLessThanOrEqual(SKETCH_ALPHA * Math.abs(exact) + 1e-6);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the sketch keeps the bound whether its buckets stay in the dense window or overflow to a map', () => {
    // Narrow: 100 MiB ± 30 % spans ln(1.3/0.7)/ln(γ) ≈ 62 buckets (dense window, grown both ways
    // since values arrive in random order). Wide: 1 … 2^50 spans ≈ 3,466 buckets > 2,048 (map).
    const MiB = 1024 * 1024;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.integer({ min: 70 * MiB, max: 130 * MiB }), { minLength: EXACT_LIMIT + 1, maxLength: EXACT_LIMIT * 3 }),
          fc.array(fc.integer({ min: 1, max: 2 ** 50 }), { minLength: EXACT_LIMIT + 1, maxLength: EXACT_LIMIT * 3 }),
        ),
        fc.constantFrom(1, 50, 95, 100),
        (values, p) => {
          const acc = new QuantileAccumulator();
          for (const x of values) acc.add(x);
          const exact = nearestRank([...values].sort((a, b) => a - b), p)!;
          expect(Math.abs(acc.quantile(p)! - exact)).toBeLessThanOrEqual(SKETCH_ALPHA * exact + 1e-6);
        },
      ),
      { numRuns: 60 },
    );
  });
});
