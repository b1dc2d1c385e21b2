/**
 * `memgap query "<SQL>" --out <dir|s3://…>` and `memgap query --named <name> [--param k=v]…`:
 * the Athena tables (same names, same columns, same SQL) on embedded DuckDB.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { localCopyFor, openQueryEngine, type QueryResult } from '../query/engine.js';
import { bindParams, findNamedQuery, loadNamedQueries } from '../query/named.js';
import { ClusterName } from '../model/bundle.js';
import { openStore } from '../store/open-store.js';
import { NAMESPACE_PATTERN, POD_PATTERN } from './explain.js';
import { requireTables } from './out-location.js';
import type { ObjectStore } from '../store/port.js';

export type OutputFormat = 'table' | 'json' | 'csv';

export interface QueryRequest {
  /** Output location of `memgap analyze` (folder or s3://bucket/prefix). */
  out: string;
  sql?: string;
  named?: string;
  params?: Record<string, string>;
}

/** What a `--param` value must look like, by parameter name (the names the shipped queries use). */
export const PARAM_CHECKS: Readonly<Record<string, { test: (v: string) => boolean; wants: string }>> = {
  day: { test: isCalendarDay, wants: 'a UTC date, YYYY-MM-DD' },
  cluster: { test: (v) => ClusterName.safeParse(v).success, wants: 'a cluster name matching [A-Za-z0-9._-]{1,63}' },
  namespace: { test: (v) => NAMESPACE_PATTERN.test(v), wants: 'a Kubernetes namespace (lowercase letters, digits, -)' },
  pod: { test: (v) => POD_PATTERN.test(v), wants: 'a pod name' },
  min_mib_per_hour: { test: isNumber, wants: 'a number (MiB per hour)' },
  threshold_pct: { test: isNumber, wants: 'a number (percent)' },
};

function isNumber(v: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(v);
}

function isCalendarDay(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Every `--param` checked against its type before it is bound into SQL. */
export function validateParams(params: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(params)) {
    const check = PARAM_CHECKS[name];
    if (check && !check.test(value)) throw new UsageError(`--param ${name}=${JSON.stringify(value)}: expected ${check.wants}`);
  }
}

/** Runs ad-hoc or named SQL over an output location; s3 objects are copied locally first. */
export async function runQuery(req: QueryRequest, open: (location: string) => ObjectStore = openStore): Promise<QueryResult> {
  if (req.sql !== undefined && req.named !== undefined) throw new UsageError('give either "<SQL>" or --named <name>, not both');
  if (req.sql === undefined && req.named === undefined) throw new UsageError('give the SQL to run ("select … from discrepancy") or --named <name> (memgap query --list shows them)');
  validateParams(req.params ?? {});
  let sql: string;
  if (req.named !== undefined) sql = bindParams(findNamedQuery(req.named).sql, req.params ?? {});
  else {
    if (req.params && Object.keys(req.params).length > 0) sql = bindParams(req.sql!, req.params);
    else sql = req.sql!;
  }
  await requireTables(req.out, open);
  const copy = await localCopyFor(req.out, sql, open);
  try {
    const engine = await openQueryEngine(copy.root, { readOnly: true });
    try {
      return await engine.query(sql);
    } finally {
      await engine.close();
    }
  } finally {
    await copy.dispose();
  }
}

/** DuckDB values → JSON-safe values: BIGINT beyond 2^53 stays exact as a string, instants as ISO-8601 UTC. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plainValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  return v;
}

function cellText(v: unknown): string {
  const p = plainValue(v);
  if (p === null || p === undefined) return '';
  if (typeof p === 'object') return JSON.stringify(p);
  return String(p);
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const NUMERIC = /^(BIGINT|INTEGER|HUGEINT|SMALLINT|TINYINT|UBIGINT|DOUBLE|FLOAT|DECIMAL)/;

export function formatResult(result: QueryResult, format: OutputFormat): string {
  const names = result.columns.map((c) => c.name);
  if (format === 'json') return JSON.stringify(result.rows.map((r) => plainValue(r)), null, 2) + '\n';
  if (format === 'csv') {
    const lines = [names.map(csvField).join(',')];
    for (const r of result.rows) lines.push(names.map((n) => csvField(cellText(r[n]))).join(','));
    return lines.join('\r\n') + '\r\n';
  }
  const cells = result.rows.map((r) => names.map((n) => (r[n] === null || r[n] === undefined ? 'NULL' : cellText(r[n]))));
  // A loop, not Math.max(...cells): a spread of 300k rows overflows the call stack.
  const widths = names.map((n) => n.length);
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i]!, c.length)));
  const right = result.columns.map((c) => NUMERIC.test(c.type));
  const line = (row: string[]) => row.map((s, i) => (right[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(names), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  out.push(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}

export function parseParam(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param wants name=value, got ${JSON.stringify(text)}`);
  return { ...previous, [text.slice(0, eq)]: text.slice(eq + 1) };
}

export interface QueryCommandDeps {
  openStore?: (location: string) => ObjectStore;
  stdout?: (text: string) => void;
}

export function registerQueryCommand(program: Command, deps: QueryCommandDeps = {}): Command {
  const write = deps.stdout ?? ((t: string) => void process.stdout.write(t));
  return program
    .command('query')
    .description('run SQL (Athena dialect) or a named query on the samples, discrepancy and trends_daily tables with embedded DuckDB')
    .argument('[sql]', 'a SELECT over samples, discrepancy, trends_daily (partition columns dt, cluster are strings)')
    .option('--out <dir|s3://bucket/prefix>', 'where `memgap analyze` wrote its tables')
    .option('--named <name>', 'run one of the named queries in sql/ (see --list)')
    .option('--param <name=value>', 'value for a :name placeholder (repeatable)', (v: string, prev: Record<string, string>) => parseParam(v, prev), {})
    .option('--list', 'list the named queries and their parameters')
    .option('--json', 'rows as a JSON array')
    .option('--csv', 'rows as CSV (RFC 4180)')
    .action(async (sql: string | undefined, opts: { out?: string; named?: string; param: Record<string, string>; list?: boolean; json?: boolean; csv?: boolean }) => {
      if (opts.list) {
        for (const q of loadNamedQueries()) {
          write(`${q.name}  ${q.params.map((p) => `--param ${p.name}=…`).join(' ')}\n  ${q.description}\n`);
        }
        return;
      }
      if (opts.json && opts.csv) throw new UsageError('--json and --csv exclude each other');
      if (!opts.out) throw new UsageError('--out <dir|s3://bucket/prefix> is required');
      const result = await runQuery(
        { out: opts.out, ...(sql !== undefined ? { sql } : {}), ...(opts.named !== undefined ? { named: opts.named } : {}), params: opts.param },
        deps.openStore ?? openStore,
      );
      write(formatResult(result, opts.json ? 'json' : opts.csv ? 'csv' : 'table'));
    });
}
