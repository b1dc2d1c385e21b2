/**
 * Staging → compacted tables must never lose or duplicate a capture: the same capture staged by
 * several batches, already in the table, or a compaction killed after a partition's rename, all
 * read back once. Real parts: demo captures through the real ingest into a real folder, DuckDB
 * reading the files back.
 */
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoDayCaptures, gzipBundle } from '../../src/demo/generator.js';
import type { CaptureBundle } from '../../src/model/bundle.js';
import { batchKey, rawKey } from '../../src/outputs/layout.js';
import { columnsOf, TABLES } from '../../src/outputs/tables.js';
import { compactStaging } from '../../src/pipeline/compact.js';
import { captureRowsOf, ingestObjects } from '../../src/pipeline/ingest.js';
import type { CaptureRows } from '../../src/pipeline/staging.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { athenaMergeSql, localCompactionSql } from '../../src/pipeline/sql-steps.js';
import { FsObjectStore } from '../../src/store/fs-store.js';

const DT = '2026-11-26';
let dir: string;
let store: FsObjectStore;

/** The first n captures of the demo day, one hour apart (3 nodes each hour). */
function captures(n: number): CaptureBundle[] {
  const out: CaptureBundle[] = [];
  for (const b of demoDayCaptures('demo', DT, 60)) {
    if (out.length === n) break;
    out.push(b);
  }
  return out;
}

async function putCaptures(list: readonly CaptureBundle[]): Promise<string[]> {
  const keys: string[] = [];
  for (const b of list) {
    const key = rawKey(b.cluster, b.node, new Date(b.capturedAt));
    await store.put(key, gzipBundle(b));
    keys.push(key);
  }
  return keys;
}

/** Captures (node, captured_at) → row count, as DuckDB reads the compacted files (what `memgap query` sees). */
async function perCapture(table: 'samples' | 'discrepancy'): Promise<Map<string, number>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const glob = path.join(dir, table, 'dt=*', 'cluster=*', '*.parquet');
  const rows = (await con.runAndReadAll(`SELECT node, epoch_ms(captured_at) AS t, count(*) AS n FROM read_parquet('${glob}') GROUP BY ALL`)).getRowObjectsJS();
  con.closeSync();
  db.closeSync();
  return new Map(rows.map((r) => [`${r.node}@${r.t}`, Number(r.n)]));
}

