/**
 * A batch of S3 notifications (SQS-wrapped or direct) → ingestObject per object, with the SQS
 * partial-batch answer. Lives in the core so the Lambda adapter stays a translation layer.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import { TransientStoreError } from '../errors.js';
import type { ObjectStore } from '../store/port.js';
import { ingestObject } from './ingest.js';
import { parseIngestEvent, type ParseOptions } from './s3-events.js';

export interface IngestDeps {
  raw: ObjectStore;
  out: ObjectStore;
  parse: ParseOptions;
  minRemainingMs: number;
}

/** The three levels a structured logger needs here (Powertools' Logger fits). */
export interface BatchLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/**
 * Only retryable failures go back to SQS: store errors, plus records left unstarted because the
 * invocation is close to its timeout. A poison capture is quarantined by ingestObject and counts
 * as done. An unparseable message or an unexpected error also goes back, so that after
 * maxReceiveCount it rests in the DLQ (alarmed) instead of vanishing. Logs carry keys, never payloads.
 */
export async function ingestBatch(event: unknown, ctx: { getRemainingTimeInMillis(): number }, deps: IngestDeps, logger: BatchLogger): Promise<SQSBatchResponse> {
  const failed = new Set<string | null>();
  for (const msg of parseIngestEvent(event, deps.parse)) {
    const id = msg.messageId;
    if (msg.invalid.length > 0) {
      logger.error('invalid message', { messageId: id, reasons: msg.invalid });
      failed.add(id);
      continue;
    }
    if (msg.ignored.length > 0) logger.info('ignored records', { messageId: id, reasons: msg.ignored });
    for (const { key } of msg.objects) {
      if (failed.has(id)) break;
      if (ctx.getRemainingTimeInMillis() < deps.minRemainingMs) {
        logger.warn('deferred: near timeout', { messageId: id, key });
        failed.add(id);
        break;
      }
      const t0 = performance.now();
      try {
        const r = await ingestObject(deps.raw, key, deps.out);
        logger.info('ingested', { messageId: id, key, outcome: r.status, written: r.written.length, ms: Math.round(performance.now() - t0) });
      } catch (err) {
        const transient = err instanceof TransientStoreError;
        logger.error('ingest failed', { messageId: id, key, outcome: transient ? 'transient' : 'error', error: err as Error });
        failed.add(id);
      }
    }
  }
  // A direct S3 invocation has no partial response: throwing makes Lambda's async retry redo it.
  if (failed.has(null)) throw new Error(`ingest failed for a direct S3 event (${failed.size} failures)`);
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier: itemIdentifier! })) };
}
