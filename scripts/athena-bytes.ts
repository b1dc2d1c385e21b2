/**
 * Bytes each named query makes Athena scan on the demo data, measured locally from the files it
 * must read: partition projection limits it to the `dt=<day>/cluster=<cluster>/` files, and
 * Parquet lets Athena read only the column chunks the query names. The figure is the sum of
 * those chunks' compressed sizes (parquet_metadata), footers excluded.
 *
 *   node scripts/run-ts.mjs scripts/athena-bytes.ts [--out <existing output folder>]
 *
 * Without --out it ingests the whole demo (seed article + 864 captures of the demo day) first.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { articleCaptures, DEMO_DAY, demoDayCaptures, gzipBundle } from '../src/demo/generator.js';
import { rawKey } from '../src/outputs/layout.js';
import { columnsOf, TABLES, type TableName } from '../src/outputs/tables.js';
import { compactStaging } from '../src/pipeline/compact.js';
import { ingestObjects } from '../src/pipeline/ingest.js';
import { tablesReferenced } from '../src/query/engine.js';
import { loadNamedQueries, sqlSegments } from '../src/query/named.js';
import { FsObjectStore } from '../src/store/fs-store.js';

async function demoOutput(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-bytes-'));
  const raw = new FsObjectStore(path.join(root, 'raw'));
  const out = new FsObjectStore(path.join(root, 'out'));
  const keys: string[] = [];
  for (const b of [...articleCaptures(), ...demoDayCaptures()]) {
    const key = rawKey(b.cluster, b.node, new Date(b.capturedAt));
    await raw.put(key, gzipBundle(b));
    keys.push(key);
  }
  await ingestObjects(raw, keys, out);
  await compactStaging(out);
  return out.root;
}

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const out = outIdx >= 0 ? args[outIdx + 1]! : await demoOutput();
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();

const PARAMS: Record<string, { day: string; cluster: string }> = {
  'pod-timeline': { day: '2020-02-03', cluster: 'seed-article' },
};

async function scalar(sql: string): Promise<number> {
  const r = await conn.runAndReadAll(sql);
  return Number(r.getRowObjectsJS()[0]!.v ?? 0);
}

const rows: string[] = ['| query | partition read | columns read | bytes scanned | partition files, all columns | whole table, no pruning |', '|---|---|---|---:|---:|---:|'];
for (const q of loadNamedQueries()) {
  const { day, cluster } = PARAMS[q.name] ?? { day: DEMO_DAY, cluster: 'demo' };
  const code = sqlSegments(q.sql).filter((s) => s.code).map((s) => s.text).join(' ');
  const words = new Set(code.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
  for (const table of tablesReferenced(q.sql) as TableName[]) {
    const cols = columnsOf(TABLES[table]).map((c) => c.name).filter((c) => words.has(c));
    const part = `${out}/${table}/dt=${day}/cluster=${cluster}/*.parquet`;
    const all = `${out}/${table}/*/*/*.parquet`;
    const inList = cols.map((c) => `'${c}'`).join(', ');
    const scanned = await scalar(`SELECT sum(total_compressed_size) AS v FROM parquet_metadata('${part}') WHERE split_part(path_in_schema, ', ', 1) IN (${inList})`);
    const partBytes = await scalar(`SELECT sum(size) AS v FROM read_blob('${part}')`);
    const allBytes = await scalar(`SELECT sum(size) AS v FROM read_blob('${all}')`);
    rows.push(`| \`${q.name}\` | ${table}/dt=${day}/cluster=${cluster}/ | ${cols.length} of ${columnsOf(TABLES[table]).length} | ${scanned.toLocaleString('en-US')} B | ${partBytes.toLocaleString('en-US')} B | ${allBytes.toLocaleString('en-US')} B |`);
  }
}
conn.closeSync();
db.closeSync();
console.log(rows.join('\n'));