const staged = async () => (await readdir(path.join(dir, 'staging'), { recursive: true })).filter((f) => f.endsWith('.parquet'));

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'memgap-compact-'));
  store = new FsObjectStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('local compaction (DuckDB)', () => {
  it('one data.parquet per partition, sorted by node then captured_at, staging consumed', async () => {
    const keys = await putCaptures(captures(6));
    const { staged: files } = await ingestObjects(store, keys, store, { now: new Date('2026-11-26T03:10:00Z') });
    expect(files.map((f) => f.replace(/[0-9a-f]{32}/, 'ID')).sort()).toEqual([
      'staging/discrepancy/arrival=2026-11-26T03/cluster=demo/ID.parquet',
      'staging/samples/arrival=2026-11-26T03/cluster=demo/ID.parquet',
    ]);
    const summary = await compactStaging(store);
    expect(summary.deleted).toBe(2);
    expect(await staged()).toEqual([]);
    expect((await readdir(path.join(dir, 'discrepancy', `dt=${DT}`, 'cluster=demo'))).sort()).toEqual(['data.parquet']);
    const counts = await perCapture('discrepancy');
    expect(counts.size).toBe(6);
    // Sorted: DuckDB reads the file in its stored order.
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const order = (await con.runAndReadAll(`SELECT node, epoch_ms(captured_at) AS t FROM read_parquet('${path.join(dir, 'discrepancy', `dt=${DT}`, 'cluster=demo', 'data.parquet')}')`)).getRowObjectsJS();
    // ZSTD, as the Iceberg tables' write_compression.
    const codecs = (await con.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${path.join(dir, 'discrepancy', `dt=${DT}`, 'cluster=demo', 'data.parquet')}')`)).getRowObjectsJS();
    expect(codecs).toEqual([{ compression: 'ZSTD' }]);
    con.closeSync();
    db.closeSync();
    const asKeys = order.map((r) => `${r.node} ${String(r.t).padStart(15, '0')}`);
    expect(asKeys).toEqual([...asKeys].sort());
  });

  it('a capture in two staging batches, and again after it is compacted, counts once', async () => {
    const list = captures(3);
    const keys = await putCaptures(list);
    // The same three captures, again, inside one memgap.batch/v1 object of a single node.
    const again = list.filter((b) => b.node === list[0]!.node);
    const bk = batchKey('demo', again[0]!.node, new Date(again[0]!.capturedAt), again.length);
    const batchJson = JSON.stringify({ schema: 'memgap.batch/v1', cluster: 'demo', node: again[0]!.node, captures: again });
    // The agent's batches are brotli under a `.json.br` key (gzip under `.json.gz` from older agents).
    await store.put(bk, bk.endsWith('.br') ? brotliCompressSync(batchJson) : gzipSync(batchJson));
    await ingestObjects(store, keys, store, { now: new Date('2026-11-26T03:00:00Z') });
    await ingestObjects(store, [bk], store, { now: new Date('2026-11-26T04:00:00Z') });
    expect(await staged()).toHaveLength(4);
    await compactStaging(store);
    // Each capture holds exactly the rows one analysis of it gives, whichever batch was kept.
    const expected = (table: 'samples' | 'discrepancy') =>
      new Map(list.map((b) => {
        const rows = captureRowsOf(b, DEFAULT_LIMITS) as CaptureRows;
        return [`${b.node}@${Date.parse(b.capturedAt)}`, rows[table].length];
      }));
    expect(await perCapture('samples')).toEqual(expected('samples'));
    expect(await perCapture('discrepancy')).toEqual(expected('discrepancy'));
    // Staged yet again later: already in the table, so nothing is added (the MERGE's NOT MATCHED rule).
    await ingestObjects(store, keys, store, { now: new Date('2026-11-26T05:00:00Z') });
    await compactStaging(store);
    expect(await perCapture('samples')).toEqual(expected('samples'));
    expect(await perCapture('discrepancy')).toEqual(expected('discrepancy'));
  });

  it('killed after a partition was renamed but before the staging deletes: the re-run reads the same', async () => {
    const keys = await putCaptures(captures(3));
    await ingestObjects(store, keys, store);
    await expect(compactStaging(store, { afterPartition: () => Promise.reject(new Error('killed')) })).rejects.toThrow('killed');
    expect(await staged()).toHaveLength(2);
    const once = await perCapture('discrepancy');
    expect([...once.keys()]).toHaveLength(3);
    await compactStaging(store);
    expect(await perCapture('discrepancy')).toEqual(once);
    expect(await staged()).toEqual([]);
  });
  it('a partition file written before a column joined the contract: its rows read that column as NULL', async () => {
    const list = captures(2);
    const keys = await putCaptures(list);
    await ingestObjects(store, [keys[0]!], store);
    await compactStaging(store);
    // Rewrite the file without oom_kill_count, as an older memgap would have written it.
    const file = path.join(dir, 'discrepancy', `dt=${DT}`, 'cluster=demo', 'data.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(`COPY (SELECT * EXCLUDE (oom_kill_count) FROM read_parquet('${file}')) TO '${file}.old' (FORMAT parquet)`);
    await rename(`${file}.old`, file);
    await ingestObjects(store, [keys[1]!], store);
    await compactStaging(store);
    const rows = (await con.runAndReadAll(`SELECT node, count(*) AS n, count(oom_kill_count) AS with_counter FROM read_parquet('${file}') GROUP BY node ORDER BY node`)).getRowObjectsJS();
    con.closeSync();
    db.closeSync();
    const expected = list.map((b) => (captureRowsOf(b, DEFAULT_LIMITS) as CaptureRows).discrepancy);
    expect(rows).toEqual(
      [
        { node: list[0]!.node, n: BigInt(expected[0]!.length), with_counter: 0n },
        { node: list[1]!.node, n: BigInt(expected[1]!.length), with_counter: BigInt(expected[1]!.filter((r) => r.oom_kill_count !== null).length) },
      ].sort((a, b) => a.node.localeCompare(b.node)),
    );
  });
});

describe('the Athena statement', () => {
  it('is a MERGE of the deduplicated staging rows of one (arrival hour, cluster), inserting only unmatched captures', () => {
    const cols = [...columnsOf(TABLES.discrepancy).map((c) => c.name), 'dt', 'cluster'];
    const where = "staged.arrival = '2026-11-26T05' AND staged.cluster = 'o''neil'";
    expect(athenaMergeSql('discrepancy', { arrival: '2026-11-26T05', cluster: "o'neil" })).toBe(
      [
        'MERGE INTO discrepancy AS t',
        'USING (',
        `SELECT ${cols.map((c) => `staged.${c}`).join(', ')}`,
        'FROM discrepancy_staging AS staged',
        'JOIN (',
        '  SELECT staged.cluster AS k_cluster, staged.node AS k_node, staged.captured_at AS k_captured_at, max(staged.batch_id) AS k_batch_id',
        '  FROM discrepancy_staging AS staged',
        `  WHERE ${where}`,
        '  GROUP BY staged.cluster, staged.node, staged.captured_at',
        ') AS kept',
        '  ON staged.cluster = kept.k_cluster AND staged.node = kept.k_node AND staged.captured_at = kept.k_captured_at AND staged.batch_id = kept.k_batch_id',
        `WHERE ${where}`,
        ') AS s',
        'ON t.dt = s.dt AND t.cluster = s.cluster AND t.node = s.node AND t.captured_at = s.captured_at',
        `WHEN NOT MATCHED THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
      ].join('\n'),
    );
  });

  it('the local COPY wraps the same dedupe SELECT', () => {
    const sql = localCompactionSql({ table: 'samples', dt: DT, cluster: 'demo', staging: ['/s/a.parquet'], existing: null, target: '/t/x' });
    expect(sql).toContain('max(staged.batch_id) AS k_batch_id');
    expect(sql).toContain(`WHERE staged.dt = '${DT}' AND staged.cluster = 'demo'`);
    expect(sql).toMatch(/^COPY \(/);
  });
});
