/**
 * `memgap query` on embedded DuckDB: one view per public table, named as in Athena, over the
 * same object layout (src/outputs/layout.ts), so the SQL that runs in Athena runs here unchanged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../errors.js';
import type { TableName } from '../outputs/tables.js';
import { isS3Location, openStore } from '../store/open-store.js';
import type { ObjectStore } from '../store/port.js';
import { sqlSegments } from './named.js';
import { trinoToDuckDb } from './translate.js';
import { quoteLiteral, TABLE_NAMES, viewSql } from './views.js';

export { DUCKDB_TYPE, TABLE_NAMES, viewSql } from './views.js';

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
}

export interface QueryEngine {
  /** Runs Athena-dialect SQL (translated where the dialects differ). */
  query(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

export interface OpenQueryOptions {
  /**
   * For SQL a user typed (`memgap query`): one SELECT/WITH statement, no file
   * access outside `root`, no extension loading, settings locked. Enforced by DuckDB itself
   * (statement type from its parser, `enable_external_access`, `lock_configuration`), not by
   * patterns over the text.
   */
  readOnly?: boolean;
}

/** Statement types `memgap query` runs; everything else (COPY, ATTACH, SET, INSTALL, CREATE …) is refused. */
const READ_ONLY_STATEMENTS = new Set<StatementType>([StatementType.SELECT]);

const NOT_A_SELECT = 'memgap query is read-only: it runs one SELECT (or WITH … SELECT) over the tables';

/** DuckDB error classes that mean "this SQL is wrong", not "memgap failed". */
const SQL_MISTAKE = /^(Parser|Binder|Catalog|Conversion|Permission|Invalid Input|Out of Range|Not implemented|Dependency|Constraint) Error: /;

/** A DuckDB error about the user's SQL as a usage error (exit 2, one message, no stack). */
export function sqlUsageError(err: unknown): UsageError | undefined {
  if (!(err instanceof Error)) return undefined;
  const message = err.message.replace(/^Failed to extract statements: /, '');
  const kind = SQL_MISTAKE.exec(message)?.[1];
  if (kind === undefined) return undefined;
  // Parser/Binder/Catalog/Permission: the statement itself; the others can come from values in the data too.
  const lead = /^(Parser|Binder|Catalog|Permission|Not implemented)$/.test(kind) ? 'the SQL was refused' : 'the query failed';
  return new UsageError(`${lead}: ${message.split('\n')[0]!.trim()}`);
}

async function lockDown(conn: DuckDBConnection, root: string): Promise<void> {
  await conn.run(`SET allowed_directories = [${quoteLiteral(root.endsWith(path.sep) ? root : root + path.sep)}]`);
  await conn.run('SET enable_external_access = false');
  await conn.run('SET autoinstall_known_extensions = false');
  await conn.run('SET autoload_known_extensions = false');
  await conn.run('SET lock_configuration = true');
}

/**
 * Refuses anything but exactly one SELECT/WITH statement, by DuckDB's own parser. The parse goes
 * through `json_serialize_sql`, which parses without binding or running (preparing an `EXPORT
 * DATABASE` already writes its folder) and serialises SELECT statements only; the prepared
 * statement's type is checked again before it runs.
 */
async function readOnlyStatement(conn: DuckDBConnection, sql: string) {
  const reader = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql]);
  const parsed = JSON.parse(String(reader.getRowObjectsJS()[0]!.j)) as { error: boolean; error_type?: string; error_message?: string; statements?: unknown[] };
  if (parsed.error) {
    if (parsed.error_type === 'parser') throw new UsageError(`the SQL was refused: Parser Error: ${(parsed.error_message ?? '').split('\n')[0]}`);
    throw new UsageError(`${NOT_A_SELECT}; this statement is not a SELECT`);
  }
  const count = parsed.statements?.length ?? 0;
  if (count !== 1) throw new UsageError(`memgap query runs exactly one SELECT statement; this SQL holds ${count}`);
  const extracted = await conn.extractStatements(sql);
  if (extracted.count !== 1) throw new UsageError(`memgap query runs exactly one SELECT statement; this SQL holds ${extracted.count}`);
  const prepared = await extracted.prepare(0);
  if (!READ_ONLY_STATEMENTS.has(prepared.statementType)) {
    throw new UsageError(`${NOT_A_SELECT}; a ${StatementType[prepared.statementType] ?? String(prepared.statementType)} statement is refused`);
  }
  return prepared;
}

/** Opens DuckDB over a local output folder (the `--out` of `memgap analyze`). */
export async function openQueryEngine(root: string, options: OpenQueryOptions = {}): Promise<QueryEngine> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn: DuckDBConnection = await instance.connect();
  const absRoot = path.resolve(root);
  // Athena shows timestamps in UTC; so must we, whatever the machine's zone.
  await conn.run(`SET TimeZone = 'UTC'`);
  for (const t of TABLE_NAMES) await conn.run(viewSql(t, options.readOnly ? absRoot : root));
  if (options.readOnly) await lockDown(conn, absRoot);
  return {
    async query(sql) {
      const duck = trinoToDuckDb(sql);
      try {
        const reader = options.readOnly ? await (await readOnlyStatement(conn, duck)).runAndReadAll() : await conn.runAndReadAll(duck);
        const names = reader.columnNames();
        const types = reader.columnTypes().map((t) => t.toString());
        return { columns: names.map((name, i) => ({ name, type: types[i]! })), rows: reader.getRowObjectsJS() as Record<string, unknown>[] };
      } catch (err) {
        throw (options.readOnly && sqlUsageError(err)) || err;
      }
    },
    async close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** The public tables a statement mentions (as whole words, outside strings and comments). */
export function tablesReferenced(sql: string): TableName[] {
  const code = sqlSegments(sql)
    .filter((s) => s.code)
    .map((s) => s.text)
    .join(' ');
  return TABLE_NAMES.filter((t) => new RegExp(`\\b${t}\\b`, 'i').test(code));
}

export interface LocalCopy {
  root: string;
  /** Objects and bytes copied; 0 when `--out` was already a folder. */
  objects: number;
  bytes: number;
  dispose(): Promise<void>;
}

/**
 * DuckDB here has no httpfs (not bundled, and offline), so an `s3://` output is read through
 * the ObjectStore port: the Parquet objects of the tables the SQL mentions are copied to a temp
 * folder with the same layout, then queried like a local `--out`.
 */
export async function localCopyFor(location: string, sql: string, open: (location: string) => ObjectStore = openStore): Promise<LocalCopy> {
  if (!isS3Location(location)) return { root: location, objects: 0, bytes: 0, dispose: async () => {} };
  const store = open(location);
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-query-'));
  let objects = 0;
  let bytes = 0;
  try {
    for (const table of tablesReferenced(sql)) {
      for await (const o of store.list(`${table}/`)) {
        if (!o.key.endsWith('.parquet')) continue;
        const dest = path.join(root, ...o.key.split('/'));
        await mkdir(path.dirname(dest), { recursive: true });
        await pipeline(await store.get(o.key), createWriteStream(dest));
        objects++;
        bytes += o.size;
      }
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return { root, objects, bytes, dispose: () => rm(root, { recursive: true, force: true }) };
}
