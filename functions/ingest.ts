import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse } from 'aws-lambda';
import { ingestBatch as ingestBatchCore, type IngestDeps } from '../src/pipeline/ingest-batch.js';
import { S3ObjectStore } from '../src/store/s3-store.js';

export type { IngestDeps };

/** Env (docs/aws.md): RAW_BUCKET, RAW_PREFIX=raw/, OUTPUT_BUCKET, OUTPUT_PREFIX='', S3_EVENT_KEY_ENCODING=url|plain, MIN_REMAINING_MS. */
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

export const ingestBatch = (event: unknown, ctx: { getRemainingTimeInMillis(): number }, deps: IngestDeps): Promise<SQSBatchResponse> => ingestBatchCore(event, ctx, deps, logger);

let deps: IngestDeps | undefined;
export const handler = middy(async (event: unknown, context: { getRemainingTimeInMillis(): number }) => ingestBatch(event, context, (deps ??= depsFromEnv()))).use(injectLambdaContext(logger));
