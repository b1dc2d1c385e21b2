/**
 * Hourly compaction of the per-capture Parquet files (SPEC §2), and the one read rule every
 * reader of a partition follows so that no row is ever counted twice or lost.
 *
 * Layout inside `<table>/dt=<d>/cluster=<c>/`:
 *   capture_<node>_<instant>.parquet           small file, one per capture (ingest)
 *   compact_<YYYYMMDDTHH>_<gen>_p<NNN>.parquet  merged parts of one hour, generation <gen>
 *   _compact_<YYYYMMDDTHH>.json                 manifest: the committed generation of that hour
 * (Athena and Hive skip files whose name starts with `_`, so the manifest is invisible to queries.)
 *
 * Commit protocol, per hour: read the committed parts and the small files → merge, small file
 * wins for its capture (a re-ingest replaces) → write parts under a generation derived from the
 * content (a concurrent re-run writes the same bytes to the same keys) → read back and verify
 * row count and multiset checksum → put the manifest (atomic: the commit point) → delete the
 * small files that were merged and the parts of older generations.
 *
 * Read rule (readPartition): per hour, the parts named by the manifest, minus the rows of any
 * capture that still has a small file, plus every small file. A kill at any step therefore
 * leaves a state that reads exactly like before: before the manifest, new parts are orphans
 * (ignored); after it, the not-yet-deleted small files shadow their captures in the parts.
 * Athena has no such rule: between the part write and the deletes (seconds) it can see both.
 */
import { createHash } from 'node:crypto';
import { ObjectNotFoundError } from '../errors.js';
import { compactInstant, partitionPrefix } from '../outputs/layout.js';
import { writeParquet } from '../outputs/parquet.js';
import { columnsOf, TABLES, type TableName } from '../outputs/tables.js';
import { forEachRowGroup, readParquetRows } from '../read/parquet-read.js';
import type { ObjectStore } from '../store/port.js';

const HOUR_MS = 3_600_000;
/** A capture stamped in hour H may still be uploading a few minutes after H ends. */
export const CLOSE_GRACE_MS = 10 * 60_000;
/** Rows per merged part: ~50–100 MB of Parquet for our tables; Athena splits files well at that size. */
export const DEFAULT_MAX_ROWS_PER_PART = 500_000;

export type SmallFile = { key: string; node: string; capturedAtMs: number; hourMs: number };
export interface HourManifest {
  schema: 'memgap.compact/v1';
  table: TableName;
  dt: string;
  cluster: string;
  hour: string;
  generation: string;
  rows: number;
  checksum: string;
  parts: { key: string; rows: number; checksum: string }[];
  /** Every capture (node + instant) whose rows the parts hold. */
  captures: string[];
}

const SMALL_RE = /^capture_(.+)_(\d{8}T\d{6}(?:\d{3})?Z)\.parquet$/;
const PART_RE = /^compact_(\d{8}T\d{2})_([0-9a-f]{16})_p(\d{3})\.parquet$/;
const MANIFEST_RE = /^_compact_(\d{8}T\d{2})\.json$/;

