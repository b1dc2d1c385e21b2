/**
 * forEachRowGroup's fast path (flat INT64 / DOUBLE / UTF8 chunks decoded by memgap) must give
 * the same values as hyparquet's generic reader, for both writers memgap meets: hyparquet-writer
 * (ingest and compaction: DATA_PAGE_V2, RLE_DICTIONARY or PLAIN) and DuckDB (the bench:
 * DATA_PAGE v1, PLAIN_DICTIONARY), with NULLs, several row groups and several pages.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects } from 'hyparquet';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dictionaryCodes, forEachRowGroup } from '../../../src/read/parquet-read.js';
import { TREND_INPUT_COLUMNS, TrendsAggregator } from '../../../src/trends/aggregate.js';

const T0 = Date.parse('2026-11-26T00:00:00Z');
const N = 300;
// Row i: a NULL every 7th pod, every 5th rss, every 11th pct; values big enough to need the
// high 32 bits of an INT64 (2^40 + i), and a negative one.
const podOf = (i: number) => (i % 7 === 3 ? null : `pod-${i % 13}`);
const rssOf = (i: number) => (i % 5 === 4 ? null : i === 17 ? -(2 ** 33) - 5 : 2 ** 40 + i * 1_000_003);
const pctOf = (i: number) => (i % 11 === 10 ? null : i / 3);
const atOf = (i: number) => T0 + i * 60_000;

function hyparquetFile(encoding: 'PLAIN' | 'RLE_DICTIONARY' | undefined): Uint8Array {
  const writer = new ByteWriter();
  const enc = encoding ? { encoding } : {};
  parquetWrite({
    writer,
    schema: [
      { name: 'root', num_children: 5 },
      { name: 'captured_at', type: 'INT64', repetition_type: 'REQUIRED', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } },
      { name: 'pod', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'rss_bytes', type: 'INT64', repetition_type: 'OPTIONAL' },
      { name: 'pct', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'ok', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
    ] as never,
    columnData: [
      { name: 'captured_at', data: Array.from({ length: N }, (_, i) => BigInt(atOf(i))), ...enc },
      { name: 'pod', data: Array.from({ length: N }, (_, i) => podOf(i)), ...(encoding === 'PLAIN' ? { encoding: 'PLAIN' as const } : {}) },
      { name: 'rss_bytes', data: Array.from({ length: N }, (_, i) => (rssOf(i) === null ? null : BigInt(rssOf(i)!))), ...enc },
      { name: 'pct', data: Array.from({ length: N }, (_, i) => pctOf(i)), ...enc },
      // BOOLEAN is not on the fast path: it must come through hyparquet unchanged.
      { name: 'ok', data: Array.from({ length: N }, (_, i) => (i % 4 === 0 ? null : i % 2 === 0)) },
    ] as never,
    codec: 'SNAPPY',
    rowGroupSize: 128,
    pageSize: 512,
  });
  return new Uint8Array(writer.getBuffer());
}

const COLS = ['captured_at', 'pod', 'rss_bytes', 'pct', 'ok'];

async function viaFastPath(bytes: Uint8Array, cols = COLS): Promise<{ rows: Record<string, unknown>[]; groups: number[] }> {
  const rows: Record<string, unknown>[] = [];
  const groups: number[] = [];
  await forEachRowGroup(bytes, cols, (c, n) => {
    groups.push(n);
    for (let i = 0; i < n; i++) rows.push(Object.fromEntries(cols.map((k) => [k, c[k]![i]])));
  });
  return { rows, groups };
}

/** hyparquet's generic reader, with the same conversions (epoch ms, bigint → number, NULL → null). */
async function viaHyparquet(bytes: Uint8Array, cols = COLS): Promise<Record<string, unknown>[]> {
  const file = bytes.slice().buffer;
  const objs = await parquetReadObjects({ file, columns: cols, parsers: { timestampFromMilliseconds: (v: bigint) => Number(v), timestampFromMicroseconds: (v: bigint) => Number(v) / 1000 } as never });
  return objs.map((o) => Object.fromEntries(cols.map((k) => [k, typeof o[k] === 'bigint' ? Number(o[k]) : o[k] ?? null])));
}

const expectedRow = (i: number) => ({ captured_at: atOf(i), pod: podOf(i), rss_bytes: rssOf(i), pct: pctOf(i), ok: i % 4 === 0 ? null : i % 2 === 0 });

