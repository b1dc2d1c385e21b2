/**
 * Staging files: what one ingest invocation (or one analyze chunk) writes, one Parquet file per
 * table per cluster, streamed by row group. Rows are the table's contract columns plus `dt`,
 * `cluster` and `batch_id`. Every capture's rows for a table sit in one file, complete: the file
 * is put in one request once all its rows are encoded, so a kill leaves no half file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { dtOf, stagingKey } from '../outputs/layout.js';
import { ParquetStream, type WriteOptions } from '../outputs/parquet.js';
import { columnsOf, TABLES, type ColumnInfo, type DiscrepancyRow, type SampleRow } from '../outputs/tables.js';
import { FsObjectStore } from '../store/fs-store.js';
import type { ObjectStore } from '../store/port.js';
import { COMPACTED_TABLES, STAGING_EXTRA_COLUMNS, type CompactedTable } from './sql-steps.js';

/** The rows one valid capture contributes, before staging. */
export interface CaptureRows {
  cluster: string;
  node: string;
  capturedAt: Date;
  samples: SampleRow[];
  discrepancy: DiscrepancyRow[];
}

/** Marks a file being written (FsObjectStore's listing skips such names; readers' globs need `*.parquet`). */
export const TEMP_MARK = '.memgap-tmp-';

export const captureIdentity = (cluster: string, node: string, capturedAt: Date) => `${cluster}/${node}/${capturedAt.getTime()}`;

const stagingColumns = new Map<CompactedTable, ColumnInfo[]>();
export function stagingColumnsOf(table: CompactedTable): ColumnInfo[] {
  let cols = stagingColumns.get(table);
  if (!cols) {
    const extra = STAGING_EXTRA_COLUMNS.map((name): ColumnInfo => ({ name, glue: 'string', nullable: false, unit: '', meaning: `staging ${name}` }));
    stagingColumns.set(table, (cols = [...columnsOf(TABLES[table]), ...extra]));
  }
  return cols;
}

/**
 * Deterministic id of a staging batch: the arrival hour and the sorted input object keys (with
 * sizes when known). An SQS retry of the same batch in the same hour rewrites the same files with
 * the same ids; a retry in a later hour gets another id, and dedupe keeps one of the two.
 */
export function stagingBatchId(arrival: string, inputs: ReadonlyArray<{ key: string; size?: number | undefined }>): string {
  const h = createHash('sha256').update(`memgap.staging/v1\n${arrival}\n`);
  for (const line of inputs.map((i) => `${i.key}\t${i.size ?? ''}`).sort()) h.update(line).update('\n');
  return h.digest('hex').slice(0, 32);
}

export interface StagingOptions extends WriteOptions {
  arrival: string;
  batchId: string;
  rowGroupRows?: number;
  /** Test hook: runs after each staging file is put (a throw simulates a kill between files). */
  afterPut?: (key: string) => void | Promise<void>;
}

/** Accumulates captures into one streamed Parquet file per (table, cluster). */
export class StagingWriter {
  private readonly streams = new Map<string, { table: CompactedTable; cluster: string; stream: ParquetStream; file?: { fd: number; tmp: string; final: string } }>();
  private readonly seen = new Set<string>();
  /** captures staged, by dt/cluster */
  readonly partitions = new Map<string, { dt: string; cluster: string }>();

  constructor(
    private readonly out: ObjectStore,
    readonly options: StagingOptions,
  ) {}

  /** True when this capture is already in the batch (a second delivery within one invocation). */
  has(cluster: string, node: string, capturedAt: Date): boolean {
    return this.seen.has(captureIdentity(cluster, node, capturedAt));
  }

  add(c: CaptureRows): void {
    this.seen.add(captureIdentity(c.cluster, c.node, c.capturedAt));
    const dt = dtOf(c.capturedAt);
    this.partitions.set(`${dt}/${c.cluster}`, { dt, cluster: c.cluster });
    const extra = { dt, cluster: c.cluster, batch_id: this.options.batchId };
    for (const table of COMPACTED_TABLES) {
      const rows = table === 'samples' ? c.samples : c.discrepancy;
      if (rows.length === 0) continue;
      const id = `${table}/${c.cluster}`;
      let s = this.streams.get(id);
      if (!s) this.streams.set(id, (s = this.open(table, c.cluster)));
      s.stream.append(rows as unknown as Record<string, unknown>[], extra);
    }
  }

  /**
   * A local folder gets the row groups written to a temp file as they are encoded (memory stays
   * at one row group), renamed into place by finish(); any other store gets one put.
   */
  private open(table: CompactedTable, cluster: string) {
    const columns = stagingColumnsOf(table);
    if (!(this.out instanceof FsObjectStore)) return { table, cluster, stream: new ParquetStream(columns, this.options) };
    const final = path.join(this.out.root, ...stagingKey(table, this.options.arrival, cluster, this.options.batchId).split('/'));
    mkdirSync(path.dirname(final), { recursive: true });
    const tmp = `${final}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
    const fd = openSync(tmp, 'w');
    return { table, cluster, file: { fd, tmp, final }, stream: new ParquetStream(columns, { ...this.options, sink: (chunk) => void writeSync(fd, chunk) }) };
  }

  get captures(): number {
    return this.seen.size;
  }

  /** Drops what was staged (a failed batch): temp files removed, nothing published. */
  async abort(): Promise<void> {
    for (const { file } of this.streams.values()) {
      if (!file) continue;
      closeSync(file.fd);
      await rm(file.tmp, { force: true });
    }
    this.streams.clear();
  }

  /** Encodes the last row groups and puts every file; returns the keys written. */
  async finish(): Promise<string[]> {
    const keys: string[] = [];
    const all = [...this.streams.values()].sort((a, b) => a.table.localeCompare(b.table) || a.cluster.localeCompare(b.cluster));
    for (const { table, cluster, stream, file } of all) {
      const key = stagingKey(table, this.options.arrival, cluster, this.options.batchId);
      if (file) {
        stream.finish();
        closeSync(file.fd);
        await rename(file.tmp, file.final);
      } else await this.out.put(key, Buffer.concat(stream.finish()), 'application/vnd.apache.parquet');
      keys.push(key);
      await this.options.afterPut?.(key);
    }
    this.streams.clear();
    return keys;
  }
}
