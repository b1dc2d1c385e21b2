/**
 * A local stand-in for Amazon Athena, for integration tests and the scale simulator: an HTTP
 * server on 127.0.0.1:<port> speaking the Athena JSON 1.1 protocol (X-Amz-Target
 * AmazonAthena.StartQueryExecution / GetQueryExecution / GetQueryResults / StopQueryExecution)
 * well enough for the real `@aws-sdk/client-athena`, which is pointed at it with `endpoint`.
 * The way s3rver stands in for S3.
 *
 * The SQL runs in DuckDB after src/query/translate.ts (the same dialect layer local mode uses).
 * Glue tables map to DuckDB as follows:
 * - Hive tables (staging: Parquet written by ingest, partitioned by arrival and cluster) are views
 *   over s3rver's storage folder: `read_parquet('<dir>/<bucket>/<prefix>staging/<table>/*∕*∕*.parquet._S3rver_object',
 *   hive_partitioning = true)`, with exactly the columns the Glue table declares.
 * - Iceberg tables (created with `CREATE TABLE … TBLPROPERTIES ('table_type'='ICEBERG')`) are real
 *   DuckDB tables in the stand-in's own database, so MERGE INTO commits atomically as Athena's does.
 *   After each write the changed partitions are also written out as one Parquet file per
 *   (dt, cluster), so bytes scanned can be counted for them as for staging.
 *
 * Bytes scanned (Statistics.DataScannedInBytes) is an approximation of what Athena bills: for
 * each table the statement names, the files of the partitions its literal predicates select
 * (`dt = '…'`, `cluster IN (…)`, `arrival >= '…'`; no literal predicate on a partition column =
 * every partition; a MERGE's target is also pruned to the partition values its source holds, as
 * Trino's dynamic filtering does), and in them the compressed column chunks of the columns the
 * statement names (parquet_metadata). Footers, row-group skipping and Iceberg's own metadata
 * reads are left out; see docs/aws.md "What the Athena stand-in does not prove".
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { AthenaClientConfig } from '@aws-sdk/client-athena';
import { STAGED_TABLES, STAGING_PARTITION_KEYS, STAGING_PREFIX, stagingGlueColumns, stagingTableName } from '../../../src/query/athena-tables.js';
import { sqlSegments } from '../../../src/query/named.js';
import { trinoToDuckDb } from '../../../src/query/translate.js';
import { codeOnly, dialectProblems } from './trino-dialect.js';

/** A Glue Hive table over Parquet objects in s3rver: `<location>/<p1>=…/<p2>=…/*.parquet`. */
export interface HiveTable {
  name: string;
  /** Key prefix in the bucket, e.g. `staging/samples/`. */
  keyPrefix: string;
  /** Columns as Glue declares them (Hive types), partition keys excluded. */
  columns: { name: string; type: string }[];
  partitionKeys: string[];
  /** Partition keys with an `injected` projection: Athena rejects a query without a literal equality on them. */
  injected?: string[];
}

/** memgap's staging tables as serverless/athena.yml declares them, over `<outputPrefix>staging/<table>/`. */
export function stagingHiveTables(outputPrefix = ''): HiveTable[] {
  return STAGED_TABLES.map((t) => ({
    name: stagingTableName(t),
    keyPrefix: `${outputPrefix}${STAGING_PREFIX}${t}/`,
    columns: stagingGlueColumns(t).map((c) => ({ name: c.name, type: c.glue })),
    partitionKeys: STAGING_PARTITION_KEYS.map((k) => k.name),
    injected: ['cluster'],
  }));
}

export interface AthenaStandinOptions {
  /** s3rver's storage folder (S3rverHandle.directory). */
  s3Directory: string;
  bucket: string;
  hiveTables?: HiveTable[];
  database?: string;
  workGroup?: string;
  /** Rows per GetQueryResults page when the client asks for more (Athena: at most 1,000). */
  maxPageSize?: number;
  /** Report RUNNING for this many GetQueryExecution calls of each query before its real state. */
  runningPolls?: number;
}

export interface StandinExecution {
  id: string;
  sql: string;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  reason?: string;
  athenaError?: { ErrorCategory: number; ErrorType: number; Retryable: boolean; ErrorMessage: string };
  statementType: 'DDL' | 'DML' | 'UTILITY';
  substatementType: string;
  database: string;
  workGroup: string;
  submitted: Date;
  completed?: Date;
  engineMs: number;
  bytesScanned: number;
  /** Tables the statement read, with the files and bytes counted for each. */
  scanned: { table: string; files: number; bytes: number }[];
  columns: { name: string; type: string }[];
  rows: (string | null)[][];
  updateCount?: number;
  polls: number;
  /** StopQueryExecution was called for it (it is CANCELLED only if it had not finished). */
  stopRequested?: boolean;
}

/** A failure a test wants Athena to report for the next statement matching `match`. */
export interface InjectedFailure {
  match: RegExp;
  reason: string;
  retryable?: boolean;
  /** How many matching statements fail (default 1). */
  times?: number;
}

export interface AthenaStandin {
  endpoint: string;
  database: string;
  workGroup: string;
  /** Settings for `new AthenaClient(…)` (endpoint, region, fake credentials, quick retries). */
  clientConfig: AthenaClientConfig;
  executions: StandinExecution[];
  /** HTTP requests served, by operation (StartQueryExecution, GetQueryResults, …). */
  requests: Record<string, number>;
  /** Sums over every finished statement: what the scale simulator counts. */
  stats(): { queries: number; succeeded: number; failed: number; bytesScanned: number };
  inject(f: InjectedFailure): void;
  /** Runs SQL straight on the stand-in's DuckDB (test assertions; not through the protocol). */
  duck(sql: string): Promise<Record<string, unknown>[]>;
  /** Where each Iceberg table's partitions are written as Parquet (`<dir>/<table>/<key>=<v>/…/data.parquet`), in its write_compression: what bytes scanned count. */
  icebergDir: string;
  close(): Promise<void>;
}

