import type { TableName } from './tables.js';

/** Object keys (the README's Layout section). Every key memgap writes is built here and nowhere else. */

/** `2026-11-27T05:30:57.123Z` → `2026-11-27` (UTC date of the capture). */
export function dtOf(capturedAt: Date): string {
  return capturedAt.toISOString().slice(0, 10);
}

/** `2026-11-27T05:30:57.000Z` → `20261127T053057Z` (millis kept only when non-zero). */
export function compactInstant(at: Date): string {
  const iso = at.toISOString();
  const millis = iso.slice(20, 23);
  return iso.slice(0, 19).replace(/[-:]/g, '') + (millis === '000' ? '' : millis) + 'Z';
}

export function rawKey(cluster: string, node: string, capturedAt: Date): string {
  return `raw/cluster=${cluster}/node=${node}/dt=${dtOf(capturedAt)}/${capturedAt.toISOString().replace('.000Z', 'Z')}.json.gz`;
}

/**
 * Key of a `memgap.batch/v1` object: the node's folder and the dt of its first capture, then
 * `<firstCapturedAt>_<count>.json.br` (brotli JSON; batches of older agents end in `.json.gz` and
 * stay readable). Two batches of one node never share a key unless they start at the same
 * instant with the same number of captures — i.e. unless they are the same upload.
 */
export function batchKey(cluster: string, node: string, firstCapturedAt: Date, count: number): string {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`batch capture count must be a positive integer, got ${count}`);
  return `raw/cluster=${cluster}/node=${node}/dt=${dtOf(firstCapturedAt)}/${firstCapturedAt.toISOString().replace('.000Z', 'Z')}_${count}.json.br`;
}

export function partitionPrefix(table: TableName, dt: string, cluster: string): string {
  return `${table}/dt=${dt}/cluster=${cluster}/`;
}

/** `2026-11-27T05:30:57Z` → `2026-11-27T05`: the UTC hour an ingest ran (the staging `arrival` partition). */
export function arrivalHour(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/**
 * Staging file of one ingest invocation (or analyze chunk) for one table and cluster. Readers
 * never read staging/; compaction consumes and deletes it.
 */
export function stagingKey(table: TableName, arrival: string, cluster: string, batchId: string): string {
  return `staging/${table}/arrival=${arrival}/cluster=${cluster}/${batchId}.parquet`;
}

/** Parses a key written by stagingKey. */
export function stagingOf(key: string): { table: string; arrival: string; cluster: string; batchId: string } | null {
  const m = /^staging\/([a-z_]+)\/arrival=(\d{4}-\d{2}-\d{2}T\d{2})\/cluster=([A-Za-z0-9._-]{1,63})\/([0-9a-f]+)\.parquet$/.exec(key);
  return m ? { table: m[1]!, arrival: m[2]!, cluster: m[3]!, batchId: m[4]! } : null;
}

/** The one file of a compacted (dt, cluster) partition, replaced whole by each compaction. */
export function compactedKey(table: TableName, dt: string, cluster: string): string {
  return `${partitionPrefix(table, dt, cluster)}data.parquet`;
}

export function quarantineKey(originalKey: string): string {
  return `quarantine/${originalKey}`;
}
export function quarantineErrorKey(originalKey: string): string {
  return `quarantine/${originalKey}.error.json`;
}

export function dailyReportPrefix(dt: string, cluster: string): string {
  return `reports/daily/dt=${dt}/cluster=${cluster}/`;
}

/** Parses `…/dt=YYYY-MM-DD/cluster=C/…` out of a key written by this module. */
export function partitionOf(key: string): { dt: string; cluster: string } | null {
  const m = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})\/cluster=([A-Za-z0-9._-]{1,63})\//.exec(key);
  return m ? { dt: m[1]!, cluster: m[2]! } : null;
}