function parseInstant(s: string): number {
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.length > 16 ? s.slice(15, 18) : '000'}Z`;
  return Date.parse(iso);
}
export function hourLabel(hourMs: number): string {
  return compactInstant(new Date(hourMs)).slice(0, 11);
}
function hourFromLabel(label: string): number {
  return parseInstant(`${label}0000Z`);
}
export const captureId = (node: string, capturedAtMs: number) => `${node}|${capturedAtMs}`;

export function manifestKey(table: TableName, dt: string, cluster: string, hourMs: number): string {
  return `${partitionPrefix(table, dt, cluster)}_compact_${hourLabel(hourMs)}.json`;
}
function partKey(table: TableName, dt: string, cluster: string, hourMs: number, generation: string, i: number): string {
  return `${partitionPrefix(table, dt, cluster)}compact_${hourLabel(hourMs)}_${generation}_p${String(i).padStart(3, '0')}.parquet`;
}

export interface HourListing {
  hourMs: number;
  small: SmallFile[];
  partKeys: string[];
  manifestKey: string | null;
}

/** Groups a partition's objects by hour (chronological), small files sorted by instant. */
export async function listPartition(store: ObjectStore, table: TableName, dt: string, cluster: string): Promise<HourListing[]> {
  const prefix = partitionPrefix(table, dt, cluster);
  const hours = new Map<number, HourListing>();
  const at = (h: number) => {
    let e = hours.get(h);
    if (!e) hours.set(h, (e = { hourMs: h, small: [], partKeys: [], manifestKey: null }));
    return e;
  };
  for await (const o of store.list(prefix)) {
    const name = o.key.slice(prefix.length);
    if (name.includes('/')) continue;
    let m: RegExpExecArray | null;
    if ((m = SMALL_RE.exec(name))) {
      const ms = parseInstant(m[2]!);
      const hourMs = Math.floor(ms / HOUR_MS) * HOUR_MS;
      at(hourMs).small.push({ key: o.key, node: m[1]!, capturedAtMs: ms, hourMs });
    } else if ((m = PART_RE.exec(name))) at(hourFromLabel(m[1]!)).partKeys.push(o.key);
    else if ((m = MANIFEST_RE.exec(name))) at(hourFromLabel(m[1]!)).manifestKey = o.key;
  }
  const out = [...hours.values()].sort((a, b) => a.hourMs - b.hourMs);
  for (const h of out) h.small.sort((a, b) => a.capturedAtMs - b.capturedAtMs || a.key.localeCompare(b.key));
  return out;
}

async function readManifest(store: ObjectStore, key: string | null): Promise<HourManifest | null> {
  if (!key) return null;
  try {
    return JSON.parse((await store.getBytes(key)).toString('utf8')) as HourManifest;
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return null;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Row identity and checksums

function canonical(row: Record<string, unknown>, names: readonly string[]): string {
  return JSON.stringify(names.map((n) => {
    const v = row[n];
    return v instanceof Date ? v.getTime() : v ?? null;
  }));
}

/** Order-independent checksum of a row multiset: sum of per-row SHA-256 prefixes mod 2^64. */
export function rowsChecksum(table: TableName, rows: readonly Record<string, unknown>[]): string {
  const names = columnsOf(TABLES[table]).map((c) => c.name);
  let sum = 0n;
  for (const r of rows) sum = (sum + BigInt('0x' + createHash('sha256').update(canonical(r, names)).digest('hex').slice(0, 16))) & 0xffff_ffff_ffff_ffffn;
  return sum.toString(16).padStart(16, '0');
}

const rowCapture = (r: Record<string, unknown>) => captureId(r.node as string, (r.captured_at as Date).getTime());

// ---------------------------------------------------------------------------------------------
// Reading a partition under the read rule

export interface PartitionReadPlan {
  hourMs: number;
  /** committed merged parts, in order */
  parts: string[];
  /** captures whose rows in `parts` are superseded by a small file */
  shadowed: Set<string>;
  small: SmallFile[];
}

export async function planPartitionRead(store: ObjectStore, table: TableName, dt: string, cluster: string): Promise<PartitionReadPlan[]> {
  const plans: PartitionReadPlan[] = [];
  for (const h of await listPartition(store, table, dt, cluster)) {
    const manifest = await readManifest(store, h.manifestKey);
    const smallIds = new Set(h.small.map((s) => captureId(s.node, s.capturedAtMs)));
    const parts = manifest ? manifest.parts.map((p) => p.key) : [];
    const shadowed = new Set(manifest ? manifest.captures.filter((c) => smallIds.has(c)) : []);
    plans.push({ hourMs: h.hourMs, parts, shadowed, small: h.small });
  }
  return plans;
}

/** A concurrent compaction may delete what we listed: re-plan and re-read (bounded). */
async function withReplan<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError) || i >= attempts) throw err;
    }
  }
}

/** Every row of a partition exactly once, under the read rule (typed rows; small data only). */
export async function readPartitionRows<T = Record<string, unknown>>(store: ObjectStore, table: TableName, dt: string, cluster: string): Promise<T[]> {
  return withReplan(async () => {
    const out: Record<string, unknown>[] = [];
    for (const plan of await planPartitionRead(store, table, dt, cluster)) out.push(...(await readHourRows(store, table, plan)));
    return out as T[];
  });
}

async function readHourRows(store: ObjectStore, table: TableName, plan: PartitionReadPlan): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const key of plan.parts) {
    for (const r of await readParquetRows(await store.getBytes(key), TABLES[table])) if (!plan.shadowed.has(rowCapture(r))) rows.push(r);
  }
  for (const s of plan.small) rows.push(...(await readParquetRows(await store.getBytes(s.key), TABLES[table])));
  return rows;
}

/**
 * The columnar walk of a partition for aggregation: hour by hour in time order; within an
 * hour, merged parts (sorted by captured_at) are merged with the hour's small files so
 * `onRows` sees rows in non-decreasing captured_at. `captured_at` must be among `columns`.
 */
export async function scanPartition(
  store: ObjectStore,
  table: TableName,
  dt: string,
  cluster: string,
  columns: readonly string[],
  onRows: (cols: Record<string, ArrayLike<unknown>>, n: number) => void,
): Promise<number> {
  const cols = columns.includes('captured_at') ? [...columns] : [...columns, 'captured_at'];
  if (!cols.includes('node')) cols.push('node');
  const plans = await planPartitionRead(store, table, dt, cluster);
  let total = 0;
  for (const plan of plans) {
    // Small files of the hour, held in memory (a handful once an hour is compacted), sorted by time.
    const smallGroups: { cols: Record<string, ArrayLike<unknown>>; n: number; at: number }[] = [];
    for (const s of plan.small) {
      // A small file deleted since the listing was compacted meanwhile: ObjectNotFoundError tells the caller to re-scan.
      const bytes = await store.getBytes(s.key);
      await forEachRowGroup(bytes, cols, (c, n) => smallGroups.push({ cols: c, n, at: s.capturedAtMs }));
    }
    let si = 0;
    const flushSmallUntil = (ms: number) => {
      while (si < smallGroups.length && smallGroups[si]!.at <= ms) {
        const g = smallGroups[si++]!;
        onRows(g.cols, g.n);
        total += g.n;
      }
    };
    for (const key of plan.parts) {
      const bytes = await store.getBytes(key);
      await forEachRowGroup(bytes, cols, (c, n) => {
        const keep = filterShadowed(c, n, plan.shadowed);
        // Emit row runs interleaved with small captures by time.
        let from = 0;
        for (let i = 0; i < keep.n; i++) {
          const t = keep.cols.captured_at![i] as number;
          if (si < smallGroups.length && smallGroups[si]!.at < t) {
            if (i > from) emitSlice(keep.cols, from, i);
            from = i;
            flushSmallUntil(t - 1);
          }
        }
        if (keep.n > from) emitSlice(keep.cols, from, keep.n);
      });
    }
    flushSmallUntil(Number.POSITIVE_INFINITY);
  }
  return total;

  function emitSlice(c: Record<string, ArrayLike<unknown>>, from: number, to: number) {
    if (from === 0 && to === (c.captured_at as ArrayLike<unknown>).length) {
      onRows(c, to);
    } else {
      const sliced: Record<string, ArrayLike<unknown>> = {};
      for (const [k, v] of Object.entries(c)) sliced[k] = Array.prototype.slice.call(v, from, to) as unknown[];
      onRows(sliced, to - from);
    }
    total += to - from;
  }
}

function filterShadowed(c: Record<string, ArrayLike<unknown>>, n: number, shadowed: Set<string>): { cols: Record<string, ArrayLike<unknown>>; n: number } {
  if (shadowed.size === 0) return { cols: c, n };
  const keepIdx: number[] = [];
  for (let i = 0; i < n; i++) if (!shadowed.has(captureId(c.node![i] as string, c.captured_at![i] as number))) keepIdx.push(i);
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(c)) out[k] = keepIdx.map((i) => v[i]);
  return { cols: out, n: keepIdx.length };
}

// ---------------------------------------------------------------------------------------------
// Compaction

export interface CompactOptions {
  maxRowsPerPart?: number;
  /** Test hook: called between steps so a test can simulate a kill. */
  onStep?: (step: 'parts-written' | 'verified' | 'manifest-written' | 'small-deleted') => void | Promise<void>;
}

export interface HourCompaction {
  table: TableName;
  dt: string;
  cluster: string;
  hour: string;
  rows: number;
  parts: number;
  merged: number;
  deleted: number;
  skipped?: 'nothing-to-do';
}

export class CompactionVerifyError extends Error {
  override readonly name = 'CompactionVerifyError';
}

/** Compacts one hour of one (table, dt, cluster); safe to re-run, to run concurrently with an identical run, or to kill. */
export async function compactHour(store: ObjectStore, table: TableName, dt: string, cluster: string, hourMs: number, opts: CompactOptions = {}): Promise<HourCompaction> {
  return withReplan(() => compactHourOnce(store, table, dt, cluster, hourMs, opts));
}

async function compactHourOnce(store: ObjectStore, table: TableName, dt: string, cluster: string, hourMs: number, opts: CompactOptions): Promise<HourCompaction> {
  const hour = hourLabel(hourMs);
  const listing = (await listPartition(store, table, dt, cluster)).find((h) => h.hourMs === hourMs);
  const base = { table, dt, cluster, hour };
  if (!listing) return { ...base, rows: 0, parts: 0, merged: 0, deleted: 0, skipped: 'nothing-to-do' };
  const manifest = await readManifest(store, listing.manifestKey);
  const committed = new Set(manifest?.parts.map((p) => p.key) ?? []);
  const stale = listing.partKeys.filter((k) => !committed.has(k));
  if (listing.small.length === 0) {
    // Only leftovers of an earlier kill: orphan parts never committed, or older generations.
    for (const k of stale) await store.delete(k);
    return { ...base, rows: manifest?.rows ?? 0, parts: committed.size, merged: 0, deleted: stale.length, ...(stale.length === 0 ? { skipped: 'nothing-to-do' as const } : {}) };
  }

  const def = TABLES[table];
  const smallIds = new Set(listing.small.map((s) => captureId(s.node, s.capturedAtMs)));
  const rows: Record<string, unknown>[] = [];
  for (const key of manifest?.parts.map((p) => p.key) ?? []) {
    for (const r of await readParquetRows(await store.getBytes(key), def)) if (!smallIds.has(rowCapture(r))) rows.push(r);
  }
  for (const s of listing.small) rows.push(...(await readParquetRows(await store.getBytes(s.key), def)));
  const names = columnsOf(def).map((c) => c.name);
  // Deterministic order: time, then node, then the row's own content (ties are identical rows or rows of one capture in ingest order).
  const keyed = rows.map((r) => ({ r, c: canonical(r, names) }));
  keyed.sort((a, b) => (a.r.captured_at as Date).getTime() - (b.r.captured_at as Date).getTime() || (a.r.node as string).localeCompare(b.r.node as string) || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0));
  const sorted = keyed.map((k) => k.r);
  const checksum = rowsChecksum(table, sorted);
  const gen = createHash('sha256').update(`${sorted.length}:${checksum}`);
  for (const k of keyed) gen.update(k.c).update('\n');
  const generation = gen.digest('hex').slice(0, 16);

  const maxRows = Math.max(1, opts.maxRowsPerPart ?? DEFAULT_MAX_ROWS_PER_PART);
  const parts: HourManifest['parts'] = [];
  for (let i = 0, p = 0; i < sorted.length || p === 0; i += maxRows, p++) {
    const chunk = sorted.slice(i, i + maxRows);
    const key = partKey(table, dt, cluster, hourMs, generation, p);
    await store.put(key, writeParquet(def, chunk), 'application/vnd.apache.parquet');
    parts.push({ key, rows: chunk.length, checksum: rowsChecksum(table, chunk) });
    if (sorted.length === 0) break;
  }
  await opts.onStep?.('parts-written');

  for (const p of parts) {
    const back = await readParquetRows(await store.getBytes(p.key), def);
    const sum = rowsChecksum(table, back);
    if (back.length !== p.rows || sum !== p.checksum) throw new CompactionVerifyError(`verification failed for ${p.key}: ${back.length} rows (expected ${p.rows}), checksum ${sum} (expected ${p.checksum})`);
  }
  await opts.onStep?.('verified');

  const captures = [...new Set(sorted.map(rowCapture))].sort();
  // Captures that produced zero rows still count as merged, so their (empty) small files go.
  for (const id of smallIds) if (!captures.includes(id)) captures.push(id);
  captures.sort();
  const next: HourManifest = { schema: 'memgap.compact/v1', table, dt, cluster, hour, generation, rows: sorted.length, checksum, parts, captures };
  await store.put(manifestKey(table, dt, cluster, hourMs), JSON.stringify(next, null, 1) + '\n', 'application/json');
  await opts.onStep?.('manifest-written');

  let deleted = 0;
  for (const s of listing.small) {
    await store.delete(s.key);
    deleted++;
  }
  await opts.onStep?.('small-deleted');
  const keep = new Set(parts.map((p) => p.key));
  for (const k of listing.partKeys) {
    if (!keep.has(k)) {
      await store.delete(k);
      deleted++;
    }
  }
  return { ...base, rows: sorted.length, parts: parts.length, merged: listing.small.length, deleted };
}

/** Every hour of a partition that is closed at `now` and still has small files or leftovers. */
export async function compactPartition(store: ObjectStore, table: TableName, dt: string, cluster: string, now: Date, opts: CompactOptions = {}): Promise<HourCompaction[]> {
  const out: HourCompaction[] = [];
  for (const h of await listPartition(store, table, dt, cluster)) {
    if (h.hourMs + HOUR_MS + CLOSE_GRACE_MS > now.getTime()) continue;
    if (h.small.length === 0 && h.partKeys.length === 0) continue;
    out.push(await compactHour(store, table, dt, cluster, h.hourMs, opts));
  }
  return out;
}

export const COMPACTED_TABLES: readonly TableName[] = ['samples', 'discrepancy'];

/** Clusters with data on day `dt`, from the discrepancy/dt=<d>/ prefix. */
export async function clustersOf(store: ObjectStore, dt: string): Promise<string[]> {
  const prefix = `discrepancy/dt=${dt}/`;
  const clusters = new Set<string>();
  for await (const o of store.list(prefix)) {
    const m = /^cluster=([A-Za-z0-9._-]{1,63})\//.exec(o.key.slice(prefix.length));
    if (m) clusters.add(m[1]!);
  }
  return [...clusters].sort();
}

/** The hourly job: the previous closed hour (and any closed hour of its day left behind) for every cluster. */
export async function compactPreviousHour(store: ObjectStore, now: Date, opts: CompactOptions = {}): Promise<HourCompaction[]> {
  const target = new Date(Math.floor((now.getTime() - CLOSE_GRACE_MS) / HOUR_MS) * HOUR_MS - HOUR_MS);
  const dt = target.toISOString().slice(0, 10);
  const out: HourCompaction[] = [];
  for (const cluster of await clustersOf(store, dt)) {
    for (const table of COMPACTED_TABLES) out.push(...(await compactPartition(store, table, dt, cluster, now, opts)));
  }
  return out;
}
