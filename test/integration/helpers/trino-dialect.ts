/**
 * What Athena (engine 3, Trino) accepts, for the SQL text memgap ships: the functions the
 * statements call, each with its Trino name as documented at trino.io/docs/current/functions,
 * and the DuckDB-only names that Athena would reject with FUNCTION_NOT_FOUND. The checker finds
 * every `name(` call in the code (outside strings and comments) and sorts it into
 * known Trino / DuckDB-only / unknown. A new function in a shipped statement must be added to
 * TRINO_FUNCTIONS, after checking its Trino documentation, or the dialect test fails.
 *
 * The Athena stand-in rejects DuckDB-only calls too, as Athena would.
 */
import { sqlSegments } from '../../../src/query/named.js';

/** Trino functions (and function-like keywords) memgap's Athena SQL may call. Value: what DuckDB calls it, when different. */
export const TRINO_FUNCTIONS: Readonly<Record<string, string>> = {
  // aggregate
  count: '',
  count_if: '',
  sum: '',
  avg: '',
  min: '',
  max: '',
  max_by: '',
  min_by: '',
  approx_percentile: 'approx_quantile (src/query/translate.ts)',
  approx_distinct: 'approx_count_distinct',
  arbitrary: 'any_value',
  bool_or: '',
  bool_and: '',
  array_agg: 'list',
  regr_slope: '',
  regr_intercept: '',
  corr: '',
  stddev: '',
  stddev_pop: '',
  variance: '',
  // window
  lag: '',
  lead: '',
  row_number: '',
  rank: '',
  dense_rank: '',
  first_value: '',
  last_value: '',
  // scalar
  abs: '',
  round: '',
  floor: '',
  ceil: '',
  ceiling: '',
  power: '',
  sqrt: '',
  ln: '',
  greatest: '',
  least: '',
  coalesce: '',
  nullif: '',
  if: '',
  try: '',
  cast: '',
  try_cast: '',
  concat: '',
  lower: '',
  upper: '',
  length: '',
  substr: '',
  replace: '',
  split_part: '',
  regexp_like: 'regexp_matches',
  regexp_extract: '',
  strpos: '',
  starts_with: '',
  format: '',
  to_unixtime: 'epoch (src/query/translate.ts)',
  from_unixtime: 'to_timestamp',
  from_iso8601_timestamp: '',
  date_trunc: '',
  date_add: '',
  date_diff: '',
  date_format: 'strftime',
  date: '',
  current_timestamp: '',
  now: '',
  element_at: 'list_extract on arrays (DuckDB element_at takes maps only)',
  cardinality: 'len',
  contains: 'list_contains',
  array_join: 'array_to_string',
  array_sort: '',
  array_distinct: '',
  filter: 'list_filter',
  transform: 'list_transform',
  unnest: 'unnest (Trino only as CROSS JOIN UNNEST(…) AS t(x))',
  sequence: 'range / generate_series',
};

/** Keywords that can stand before `(`: not calls. */
const SQL_KEYWORDS = new Set([
  'in', 'exists', 'join', 'lateral', 'over', 'values', 'using', 'as', 'and', 'or', 'not', 'on', 'from', 'select', 'where', 'by', 'into', 'with', 'when', 'then', 'else', 'end', 'is', 'between', 'distinct', 'all', 'union', 'partition', 'interval', 'row', 'array', 'map', 'tblproperties', 'partitioned', 'table', 'window', 'insert', 'timestamp', 'decimal', 'varchar',
]);

/**
 * DuckDB names Athena does not know (it answers FUNCTION_NOT_FOUND), each with the Trino spelling.
 * Kept to the ones a DuckDB habit produces; the checker also reports any call it cannot place.
 */
export const DUCKDB_ONLY: Readonly<Record<string, string>> = {
  approx_quantile: 'approx_percentile',
  quantile: 'approx_percentile',
  quantile_disc: 'approx_percentile',
  quantile_cont: 'approx_percentile',
  median: 'approx_percentile(x, 0.5)',
  epoch: 'to_unixtime',
  epoch_ms: 'to_unixtime(x) * 1000',
  strftime: 'date_format',
  strptime: 'date_parse',
  list_extract: 'element_at',
  list_contains: 'contains',
  list_sort: 'array_sort',
  list_distinct: 'array_distinct',
  list_aggregate: '(none)',
  list_transform: 'transform',
  list_filter: 'filter',
  list_value: 'ARRAY[…]',
  list: 'array_agg',
  len: 'cardinality / length',
  array_length: 'cardinality',
  string_agg: 'array_join(array_agg(x), sep)',
  group_concat: 'array_join(array_agg(x), sep)',
  regr_r2: 'power(corr(y, x), 2)',
  arg_max: 'max_by',
  arg_min: 'min_by',
  any_value: 'arbitrary',
  count_star: 'count(*)',
  ifnull: 'coalesce',
  regexp_matches: 'regexp_like',
  read_parquet: 'a Glue table',
  read_csv: 'a Glue table',
  read_json: 'a Glue table',
  hash: 'xxhash64 / md5',
  struct_pack: 'CAST(ROW(…) AS ROW(…))',
  generate_series: 'sequence',
  range: 'sequence',
  today: 'current_date',
};

