/**
 * Trino (Athena engine 3) → DuckDB, only where the shipped SQL needs it. The named queries are
 * written in Athena's dialect, in the subset both engines share (count_if, regr_slope, corr,
 * lag … OVER, abs, string dt comparisons; R² is power(corr(y, x), 2): Trino has no regr_r2);
 * what is left differs by name only.
 */
import { sqlSegments } from './named.js';

const FUNCTION_RENAMES: ReadonlyArray<[RegExp, string]> = [
  // Trino: to_unixtime(timestamp) → double seconds; DuckDB calls it epoch(timestamptz).
  [/\bto_unixtime\s*\(/gi, 'epoch('],
  // Trino: approx_percentile(x, p); DuckDB: approx_quantile(x, p). Both are sketches (qdigest/t-digest).
  [/\bapprox_percentile\s*\(/gi, 'approx_quantile('],
  // Trino's format() is Java's String.format; DuckDB's printf takes the same %s/%d/%.1f/%% specifiers.
  [/\bformat\s*\(/gi, 'printf('],
];

export function trinoToDuckDb(sql: string): string {
  return sqlSegments(sql)
    .map((s) => (s.code ? FUNCTION_RENAMES.reduce((text, [re, to]) => text.replace(re, to), s.text) : s.text))
    .join('');
}
