/**
 * `memgap query "<SQL>" --out <dir|s3://…>` and `memgap query --named <name> [--param k=v]…`:
 * the Athena tables (same names, same columns, same SQL) on embedded DuckDB.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { localCopyFor, openQueryEngine, type QueryResult } from '../query/engine.js';
import { bindParams, findNamedQuery, loadNamedQueries } from '../query/named.js';
import { openStore } from '../store/open-store.js';
import type { ObjectStore } from '../store/port.js';

export type OutputFormat = 'table' | 'json' | 'csv';

export interface QueryRequest {
  /** Output location of `memgap analyze` (folder or s3://bucket/prefix). */
  out: string;
  sql?: string;
  named?: string;
  params?: Record<string, string>;
}

/** Runs ad-hoc or named SQL over an output location; s3 objects are copied locally first. */
export async function runQuery(req: QueryRequest, open: (location: string) => ObjectStore = openStore): Promise<QueryResult> {
  if ((req.sql === undefined) === (req.named === undefined)) throw new UsageError('give either "<SQL>" or --named <name>, not both');
  let sql: string;
  if (req.named !== undefined) sql = bindParams(findNamedQuery(req.named).sql, req.params ?? {});
  else {
    if (req.params && Object.keys(req.params).length > 0) sql = bindParams(req.sql!, req.params);
    else sql = req.sql!;
  }
  const copy = await localCopyFor(req.out, sql, open);
  try {
    const engine = await openQueryEngine(copy.root);
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
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((row) => row[i]!.length)));
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
