import { gzipSync } from 'node:zlib';
import { BATCH_SCHEMA_ID } from '../model/names.js';
import { batchKey } from '../outputs/layout.js';

/** Captures per uploaded object unless something is flushed at once: 15 min at the default 60 s interval. */
export const DEFAULT_BATCH_SIZE = 15;
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
const GZ_COMMA = gzipSync(',', { level: 1 });
const GZ_END = gzipSync(']}', { level: 1 });

/**
 * A `memgap.batch/v1` object made of the spooled captures' own gzip bytes, never re-compressed:
 * a gzip file may hold several members and a reader inflates them as one stream (RFC 1952 §2.2;
 * zlib, `gunzip`, Python's gzip module and the S3 console all do), so the batch is
 * gzip(`{"schema":…,"captures":[`) + capture₁ + gzip(`,`) + capture₂ + … + gzip(`]}`).
 * Flushing costs a few copies, not the ~10 ms per capture a second deflate would.
 */
export function encodeBatch(meta: { cluster: string; node: string; flushReason?: string }, captures: readonly Buffer[]): Buffer {
  if (captures.length === 0) throw new RangeError('a batch holds at least one capture');
  const head = JSON.stringify({ schema: BATCH_SCHEMA_ID, cluster: meta.cluster, node: meta.node, ...(meta.flushReason ? { flushReason: meta.flushReason } : {}) });
  const parts: Buffer[] = [gzipSync(`${head.slice(0, -1)},"captures":[`, { level: 1 })];
  captures.forEach((c, i) => {
    if (i > 0) parts.push(GZ_COMMA);
    // Spooled captures are gzip (encodeBundle); anything else is wrapped as its own member.
    parts.push(c[0] === GZIP_MAGIC_0 && c[1] === GZIP_MAGIC_1 ? c : gzipSync(c, { level: 1 }));
  });
  parts.push(GZ_END);
  return Buffer.concat(parts);
}

/** The object key of a batch whose oldest capture is `first`. */
export function batchObjectKey(first: SpooledCaptureId, count: number): string {
  return batchKey(first.cluster, first.node, first.capturedAt, count);
}