class AthenaFailure extends Error {
  constructor(readonly reason: string, readonly retryable = false, readonly category = 2) {
    super(reason);
  }
}

/** Hive/Glue type → DuckDB type of the view or table column. */
const HIVE_TO_DUCKDB: Readonly<Record<string, string>> = {
  string: 'VARCHAR',
  varchar: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  integer: 'INTEGER',
  double: 'DOUBLE',
  float: 'FLOAT',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  date: 'DATE',
  'array<string>': 'VARCHAR[]',
};

function duckType(hive: string): string {
  const t = HIVE_TO_DUCKDB[hive.toLowerCase().replace(/\s+/g, '')];
  if (!t) throw new AthenaFailure(`NOT_SUPPORTED: stand-in: column type ${hive} is not mapped`);
  return t;
}

/** DuckDB result type → the type name Athena puts in ColumnInfo.Type. */
export function athenaType(duck: string): string {
  if (duck.endsWith('[]')) return 'array';
  if (duck.startsWith('DECIMAL')) return 'decimal';
  if (duck.startsWith('STRUCT')) return 'row';
  if (duck.startsWith('MAP')) return 'map';
  const map: Record<string, string> = {
    VARCHAR: 'varchar',
    BIGINT: 'bigint',
    HUGEINT: 'bigint',
    UBIGINT: 'bigint',
    UINTEGER: 'bigint',
    INTEGER: 'integer',
    SMALLINT: 'smallint',
    TINYINT: 'tinyint',
    DOUBLE: 'double',
    FLOAT: 'real',
    BOOLEAN: 'boolean',
    'TIMESTAMP WITH TIME ZONE': 'timestamp',
    TIMESTAMP: 'timestamp',
    DATE: 'date',
  };
  return map[duck] ?? 'varchar';
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** A DuckDB JS value as Athena renders it in VarCharValue (NULL → absent). */
export function athenaText(v: unknown, duck: string): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) {
    const d = `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
    if (duck === 'DATE') return d;
    return `${d} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}.${pad(v.getUTCMilliseconds(), 3)}`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => athenaText(x, duck.replace(/\[\]$/, '')) ?? 'null').join(', ')}]`;
  if (typeof v === 'object') return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
  if (Object.is(v, -0)) return '-0.0';
  return String(v);
}

const quoteLit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const unquoteIdent = (s: string) => s.replace(/"/g, '');

/** Statement kind from its first keyword: Athena's StatementType and SubstatementType. */
function classify(sql: string): { statementType: StandinExecution['statementType']; substatementType: string; keyword: string } {
  const first = /^\s*([A-Za-z]+)/.exec(codeOnly(sql))?.[1]?.toUpperCase() ?? '';
  if (['CREATE', 'DROP', 'ALTER', 'MSCK'].includes(first)) return { statementType: 'DDL', substatementType: `${first}_TABLE`, keyword: first };
  if (['SHOW', 'DESCRIBE', 'EXPLAIN'].includes(first)) return { statementType: 'UTILITY', substatementType: first, keyword: first };
  if (first === 'WITH' || first === 'SELECT' || first === 'VALUES') return { statementType: 'DML', substatementType: 'SELECT', keyword: 'SELECT' };
  return { statementType: 'DML', substatementType: first, keyword: first };
}

/** Splits `a, b(c, d), e` at top-level commas. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  const code = codeOnly(text);
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '(' || c === '<') depth++;
    else if (c === ')' || c === '>') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (text.slice(start).trim()) out.push(text.slice(start).trim());
  return out;
}

/** The text between the parenthesis at `open` and its match. */
function parenBody(text: string, open: number): { body: string; end: number } {
  const code = codeOnly(text);
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) return { body: text.slice(open + 1, i), end: i + 1 };
  }
  throw new AthenaFailure('SYNTAX_ERROR: unbalanced parentheses');
}

interface IcebergTable {
  name: string;
  columns: { name: string; type: string }[];
  partitionKeys: string[];
  location: string;
  /** DuckDB's COPY codec for the table's `write_compression` (materialised files, byte counts). */
  compression: string;
}

/**
 * `'write_compression'` of an Iceberg CREATE TABLE → DuckDB's codec. Athena engine 3 writes Iceberg
 * Parquet in ZSTD (its default), SNAPPY, GZIP or none, and refuses the others (Athena's "Use Iceberg
 * table compression" page: LZ4, ZLIB and BZIP2 are not supported for Parquet).
 */
export function icebergCompression(ddl: string): string {
  const value = /'write_compression'\s*=\s*'([^']*)'/i.exec(ddl)?.[1]?.toUpperCase() ?? 'ZSTD';
  const codec: Record<string, string> = { ZSTD: 'zstd', SNAPPY: 'snappy', GZIP: 'gzip', NONE: 'uncompressed', UNCOMPRESSED: 'uncompressed' };
  const c = codec[value];
  if (!c) throw new AthenaFailure(`INVALID_TABLE_PROPERTY: write_compression ${value} is not supported for Iceberg tables in PARQUET format`);
  return c;
}

const withoutComments = (sql: string) =>
  sqlSegments(sql)
    .filter((s) => s.code || s.text.startsWith("'"))
    .map((s) => s.text)
    .join('');
