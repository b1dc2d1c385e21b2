/**
 * Parquet for Athena and DuckDB, schema derived from the table contract (outputs/tables.ts):
 * timestamp → INT64 TIMESTAMP(MILLIS, UTC) (TIMESTAMPTZ in DuckDB, timestamp in Athena),
 * bigint → INT64, double → DOUBLE, string → UTF8, boolean → BOOLEAN,
 * array<string> → a standard 3-level LIST of UTF8. SNAPPY compressed.
 */
import { ByteWriter, ParquetWriter, parquetWrite } from 'hyparquet-writer';
import { columnsOf, type ColumnInfo, type TableDef } from './tables.js';

type SchemaElement = Record<string, unknown> & { name: string };

function leafSchema(c: ColumnInfo): SchemaElement[] {
  const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (c.glue) {
    case 'timestamp':
      return [{ name: c.name, type: 'INT64', repetition_type, logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } }];
    case 'bigint':
      return [{ name: c.name, type: 'INT64', repetition_type }];
    case 'double':
      return [{ name: c.name, type: 'DOUBLE', repetition_type }];
    case 'boolean':
      return [{ name: c.name, type: 'BOOLEAN', repetition_type }];
    case 'string':
      return [{ name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type }];
    case 'array<string>':
      return [
        { name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ];
  }
}

export function parquetSchemaOf(table: TableDef): SchemaElement[] {
  return schemaOfColumns(columnsOf(table));
}

function schemaOfColumns(columns: readonly ColumnInfo[]): SchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.flatMap(leafSchema)];
}

function columnValues(c: ColumnInfo, rows: readonly Record<string, unknown>[]): unknown[] {
  const out = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![c.name];
    if (v === null || v === undefined) {
      if (!c.nullable) throw new Error(`column ${c.name} is not nullable (row ${i})`);
      out[i] = null;
    } else if (c.glue === 'bigint') out[i] = BigInt(Math.round(v as number));
    else if (c.glue === 'timestamp') out[i] = BigInt((v as Date).getTime());
    else out[i] = v;
  }
  return out;
}

const schemaCache = new WeakMap<TableDef, { schema: SchemaElement[]; columns: ColumnInfo[] }>();

/** Rows (already shaped by the table's zod schema) → Parquet file bytes. */
export interface WriteOptions {
  /**
   * Row-group min/max statistics let Athena and DuckDB skip data; they cost about a third of the
   * write time. Per-capture files (one small row group, merged within the hour) skip them;
   * compacted files keep them.
   */
  statistics?: boolean;
  /**
   * Skip the writer's per-column dictionary trial: numbers PLAIN, strings always dictionary.
   * Right for small files where the trial costs more than it saves.
   */
  fixedEncodings?: boolean;
  /** SNAPPY unless told; `npm run bench` measures UNCOMPRESSED as the writer's fastest setting. */
  codec?: 'SNAPPY' | 'UNCOMPRESSED';
}

function fixedEncodingOf(c: ColumnInfo): 'PLAIN' | 'RLE_DICTIONARY' | undefined {
  if (c.glue === 'string') return 'RLE_DICTIONARY';
  if (c.glue === 'bigint' || c.glue === 'double' || c.glue === 'timestamp') return 'PLAIN';
  return undefined;
}

function columnSources(columns: readonly ColumnInfo[], rows: readonly Record<string, unknown>[], options: WriteOptions, given?: ReadonlyMap<string, unknown[]>) {
  return columns.map((c) => {
    const encoding = options.fixedEncodings ? fixedEncodingOf(c) : undefined;
    return { name: c.name, data: (given?.get(c.name) ?? columnValues(c, rows)) as never, ...(encoding ? { encoding } : {}) };
  });
}

/**
 * Rows per row group of a streamed (staging) file: buffered rows outlive young-generation GC, so
 * fewer of them keep the heap small (`npm run bench`: analyze's peak RSS ~600 → ~350 MiB going
 * from 50,000 to 5,000, same CPU). Staging is read whole and soon compacted, so small groups cost
 * readers nothing that matters.
 */
export const STREAM_ROW_GROUP_ROWS = 8_192;

/**
 * A Parquet file written row group by row group: rows are buffered until a row group is full,
 * then encoded and compressed, so memory holds at most one row group of rows plus the compressed
 * bytes. `finish()` returns the whole file as chunks (the caller writes them in one put), unless
 * a `sink` takes each chunk as it is encoded (then nothing is kept).
 */
export class ParquetStream {
  private readonly writer = new ByteWriter();
  private readonly parquet: ParquetWriter;
  private readonly chunks: Uint8Array[] = [];
  private pending: Record<string, unknown>[] = [];
  /** values of the columns given per append (not on the row objects), one per pending row */
  private pendingGiven = new Map<string, unknown[]>();
  rows = 0;
  bytes = 0;

  constructor(
    private readonly columns: readonly ColumnInfo[],
    private readonly options: WriteOptions & { rowGroupRows?: number; sink?: (chunk: Uint8Array) => void } = {},
  ) {
    (this.writer as ByteWriter & { flush?: () => void }).flush = () => this.drain();
    this.parquet = new ParquetWriter({ writer: this.writer, schema: schemaOfColumns(columns) as never, codec: options.codec ?? 'SNAPPY', statistics: options.statistics ?? true, createdBy: 'memgap' });
  }

  private drain(): void {
    if (this.writer.index === 0) return;
    const chunk = new Uint8Array(this.writer.buffer, 0, this.writer.index);
    if (this.options.sink) this.options.sink(chunk);
    else this.chunks.push(chunk.slice());
    this.bytes += this.writer.index;
    this.writer.index = 0;
  }

  /**
   * Buffers rows; `same` gives columns whose value is the same for all of these rows (strings),
   * so the row objects need not carry them.
   */
  append(rows: readonly Record<string, unknown>[], same: Readonly<Record<string, string>> = {}): void {
    for (const r of rows) this.pending.push(r);
    for (const [name, value] of Object.entries(same)) {
      let list = this.pendingGiven.get(name);
      if (!list) this.pendingGiven.set(name, (list = []));
      for (let i = 0; i < rows.length; i++) list.push(value);
    }
    if (this.pending.length >= (this.options.rowGroupRows ?? STREAM_ROW_GROUP_ROWS)) this.flushRowGroup();
  }

  private flushRowGroup(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    const given = this.pendingGiven;
    this.pending = [];
    this.pendingGiven = new Map();
    this.rows += rows.length;
    void this.parquet.write({ columnData: columnSources(this.columns, rows, this.options, given), rowGroupSize: rows.length });
  }

  finish(): Uint8Array[] {
    this.flushRowGroup();
    void this.parquet.finish();
    this.drain();
    return this.chunks;
  }
}

export function writeParquet(table: TableDef, rows: readonly Record<string, unknown>[], options: WriteOptions = {}): Uint8Array {
  let cached = schemaCache.get(table);
  if (!cached) {
    cached = { schema: parquetSchemaOf(table), columns: columnsOf(table) };
    schemaCache.set(table, cached);
  }
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    schema: cached.schema as never,
    columnData: columnSources(cached.columns, rows, options),
    codec: options.codec ?? 'SNAPPY',
    rowGroupSize: 100_000,
    createdBy: 'memgap',
    statistics: options.statistics ?? true,
  });
  return new Uint8Array(writer.getBuffer());
}
