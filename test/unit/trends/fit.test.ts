import { describe, expect, it } from 'vitest';
import { LinearFit } from '../../../src/trends/fit.js';

describe('least-squares slope', () => {
  it('an exact line: y = 1 + 2x → slope 2, R² 1', () => {
    const f = new LinearFit();
    for (const x of [0, 1, 2, 3]) f.add(x, 1 + 2 * x);
    expect(f.slope()).toBeCloseTo(2, 12);
    expect(f.r2()).toBeCloseTo(1, 12);
    expect(f.span).toBe(3);
  });

  it('(0,0) (1,3) (2,3): slope = (3·9 − 3·6)/(3·5 − 3²) = 9/6 = 1.5, R² = 9²/(6·18) = 0.75', () => {
    // n = 3, Σx = 3, Σy = 6, Σx² = 5, Σxy = 9, Σy² = 18; n·Σy² − (Σy)² = 54 − 36 = 18
    const f = new LinearFit();
    f.add(0, 0);
    f.add(1, 3);
    f.add(2, 3);
    expect(f.slope()).toBeCloseTo(1.5, 12);
    expect(f.r2()).toBeCloseTo(0.75, 12);
  });

  it('byte-sized values keep their precision (offsets from the first point)', () => {
    // 8 GiB baseline + 25 MiB/h: the slope must come out as 26,214,400 bytes/h.
    const f = new LinearFit();
    for (let h = 0; h < 24; h += 1 / 12) f.add(h, 8 * 2 ** 30 + h * 25 * 2 ** 20);
    expect(f.slope()).toBeCloseTo(26_214_400, 3);
  });

  it('is undefined with one x value; a flat series fits exactly', () => {
    const one = new LinearFit();
    one.add(5, 10);
    one.add(5, 12);
    expect(one.slope()).toBeNull();
    const flat = new LinearFit();
    for (const x of [0, 1, 2]) flat.add(x, 7);
    expect(flat.slope()).toBe(0);
    expect(flat.r2()).toBe(1);
  });
});