const colPattern = (column: string) => `(?:[A-Za-z_][\\w]*\\.)?"?${column}"?`;
const LIT = `'((?:[^']|'')*)'`;
const unquote = (s: string) => s.replace(/''/g, "'");

/** The string literals a statement equates a column with (`c = '…'`, `'…' = c`, `c IN ('…', …)`). */
export function literalEqualities(sql: string, column: string): string[] {
  const text = withoutComments(sql);
  const col = colPattern(column);
  const eq = new Set<string>();
  for (const m of text.matchAll(new RegExp(`(?<![\\w.])${col}\\s*=\\s*${LIT}`, 'gi'))) eq.add(unquote(m[1]!));
  for (const m of text.matchAll(new RegExp(`${LIT}\\s*=\\s*${col}(?![\\w])`, 'gi'))) eq.add(unquote(m[1]!));
  for (const m of text.matchAll(new RegExp(`(?<![\\w.])${col}\\s+IN\\s*\\(([^)]*)\\)`, 'gi'))) for (const v of m[1]!.matchAll(/'((?:[^']|'')*)'/g)) eq.add(unquote(v[1]!));
  return [...eq];
}

/** The literal values a statement gives a partition column, or null when it leaves the column open. */
export function literalFilter(sql: string, column: string): ((v: string) => boolean) | null {
  const text = withoutComments(sql);
  const col = colPattern(column);
  const lit = LIT;
  const un = unquote;
  const eq = new Set(literalEqualities(sql, column));
  const tests: ((v: string) => boolean)[] = [];
  for (const m of text.matchAll(new RegExp(`(?<![\\w.])${col}\\s+BETWEEN\\s+${lit}\\s+AND\\s+${lit}`, 'gi'))) {
    const [lo, hi] = [un(m[1]!), un(m[2]!)];
    tests.push((v) => v >= lo && v <= hi);
  }
  for (const m of text.matchAll(new RegExp(`(?<![\\w.])${col}\\s*(>=|<=|>|<)\\s*${lit}`, 'gi'))) {
    const [op, b] = [m[1]!, un(m[2]!)];
    tests.push((v) => (op === '>=' ? v >= b : op === '<=' ? v <= b : op === '>' ? v > b : v < b));
  }
  if (eq.size === 0 && tests.length === 0) return null;
  return (v) => (eq.size === 0 || eq.has(v)) && tests.every((t) => t(v));
}

/** Files under `dir` (recursively) ending in `suffix`, with their hive `k=v` path segments. */
function listPartitionFiles(dir: string, suffix: string): { file: string; parts: Record<string, string> }[] {
  const out: { file: string; parts: Record<string, string> }[] = [];
  const walk = (d: string, parts: Record<string, string>) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        const eq = e.name.indexOf('=');
        walk(p, eq > 0 ? { ...parts, [e.name.slice(0, eq)]: decodeURIComponent(e.name.slice(eq + 1)) } : parts);
      } else if (e.name.endsWith(suffix)) out.push({ file: p, parts });
    }
  };
  walk(dir, {});
  return out;
}

const S3RVER_SUFFIX = '._S3rver_object';

/**
 * Trino's answers where DuckDB's differ for the same text: greatest/least/concat return NULL when an
 * argument is NULL, max_by/min_by keep a NULL x, `/` on integers truncates (SET integer_division).
 * Each becomes a NULL-propagating macro (2 to 6 arguments) or DuckDB's *_null aggregate.
 */
