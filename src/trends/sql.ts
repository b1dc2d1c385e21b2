/**
 * The SQL files of the trends and report steps (sql/pipeline/trends-*.sql, report-*.sql), Athena's
 * Trino dialect, each with a `-- name/description/param` header like the named queries.
 * Parameters are `:name`; every value is bound as a quoted string literal (a cluster named `123`
 * stays a string, as the dt/cluster partition keys are strings in Glue).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseNamedQuery, sqlDir, sqlSegments } from '../query/named.js';

export type PipelineSqlName =
  | 'trends-daily'
  | 'report-totals'
  | 'report-lists'
  | 'report-pod-points'
  | 'report-widest'
  | 'report-oom-events'
  | 'report-causes'
  | 'report-pod-rows'
  | 'report-pod-days'
  | 'report-pod-names';

const cache = new Map<string, { sql: string; params: string[] }>();

function load(name: PipelineSqlName): { sql: string; params: string[] } {
  let q = cache.get(name);
  if (!q) {
    const file = path.join(sqlDir(), 'pipeline', `${name}.sql`);
    const parsed = parseNamedQuery(file, readFileSync(file, 'utf8'));
    q = { sql: parsed.sql, params: parsed.params.map((p) => p.name) };
    cache.set(name, q);
  }
  return q;
}

const PLACEHOLDER = /(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)/g;
export const stringLiteral = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** The file's statement with every `:param` bound (all declared params must be given, and only those). */
export function pipelineStatement(name: PipelineSqlName, params: Readonly<Record<string, string>>): string {
  const q = load(name);
  const given = Object.keys(params).sort();
  const wanted = [...q.params].sort();
  if (given.join() !== wanted.join()) throw new Error(`sql/pipeline/${name}.sql takes ${wanted.join(', ')}; got ${given.join(', ')}`);
  return sqlSegments(q.sql)
    .map((s) => (s.code ? s.text.replace(PLACEHOLDER, (_, n: string) => stringLiteral(params[n]!)) : s.text))
    .join('')
    .trim();
}
