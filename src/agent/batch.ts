import { once } from 'node:events';
import { constants, createBrotliCompress, createGunzip } from 'node:zlib';
import { SpooledCaptureError } from '../errors.js';
import { BATCH_SCHEMA_ID } from '../model/names.js';
import { batchKey } from '../outputs/layout.js';

/**
 * Captures per uploaded object unless something is flushed at once: 30 min at the default 60 s
 * interval. Incidents (near-limit, OOM kill, restart) are sent at once whatever the size, so only
 * ordinary data waits; 30 halves the PUTs and ingest's GETs of 15 (docs/aws.md, cost).
 */
export const DEFAULT_BATCH_SIZE = 30;
/** Environment variable read by `memgap agent` when `--batch` is not given. */
export const BATCH_ENV = 'MEMGAP_AGENT_BATCH';

// rawKey's shape (src/outputs/layout.ts): raw/cluster=<c>/node=<n>/dt=<d>/<capturedAt>.json.gz
const CAPTURE_KEY = /^raw\/cluster=([^/]+)\/node=([^/]+)\/dt=\d{4}-\d{2}-\d{2}\/([^/_]+)\.json\.gz$/;

export interface SpooledCaptureId {
  cluster: string;
  node: string;
  capturedAt: Date;
}

/** Cluster, node and instant of a spooled capture, from its per-capture key; null for any other key. */
export function captureOfKey(key: string): SpooledCaptureId | null {
  const m = CAPTURE_KEY.exec(key);
  if (!m) return null;
  const capturedAt = new Date(m[3]!);
  return Number.isNaN(capturedAt.getTime()) ? null : { cluster: m[1]!, node: m[2]!, capturedAt };
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** Inflate output per chunk: small chunks keep the garbage between two collections small. */
const INFLATE_CHUNK = 16 * 1024;
/**
 * Brotli quality of a batch: 5, the first level with context modelling. Measured on 30 captures
 * whose numbers all moved: quality 6 was 1 % smaller for 17–40 % more CPU; quality 4 12 % larger
 * on the fake node's captures.
 */
export const BATCH_BROTLI_QUALITY = 5;
/** How a batch object is stored (the agent's PUT, src/agent/spool.ts): JSON, brotli-encoded. */
export const BATCH_CONTENT = { type: 'application/json', encoding: 'br' } as const;

/**
 * Brotli window (log2 bytes) for a batch whose largest capture inflates to `largest` bytes: the
 * smallest power of two holding it and a quarter more, within brotli's 2^18..2^24. Consecutive
 * captures of a node differ mostly in their numbers, so each capture is coded against the one
 * before it, which must lie inside the window; a larger window found nothing more on the fake
 * node. The encoder's ring buffer is twice the window, and the agent's RSS budget is tight:
 * 700 KB captures of a 110-pod node → 2^20 (docs/agent.md, Performance).
 */
export function batchWindowBits(largest: number): number {
  return Math.min(24, Math.max(18, Math.ceil(Math.log2(Math.max(1, largest * 1.25 + 16)))));
}

/** The inflated size a gzip member declares (ISIZE, its last 4 bytes, RFC 1952 §2.3.1); the length of anything else. A hint only. */
function inflatedSize(c: Buffer): number {
  return c.length >= 18 && c[0] === GZIP_MAGIC_0 && c[1] === GZIP_MAGIC_1 ? c.readUInt32LE(c.length - 4) : c.length;
}

/**
 * A `memgap.batch/v1` object: `{"schema":…,"cluster":…,"node":…,"flushReason":…,"captures":[c₁,c₂,…]}`
 * in one brotli stream (RFC 7932). Each spooled capture (gzip, encodeBundle; anything else is taken
 * as it is) is inflated chunk by chunk into the encoder, so the batch's JSON never exists whole:
 * 30 captures of a 110-pod node are ~21 MB of JSON, and what the agent holds is the window, a
 * 16 KiB chunk and the compressed output. One stream over the whole batch finds what consecutive
 * captures share, which one gzip member per capture cannot (docs/agent.md has the figures).
 * Throws SpooledCaptureError naming the capture when one does not inflate.
 */
export async function encodeBatch(meta: { cluster: string; node: string; flushReason?: string }, captures: readonly Buffer[]): Promise<Buffer> {
  if (captures.length === 0) throw new RangeError('a batch holds at least one capture');
  const head = JSON.stringify({ schema: BATCH_SCHEMA_ID, cluster: meta.cluster, node: meta.node, ...(meta.flushReason ? { flushReason: meta.flushReason } : {}) });
  const sizes = captures.map(inflatedSize);
  const br = createBrotliCompress({
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BATCH_BROTLI_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: batchWindowBits(Math.max(...sizes)),
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      // No SIZE_HINT: a hint over 1 MiB picks a hasher with a table twice as large (+1 MiB RSS
      // measured) for the same output.
    },
  });
  const out: Buffer[] = [];
  br.on('data', (c: Buffer) => out.push(c));
  const ended = once(br, 'end');
  ended.catch(() => undefined); // an encoder error rejects the pending write too, which reports it
  const write = async (b: Buffer | string): Promise<void> => {
    if (!br.write(b)) await once(br, 'drain');
  };
  try {
    await write(`${head.slice(0, -1)},"captures":[`);
    for (let i = 0; i < captures.length; i++) {
      if (i > 0) await write(',');
      const c = captures[i]!;
      if (c[0] !== GZIP_MAGIC_0 || c[1] !== GZIP_MAGIC_1) {
        await write(c);
        continue;
      }
      const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
      gunzip.end(c);
      const chunks = gunzip[Symbol.asyncIterator]();
      try {
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = (await chunks.next()) as IteratorResult<Buffer>;
          } catch (err) {
            throw new SpooledCaptureError(i, `spooled capture ${i} does not inflate: ${(err as Error).message}`, { cause: err });
          }
          if (next.done) break;
          await write(next.value);
        }
      } finally {
        gunzip.destroy();
      }
    }
    await write(']}');
    br.end();
    await ended;
  } finally {
    br.destroy();
  }
  return Buffer.concat(out);
}

/** The object key of a batch whose oldest capture is `first`. */
export function batchObjectKey(first: SpooledCaptureId, count: number): string {
  return batchKey(first.cluster, first.node, first.capturedAt, count);
}
