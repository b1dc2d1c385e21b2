import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { formatHumanBytes, formatHumanSize, HumanBytesFormatError, parseHumanBytes, printsAs, tryParseHumanBytes } from '../../../src/sources/human-units.js';

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
    ['1001MB', 'between 1 and 1000'],
    ['0.9kB', 'between 1 and 1000'],
    ['5mB', 'unknown unit mB'],
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

describe('decimal units (go-units HumanSize, before moby/moby PR #21773)', () => {
  it.each([
    // 495.2: three integer digits → 4th significant digit at 0.1 → ± 0.05 MB = 50000 B
    ['495.2 MB', 495.2e6, 50_000],
    ['495.2MB', 495.2e6, 50_000],
    // 16.66 GB: two integer digits → ± 0.005 GB = 5e6 B
    ['16.66 GB', 16.66e9, 5e6],
    // 796 KB (upper-case K as old docs print it) = 796 × 1000, ± 0.05 kB = 50 B
    ['796 KB', 796_000, 50],
    ['221.7 kB', 221_700, 50],
    // 1000 kB: %.4g of 999.95… rounds up to 1000 → four integer digits → ± 0.5 kB
    ['1000kB', 1e6, 500],
  ])('%s → %d ± %d bytes, base 1000', (text, bytes, uncertainty) => {
    const v = parseHumanBytes(text);
    expect(v.bytes).toBeCloseTo(bytes, 3);
    expect(v.uncertaintyBytes).toBeCloseTo(uncertainty, 6);
    expect(v.base).toBe(1000);
  });

  it('B alone does not say which: below 1000 either, 1000–1023 only BytesSize', () => {
    expect(parseHumanBytes('916B').base).toBeNull();
    expect(parseHumanBytes('1010B').base).toBe(1024);
    expect(parseHumanBytes('620KiB').base).toBe(1024);
  });

  it.each([
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    // 495200000 / 1000 / 1000 = 495.2 (float64 495.19999999999998863…) → %.4g → 495.2
    [495_200_000, '495.2MB'],
    // 620250 / 1000 = 620.25 exactly (a binary fraction): a true tie → half to even → 620.2
    [620_250, '620.2kB'],
    // 999950 / 1000 = float64 999.95000000000004547… (above the tie) → 1000.0 → "1000"
    [999_950, '1000kB'],
    // 2500500 / 1000 / 1000: the float64 nearest 2.5005 is 2.50050000000000016698… (above the tie)
    // → 2.501; decimal arithmetic would have tied and printed 2.5: Go works on the float
    [2_500_500, '2.501MB'],
    // 1000500 → float64 1.00049999999999994493… (below the tie) → 1.000 → "1"
    [1_000_500, '1MB'],
    [16_660_000_000, '16.66GB'],
  ])('formatHumanSize(%d) → %s', (bytes, text) => {
    expect(formatHumanSize(bytes)).toBe(text);
  });

  it('printsAs: the same digits and unit, space and KB spelling aside', () => {
    expect(printsAs(495_200_000, '495.2 MB')).toBe(true);
    expect(printsAs(796_000, '796 KB')).toBe(true);
    expect(printsAs(2_252_800, '2.148MiB')).toBe(true); // 2252800 / 2^20 = 2.1484375 → 2.148
    expect(printsAs(2_256_896, '2.148MiB')).toBe(false); // one page more: 2.15234375 → 2.152
    expect(printsAs(916, '916B')).toBe(true);
    expect(printsAs(1010, '1010B')).toBe(true);
    expect(printsAs(1010, '1.01kB')).toBe(true);
    expect(printsAs(1_000_000, '976.6KiB')).toBe(true); // 1e6 / 1024 = 976.5625 → 976.6
    expect(printsAs(1_000_000, '1MB')).toBe(true);
    expect(printsAs(1_000_000, '1MiB')).toBe(false);
    expect(printsAs(1_000_000, 'garbage')).toBe(false);
  });

  it('round-trips: the parsed decimal text is within its stated uncertainty of the true bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 20 }), fc.maxSafeNat()), (bytes) => {
        const text = formatHumanSize(bytes);
        const v = parseHumanBytes(text);
        expect(printsAs(bytes, text)).toBe(true);
        // The float divisions add a relative error of a few ulps on top of the printed rounding.
        expect(Math.abs(v.bytes - bytes)).toBeLessThanOrEqual(v.uncertaintyBytes + Math.max(bytes, 1) * 1e-12);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('tryParseHumanBytes: contract for any text', () => {
  const unitArb = fc.constantFrom('B', 'KiB', 'MiB', 'GiB', 'YiB', 'kB', 'KB', 'MB', 'GB', 'YB', 'mB', 'iB', '');
  const textArb = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.tuple(fc.stringMatching(/^\d{1,6}(\.\d{0,5})?$/), fc.constantFrom('', ' ', '  '), unitArb).map(([n, sp, u]) => `${n}${sp}${u}`),
  );
  it('returns a value or a reason, never throws; a value has a base that matches its unit and lies within the unit range', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const r = tryParseHumanBytes(text);
        if (!r.ok) {
          expect(typeof r.reason).toBe('string');
          return;
        }
        const v = r.value;
        expect(Number.isFinite(v.bytes) && v.bytes >= 0).toBe(true);
        expect(v.uncertaintyBytes).toBeGreaterThan(0);
        if (/iB$/.test(text)) expect(v.base).toBe(1024);
        else if (/[kKMGTPEZY]B$/.test(text)) expect(v.base).toBe(1000);
        // printsAs never throws either, and agrees with itself on the value the text denotes when it is whole
        expect(typeof printsAs(Math.round(v.bytes), text)).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});
