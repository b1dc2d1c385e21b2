import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse } from 'aws-lambda';
import { TransientStoreError } from '../src/errors.js';
import { ingestObject } from '../src/pipeline/ingest.js';
import { parseIngestEvent, type ParseOptions } from '../src/pipeline/s3-events.js';
import type { ObjectStore } from '../src/store/port.js';
import { S3ObjectStore } from '../src/store/s3-store.js';

/** Env (docs/aws.md): RAW_BUCKET, RAW_PREFIX=raw/, OUTPUT_BUCKET, OUTPUT_PREFIX='', S3_EVENT_KEY_ENCODING=url|plain, MIN_REMAINING_MS. */
export interface IngestDeps { raw: ObjectStore; out: ObjectStore; parse: ParseOptions; minRemainingMs: number }

export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): IngestDeps {
  const rawBucket = env.RAW_BUCKET, outBucket = env.OUTPUT_BUCKET;
  if (!rawBucket || !outBucket) throw new Error('RAW_BUCKET and OUTPUT_BUCKET must be set');
  // A stalled socket must fail well inside the 60 s timeout: 3 attempts × 5 s idle limit.
  const raw = new S3ObjectStore({ bucket: rawBucket, requestTimeoutMs: 5_000 });
  return {
    raw,
    out: new S3ObjectStore({ bucket: outBucket, prefix: env.OUTPUT_PREFIX ?? '', client: raw.client }),
    parse: { bucket: rawBucket, prefix: env.RAW_PREFIX ?? 'raw/', keyEncoding: env.S3_EVENT_KEY_ENCODING === 'plain' ? 'plain' : 'url' },
    minRemainingMs: Number(env.MIN_REMAINING_MS ?? 20_000),
  };
}

export const logger = new Logger({ serviceName: 'memgap-ingest' });

/**
 * Only retryable failures go back to SQS: store errors, plus records left unstarted because the
 * invocation is close to its timeout. A poison capture is quarantined by ingestObject and counts
 * as done. An unparseable message or an unexpected error also goes back, so that after
 * maxReceiveCount it rests in the DLQ (alarmed) instead of vanishing.
 */
export async function ingestBatch(event: unknown, ctx: { getRemainingTimeInMillis(): number }, deps: IngestDeps): Promise<SQSBatchResponse> {
  const failed = new Set<string | null>();
  for (const msg of parseIngestEvent(event, deps.parse)) {
    const id = msg.messageId;
    if (msg.invalid.length > 0) { logger.error('invalid message', { messageId: id, reasons: msg.invalid }); failed.add(id); continue; }
    if (msg.ignored.length > 0) logger.info('ignored records', { messageId: id, reasons: msg.ignored });
    for (const { key } of msg.objects) {
      if (failed.has(id)) break;
      if (ctx.getRemainingTimeInMillis() < deps.minRemainingMs) { logger.warn('deferred: near timeout', { messageId: id, key }); failed.add(id); break; }
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

let deps: IngestDeps | undefined;
export const handler = middy(async (event: unknown, context: { getRemainingTimeInMillis(): number }) => ingestBatch(event, context, (deps ??= depsFromEnv())))
  .use(injectLambdaContext(logger));
