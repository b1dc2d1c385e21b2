/**
 * Reads memgap's own Parquet back (hyparquet, pure JS: safe in Lambda, where DuckDB must not be
 * loaded). Two shapes: typed rows (Date for timestamps, number for bigint, string[] for lists),
 * for compaction and small reads; and a columnar walk by row group with a column projection,
 * for the trends hot path, so only one row group of the needed columns is in memory at a time.
 */
import { parquetMetadata, parquetRead } from 'hyparquet';
import { columnsOf, type TableDef } from '../outputs/tables.js';

type FileBuffer = ArrayBuffer;

function asArrayBuffer(bytes: Uint8Array): FileBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.slice().buffer as ArrayBuffer;
}

/** Timestamps as epoch milliseconds: no Date allocation per value on the hot path. */
const msParsers = {
  timestampFromMilliseconds: (v: bigint | number) => Number(v),
  timestampFromMicroseconds: (v: bigint | number) => Number(v) / 1000,
  timestampFromNanoseconds: (v: bigint | number) => Number(v) / 1e6,
};

function toNumberOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

export type ColumnChunk = ArrayLike<unknown>;

/**
 * Calls `onGroup` once per row group with the requested columns (timestamps as epoch ms,
 * bigint as number, NULL as null). Row groups are visited in file order.
 */
export async function forEachRowGroup(
  bytes: Uint8Array,
  columns: readonly string[],
  onGroup: (cols: Record<string, ColumnChunk>, rows: number) => void,
): Promise<number> {
  const file = asArrayBuffer(bytes);
  const metadata = parquetMetadata(file);
  let start = 0;
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows);
    const cols: Record<string, unknown[]> = {};
    for (const c of columns) cols[c] = new Array<unknown>(n);
    await parquetRead({
      file,
      metadata,
      columns: [...columns],
      rowStart: start,
      rowEnd: start + n,
      parsers: msParsers as never,
      onChunk: (chunk) => {
        const target = cols[chunk.columnName];
        if (!target) return;
        const data = chunk.columnData as ArrayLike<unknown>;
        for (let i = 0; i < data.length; i++) {
          const at = chunk.rowStart + i - start;
          if (at < 0 || at >= n) continue;
          const v = data[i];
          target[at] = typeof v === 'bigint' ? Number(v) : v === undefined ? null : v;
        }
      },
    });
    onGroup(cols, n);
    start += n;
  }
  return start;
}

/** Number of rows, from the footer only. */
export function parquetRowCount(bytes: Uint8Array): number {
  return Number(parquetMetadata(asArrayBuffer(bytes)).num_rows);
}

/** Whole file → rows shaped like the table's zod type (timestamps → Date, bigint → number). */
export async function readParquetRows<T = Record<string, unknown>>(bytes: Uint8Array, table: TableDef): Promise<T[]> {
  const columns = columnsOf(table);
  const rows: Record<string, unknown>[] = [];
  await forEachRowGroup(
    bytes,
    columns.map((c) => c.name),
    (cols, n) => {
      for (let i = 0; i < n; i++) {
        const row: Record<string, unknown> = {};
        for (const c of columns) {
          const v = cols[c.name]![i];
          if (v === null || v === undefined) row[c.name] = c.glue === 'array<string>' ? [] : null;
          else if (c.glue === 'timestamp') row[c.name] = new Date(v as number);
          else if (c.glue === 'bigint' || c.glue === 'double') row[c.name] = toNumberOrNull(v);
          else if (c.glue === 'array<string>') row[c.name] = [...(v as string[])];
          else row[c.name] = v;
        }
        rows.push(row);
      }
    },
  );
  return rows as T[];
}
