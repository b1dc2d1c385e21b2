/**
 * Compaction must never lose or duplicate a row: checked as the multiset of rows read back
 * (under the read rule) before, during (after a simulated kill at each step) and after, and
 * with two runs at once. Real parts throughout: the demo generator's captures, ingested by the
 * real pipeline into a real folder.
 */
import { cp, mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoDayCaptures, gzipBundle } from '../../src/demo/generator.js';
import { rawKey } from '../../src/outputs/layout.js';
import { columnsOf, TABLES, type TableName } from '../../src/outputs/tables.js';
import { CompactionVerifyError, compactHour, compactPartition, readPartitionRows } from '../../src/pipeline/compact.js';
import { ingestObject } from '../../src/pipeline/ingest.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import type { ObjectInfo, ObjectStore } from '../../src/store/port.js';
import { aggregateDay } from '../../src/trends/build.js';
import { compactScheduled } from '../../functions/compact.js';
import { dailyScheduled } from '../../functions/daily.js';

const DT = '2026-11-26';
const CLUSTER = 'demo';
const HOUR0 = Date.parse(`${DT}T00:00:00Z`);
const HOUR_MS = 3_600_000;
const LATER = new Date('2026-11-28T00:00:00Z');
const TABLES_UNDER_TEST: TableName[] = ['samples', 'discrepancy'];

/** A store that can fail on chosen operations: how a test kills a run at a precise point. */
class FaultyStore implements ObjectStore {
  failDeleteAfter = Number.POSITIVE_INFINITY;
  corruptParts = false;
  deletes = 0;
  constructor(readonly inner: ObjectStore) {}
  get location() {
    return this.inner.location;
  }
  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  getBytes(key: string) {
    return this.inner.getBytes(key);
  }
  async put(key: string, body: Buffer | Uint8Array | string, contentType?: string) {
    // A torn/corrupt write: a part whose bytes are another (empty) file's.
    if (this.corruptParts && /\/compact_.*\.parquet$/.test(key)) {
      const { writeParquet } = await import('../../src/outputs/parquet.js');
      const table = key.startsWith('samples/') ? TABLES.samples : TABLES.discrepancy;
      return this.inner.put(key, writeParquet(table, []), contentType);
    }
    return this.inner.put(key, body, contentType);
  }
  async delete(key: string) {
    if (this.deletes >= this.failDeleteAfter) throw new Error('killed during deletes');
    this.deletes++;
    return this.inner.delete(key);
  }
  exists(key: string) {
    return this.inner.exists(key);
  }
}

let seed: string;

/** Two hours of the demo day (3 nodes × 12 captures per hour) through the real ingest. */
beforeAll(async () => {
  seed = await mkdtemp(path.join(os.tmpdir(), 'memgap-compact-seed-'));
  const store = new FsObjectStore(seed);
  let i = 0;
  for (const b of demoDayCaptures(CLUSTER, DT)) {
    if (i++ >= 3 * 24) break;
    const key = rawKey(b.cluster, b.node, new Date(b.capturedAt));
    await store.put(key, gzipBundle(b));
    const r = await ingestObject(store, key, store);
    expect(r.status).toBe('ingested');
  }
}, 60_000);

async function freshCopy(): Promise<FsObjectStore> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'memgap-compact-'));
  await cp(seed, dir, { recursive: true });
  return new FsObjectStore(dir);
}

/** The row multiset, as sorted canonical strings. */
async function multiset(store: ObjectStore, table: TableName): Promise<string[]> {
  const names = columnsOf(TABLES[table]).map((c) => c.name);
  const rows = await readPartitionRows(store, table, DT, CLUSTER);
  return rows.map((r) => JSON.stringify(names.map((n) => (r[n] instanceof Date ? (r[n] as Date).getTime() : r[n])))).sort();
}

async function files(store: FsObjectStore, table: TableName): Promise<string[]> {
  return (await readdir(path.join(store.location, table, `dt=${DT}`, `cluster=${CLUSTER}`))).sort();
}

let baseline: Record<TableName, string[]>;
beforeAll(async () => {
  const s = new FsObjectStore(seed);
  baseline = { samples: await multiset(s, 'samples'), discrepancy: await multiset(s, 'discrepancy'), trends_daily: [] };
  // 72 captures; each discrepancy file holds the node's container and pod rows.
  expect(baseline.discrepancy.length).toBeGreaterThan(72);
});

async function expectIntact(store: ObjectStore) {
  for (const t of TABLES_UNDER_TEST) expect(await multiset(store, t)).toEqual(baseline[t]);
}

