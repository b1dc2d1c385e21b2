import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import * as z from 'zod';
import { BATCH_SCHEMA_ID, CaptureBatch, CaptureBundle } from '../model/bundle.js';
import { InvalidSnapshotError, parseOrThrow } from '../errors.js';
import { DEFAULT_LIMITS, type InputLimits } from '../limits.js';

const GZIP_MAGIC = [0x1f, 0x8b] as const;
/**
 * One synchronous inflate with large output chunks: a capture inflates in ~2 ms, and the async
 * form's 16 KiB chunks, callbacks and final copy cost more than the inflate itself.
 */
const INFLATE_CHUNK = 1 << 20;
/** Compiled once: validation per capture then costs a fraction of JSON.parse. */
const compiledBundle = z.compile(CaptureBundle);
const compiledBatch = z.compile(CaptureBatch);

/** Raw objects whose key ends so are brotli (the agent's batches, layout's batchKey); brotli has no magic number to sniff. */
export const BROTLI_SUFFIX = '.br';

/**
 * Reads a capture object's bytes: brotli when `key` ends in `.br` (unless it starts with `{`: a
 * non-empty brotli stream cannot, RFC 7932 §9.1, so a `.json.br` that an HTTP client already
 * decoded still reads), gunzip when it starts with gzip's magic (whatever its name), else plain
 * JSON for hand-made bundles. zlib's `maxOutputLength` stops inflating at the cap, so a gzip or
 * brotli bomb costs at most the cap.
 */
export async function readCaptureBytes(source: Readable | Buffer | Uint8Array, limits: InputLimits = DEFAULT_LIMITS, key?: string): Promise<Buffer> {
  const cap = limits.maxDecompressedBytes;
  const tooLarge = () => new InvalidSnapshotError({ source: 'bundle', path: '', reason: `decompressed size exceeds the limit of ${cap} bytes` });
  let raw: Buffer;
  if (Buffer.isBuffer(source) || source instanceof Uint8Array) raw = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  else {
    const read = await readAllCapped(source, cap);
    if (read === null) throw tooLarge();
    raw = read;
  }
  const brotli = key?.endsWith(BROTLI_SUFFIX) === true && raw[0] !== 0x7b;
  const gzip = !brotli && raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1];
  if (!gzip && !brotli) {
    if (raw.length > cap) throw tooLarge();
    return raw;
  }
  try {
    const options = { maxOutputLength: cap, chunkSize: INFLATE_CHUNK };
    return gzip ? gunzipSync(raw, options) : brotliDecompressSync(raw, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new InvalidSnapshotError({ source: 'bundle', path: '', reason: `cannot decompress: ${(err as Error).message}` });
  }
}

/** Reads a stream whole, or returns null (and stops reading) once it exceeds `cap` bytes. */
export async function readAllCapped(stream: Readable, cap: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += b.length;
    if (total > cap) {
      stream.destroy();
      return null;
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Nesting depth of a JSON text, scanned on bytes before JSON.parse so a `[[[[…` bomb is refused
 * with a clear reason instead of a stack overflow deep inside the parser.
 */
export function jsonDepthExceeds(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c === 0x22) {
      // Skip the whole string with native searches: payloads (memory.stat, Prometheus text) are long strings.
      let end = bytes.indexOf(0x22, i + 1);
      while (end > 0 && escaped(bytes, end)) end = bytes.indexOf(0x22, end + 1);
      if (end < 0) return false; // unterminated: JSON.parse reports it
      i = end + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
    i++;
  }
  return false;
}

/** A quote is escaped when an odd number of backslashes precede it. */
function escaped(bytes: Uint8Array, quote: number): boolean {
  let k = quote - 1;
  while (k >= 0 && bytes[k] === 0x5c) k--;
  return (quote - 1 - k) % 2 === 1;
}

function parseJsonBytes(bytes: Buffer, limits: InputLimits): unknown {
  if (jsonDepthExceeds(bytes, limits.maxJsonDepth)) {
    throw new InvalidSnapshotError({ source: 'bundle', path: '', reason: `JSON nesting deeper than ${limits.maxJsonDepth}` });
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidSnapshotError({ source: 'bundle', path: '', reason: `not valid JSON: ${(err as Error).message}` });
  }
}

/** Bytes → validated bundle. `__proto__` keys stay inert: JSON.parse makes them own data properties. */
export function parseCaptureJson(bytes: Buffer, limits: InputLimits = DEFAULT_LIMITS): CaptureBundle {
  return parseOrThrow(compiledBundle, parseJsonBytes(bytes, limits), 'bundle');
}

export async function decodeCapture(source: Readable | Buffer | Uint8Array, limits: InputLimits = DEFAULT_LIMITS, key?: string): Promise<CaptureBundle> {
  return parseCaptureJson(await readCaptureBytes(source, limits, key), limits);
}

/** One capture of a raw object: validated, or the reason it is not (the others of its batch still count). */
export type RawCapture = { index: number; bundle: CaptureBundle; error?: undefined } | { index: number; bundle?: undefined; error: InvalidSnapshotError };

/**
 * A raw object's content: a single `memgap.capture/v1` (one entry, index 0) or a
 * `memgap.batch/v1` (one entry per capture, in order). Each capture of a batch is validated on
 * its own, and must name the batch's cluster and node. Throws InvalidSnapshotError only when the
 * object as a whole is unusable (not JSON, too deep, not a capture nor a batch).
 */
export interface RawObject {
  kind: 'capture' | 'batch';
  captures: RawCapture[];
}

export function parseRawJson(bytes: Buffer, limits: InputLimits = DEFAULT_LIMITS): RawObject {
  const value = parseJsonBytes(bytes, limits);
  if ((value as { schema?: unknown } | null)?.schema !== BATCH_SCHEMA_ID) {
    return { kind: 'capture', captures: [{ index: 0, bundle: parseOrThrow(compiledBundle, value, 'bundle') }] };
  }
  const batch = parseOrThrow(compiledBatch, value, 'bundle');
  const captures = batch.captures.map((c, index): RawCapture => {
    try {
      const bundle = parseOrThrow(compiledBundle, c, 'bundle', ['captures', index]);
      if (bundle.cluster !== batch.cluster || bundle.node !== batch.node) {
        const reason = `capture of ${bundle.cluster}/${bundle.node} in a batch of ${batch.cluster}/${batch.node}`;
        return { index, error: new InvalidSnapshotError({ source: 'bundle', path: `captures[${index}]`, reason }) };
      }
      return { index, bundle };
    } catch (err) {
      if (err instanceof InvalidSnapshotError) return { index, error: err };
      throw err;
    }
  });
  return { kind: 'batch', captures };
}

export async function decodeRawObject(source: Readable | Buffer | Uint8Array, limits: InputLimits = DEFAULT_LIMITS, key?: string): Promise<RawObject> {
  return parseRawJson(await readCaptureBytes(source, limits, key), limits);
}