const TRINO_SEMANTICS: ReadonlyArray<[RegExp, string]> = [
  [/\bgreatest\s*\(/gi, 'trino_greatest('],
  [/\bleast\s*\(/gi, 'trino_least('],
  [/\bconcat\s*\(/gi, 'trino_concat('],
  [/\bmax_by\s*\(/gi, 'arg_max_null('],
  [/\bmin_by\s*\(/gi, 'arg_min_null('],
];
function trinoSemanticsMacros(): string[] {
  const overloads = (fn: string) =>
    [2, 3, 4, 5, 6]
      .map((n) => {
        const args = Array.from({ length: n }, (_, i) => `a${i}`);
        return `(${args.join(', ')}) AS CASE WHEN ${args.map((a) => `${a} IS NULL`).join(' OR ')} THEN NULL ELSE ${fn}(${args.join(', ')}) END`;
      })
      .join(', ');
  return ['greatest', 'least', 'concat'].map((fn) => `CREATE TEMP MACRO trino_${fn}${overloads(fn)}`);
}
/** Athena SQL → what the stand-in runs: the project's dialect layer, then Trino's NULL and division rules. */
function standinSql(sql: string): string {
  return sqlSegments(trinoToDuckDb(sql))
    .map((seg) => (seg.code ? TRINO_SEMANTICS.reduce((t, [re, to]) => t.replace(re, to), seg.text) : seg.text))
    .join('');
}

export async function startAthenaStandin(opts: AthenaStandinOptions): Promise<AthenaStandin> {
  const database = opts.database ?? 'memgap_test';
  const workGroup = opts.workGroup ?? 'memgap-test';
  const maxPage = Math.min(1000, opts.maxPageSize ?? 1000);
  const hive = new Map((opts.hiveTables ?? []).map((t) => [t.name.toLowerCase(), t]));
  const iceberg = new Map<string, IcebergTable>();
  const work = mkdtempSync(path.join(os.tmpdir(), 'memgap-athena-'));
  const icebergDir = path.join(work, 'iceberg');
  mkdirSync(icebergDir);

  const instance = await DuckDBInstance.create(':memory:');
  const conn: DuckDBConnection = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  // On disk in the work folder: a scale run's tables (millions of rows) stay compressed and out of RAM.
  await conn.run(`ATTACH ${quoteLit(path.join(work, 'catalog.duckdb'))} AS awsdatacatalog`);
  await conn.run(`CREATE SCHEMA awsdatacatalog.${database}`);
  await conn.run(`USE awsdatacatalog.${database}`);
  await conn.run('SET integer_division = true');
  for (const m of trinoSemanticsMacros()) await conn.run(m);

  const hiveDir = (t: HiveTable) => path.join(opts.s3Directory, opts.bucket, ...t.keyPrefix.split('/').filter(Boolean));

  /** (Re)creates each Hive view: over its files when there are some, else empty with the declared columns. */
  async function refreshHiveViews() {
    for (const t of hive.values()) {
      const cols = t.columns.map((c) => `CAST(${c.name} AS ${duckType(c.type)}) AS ${c.name}`);
      const keys = t.partitionKeys.map((k) => `CAST(${k} AS VARCHAR) AS ${k}`);
      const files = listPartitionFiles(hiveDir(t), `.parquet${S3RVER_SUFFIX}`);
      let from: string;
      if (files.length > 0) {
        const glob = path.join(hiveDir(t), ...t.partitionKeys.map(() => '*'), `*.parquet${S3RVER_SUFFIX}`);
        const types = t.partitionKeys.map((k) => `'${k}': VARCHAR`).join(', ');
        from = `FROM read_parquet(${quoteLit(glob)}, hive_partitioning = true, hive_types = {${types}}, union_by_name = true)`;
      } else {
        from = 'WHERE false';
        cols.splice(0, cols.length, ...t.columns.map((c) => `CAST(NULL AS ${duckType(c.type)}) AS ${c.name}`));
        keys.splice(0, keys.length, ...t.partitionKeys.map((k) => `CAST(NULL AS VARCHAR) AS ${k}`));
      }
      await conn.run(`CREATE OR REPLACE VIEW ${database}.${t.name} AS SELECT ${[...cols, ...keys].join(', ')} ${from}`);
    }
  }

  /** `db.table`, `"awsdatacatalog"."db"."table"` or `table` → the table name, checking the database. */
  function tableName(ref: string): string {
    const parts = unquoteIdent(ref).split('.');
    const name = parts.pop()!.toLowerCase();
    const db = parts.pop();
    if (db && db.toLowerCase() !== database) throw new AthenaFailure(`SCHEMA_NOT_FOUND: Schema '${db}' does not exist`);
    return name;
  }

  // ---- bytes scanned ---------------------------------------------------------------------------
  const chunkCache = new Map<string, Map<string, number>>();
  async function columnBytes(file: string): Promise<Map<string, number>> {
    const st = statSync(file);
    const key = `${file}:${st.size}:${st.mtimeMs}`;
    let m = chunkCache.get(key);
    if (!m) {
      m = new Map();
      const r = await conn.runAndReadAll(`SELECT path_in_schema AS p, sum(total_compressed_size) AS b FROM parquet_metadata(${quoteLit(file)}) GROUP BY p`);
      for (const row of r.getRowObjectsJS()) {
        const top = String(row.p).split(',')[0]!.trim().toLowerCase();
        m.set(top, (m.get(top) ?? 0) + Number(row.b));
      }
      chunkCache.set(key, m);
    }
    return m;
  }

  /**
   * Dynamic filtering of a MERGE's target, as Trino does for the join under MERGE: for each
   * partition key the ON clause equates between target and source (`t.dt = s.dt`), the values the
   * source (the USING subquery) actually holds. The target's other partitions are not read.
   */
  async function mergeTargetValues(sql: string, target: IcebergTable): Promise<Map<string, Set<string>>> {
    const code = codeOnly(sql);
    const head = /^\s*MERGE\s+INTO\s+[\w".]+\s+(?:AS\s+)?(\w+)\s+USING\s*\(/i.exec(code);
    const out = new Map<string, Set<string>>();
    if (!head) return out;
    const sub = parenBody(sql, head[0].length - 1);
    const tail = /^\s*(?:AS\s+)?(\w+)\s+ON\s+([\s\S]*?)\bWHEN\b/i.exec(codeOnly(sql.slice(sub.end)));
    if (!tail) return out;
    const [t, s2] = [head[1]!, tail[1]!];
    for (const k of target.partitionKeys) {
      const eq = new RegExp(`\\b${t}\\.${k}\\s*=\\s*${s2}\\.${k}\\b|\\b${s2}\\.${k}\\s*=\\s*${t}\\.${k}\\b`, 'i');
      if (!eq.test(tail[2]!)) continue;
      const r = await conn.runAndReadAll(`SELECT DISTINCT CAST(${k} AS VARCHAR) AS v FROM (${standinSql(sub.body)}) AS src`);
      out.set(k, new Set(r.getRowObjectsJS().map((row) => String(row.v))));
    }
    return out;
  }

  async function bytesScanned(sql: string, only?: { table: string; filter: (parts: Record<string, string>) => boolean }, dynamic?: { table: string; values: Map<string, Set<string>> }) {
    const code = codeOnly(sql).toLowerCase();
    const words = new Set(code.match(/[a-z_][a-z0-9_]*/g) ?? []);
    const star = /(^|[\s,(.])\*/.test(code.replace(/count\s*\(\s*\*\s*\)/g, ''));
    const scanned: StandinExecution['scanned'] = [];
    const tables: { name: string; dir: string; suffix: string; keys: string[]; columns: string[] }[] = [];
    for (const t of hive.values()) tables.push({ name: t.name, dir: hiveDir(t), suffix: `.parquet${S3RVER_SUFFIX}`, keys: t.partitionKeys, columns: t.columns.map((c) => c.name) });
    for (const t of iceberg.values()) tables.push({ name: t.name, dir: path.join(icebergDir, t.name), suffix: '.parquet', keys: t.partitionKeys, columns: t.columns.map((c) => c.name).filter((c) => !t.partitionKeys.includes(c)) });
    let total = 0;
    for (const t of tables) {
      if (only ? only.table !== t.name : !words.has(t.name.toLowerCase())) continue;
      const wanted = only || star ? new Set(t.columns.map((c) => c.toLowerCase())) : new Set(t.columns.map((c) => c.toLowerCase()).filter((c) => words.has(c)));
      const filters = t.keys.map((k) => [k, literalFilter(sql, k)] as const);
      let files = 0;
      let bytes = 0;
      for (const f of listPartitionFiles(t.dir, t.suffix)) {
        if (only ? !only.filter(f.parts) : !filters.every(([k, test]) => !test || test(f.parts[k] ?? ''))) continue;
        if (dynamic?.table === t.name && ![...dynamic.values].every(([k, vs]) => vs.has(f.parts[k] ?? ''))) continue;
        files++;
        for (const [col, b] of await columnBytes(f.file)) if (wanted.has(col)) bytes += b;
      }
      scanned.push({ table: t.name, files, bytes });
      total += bytes;
    }
    return { total, scanned };
  }

  // ---- Iceberg tables --------------------------------------------------------------------------
  /** Per partition: row count and an order-independent hash of its rows (what changed after a write). */
  async function fingerprints(t: IcebergTable): Promise<Map<string, string>> {
    const keys = t.partitionKeys.join(', ');
    const r = await conn.runAndReadAll(`SELECT ${keys}, count(*) AS n, bit_xor(hash(x)) AS h FROM ${database}.${t.name} AS x GROUP BY ${keys}`);
    return new Map(r.getRowObjectsJS().map((row) => [JSON.stringify(t.partitionKeys.map((k) => row[k])), `${row.n}:${row.h}`]));
  }

  /** Writes each changed partition as one sorted Parquet file (what OPTIMIZE would leave), for byte counting. */
  async function materialise(t: IcebergTable, before: Map<string, string>) {
    const after = await fingerprints(t);
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      if (before.get(key) === after.get(key)) continue;
      const values = JSON.parse(key) as (string | null)[];
      const dir = path.join(icebergDir, t.name, ...t.partitionKeys.map((k, i) => `${k}=${encodeURIComponent(values[i] ?? '__null__')}`));
      rmSync(dir, { recursive: true, force: true });
      if (!after.has(key)) continue;
      mkdirSync(dir, { recursive: true });
      const where = t.partitionKeys.map((k, i) => (values[i] === null ? `${k} IS NULL` : `${k} = ${quoteLit(values[i]!)}`)).join(' AND ');
      const cols = t.columns.map((c) => c.name).filter((c) => !t.partitionKeys.includes(c));
      await conn.run(`COPY (SELECT ${cols.join(', ')} FROM ${database}.${t.name} WHERE ${where} ORDER BY ALL) TO ${quoteLit(path.join(dir, 'data.parquet'))} (FORMAT parquet, COMPRESSION ${t.compression})`);
    }
  }

  function icebergTarget(sql: string, keyword: string): IcebergTable | undefined {
    const code = codeOnly(sql);
    const re: Record<string, RegExp> = {
      MERGE: /^\s*MERGE\s+INTO\s+([\w".]+)/i,
      INSERT: /^\s*INSERT\s+INTO\s+([\w".]+)/i,
      UPDATE: /^\s*UPDATE\s+([\w".]+)/i,
      DELETE: /^\s*DELETE\s+FROM\s+([\w".]+)/i,
    };
    const m = re[keyword]?.exec(code);
    if (!m) return undefined;
    const name = tableName(m[1]!);
    if (hive.has(name)) throw new AthenaFailure(`NOT_SUPPORTED: Modifying Hive table rows is only supported for transactional tables (${name} is a Hive table; ${keyword} needs an Iceberg table)`);
    const t = iceberg.get(name);
    if (!t) throw new AthenaFailure(`TABLE_NOT_FOUND: Table 'awsdatacatalog.${database}.${name}' does not exist`);
    return t;
  }

  async function createIceberg(sql: string) {
    const code = codeOnly(sql);
    const head = /^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([\w".]+)\s*\(/i.exec(code);
    if (!head) throw new AthenaFailure('NOT_SUPPORTED: stand-in: only CREATE TABLE … TBLPROPERTIES (\'table_type\'=\'ICEBERG\') is supported; Hive tables come from its configuration');
    if (!/'table_type'\s*=\s*'iceberg'/i.test(sql)) throw new AthenaFailure("NOT_SUPPORTED: stand-in: a CREATE TABLE without TBLPROPERTIES ('table_type'='ICEBERG') would be a Hive table; declare it in hiveTables");
    const name = tableName(head[2]!);
    const cols = parenBody(sql, head[0].length - 1);
    const columns = splitTopLevel(cols.body).map((def) => {
      const m = /^"?([A-Za-z_]\w*)"?\s+(array\s*<\s*\w+\s*>|\w+)/i.exec(def);
      if (!m) throw new AthenaFailure(`SYNTAX_ERROR: cannot read column definition ${def}`);
      return { name: m[1]!.toLowerCase(), type: m[2]!.replace(/\s+/g, '').toLowerCase() };
    });
    const rest = code.slice(cols.end);
    const pm = /PARTITIONED\s+BY\s*\(/i.exec(rest);
    const partitionKeys = pm ? splitTopLevel(parenBody(sql.slice(cols.end), pm.index + pm[0].length - 1).body).map((k) => unquoteIdent(k).toLowerCase()) : [];
    for (const k of partitionKeys) if (!columns.some((c) => c.name === k)) throw new AthenaFailure(`COLUMN_NOT_FOUND: partition column ${k} is not a column of ${name} (Iceberg partitions by declared columns)`);
    const location = /LOCATION\s+'([^']*)'/i.exec(sql.slice(cols.end))?.[1];
    if (!location) throw new AthenaFailure('SYNTAX_ERROR: an Iceberg table needs a LOCATION');
    const compression = icebergCompression(sql.slice(cols.end));
    if (iceberg.has(name) || hive.has(name)) {
      if (head[1]) return;
      throw new AthenaFailure(`ALREADY_EXISTS: Table 'awsdatacatalog.${database}.${name}' already exists`);
    }
    await conn.run(`CREATE TABLE ${database}.${name} (${columns.map((c) => `${c.name} ${duckType(c.type)}`).join(', ')})`);
    iceberg.set(name, { name, columns, partitionKeys, location, compression });
  }

  async function runStatement(x: StandinExecution): Promise<void> {
    const sql = x.sql;
    const code = codeOnly(sql);
    const { keyword } = classify(sql);
    // Athena rejects what Trino does not have, whatever DuckDB would make of it.
    const problems = dialectProblems(sql).filter((p) => p.what.startsWith('DuckDB-only'));
    if (problems.length > 0) throw new AthenaFailure(`FUNCTION_NOT_FOUND: ${problems.map((p) => `${p.what} (Trino: ${p.fix})`).join('; ')}`);
    const words = new Set(code.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
    for (const t of hive.values()) {
      if (!words.has(t.name.toLowerCase())) continue;
      for (const k of t.injected ?? []) {
        if (literalEqualities(sql, k).length === 0) throw new AthenaFailure(`CONSTRAINT_VIOLATION: For the injected projected partition column ${k} of ${t.name}, the WHERE clause must contain only static equality conditions, and at least one such condition must be present.`);
      }
    }

    if (keyword === 'CREATE') return createIceberg(sql);
    if (keyword === 'DROP') {
      const m = /^\s*DROP\s+TABLE\s+(IF\s+EXISTS\s+)?([\w".]+)/i.exec(code);
      const name = m ? tableName(m[2]!) : '';
      if (!iceberg.has(name)) {
        if (m?.[1]) return;
        throw new AthenaFailure(`TABLE_NOT_FOUND: Table 'awsdatacatalog.${database}.${name}' does not exist`);
      }
      await conn.run(`DROP TABLE ${database}.${name}`);
      iceberg.delete(name);
      rmSync(path.join(icebergDir, name), { recursive: true, force: true });
      return;
    }
    if (keyword === 'ALTER') {
      const m = /^\s*ALTER\s+TABLE\s+([\w".]+)\s+SET\s+TBLPROPERTIES\s*\(/i.exec(code);
      if (!m) throw new AthenaFailure('NOT_SUPPORTED: stand-in: only ALTER TABLE … SET TBLPROPERTIES');
      if (!iceberg.has(tableName(m[1]!)) && !hive.has(tableName(m[1]!))) throw new AthenaFailure(`TABLE_NOT_FOUND: ${m[1]}`);
      return;
    }
    if (keyword === 'OPTIMIZE' || keyword === 'VACUUM') {
      const m = keyword === 'OPTIMIZE' ? /^\s*OPTIMIZE\s+([\w".]+)\s+REWRITE\s+DATA\s+USING\s+BIN_PACK\s*(?:WHERE\s+([\s\S]*?))?;?\s*$/i.exec(code) : /^\s*VACUUM\s+([\w".]+)\s*;?\s*$/i.exec(code);
      if (!m) throw new AthenaFailure(`SYNTAX_ERROR: ${keyword === 'OPTIMIZE' ? 'OPTIMIZE <table> REWRITE DATA USING BIN_PACK [WHERE <partition predicate>]' : 'VACUUM <table>'}`);
      const name = tableName(m[1]!);
      const t = iceberg.get(name);
      if (!t) throw new AthenaFailure(hive.has(name) ? `NOT_SUPPORTED: ${keyword} is supported only for Iceberg tables (${name} is a Hive table)` : `TABLE_NOT_FOUND: Table 'awsdatacatalog.${database}.${name}' does not exist`);
      if (keyword === 'VACUUM') return;
      const at = code.search(/\bWHERE\b/i);
      const where = at >= 0 ? sql.slice(at + 5).replace(/;\s*$/, '') : 'true';
      const used = new Set((codeOnly(where).toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []).filter((w) => !['and', 'or', 'not', 'in', 'between', 'is', 'null', 'true', 'false'].includes(w)));
      for (const w of used) if (!t.partitionKeys.includes(w)) throw new AthenaFailure(`INVALID_ARGUMENTS: OPTIMIZE: only partition columns may be used in the WHERE clause (got ${w})`);
      const r = await conn.runAndReadAll(`SELECT DISTINCT ${t.partitionKeys.join(', ')} FROM ${database}.${t.name} WHERE ${standinSql(where)}`);
      const selected = new Set(r.getRowObjectsJS().map((row) => JSON.stringify(t.partitionKeys.map((k) => row[k]))));
      const b = await bytesScanned(sql, { table: t.name, filter: (parts) => selected.has(JSON.stringify(t.partitionKeys.map((k) => parts[k] ?? null))) });
      x.bytesScanned = b.total;
      x.scanned = b.scanned;
      return;
    }

    await refreshHiveViews();
    const target = icebergTarget(sql, keyword);
    const before = target ? await fingerprints(target) : undefined;
    const b = await bytesScanned(sql, undefined, target && keyword === 'MERGE' ? { table: target.name, values: await mergeTargetValues(sql, target) } : undefined);
    let reader;
    try {
      reader = await conn.runAndReadAll(standinSql(sql));
    } catch (err) {
      throw new AthenaFailure(athenaReason(err instanceof Error ? err.message : String(err)));
    }
    x.bytesScanned = b.total;
    x.scanned = b.scanned;
    if (target) {
      await materialise(target, before!);
      const rows = reader.getRowObjectsJS();
      x.updateCount = rows.length > 0 ? Number(Object.values(rows[0]!)[0]) : 0;
      return;
    }
    if (keyword !== 'SELECT') return;
    const types = reader.columnTypes().map((t) => t.toString());
    x.columns = reader.columnNames().map((name, i) => ({ name, type: types[i]! }));
    x.rows = reader.getRowsJS().map((row) => row.map((v, i) => athenaText(v, types[i]!)));
  }

  /** A DuckDB error message → an Athena-style StateChangeReason (error name, then the message). */
  function athenaReason(message: string): string {
    const first = message.split('\n')[0]!;
    let m: RegExpExecArray | null;
    if (/^Parser Error/.test(first)) return `SYNTAX_ERROR: ${first.replace(/^Parser Error: /, '')}`;
    if ((m = /^Catalog Error: Table with name (\S+) does not exist/.exec(first))) return `TABLE_NOT_FOUND: Table 'awsdatacatalog.${database}.${m[1]}' does not exist`;
    if ((m = /^Catalog Error: \w+ Function with name (\S+) does not exist/.exec(first))) return `FUNCTION_NOT_FOUND: Function '${m[1]}' not registered`;
    if ((m = /^Binder Error: Referenced column "([^"]+)" not found/.exec(first))) return `COLUMN_NOT_FOUND: Column '${m[1]}' cannot be resolved`;
    return `GENERIC_USER_ERROR: ${first}`;
  }

  // ---- executions ------------------------------------------------------------------------------
  const executions: StandinExecution[] = [];
  const byId = new Map<string, StandinExecution>();
  const byToken = new Map<string, string>();
  const injected: (InjectedFailure & { left: number })[] = [];
  let chain: Promise<void> = Promise.resolve();

  function start(sql: string, db: string, wg: string): StandinExecution {
    const { statementType, substatementType } = classify(sql);
    const x: StandinExecution = {
      id: randomUUID(),
      sql,
      state: 'QUEUED',
      statementType,
      substatementType,
      database: db,
      workGroup: wg,
      submitted: new Date(),
      engineMs: 0,
      bytesScanned: 0,
      scanned: [],
      columns: [],
      rows: [],
      polls: 0,
    };
    executions.push(x);
    byId.set(x.id, x);
    // One DuckDB connection: statements run one after another, in submission order.
    chain = chain.then(async () => {
      if (x.state !== 'QUEUED') return;
      x.state = 'RUNNING';
      const t0 = performance.now();
      try {
        if (db.toLowerCase() !== database) throw new AthenaFailure(`SCHEMA_NOT_FOUND: Schema '${db}' does not exist`);
        const fault = injected.find((f) => f.left > 0 && f.match.test(sql));
        if (fault) {
          fault.left--;
          throw new AthenaFailure(fault.reason, fault.retryable ?? false);
        }
        await runStatement(x);
        if ((x.state as string) === 'RUNNING') x.state = 'SUCCEEDED';
      } catch (err) {
        const f = err instanceof AthenaFailure ? err : new AthenaFailure(`GENERIC_INTERNAL_ERROR: ${err instanceof Error ? err.message : String(err)}`, false, 1);
        x.state = 'FAILED';
        x.reason = f.reason;
        x.athenaError = { ErrorCategory: f.category, ErrorType: f.category === 1 ? 1001 : 1006, Retryable: f.retryable, ErrorMessage: f.reason };
      }
      x.engineMs = Math.round(performance.now() - t0);
      x.completed = new Date();
    });
    return x;
  }

  const epoch = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);
  function describe(x: StandinExecution) {
    const reveal = x.polls++ >= (opts.runningPolls ?? 0);
    const state = reveal || x.state === 'QUEUED' ? x.state : x.state === 'CANCELLED' ? 'CANCELLED' : 'RUNNING';
    const final = state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
    return {
      QueryExecutionId: x.id,
      Query: x.sql,
      StatementType: x.statementType,
      SubstatementType: x.substatementType,
      QueryExecutionContext: { Database: x.database, Catalog: 'awsdatacatalog' },
      WorkGroup: x.workGroup,
      EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
      ResultConfiguration: { OutputLocation: `s3://${opts.bucket}/athena-results/${x.id}.csv` },
      Status: {
        State: state,
        SubmissionDateTime: epoch(x.submitted),
        ...(final ? { CompletionDateTime: epoch(x.completed ?? new Date()) } : {}),
        ...(final && x.reason ? { StateChangeReason: x.reason, AthenaError: x.athenaError } : {}),
      },
      Statistics: final
        ? { EngineExecutionTimeInMillis: x.engineMs, DataScannedInBytes: x.bytesScanned, TotalExecutionTimeInMillis: x.engineMs, QueryQueueTimeInMillis: 0, ServiceProcessingTimeInMillis: 0 }
        : { EngineExecutionTimeInMillis: 0, DataScannedInBytes: 0 },
    };
  }

  class ApiError extends Error {
    constructor(readonly type: string, message: string, readonly status = 400) {
      super(message);
    }
  }

  function results(x: StandinExecution, nextToken: string | undefined, maxResults: number | undefined) {
    if (x.state !== 'SUCCEEDED') throw new ApiError('InvalidRequestException', `Query has not yet finished. Current state: ${x.state}`);
    if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000)) throw new ApiError('InvalidRequestException', '1 validation error detected: Value at \'maxResults\' failed to satisfy constraint: Member must have value less than or equal to 1000');
    const size = Math.min(maxPage, maxResults ?? 1000);
    // A SELECT's result starts with a header row holding the column names; it counts as a row.
    const all: (string | null)[][] = x.substatementType === 'SELECT' ? [x.columns.map((c) => c.name), ...x.rows] : [];
    const offset = nextToken ? Number(Buffer.from(nextToken, 'base64url').toString('utf8').split(':')[1]) : 0;
    if (nextToken && (!Number.isInteger(offset) || !Buffer.from(nextToken, 'base64url').toString('utf8').startsWith(x.id))) throw new ApiError('InvalidRequestException', 'The NextToken is not valid for this query');
    const page = all.slice(offset, offset + size);
    const more = offset + size < all.length;
    return {
      ...(x.updateCount !== undefined ? { UpdateCount: x.updateCount } : {}),
      ResultSet: {
        Rows: page.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })),
        ResultSetMetadata: {
          ColumnInfo: x.columns.map((c) => ({
            CatalogName: 'hive',
            SchemaName: '',
            TableName: '',
            Name: c.name,
            Label: c.name,
            Type: athenaType(c.type),
            Precision: 0,
            Scale: 0,
            Nullable: 'UNKNOWN',
            CaseSensitive: c.type === 'VARCHAR',
          })),
        },
      },
      ...(more ? { NextToken: Buffer.from(`${x.id}:${offset + size}`, 'utf8').toString('base64url') } : {}),
    };
  }

  const requests: Record<string, number> = {};
  function handle(target: string, body: Record<string, any>): unknown {
    requests[target] = (requests[target] ?? 0) + 1;
    const execution = () => {
      const x = byId.get(String(body.QueryExecutionId));
      if (!x) throw new ApiError('InvalidRequestException', `QueryExecution ${body.QueryExecutionId} was not found`);
      return x;
    };
    switch (target) {
      case 'StartQueryExecution': {
        if (typeof body.QueryString !== 'string' || body.QueryString.length === 0) throw new ApiError('InvalidRequestException', 'QueryString is required');
        const wg = body.WorkGroup ?? 'primary';
        if (wg !== workGroup) throw new ApiError('InvalidRequestException', `WorkGroup ${wg} is not found.`);
        const token = body.ClientRequestToken as string | undefined;
        if (token && byToken.has(token)) return { QueryExecutionId: byToken.get(token) };
        const x = start(body.QueryString, body.QueryExecutionContext?.Database ?? 'default', wg);
        if (token) byToken.set(token, x.id);
        return { QueryExecutionId: x.id };
      }
      case 'GetQueryExecution':
        return { QueryExecution: describe(execution()) };
      case 'GetQueryResults':
        return results(execution(), body.NextToken, body.MaxResults);
      case 'StopQueryExecution': {
        const x = execution();
        x.stopRequested = true;
        // A statement already running in DuckDB finishes (its writes stay); only a queued one is really stopped.
        if (x.state === 'QUEUED' || x.state === 'RUNNING') {
          x.state = 'CANCELLED';
          x.reason = 'Query cancelled by user';
          x.completed = new Date();
        }
        return {};
      }
      default:
        throw new ApiError('UnknownOperationException', `stand-in: operation ${target} is not implemented`);
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, payload: unknown, errorType?: string) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': randomUUID(),
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      if (req.method !== 'POST' || !target.startsWith('AmazonAthena.')) return send(400, { __type: 'UnknownOperationException', message: `not an Athena request: ${req.method} ${target}` }, 'UnknownOperationException');
      try {
        const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
        send(200, handle(target.slice('AmazonAthena.'.length), body));
      } catch (err) {
        if (err instanceof ApiError) send(err.status, { __type: err.type, Message: err.message }, err.type);
        else send(500, { __type: 'InternalServerException', Message: err instanceof Error ? err.message : String(err) }, 'InternalServerException');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    database,
    workGroup,
    clientConfig: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'STANDIN', secretAccessKey: 'STANDIN' }, maxAttempts: 3 },
    executions,
    requests,
    icebergDir,
    stats() {
      const done = executions.filter((x) => x.state === 'SUCCEEDED' || x.state === 'FAILED' || x.state === 'CANCELLED');
      return {
        queries: done.length,
        succeeded: done.filter((x) => x.state === 'SUCCEEDED').length,
        failed: done.filter((x) => x.state !== 'SUCCEEDED').length,
        bytesScanned: done.reduce((a, x) => a + x.bytesScanned, 0),
      };
    },
    inject(f) {
      injected.push({ ...f, left: f.times ?? 1 });
    },
    async duck(sql) {
      const p = chain.then(async () => {
        await refreshHiveViews();
        return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
      });
      chain = p.then(
        () => undefined,
        () => undefined,
      );
      return p;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await chain.catch(() => undefined);
      conn.closeSync();
      instance.closeSync();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
