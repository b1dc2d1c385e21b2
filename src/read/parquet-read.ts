/**
 * Reads memgap's own Parquet back (hyparquet, pure JS: safe in Lambda, where DuckDB must not be
 * loaded). Two shapes: typed rows (Date for timestamps, number for bigint, string[] for lists),
 * for compaction and small reads; and a columnar walk by row group with a column projection,
 * for the trends hot path, so only one row group of the needed columns is in memory at a time.
 */
import { parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import type { ColumnMetaData, DataReader, SchemaElement } from 'hyparquet/src/types.js';
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
  const elements = new Map<string, SchemaElement>();
  // Top-level leaves only: a nested column (list) is never "flat" and takes the generic path.
  for (const child of parquetSchema(metadata).children) if (child.children.length === 0) elements.set(child.element.name, child.element);
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows);
    const cols: Record<string, ArrayLike<unknown>> = {};
    const generic: string[] = [];
    for (const c of columns) {
      const chunk = rg.columns.find((x) => x.meta_data?.path_in_schema.length === 1 && x.meta_data.path_in_schema[0] === c);
      const el = elements.get(c);
      const fast = chunk?.meta_data && el && !chunk.file_path ? decodeFlatChunk(file, chunk.meta_data, el, n) : null;
      if (fast) cols[c] = fast;
      else generic.push(c);
    }
    if (generic.length > 0) {
      const slow: Record<string, unknown[]> = {};
      for (const c of generic) cols[c] = slow[c] = new Array<unknown>(n);
      await parquetRead({
        file,
        metadata,
        columns: generic,
        rowStart: start,
        rowEnd: start + n,
        parsers: msParsers as never,
        onChunk: (chunk) => {
          const target = slow[chunk.columnName];
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
    }
    onGroup(cols, n);
    start += n;
  }
  return start;
}

// ---------------------------------------------------------------------------------------------
// Fast path: flat INT64 / DOUBLE / UTF8 columns decoded straight into the output arrays.
//
// hyparquet's generic reader goes value → BigInt → boxed array element → Dremel assembly →
// our number conversion: four allocations per value, most of the trends wall time. Here a page
// decodes into a Float64Array (numbers) or an array of shared dictionary strings, one pass.
// Anything else (lists, booleans, decimals, delta or byte-stream-split encodings, unknown
// codecs) returns null and that column goes through hyparquet unchanged, so the output is the
// same value for value either way (test/unit/trends/parquet-read.test.ts checks both paths).

type Kind = { kind: 'number'; scale: number; type: 'INT64' | 'DOUBLE' } | { kind: 'string' };

function kindOf(el: SchemaElement): Kind | null {
  const lt = el.logical_type;
  const ct = el.converted_type;
  if (el.type === 'INT64') {
    const signed = (!lt && (!ct || ct === 'INT_64')) || (lt?.type === 'INTEGER' && lt.bitWidth === 64 && lt.isSigned && (!ct || ct === 'INT_64'));
    if (signed) return { kind: 'number', scale: 1, type: 'INT64' };
    if (lt?.type === 'TIMESTAMP') return { kind: 'number', scale: lt.unit === 'MILLIS' ? 1 : lt.unit === 'MICROS' ? 1e-3 : 1e-6, type: 'INT64' };
    if (!lt && ct === 'TIMESTAMP_MILLIS') return { kind: 'number', scale: 1, type: 'INT64' };
    if (!lt && ct === 'TIMESTAMP_MICROS') return { kind: 'number', scale: 1e-3, type: 'INT64' };
    return null;
  }
  if (el.type === 'DOUBLE' && !lt && !ct) return { kind: 'number', scale: 1, type: 'DOUBLE' };
  if (el.type === 'BYTE_ARRAY' && (ct === 'UTF8' || lt?.type === 'STRING')) return { kind: 'string' };
  return null;
}

const utf8 = new TextDecoder();
const TWO_32 = 4294967296;

/** n plain values at view[off…]; INT64 as lo + hi·2³² (one rounding, the same double as Number(bigint)). */
function plainNumbers(view: DataView, off: number, n: number, k: Extract<Kind, { kind: 'number' }>, out: Float64Array): number {
  if (k.type === 'DOUBLE') {
    for (let i = 0; i < n; i++, off += 8) out[i] = view.getFloat64(off, true);
  } else if (k.scale === 1) {
    for (let i = 0; i < n; i++, off += 8) out[i] = view.getInt32(off + 4, true) * TWO_32 + view.getUint32(off, true);
  } else {
    // Division, not multiplication by the scale: the same double as hyparquet's Number(v) / 1000.
    const div = Math.round(1 / k.scale);
    for (let i = 0; i < n; i++, off += 8) out[i] = (view.getInt32(off + 4, true) * TWO_32 + view.getUint32(off, true)) / div;
  }
  return off;
}

function plainStrings(view: DataView, off: number, n: number, out: unknown[], at = 0): number {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let i = 0; i < n; i++) {
    const len = view.getUint32(off, true);
    out[at + i] = utf8.decode(bytes.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return off;
}

const dictionaryOf = new WeakMap<object, DictionaryCodes>();

export interface DictionaryCodes {
  dictionary: readonly unknown[];
  /** per row, the index in `dictionary` (-1 for NULL) */
  codes: Int32Array;
}

/**
 * The dictionary codes behind a string column that forEachRowGroup decoded from a
 * dictionary-encoded chunk: equal codes are equal strings, so a caller can key on small
 * integers instead of hashing strings. Undefined for any other array (a slice, a PLAIN chunk).
 */
export function dictionaryCodes(column: ArrayLike<unknown>): DictionaryCodes | undefined {
  return dictionaryOf.get(column as object);
}

/**
 * One column chunk of a row group → n values (Float64Array when it has no NULL, else an array
 * with null), or null when the chunk needs hyparquet's generic reader.
 */
function decodeFlatChunk(file: ArrayBuffer, meta: ColumnMetaData, el: SchemaElement, n: number): ArrayLike<unknown> | null {
  const k = kindOf(el);
  if (!k || (meta.codec !== 'SNAPPY' && meta.codec !== 'UNCOMPRESSED')) return null;
  const optional = el.repetition_type === 'OPTIONAL';
  if (el.repetition_type === 'REPEATED') return null;
  const dictOff = meta.dictionary_page_offset;
  const start = Number(dictOff !== undefined && dictOff > 0n && dictOff < meta.data_page_offset ? dictOff : meta.data_page_offset);
  const reader: DataReader = { view: new DataView(file, start, Number(meta.total_compressed_size)), offset: 0 };
  const nums = k.kind === 'number' ? new Float64Array(n) : null;
  const strs = k.kind === 'string' ? new Array<unknown>(n) : null;
  let valid: Uint8Array | null = null;
  let dict: Float64Array | unknown[] | null = null;
  let row = 0;
  let scratchNums = new Float64Array(0);
  let scratchStrs: unknown[] = [];
  let defs = new Uint8Array(0);
  let idx = new Int32Array(0);
  // Dictionary codes of a string chunk (-1 = NULL), kept while every page is dictionary-coded.
  let codes: Int32Array | null = strs ? new Int32Array(n) : null;
  while (row < n) {
    if (reader.offset >= reader.view.byteLength) return null;
    const header = parquetHeader(reader);
    const compressed = new Uint8Array(file, start + reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const count = header.dictionary_page_header?.num_values ?? 0;
      const page = decompressPage(compressed, header.uncompressed_page_size, meta.codec, undefined);
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      if (nums) plainNumbers(view, 0, count, k as Extract<Kind, { kind: 'number' }>, (dict = new Float64Array(count)));
      else plainStrings(view, 0, count, (dict = new Array<unknown>(count)));
      continue;
    }
    let values: DataView;
    let voff: number;
    let count: number;
    let encoding: string;
    let nonNull: number;
    if (header.type === 'DATA_PAGE' && header.data_page_header) {
      const h = header.data_page_header;
      count = h.num_values;
      encoding = h.encoding;
      const page = decompressPage(compressed, header.uncompressed_page_size, meta.codec, undefined);
      values = new DataView(page.buffer, page.byteOffset, page.byteLength);
      voff = 0;
      nonNull = count;
      if (optional) {
        if (defs.length < count) defs = new Uint8Array(count);
        const r: DataReader = { view: values, offset: 0 };
        readRleBitPackedHybrid(r, 1, defs.subarray(0, count));
        voff = r.offset;
        nonNull = 0;
        for (let i = 0; i < count; i++) nonNull += defs[i]!;
      }
    } else if (header.type === 'DATA_PAGE_V2' && header.data_page_header_v2) {
      const h = header.data_page_header_v2;
      count = h.num_values;
      encoding = h.encoding;
      nonNull = count - h.num_nulls;
      if (h.repetition_levels_byte_length !== 0) return null;
      const levels = h.definition_levels_byte_length;
      if (optional && levels > 0) {
        if (defs.length < count) defs = new Uint8Array(count);
        readRleBitPackedHybrid({ view: new DataView(compressed.buffer, compressed.byteOffset, levels), offset: 0 }, 1, defs.subarray(0, count), levels);
      } else if (optional) {
        if (defs.length < count) defs = new Uint8Array(count);
        defs.fill(1, 0, count);
      }
      const body = compressed.subarray(levels);
      const page = h.is_compressed === false ? body : decompressPage(body, header.uncompressed_page_size - levels, meta.codec, undefined);
      values = new DataView(page.buffer, page.byteOffset, page.byteLength);
      voff = 0;
    } else return null;
    if (row + count > n) return null;
    // Decode the page's non-NULL values: straight into the output when it has no NULL, else
    // densely into scratch and then placed by definition level.
    const dense = !optional || nonNull === count;
    let out: Float64Array | unknown[];
    let at: number;
    if (dense) {
      out = nums ?? strs!;
      at = row;
    } else {
      if (nums && scratchNums.length < nonNull) scratchNums = new Float64Array(nonNull);
      if (strs && scratchStrs.length < nonNull) scratchStrs = new Array<unknown>(nonNull);
      out = nums ? scratchNums : scratchStrs;
      at = 0;
    }
    if (encoding === 'PLAIN') {
      codes = null;
      if (nums) plainNumbers(values, voff, nonNull, k as Extract<Kind, { kind: 'number' }>, at === 0 ? (out as Float64Array) : (out as Float64Array).subarray(at));
      else plainStrings(values, voff, nonNull, out as unknown[], at);
    } else if ((encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') && dict) {
      if (idx.length < nonNull) idx = new Int32Array(nonNull);
      const ix = idx.subarray(0, nonNull);
      if (nonNull > 0) {
        const bitWidth = values.getUint8(voff);
        if (bitWidth === 0) ix.fill(0);
        else readRleBitPackedHybrid({ view: values, offset: voff + 1 }, bitWidth, ix, values.byteLength - voff - 1);
      }
      const d = dict;
      for (let i = 0; i < nonNull; i++) {
        const j = ix[i]!;
        if (j >= d.length) return null;
        out[at + i] = d[j];
      }
      if (codes && dense) codes.set(ix, row);
      else if (codes) {
        let vi = 0;
        for (let i = 0; i < count; i++) codes[row + i] = defs[i] ? ix[vi++]! : -1;
      }
    } else return null;
    if (!dense) {
      valid ??= new Uint8Array(n).fill(1);
      let vi = 0;
      for (let i = 0; i < count; i++) {
        if (defs[i]) {
          if (nums) nums[row + i] = scratchNums[vi++]!;
          else strs![row + i] = scratchStrs[vi++];
        } else {
          valid[row + i] = 0;
          if (strs) strs[row + i] = null;
        }
      }
    }
    row += count;
  }
  if (strs) {
    if (codes && dict) dictionaryOf.set(strs, { dictionary: dict as unknown[], codes });
    return strs;
  }
  if (!valid) return nums!;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = valid[i] ? nums![i] : null;
  return out;
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
