/**
 * Named queries: the `sql/*.sql` files, deployed verbatim as AWS::Athena::NamedQuery and run
 * locally by `memgap query --named`. Each file opens with a comment header:
 *
 *   -- name: top-gaps
 *   -- description: one line
 *   -- param day: what it means
 *
 * Parameters are written `:name` in the SQL. Neither `${name}` (the Serverless Framework would
 * try to resolve it when it reads the template) nor `?` (positional, unnamed) fits; in the
 * Athena console the analyst replaces `:day` with `'2026-11-26'`, locally `--param day=…` does.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

export interface NamedQueryParam {
  name: string;
  description: string;
}

export interface NamedQuery {
  name: string;
  description: string;
  params: NamedQueryParam[];
  /** The file's exact text: what Athena stores and what runs locally after binding. */
  sql: string;
  file: string;
}

const HEADER = /^--\s*(name|description|param)\b\s*([A-Za-z_][A-Za-z0-9_]*)?\s*:\s*(.*)$/;

export function parseNamedQuery(file: string, sql: string): NamedQuery {
  let name: string | undefined;
  let description = '';
  const params: NamedQueryParam[] = [];
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    const m = HEADER.exec(line);
    if (!m) continue;
    const [, key, paramName, value] = m;
    if (key === 'name') name = value!.trim();
    else if (key === 'description') description = value!.trim();
    else if (key === 'param' && paramName) params.push({ name: paramName, description: value!.trim() });
  }
  if (!name) throw new Error(`${file}: no "-- name:" header`);
  const used = new Set(placeholdersOf(sql));
  for (const p of params) if (!used.has(p.name)) throw new Error(`${file}: param ${p.name} is declared but never used`);
  for (const u of used) if (!params.some((p) => p.name === u)) throw new Error(`${file}: :${u} is used but not declared with "-- param ${u}:"`);
  return { name, description, params, sql, file };
}

/** The repository's `sql/` folder, found from this module (src/query/) or from the CLI bundle (dist/). */
export function sqlDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'sql');
    if (existsSync(path.join(candidate, 'top-gaps.sql'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('named queries not found: no sql/ folder above ' + fileURLToPath(import.meta.url));
}

export function loadNamedQueries(dir: string = sqlDir()): NamedQuery[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseNamedQuery(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8')));
}

export function findNamedQuery(name: string, dir?: string): NamedQuery {
  const all = loadNamedQueries(dir);
  const q = all.find((x) => x.name === name);
  if (!q) throw new UsageError(`no named query ${JSON.stringify(name)}; known: ${all.map((x) => x.name).join(', ')}`);
  return q;
}

/**
 * Splits SQL into code and non-code (string literals, quoted identifiers, comments) so rewrites
 * touch code only: `'14:00'` and `-- param day:` must survive binding untouched.
 */
export function sqlSegments(sql: string): { code: boolean; text: string }[] {
  const out: { code: boolean; text: string }[] = [];
  let i = 0;
  let start = 0;
  const flush = (end: number, code: boolean) => {
    if (end > start) out.push({ code, text: sql.slice(start, end) });
    start = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      flush(i, true);
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      i = Math.min(j + 1, sql.length);
      flush(i, false);
    } else if (c === '-' && sql[i + 1] === '-') {
      flush(i, true);
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
      flush(i, false);
    } else if (c === '/' && sql[i + 1] === '*') {
      flush(i, true);
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      flush(i, false);
    } else i++;
  }
  flush(sql.length, true);
  return out;
}

// `::` (a cast) is not a placeholder; neither is `a:b` inside an identifier.
const PLACEHOLDER = /(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)/g;

export function placeholdersOf(sql: string): string[] {
  const names: string[] = [];
  for (const s of sqlSegments(sql)) if (s.code) for (const m of s.text.matchAll(PLACEHOLDER)) names.push(m[1]!);
  return [...new Set(names)];
}

/** A parameter value as a SQL literal: plain decimal numbers stay numbers, everything else is a quoted string. */
export function sqlLiteral(value: string): string {
  if (/^-?\d+(\.\d+)?$/.test(value)) return value;
  return `'${value.replace(/'/g, "''")}'`;
}

/** Replaces every `:name` with its literal; a missing or unknown parameter is a usage error. */
export function bindParams(sql: string, params: Readonly<Record<string, string>>): string {
  const wanted = placeholdersOf(sql);
  const missing = wanted.filter((n) => !(n in params));
  if (missing.length > 0) throw new UsageError(`missing --param ${missing.map((n) => `${n}=…`).join(' --param ')}`);
  const unknown = Object.keys(params).filter((n) => !wanted.includes(n));
  if (unknown.length > 0) throw new UsageError(`unknown parameter(s) ${unknown.join(', ')}; this query takes ${wanted.join(', ') || 'none'}`);
  return sqlSegments(sql)
    .map((s) => (s.code ? s.text.replace(PLACEHOLDER, (_, n: string) => sqlLiteral(params[n]!)) : s.text))
    .join('');
}
