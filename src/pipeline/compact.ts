/**
 * Local compaction (DuckDB): staging files → one `data.parquet` per (table, dt, cluster).
 *
 * For each touched partition: `COPY (current file ∪ deduplicated staging rows of captures it does
 * not hold, ORDER BY node, captured_at) TO <tmp>` (sql/pipeline/compact-local.sql), then rename
 * tmp → data.parquet (readers see the old file or the new one, never both), then, once every
 * partition a staging file feeds is done, delete that staging file. A kill anywhere re-runs to the
 * same rows: dedupe is by capture, and captures already in the file are never added again.
 * In AWS the same dedupe runs in Athena as a MERGE into Iceberg tables (sql-steps.ts).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ObjectNotFoundError } from '../errors.js';
import { compactedKey, stagingOf } from '../outputs/layout.js';
import { FsObjectStore } from '../store/fs-store.js';
import type { ObjectStore } from '../store/port.js';
import { TEMP_MARK } from './staging.js';
import { sqlLiteral } from '../query/named.js';
import { COMPACTED_TABLES, localCompactionSql, readFilesSql, type CompactedTable } from './sql-steps.js';

export { COMPACTED_TABLES };

export interface CompactedPartition {
  table: CompactedTable;
  dt: string;
  cluster: string;
  /** rows in data.parquet after the step */
  rows: number;
  /** staging files read */
  staging: number;
}

export interface CompactSummary {
  partitions: CompactedPartition[];
  /** staging files consumed and deleted */
  deleted: number;
}

export interface CompactOptions {
  /** Only these staging keys (default: every staging file present). */
  stagingKeys?: readonly string[];
  /** Test hook, called after each partition's rename (a throw simulates a kill before the staging deletes). */
  afterPartition?: (p: CompactedPartition) => void | Promise<void>;
  /** progress: partitions done of total */
  onProgress?: (done: number, total: number) => void;
}


/** Every staging file in the store, grouped by table and cluster. */
async function listStaging(store: ObjectStore, only?: readonly string[]): Promise<Map<string, { table: CompactedTable; cluster: string; keys: string[] }>> {
  const groups = new Map<string, { table: CompactedTable; cluster: string; keys: string[] }>();
  const add = (key: string) => {
    const s = stagingOf(key);
    if (!s || !(COMPACTED_TABLES as readonly string[]).includes(s.table)) return;
    const id = `${s.table}/${s.cluster}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { table: s.table as CompactedTable, cluster: s.cluster, keys: [] }));
    g.keys.push(key);
  };
  if (only) for (const k of only) add(k);
  else for await (const o of store.list('staging/')) add(o.key);
  for (const g of groups.values()) g.keys.sort();
  return groups;
}

/** A local folder to run DuckDB in: the store's own root, or a temp copy for a remote store. */
interface WorkDir {
  root: string;
  fetch(key: string): Promise<boolean>;
  publish(key: string): Promise<void>;
  dispose(): Promise<void>;
}

async function workDirFor(store: ObjectStore): Promise<WorkDir> {
  if (store instanceof FsObjectStore) {
    const exists = async (key: string) => (await stat(path.join(store.root, ...key.split('/'))).catch(() => null)) !== null;
    return { root: store.root, fetch: exists, publish: async () => {}, dispose: async () => {} };
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-compact-'));
  const local = (key: string) => path.join(root, ...key.split('/'));
  return {
    root,
    async fetch(key) {
      try {
        const body = await store.get(key);
        await mkdir(path.dirname(local(key)), { recursive: true });
        await pipeline(body, createWriteStream(local(key)));
        return true;
      } catch (err) {
        if (err instanceof ObjectNotFoundError) return false;
        throw err;
      }
    },
    async publish(key) {
      await store.put(key, await readFile(local(key)), 'application/vnd.apache.parquet');
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * Compacts every staging file (or the given ones) into the tables. Safe to re-run after a kill at
 * any point; readers of `<table>/dt=/cluster=/data.parquet` never see a capture twice.
 */
export async function compactStaging(store: ObjectStore, options: CompactOptions = {}): Promise<CompactSummary> {
  const groups = await listStaging(store, options.stagingKeys);
  const summary: CompactSummary = { partitions: [], deleted: 0 };
  if (groups.size === 0) return summary;
  // Loaded on use: the Lambda bundles leave DuckDB out, and only local compaction needs it.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const work = await workDirFor(store);
  const spill = await mkdtemp(path.join(os.tmpdir(), 'memgap-spill-'));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    // A sort or join larger than memory spills here, not into `.tmp/` of the current directory.
    await conn.run(`SET temp_directory = ${sqlLiteral(path.join(spill, 'duckdb'))}`);
    const file = (key: string) => path.join(work.root, ...key.split('/'));
    const plan: { table: CompactedTable; cluster: string; keys: string[]; files: string[]; dts: string[] }[] = [];
    for (const g of groups.values()) {
      const present: string[] = [];
      for (const k of g.keys) if (await work.fetch(k)) present.push(k);
      if (present.length === 0) continue;
      const files = present.map(file);
      const dts = (await conn.runAndReadAll(`SELECT DISTINCT dt FROM ${readFilesSql(files)} ORDER BY dt`)).getRowObjectsJS().map((r) => String(r.dt));
      plan.push({ ...g, keys: present, files, dts });
    }
    const total = plan.reduce((a, p) => a + p.dts.length, 0);
    let done = 0;
    for (const p of plan) {
      for (const dt of p.dts) {
        summary.partitions.push(await compactPartition(conn, work, p.table, dt, p.cluster, p.files));
        await options.afterPartition?.(summary.partitions.at(-1)!);
        options.onProgress?.(++done, total);
      }
      for (const k of p.keys) {
        await store.delete(k);
        summary.deleted++;
      }
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
    await work.dispose();
    await rm(spill, { recursive: true, force: true });
  }
  return summary;
}

async function compactPartition(conn: DuckDBConnection, work: WorkDir, table: CompactedTable, dt: string, cluster: string, staging: string[]): Promise<CompactedPartition> {
  const key = compactedKey(table, dt, cluster);
  const target = path.join(work.root, ...key.split('/'));
  const existing = (await work.fetch(key)) ? target : null;
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
  try {
    const existingColumns = existing ? (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${readFilesSql([existing])}`)).getRowObjectsJS().map((r) => String(r.column_name)) : undefined;
    const result = await conn.run(localCompactionSql({ table, dt, cluster, staging, existing, target: tmp, ...(existingColumns ? { existingColumns } : {}) }));
    const rows = Number(result.rowsChanged);
    await rename(tmp, target);
    await work.publish(key);
    return { table, dt, cluster, rows, staging: staging.length };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
