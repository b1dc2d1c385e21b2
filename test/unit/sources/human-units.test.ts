import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { formatHumanBytes, HumanBytesFormatError, parseHumanBytes, tryParseHumanBytes } from '../../../src/sources/human-units.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('parseHumanBytes (go-units BytesSize, %.4g)', () => {
  it.each([
    // text, bytes, uncertainty — worked by hand:
    // 7.69 has one integer digit, so the 4th significant digit is the 0.001 place (7.690 shown as 7.69):
    //   7.69 × 2^30 = 8257074626.56 B, ± 0.0005 GiB = 0.0005 × 1073741824 = 536870.912 B
    ['7.69GiB', 7.69 * GiB, 0.0005 * GiB],
    // 620 has three integer digits: %.4g would have printed 620.4 for 620.4, so "620" is 620.0 ± 0.05 KiB
    //   620 × 1024 = 634880 B, ± 0.05 × 1024 = 51.2 B
    ['620KiB', 634880, 51.2],
    ['1.003GiB', 1.003 * GiB, 0.0005 * GiB],
    // 1024 (a value ≥ 1023.5 rounded up): four integer digits, last digit is the 1s place → ± 0.5 KiB = 512 B
    ['1024KiB', 1048576, 512],
    // docs examples: 2.352 × 1048576 = 2466250.752, ± 0.0005 MiB = 524.288; 982.5 × 1048576 = 1030225920, ± 0.05 MiB = 52428.8
    ['2.352MiB', 2466250.752, 524.288],
    ['982.5MiB', 1030225920, 52428.8],
    // 64 → two integer digits → 4th significant digit at 0.01 → ± 0.005 MiB = 5242.88 B
    ['64MiB', 64 * MiB, 5242.88],
    // B: whole bytes printed in full; half a unit of the printed units digit
    ['0B', 0, 0.5],
    ['916B', 916, 0.5],
    // pre-2016 go-units printed a space before the unit
    ['796 KiB', 796 * KiB, 51.2],
  ])('%s → %d ± %d bytes', (text, bytes, uncertainty) => {
    const v = parseHumanBytes(text);
    expect(v.bytes).toBeCloseTo(bytes, 3);
    expect(v.uncertaintyBytes).toBeCloseTo(uncertainty, 6);
  });

  it('reads trailing zeros as the same quantity (%.4g would have dropped them)', () => {
    expect(parseHumanBytes('7.690GiB')).toEqual(parseHumanBytes('7.69GiB'));
  });

  it.each([
    ['12.345MiB', 'more than 4 significant digits'],
    ['5MB', 'decimal unit MB'],
    ['0.5KiB', 'between 1 and 1024'],
    ['1025KiB', 'between 1 and 1024'],
    ['1.5B', 'whole numbers below 1024'],
    ['1024B', 'whole numbers below 1024'],
    ['1e+04YiB', 'exponent notation'],
    ['01KiB', 'leading zero'],
    ['abc', 'expected <number><unit>'],
    ['', 'expected <number><unit>'],
    ['5XiB', 'unknown unit XiB'],
  ])('rejects %j (%s)', (text, reason) => {
    const r = tryParseHumanBytes(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
    expect(() => parseHumanBytes(text)).toThrow(HumanBytesFormatError);
  });
});

describe('formatHumanBytes (Go %.4g exactly)', () => {
  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1KiB'],
    [634880, '620KiB'], // 620.0 KiB, trailing ".0" dropped
    // 635136 / 1024 = 620.25 exactly: a tie at 4 digits; Go rounds to even → 620.2
    [635136, '620.2KiB'],
    // 635648 / 1024 = 620.75: tie, even neighbour is 620.8
    [635648, '620.8KiB'],
    // 1114112 / 1048576 = 1.0625: tie, even neighbour 1.062
    [1114112, '1.062MiB'],
    // 1048064 / 1024 = 1023.5: tie, even neighbour 1024 — still printed in KiB, since 1048064 < 1048576
    [1048064, '1024KiB'],
    [1047552, '1023KiB'],
    // 102398 / 1024 = 99.998…, 4 digits → 100.0 → "100"
    [102398, '100KiB'],
    [1048576, '1MiB'],
    // 8257074627 / 2^30 = 7.6900000004… → 7.690 → "7.69"
    [8257074627, '7.69GiB'],
    // 2^64 (float64 of MaxUint64) = 16 EiB
    [2 ** 64, '16EiB'],
    // Beyond YiB the mantissa reaches 5 digits and %g switches to exponent form:
    // 10000 YiB → "1e+04"; 12345 YiB → 1234.5e1 ties to even → "1.234e+04"
    [10000 * 2 ** 80, '1e+04YiB'],
    [12345 * 2 ** 80, '1.234e+04YiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatHumanBytes(bytes)).toBe(text);
  });

  it('differs from JavaScript toPrecision on ties (why it uses exact arithmetic)', () => {
    expect((620.25).toPrecision(4)).toBe('620.3');
    expect(formatHumanBytes(635136)).toBe('620.2KiB');
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects %d', (v) => {
    expect(() => formatHumanBytes(v)).toThrow(RangeError);
  });

  it('round-trips: the parsed value of the printed text is within its stated uncertainty of the true bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 20 }), fc.maxSafeNat()), (bytes) => {
        const text = formatHumanBytes(bytes);
        const v = parseHumanBytes(text);
        // Exact ties (9920 B = 9.6875 KiB prints 9.688KiB, off by exactly the bound) sit on the edge, so the
        // float arithmetic of parsing gets an epsilon relative to the value itself (9.688 × 1024 ≠ 9920.512 exactly).
        expect(Math.abs(v.bytes - bytes)).toBeLessThanOrEqual(v.uncertaintyBytes + Math.max(bytes, 1) * 1e-12);
      }),
      { numRuns: 2000 },
    );
  });

  it('a tie printed half-to-even lands exactly on the bound, not beyond it', () => {
    // 9920 B = 9.6875 KiB: %.4g rounds the tie to even → "9.688KiB", 0.0005 KiB = 0.512 B away.
    expect(formatHumanBytes(9920)).toBe('9.688KiB');
    const v = parseHumanBytes('9.688KiB');
    expect(v.uncertaintyBytes).toBeCloseTo(0.512, 12);
    expect(Math.abs(v.bytes - 9920)).toBeCloseTo(0.512, 9);
  });
});
