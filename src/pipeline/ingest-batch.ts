/**
 * A batch of S3 notifications (SQS-wrapped or direct) → one staging batch, with the SQS
 * partial-batch answer. Lives in the core so the Lambda adapter stays a translation layer.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import { TransientStoreError } from '../errors.js';
import type { ObjectStore } from '../store/port.js';
import { DEFAULT_LIMITS, type InputLimits } from '../limits.js';
import { readObject, stageObject, stagingBatch } from './ingest.js';
import { StagingWriter, type StagingOptions } from './staging.js';
import { parseIngestEvent, type ParseOptions } from './s3-events.js';

export interface IngestDeps {
  raw: ObjectStore;
  out: ObjectStore;
  parse: ParseOptions;
  minRemainingMs: number;
  limits?: Partial<InputLimits>;
  /** the ingest instant (staging arrival hour); default the wall clock */
  now?: () => Date;
  /** Test hook: after each staging file is put (a throw simulates a kill between the files). */
  afterPut?: StagingOptions['afterPut'];
}

/** The three levels a structured logger needs here (Powertools' Logger fits). */
export interface BatchLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/**
 * The whole SQS batch is one staging batch: every object is read and analysed, the good captures
 * go into one staging file per table and cluster (put once, at the end), the bad ones to
 * quarantine/. Only retryable failures go back to SQS: a store error reading an object fails its
 * message only (the staging files hold the rest); records left unstarted near the timeout too.
 * If putting the staging files fails, the invocation throws and SQS redelivers the whole batch
 * (the same batch id in the same hour rewrites the same keys; dedupe covers the rest). An
 * unparseable message or an unexpected error also goes back, so that after maxReceiveCount it
 * rests in the DLQ (alarmed) instead of vanishing. Logs carry keys, never payloads.
 */
export async function ingestBatch(event: unknown, ctx: { getRemainingTimeInMillis(): number }, deps: IngestDeps, logger: BatchLogger): Promise<SQSBatchResponse> {
  const failed = new Set<string | null>();
  const messages = parseIngestEvent(event, deps.parse);
  const refs = messages.flatMap((m) => m.objects.map((o) => ({ key: o.key, size: o.size })));
  // Staging is read whole by the hour's MERGE: statistics would not skip anything, and the writer's
  // encoding trials cost more than they save; SNAPPY keeps the S3 bytes down.
  const staging = new StagingWriter(deps.out, { ...stagingBatch(refs, deps.now?.() ?? new Date()), statistics: false, fixedEncodings: true, ...(deps.afterPut ? { afterPut: deps.afterPut } : {}) });
  for (const msg of messages) {
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
        const r = await stageObject(await readObject(deps.raw, key, { ...DEFAULT_LIMITS, ...deps.limits }), staging, deps.out);
        const captures = r.status === 'ingested' ? r.captures.length : 0;
        logger.info('ingested', { messageId: id, key, outcome: r.status, captures, written: r.written.length, ms: Math.round(performance.now() - t0) });
      } catch (err) {
        const transient = err instanceof TransientStoreError;
        logger.error('ingest failed', { messageId: id, key, outcome: transient ? 'transient' : 'error', error: err as Error });
        failed.add(id);
      }
    }
  }
  const staged = await staging.finish();
  logger.info('staged', { files: staged, captures: staging.captures });
  // A direct S3 invocation has no partial response: throwing makes Lambda's async retry redo it.
  if (failed.has(null)) throw new Error(`ingest failed for a direct S3 event (${failed.size} failures)`);
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier: itemIdentifier! })) };
}