/**
 * DuckDB-only syntax. `::` casts and `QUALIFY` are DuckDB/Postgres; `SELECT * EXCLUDE`/`REPLACE`
 * are DuckDB; `COPY … TO` and `PRAGMA` have no Athena equivalent.
 */
export const DUCKDB_ONLY_SYNTAX: ReadonlyArray<[RegExp, string]> = [
  [/::\s*[A-Za-z]/, '`::` cast (Trino: CAST(x AS type))'],
  [/\bQUALIFY\b/i, 'QUALIFY (Trino: filter a window in an outer query)'],
  [/\*\s*(EXCLUDE|REPLACE)\s*\(/i, 'SELECT * EXCLUDE/REPLACE'],
  [/^\s*COPY\b/i, 'COPY … TO'],
  [/^\s*PRAGMA\b/i, 'PRAGMA'],
  [/\bGROUP\s+BY\s+ALL\b/i, 'GROUP BY ALL'],
  [/\bUSING\s+SAMPLE\b/i, 'USING SAMPLE (Trino: TABLESAMPLE)'],
];

/**
 * Written the same, computed differently: an integer divided by an integer literal truncates in
 * Trino and not in DuckDB, so every division by a literal is written with a float literal (`3600e0`).
 */
export const SEMANTIC_TRAPS: ReadonlyArray<[RegExp, string]> = [[/\/\s*\d+(?![\d.eE])/, 'division by an integer literal (Trino truncates, DuckDB does not): write it as a float literal, e.g. 1048576e0']];

/** The code of a statement: strings and comments blanked (same length, so offsets still hold). */
export function codeOnly(sql: string): string {
  return sqlSegments(sql)
    .map((s) => (s.code ? s.text : s.text.startsWith("'") ? `'${' '.repeat(Math.max(0, s.text.length - 2))}'` : s.text.startsWith('"') ? s.text : ' '.repeat(s.text.length)))
    .join('');
}

/** Every `name(` in the code, lower-cased, with how often it occurs. Quoted identifiers are skipped. */
export function functionCalls(sql: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const m of codeOnly(sql).matchAll(/(?<![\w."])([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    const name = m[1]!.toLowerCase();
    calls.set(name, (calls.get(name) ?? 0) + 1);
  }
  return calls;
}

export interface DialectProblem {
  what: string;
  fix: string;
}

/**
 * What Athena would reject in this statement. `known` adds names that are not functions in this
 * statement (CTE names and table names followed by a column list: `a AS (`, `INSERT (…)`).
 */
export function dialectProblems(sql: string, known: Iterable<string> = []): DialectProblem[] {
  const code = codeOnly(sql);
  const extra = new Set([...known].map((k) => k.toLowerCase()));
  // CTE names (`name AS (`) and MERGE/INSERT targets with a column list are not calls.
  for (const m of code.matchAll(/\b([A-Za-z_]\w*)\s+AS\s*\(/gi)) extra.add(m[1]!.toLowerCase());
  for (const m of code.matchAll(/\b(?:INTO|TABLE|EXISTS)\s+(?:[\w"]+\.)?([A-Za-z_]\w*)\s*\(/gi)) extra.add(m[1]!.toLowerCase());
  const out: DialectProblem[] = [];
  for (const [name] of functionCalls(sql)) {
    if (SQL_KEYWORDS.has(name)) continue;
    if (name in DUCKDB_ONLY) out.push({ what: `DuckDB-only function ${name}()`, fix: DUCKDB_ONLY[name]! });
    else if (!(name in TRINO_FUNCTIONS) && !extra.has(name)) out.push({ what: `function ${name}() is not in the checked Trino list`, fix: 'check trino.io/docs and add it to TRINO_FUNCTIONS' });
  }
  for (const [re, what] of DUCKDB_ONLY_SYNTAX) if (re.test(code)) out.push({ what: `DuckDB-only syntax: ${what}`, fix: 'rewrite in Trino SQL' });
  for (const [re, what] of SEMANTIC_TRAPS) if (re.test(code)) out.push({ what: `differs between engines: ${what}`, fix: 'write it so both engines compute the same' });
  return out;
}
