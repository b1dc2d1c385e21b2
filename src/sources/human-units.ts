/**
 * Docker's humanised byte sizes: go-units `BytesSize` = `CustomSize("%.4g%s", size, 1024.0, binaryAbbrs)`
 * (docker/go-units size.go, vendored by docker/cli). The CLI prints MEM USAGE and
 * LIMIT this way, so a number read back from it is only known to within the rounding of `%.4g`.
 * CLIs before moby/moby PR #21773 (April 2016) printed memory with `HumanSize` instead: the same
 * `%.4g` of the size divided by 1000 while ≥ 1000, with decimal units (`B, kB, MB, GB…`), e.g.
 * `284.3 MB / 16.66 GB`. Old go-units put a space between number and unit in both.
 */

export const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] as const;
export type BinaryUnit = (typeof BINARY_UNITS)[number];

export const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'] as const;

export interface HumanBytes {
  /** The value the text denotes (printed mantissa × unit). Not necessarily a whole number of bytes. */
  bytes: number;
  /** Half a unit of the 4th significant digit (`B`: half a byte): the true value lies within ± this. */
  uncertaintyBytes: number;
  /** 1024 for `BytesSize` units (KiB, MiB…), 1000 for `HumanSize` units (kB, MB…); `B` alone: null (either). */
  base: 1024 | 1000 | null;
}

export class HumanBytesFormatError extends Error {
  override readonly name = 'HumanBytesFormatError';
  constructor(readonly text: string, readonly reason: string) {
    super(`${JSON.stringify(text)}: ${reason}`);
  }
}

export type HumanBytesResult = { ok: true; value: HumanBytes } | { ok: false; reason: string };

const UNIT_INDEX: ReadonlyMap<string, number> = new Map(BINARY_UNITS.map((u, i) => [u, i]));
// `KB` (upper case) as some old outputs and docs spell it; go-units itself prints `kB`.
const DECIMAL_INDEX: ReadonlyMap<string, number> = new Map([...DECIMAL_UNITS.slice(1).map((u, i) => [u, i + 1] as const), ['KB', 1]]);
// Old go-units put a space between number and unit ("796 KiB"); accept both.
const HUMAN = /^(\d+)(?:\.(\d+))?[ ]?([A-Za-z]+)$/;

/** Non-throwing form of {@link parseHumanBytes}, for parsers that attach their own location to the reason. */
export function tryParseHumanBytes(text: string): HumanBytesResult {
  if (text.length > 64) return { ok: false, reason: 'too long for a go-units size' };
  if (/e[+-]?\d/i.test(text)) return { ok: false, reason: 'exponent notation: %.4g only prints it for ≥ 10000 YiB, beyond any uint64' };
  const m = HUMAN.exec(text);
  if (!m) return { ok: false, reason: 'expected <number><unit> such as 620KiB or 7.69GiB' };
  const intPart = m[1]!;
  const fracPart = m[2] ?? '';
  const unitText = m[3]!;
  const binaryUnit = UNIT_INDEX.get(unitText);
  const decimalUnit = DECIMAL_INDEX.get(unitText);
  const unit = binaryUnit ?? decimalUnit;
  if (unit === undefined) return { ok: false, reason: `unknown unit ${unitText}` };
  const base = binaryUnit !== undefined ? 1024 : 1000;
  if (intPart.length > 1 && intPart.startsWith('0')) return { ok: false, reason: 'leading zero: %.4g never prints one' };
  const significant = (intPart + fracPart).replace(/^0+/, '');
  if (significant.length > 4) return { ok: false, reason: 'more than 4 significant digits: not %.4g output' };
  const mantissa = Number(intPart + fracPart); // ≤ 4 significant digits, exact
  const scale = 10 ** fracPart.length;
  const value = mantissa / scale;
  if (unit === 0) {
    // Sizes below 1024 are printed in B, and a byte count is whole.
    if (fracPart.length > 0 || value >= 1024) return { ok: false, reason: 'B values are whole numbers below 1024' };
    // HumanSize switches to kB at 1000, BytesSize to KiB at 1024: 1000–1023 B is binary only.
    return { ok: true, value: { bytes: value, uncertaintyBytes: 0.5, base: value >= 1000 ? 1024 : null } };
  }
  // BytesSize divides by 1024 only while the size is ≥ 1024, so the mantissa is in [1, 1024]
  // (1024 itself when 1023.95… rounds up to 4 digits); HumanSize likewise in [1, 1000].
  if (value < 1 || value > base) return { ok: false, reason: `a ${unitText} value must be between 1 and ${base}` };
  const unitBytes = base ** unit;
  // %.4g keeps 4 significant digits and drops trailing zeros, so the last kept digit sits at
  // 10^(e-3) where e is the decimal exponent of the value: `7.69GiB` is 7.690 ± 0.0005 GiB,
  // `620KiB` is 620.0 ± 0.05 KiB, `1024KiB` is 1024 ± 0.5 KiB.
  const exponent = intPart.length - 1;
  return {
    ok: true,
    value: {
      bytes: (mantissa * unitBytes) / scale,
      uncertaintyBytes: (5 * unitBytes) / 10 ** (4 - exponent),
      base,
    },
  };
}