describe('forEachRowGroup fast path = hyparquet', () => {
  it.each([['writer default', undefined], ['PLAIN', 'PLAIN'], ['RLE_DICTIONARY', 'RLE_DICTIONARY']] as const)('hyparquet-writer, %s encoding', async (_name, encoding) => {
    const bytes = hyparquetFile(encoding);
    const { rows, groups } = await viaFastPath(bytes);
    expect(groups).toEqual([128, 128, 44]); // 300 rows in groups of 128
    expect(rows).toEqual(Array.from({ length: N }, (_, i) => expectedRow(i)));
    expect(rows).toEqual(await viaHyparquet(bytes));
  });

  describe('DuckDB-written file (data page v1, dictionary)', () => {
    let dir: string;
    let bytes: Uint8Array;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'memgap-pq-'));
      const file = path.join(dir, 'd.parquet');
      const db = await DuckDBInstance.create(':memory:');
      const con = await db.connect();
      // Same rows as expectedRow(i), written by DuckDB with microsecond timestamps.
      await con.run(`COPY (
        SELECT make_timestamptz((${T0} + i * 60000)::BIGINT * 1000) AS captured_at,
          CASE WHEN i % 7 = 3 THEN NULL ELSE 'pod-' || (i % 13) END AS pod,
          CASE WHEN i % 5 = 4 THEN NULL WHEN i = 17 THEN -(2::BIGINT ** 33)::BIGINT - 5 ELSE (2::BIGINT ** 40)::BIGINT + i * 1000003 END AS rss_bytes,
          CASE WHEN i % 11 = 10 THEN NULL ELSE i / 3 END AS pct,
          CASE WHEN i % 4 = 0 THEN NULL ELSE i % 2 = 0 END AS ok
        FROM range(0, ${N}) t(i) ORDER BY i
      ) TO '${file}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 100)`);
      con.closeSync();
      db.closeSync();
      bytes = new Uint8Array(await readFile(file));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('gives the same rows', async () => {
      const { rows } = await viaFastPath(bytes);
      expect(rows).toEqual(Array.from({ length: N }, (_, i) => expectedRow(i)));
      expect(rows).toEqual(await viaHyparquet(bytes));
    });

    it('exposes dictionary codes that name the same strings', async () => {
      let checked = 0;
      await forEachRowGroup(bytes, ['pod'], (c, n) => {
        const dc = dictionaryCodes(c.pod!);
        expect(dc).toBeDefined();
        for (let i = 0; i < n; i++) {
          const code = dc!.codes[i]!;
          expect(code === -1 ? null : dc!.dictionary[code]).toBe(c.pod![i]);
          checked++;
        }
      });
      expect(checked).toBe(N);
      expect(dictionaryCodes(['a'])).toBeUndefined();
    });
  });
});

describe('the aggregator resolves series by dictionary codes exactly as by strings', () => {
  it('same trends from decoded columns (codes) as from plain arrays (strings)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'memgap-pq-'));
    try {
      const file = path.join(dir, 'd.parquet');
      const db = await DuckDBInstance.create(':memory:');
      const con = await db.connect();
      // 6 pods × (1 container + 1 pod row) × 400 samples (DuckDB cuts row groups at 2,048 rows at least); pod 'p-1' exists in two namespaces and
      // pod 'p-2' under two uids (recreated), so the name alone is not the key.
      await con.run(`COPY (
        SELECT make_timestamptz((${T0} + s * 300000)::BIGINT * 1000) AS captured_at, 'n' || (p % 2) AS node,
          CASE WHEN p = 5 THEN 'other' ELSE 'ns' END AS namespace, 'p-' || CASE WHEN p = 5 THEN 1 WHEN p = 4 THEN 2 ELSE p END AS pod,
          'u' || p AS pod_uid, CASE WHEN lv = 0 THEN 'app' ELSE NULL END AS container, CASE WHEN lv = 0 THEN 'c' || p ELSE NULL END AS container_id,
          CASE WHEN lv = 0 THEN 'container' ELSE 'pod' END AS level,
          (100 + p * 10 + s % 7)::BIGINT * 1048576 AS working_set_bytes, NULL::BIGINT AS kubectl_top_bytes, (80 + p + s)::BIGINT * 1048576 AS rss_bytes,
          (20 + s % 3)::BIGINT * 1048576 AS cache_bytes, 0::BIGINT AS shmem_bytes, (s % 5 - 2)::BIGINT * 1048576 AS gap_bytes,
          1073741824::BIGINT AS limit_bytes, (10.0 + s) AS working_set_pct_of_limit, (s // 20)::BIGINT AS oom_kill_count, 'page-cache' AS cause
        FROM range(0, 400) a(s), range(0, 6) b(p), range(0, 2) c(lv) ORDER BY s, p, lv
      ) TO '${file}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 2048)`);
      con.closeSync();
      db.closeSync();
      const bytes = new Uint8Array(await readFile(file));
      const viaCodes = new TrendsAggregator(T0);
      const viaStrings = new TrendsAggregator(T0);
      let coded = 0;
      await forEachRowGroup(bytes, TREND_INPUT_COLUMNS, (c, n) => {
        if (dictionaryCodes(c.pod!)) coded++;
        viaCodes.addColumns(c, n);
        // Plain copies carry no codes: the string path.
        viaStrings.addColumns(Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Array.from(v)])), n);
      });
      expect(coded).toBeGreaterThan(1);
      const a = viaCodes.finish();
      expect(a.length).toBe(12); // 6 pods × (container + pod row)
      expect(a.filter((t) => t.row.pod === 'p-1').map((t) => t.row.namespace).sort()).toEqual(['ns', 'ns', 'other', 'other']);
      expect(a.every((t) => t.row.samples === 400)).toBe(true);
      expect(a).toEqual(viaStrings.finish());
      expect(viaCodes.rows).toBe(400 * 6 * 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