describe('compaction', () => {
  it('merges each closed hour into one part, deletes the small files, and keeps every row', async () => {
    const store = await freshCopy();
    for (const t of TABLES_UNDER_TEST) {
      const hours = await compactPartition(store, t, DT, CLUSTER, LATER);
      expect(hours.map((h) => h.merged)).toEqual([36, 36]); // 3 nodes × 12 captures per hour
      const left = await files(store, t);
      expect(left.filter((f) => f.startsWith('capture_'))).toEqual([]);
      expect(left.filter((f) => f.startsWith('compact_'))).toHaveLength(2);
      expect(left.filter((f) => f.startsWith('_compact_'))).toEqual(['_compact_20261126T00.json', '_compact_20261126T01.json']);
    }
    await expectIntact(store);
    // A second run finds nothing to do.
    const again = await compactPartition(store, 'discrepancy', DT, CLUSTER, LATER);
    expect(again.every((h) => h.merged === 0)).toBe(true);
    await expectIntact(store);
  });

  it('leaves an hour that is not closed yet alone', async () => {
    const store = await freshCopy();
    // 01:05 is inside hour 01 and within the grace of hour 00 (closes at 01:00 + 10 min)
    const hours = await compactPartition(store, 'discrepancy', DT, CLUSTER, new Date(HOUR0 + HOUR_MS + 5 * 60_000));
    expect(hours).toEqual([]);
  });

  it.each(['parts-written', 'verified', 'manifest-written', 'small-deleted'] as const)('a kill after "%s" loses and duplicates nothing; a re-run finishes the job', async (step) => {
    const store = await freshCopy();
    await expect(
      compactHour(store, 'discrepancy', DT, CLUSTER, HOUR0, {
        onStep: (s) => {
          if (s === step) throw new Error(`killed after ${s}`);
        },
      }),
    ).rejects.toThrow(`killed after ${step}`);
    await expectIntact(store);
    // The trends reader (columnar, time-ordered scan) sees the same rows as before, too.
    const seen = await aggregateDay(store, DT, CLUSTER);
    expect(seen.inputRows).toBe(baseline.discrepancy.length);

    await compactPartition(store, 'discrepancy', DT, CLUSTER, LATER);
    await expectIntact(store);
    const left = await files(store, 'discrepancy');
    expect(left.filter((f) => f.startsWith('capture_'))).toEqual([]);
    expect(left.filter((f) => f.startsWith('compact_'))).toHaveLength(2);
  });

  it('a kill in the middle of the deletes loses nothing', async () => {
    const inner = await freshCopy();
    const store = new FaultyStore(inner);
    store.failDeleteAfter = 5;
    await expect(compactHour(store, 'discrepancy', DT, CLUSTER, HOUR0)).rejects.toThrow('killed during deletes');
    expect((await files(inner, 'discrepancy')).filter((f) => f.startsWith('capture_'))).toHaveLength(72 - 5);
    await expectIntact(inner);
    await compactPartition(inner, 'discrepancy', DT, CLUSTER, LATER);
    await expectIntact(inner);
  });

  it('two runs at once produce the same single result', async () => {
    const store = await freshCopy();
    await Promise.all([0, 1].map(async () => {
      for (const t of TABLES_UNDER_TEST) await compactPartition(store, t, DT, CLUSTER, LATER);
    }));
    await expectIntact(store);
    for (const t of TABLES_UNDER_TEST) {
      const left = await files(store, t);
      expect(left.filter((f) => f.startsWith('capture_'))).toEqual([]);
      expect(left.filter((f) => f.startsWith('compact_'))).toHaveLength(2);
    }
  });

  it('a re-ingest of an already compacted capture replaces it, never duplicates it', async () => {
    const store = await freshCopy();
    await compactPartition(store, 'discrepancy', DT, CLUSTER, LATER);
    await compactPartition(store, 'samples', DT, CLUSTER, LATER);
    const raw = (await (async () => {
      for await (const o of store.list('raw/')) return o.key;
      return null;
    })())!;
    expect((await ingestObject(store, raw, store)).status).toBe('ingested');
    expect((await files(store, 'discrepancy')).filter((f) => f.startsWith('capture_'))).toHaveLength(1);
    await expectIntact(store);
    await compactPartition(store, 'discrepancy', DT, CLUSTER, LATER);
    await compactPartition(store, 'samples', DT, CLUSTER, LATER);
    expect((await files(store, 'discrepancy')).filter((f) => f.startsWith('capture_'))).toEqual([]);
    await expectIntact(store);
  });

  it('splits a large hour into several parts', async () => {
    const store = await freshCopy();
    const r = await compactHour(store, 'discrepancy', DT, CLUSTER, HOUR0, { maxRowsPerPart: 100 });
    expect(r.parts).toBe(Math.ceil(r.rows / 100));
    expect(r.parts).toBeGreaterThan(1);
    await expectIntact(store);
  });

  it('refuses to commit when the written part does not read back the same', async () => {
    const inner = await freshCopy();
    const store = new FaultyStore(inner);
    store.corruptParts = true;
    await expect(compactHour(store, 'discrepancy', DT, CLUSTER, HOUR0)).rejects.toBeInstanceOf(CompactionVerifyError);
    const left = await files(inner, 'discrepancy');
    expect(left.filter((f) => f.startsWith('_compact_'))).toEqual([]);
    await expectIntact(inner);
  });
});

describe('scheduled handlers (core calls behind functions/compact.ts and functions/daily.ts)', () => {
  it('the hourly run at 02:15 compacts hour 01 (closed at 02:00 + 10 min grace) and everything closed before it', async () => {
    const store = await freshCopy();
    const r = await compactScheduled({ time: '2026-11-26T02:15:00Z' }, store);
    // hours 00 and 01 × samples and discrepancy, 36 captures each
    expect(r.hours.map((h) => `${h.table}/${h.hour}/${h.merged}`).sort()).toEqual(['discrepancy/20261126T00/36', 'discrepancy/20261126T01/36', 'samples/20261126T00/36', 'samples/20261126T01/36']);
    await expectIntact(store);
  });

  it('the daily run on the 27th builds the 26th for every cluster', async () => {
    const store = await freshCopy();
    const r = await dailyScheduled({ time: '2026-11-27T00:20:00Z' }, store);
    expect(r.reports.sort()).toEqual(['index.html', 'summary.json', 'summary.md'].map((f) => `reports/daily/dt=${DT}/cluster=${CLUSTER}/${f}`));
    expect(r.compacted).toBe(4); // 2 hours × 2 tables
    expect(await store.exists(`trends_daily/dt=${DT}/cluster=${CLUSTER}/trends_daily.parquet`)).toBe(true);
    await expectIntact(store);
  });
});