/** Parses go-units `BytesSize` or `HumanSize` output (`620KiB`, `7.69GiB`, `0B`, `495.2 MB`); throws {@link HumanBytesFormatError}. */
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
  return goUnits(bytes, 1024, BINARY_UNITS, 'formatHumanBytes');
}

/**
 * What Docker before moby/moby PR #21773 printed: go-units `HumanSize` = `%.4g` of the size divided
 * by 1000 while ≥ 1000, decimal units.
 */
export function formatHumanSize(bytes: number): string {
  return goUnits(bytes, 1000, DECIMAL_UNITS, 'formatHumanSize');
}

/**
 * go-units getSizeAndUnit + `%.4g`: the float64 size is divided by the base while ≥ it, exactly as
 * Go does (IEEE divisions, correctly rounded, like JavaScript's; by 1024 they are exact), then
 * `%.4g` is applied to the exact binary value of the quotient.
 */
function goUnits(bytes: number, base: number, units: readonly string[], name: string): string {
  if (!Number.isFinite(bytes) || !Number.isInteger(bytes) || bytes < 0) {
    throw new RangeError(`${name} needs a whole, non-negative number of bytes, got ${bytes}`);
  }
  let unit = 0;
  let size = bytes;
  while (size >= base && unit < units.length - 1) {
    size /= base;
    unit++;
  }
  const [n, d] = exactRational(size);
  return formatG4(n, d) + units[unit]!;
}

/**
 * True when `text` is exactly what the CLI prints for `bytes`: the same digits in the same unit
 * (under `BytesSize` for binary units, `HumanSize` for decimal ones; `B` under either), ignoring
 * the space old go-units put before the unit and the `KB` spelling of `kB`.
 */
export function printsAs(bytes: number, text: string): boolean {
  if (!Number.isInteger(bytes) || bytes < 0) return false;
  const parsed = tryParseHumanBytes(text);
  if (!parsed.ok) return false;
  const wanted = text.replace(' ', '').replace(/KB$/, 'kB');
  const base = parsed.value.base;
  return (base !== 1000 && formatHumanBytes(bytes) === wanted) || (base !== 1024 && formatHumanSize(bytes) === wanted);
}

/** The exact value of a finite, non-negative float64 as a fraction n/d. */
function exactRational(x: number): [bigint, bigint] {
  if (Number.isInteger(x)) return [BigInt(x), 1n];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp = -1074; // subnormal
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exp = biased - 1075;
  }
  // Not an integer, so exp < 0: x = mantissa / 2^-exp.
  return [mantissa, 1n << BigInt(-exp)];
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
