/**
 * Docker's humanised byte sizes: go-units `BytesSize` = `CustomSize("%.4g%s", size, 1024.0, binaryAbbrs)`
 * (docker/go-units size.go, vendored by docker/cli; DOMAIN §4.4). The CLI prints MEM USAGE and
 * LIMIT this way, so a number read back from it is only known to within the rounding of `%.4g`.
 */

export const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] as const;
export type BinaryUnit = (typeof BINARY_UNITS)[number];

export interface HumanBytes {
  /** The value the text denotes (printed mantissa × unit). Not necessarily a whole number of bytes. */
  bytes: number;
  /** Half a unit of the 4th significant digit (`B`: half a byte): the true value lies within ± this. */
  uncertaintyBytes: number;
}

export class HumanBytesFormatError extends Error {
  override readonly name = 'HumanBytesFormatError';
  constructor(readonly text: string, readonly reason: string) {
    super(`${JSON.stringify(text)}: ${reason}`);
  }
}

export type HumanBytesResult = { ok: true; value: HumanBytes } | { ok: false; reason: string };

const UNIT_INDEX: ReadonlyMap<string, number> = new Map(BINARY_UNITS.map((u, i) => [u, i]));
// Old go-units put a space between number and unit ("796 KiB"); accept both.
const HUMAN = /^(\d+)(?:\.(\d+))?[ ]?([A-Za-z]+)$/;
const DECIMAL_UNITS = new Set(['kB', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB']);

/** Non-throwing form of {@link parseHumanBytes}, for parsers that attach their own location to the reason. */
export function tryParseHumanBytes(text: string): HumanBytesResult {
  if (text.length > 64) return { ok: false, reason: 'too long for a go-units size' };
  if (/e[+-]?\d/i.test(text)) return { ok: false, reason: 'exponent notation: %.4g only prints it for ≥ 10000 YiB, beyond any uint64' };
  const m = HUMAN.exec(text);
  if (!m) return { ok: false, reason: 'expected <number><unit> such as 620KiB or 7.69GiB' };
  const intPart = m[1]!;
  const fracPart = m[2] ?? '';
  const unitText = m[3]!;
  const unit = UNIT_INDEX.get(unitText);
  if (unit === undefined) {
    if (DECIMAL_UNITS.has(unitText)) return { ok: false, reason: `decimal unit ${unitText}: docker stats prints memory in binary units (KiB, MiB, GiB…)` };
    return { ok: false, reason: `unknown unit ${unitText}` };
  }
  if (intPart.length > 1 && intPart.startsWith('0')) return { ok: false, reason: 'leading zero: %.4g never prints one' };
  const significant = (intPart + fracPart).replace(/^0+/, '');
  if (significant.length > 4) return { ok: false, reason: 'more than 4 significant digits: not %.4g output' };
  const mantissa = Number(intPart + fracPart); // ≤ 4 significant digits, exact
  const scale = 10 ** fracPart.length;
  const value = mantissa / scale;
  if (unit === 0) {
    // Sizes below 1024 are printed in B, and a byte count is whole.
    if (fracPart.length > 0 || value >= 1024) return { ok: false, reason: 'B values are whole numbers below 1024' };
    return { ok: true, value: { bytes: value, uncertaintyBytes: 0.5 } };
  }
  // BytesSize divides by 1024 only while the size is ≥ 1024, so the mantissa is in [1, 1024]
  // (1024 itself when 1023.95… rounds up to 4 digits).
  if (value < 1 || value > 1024) return { ok: false, reason: `a ${unitText} value must be between 1 and 1024` };
  const unitBytes = 1024 ** unit;
  // %.4g keeps 4 significant digits and drops trailing zeros, so the last kept digit sits at
  // 10^(e-3) where e is the decimal exponent of the value: `7.69GiB` is 7.690 ± 0.0005 GiB,
  // `620KiB` is 620.0 ± 0.05 KiB, `1024KiB` is 1024 ± 0.5 KiB.
  const exponent = intPart.length - 1;
  return {
    ok: true,
    value: {
      bytes: (mantissa * unitBytes) / scale,
      uncertaintyBytes: (5 * unitBytes) / 10 ** (4 - exponent),
    },
  };
}

/** Parses go-units `BytesSize` output (`620KiB`, `7.69GiB`, `0B`); throws {@link HumanBytesFormatError}. */
export function parseHumanBytes(text: string): HumanBytes {
  const r = tryParseHumanBytes(text);
  if (!r.ok) throw new HumanBytesFormatError(text, r.reason);
  return r.value;
}

/**
 * What Docker prints for a byte count: go-units `BytesSize`, reproducing Go's `%.4g` exactly
 * (correct rounding of the exact quotient, ties to even, trailing zeros dropped). JavaScript's
 * `toPrecision` rounds ties away from zero, so it would print 620.3KiB where Go prints 620.2KiB
 * for 635136 bytes; hence the exact integer arithmetic.
 */
export function formatHumanBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || !Number.isInteger(bytes) || bytes < 0) {
    throw new RangeError(`formatHumanBytes needs a whole, non-negative number of bytes, got ${bytes}`);
  }
  // go-units divides a float64 by 1024 while ≥ 1024; dividing by a power of two is exact, so the
  // printed quantity is exactly bytes / 1024^unit.
  let unit = 0;
  let size = bytes;
  while (size >= 1024 && unit < BINARY_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  return formatG4(BigInt(bytes), 1024n ** BigInt(unit)) + BINARY_UNITS[unit]!;
}

/** Go's `%.4g` of the non-negative rational n/d (d > 0). */
function formatG4(n: bigint, d: bigint): string {
  if (n === 0n) return '0';
  // Decimal exponent e with 10^e ≤ n/d < 10^(e+1); n/d ≥ 1 for every whole byte count.
  let e = 0;
  while (n >= d * 10n ** BigInt(e + 1)) e++;
  let num: bigint;
  let den: bigint;
  if (e <= 3) {
    num = n * 10n ** BigInt(3 - e);
    den = d;
  } else {
    num = n;
    den = d * 10n ** BigInt(e - 3);
  }
  let q = num / den;
  const twiceRem = 2n * (num % den);
  if (twiceRem > den || (twiceRem === den && q % 2n === 1n)) q += 1n;
  if (q === 10000n) {
    q = 1000n;
    e += 1;
  }
  const digits = q.toString().replace(/0+$/, '');
  const nd = digits.length;
  const dp = e + 1;
  // strconv formatDigits, case 'g' with prec 4: %e when exp < -4 || exp >= eprec.
  let eprec = 4;
  if (eprec > nd && nd >= dp) eprec = nd;
  if (e >= eprec) {
    const prec = Math.min(4, nd);
    const mant = prec > 1 ? `${digits[0]}.${digits.slice(1, prec)}` : digits[0]!;
    return `${mant}e+${String(e).padStart(2, '0')}`;
  }
  const prec = 4 > dp ? nd : 4;
  const fracDigits = Math.max(prec - dp, 0);
  const intDigits = dp >= nd ? digits + '0'.repeat(dp - nd) : digits.slice(0, dp);
  if (fracDigits === 0) return intDigits;
  const frac = digits.slice(dp).padEnd(fracDigits, '0').slice(0, fracDigits);
  return `${intDigits}.${frac}`;
}
