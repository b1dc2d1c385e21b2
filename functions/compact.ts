import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ObjectStore } from '../src/store/port.js';
import { S3ObjectStore } from '../src/store/s3-store.js';
import { openAthenaEngine, type AthenaQueryEngine } from '../src/query/athena.js';
import { athenaMergeSql, COMPACTED_TABLES, MergeStepMessage } from '../src/pipeline/sql-steps.js';

/**
 * FIFO consumer (MessageGroupId = cluster): each message is one `{arrival, cluster}` step; its
 * staging rows are MERGEd into every compacted Iceberg table, each MERGE one atomic commit.
 * FIFO order: after a failure the rest of the batch goes back too. Env: ATHENA_WORKGROUP, ATHENA_DATABASE.
 */
export const logger = new Logger({ serviceName: 'memgap-compact' });

/** Env: OUTPUT_BUCKET, OUTPUT_PREFIX=''. (Kept for functions/daily.ts.) */
export function storeFromEnv(env: NodeJS.ProcessEnv = process.env): ObjectStore {
  if (!env.OUTPUT_BUCKET) throw new Error('OUTPUT_BUCKET must be set');
  return new S3ObjectStore({ bucket: env.OUTPUT_BUCKET, prefix: env.OUTPUT_PREFIX ?? '' });
}

export async function compactSteps(event: SQSEvent, engine: AthenaQueryEngine): Promise<SQSBatchResponse> {
  const failures: string[] = [];
  for (const record of event.Records) {
    if (failures.length > 0) failures.push(record.messageId);
    else try {
      const step = MergeStepMessage.parse(JSON.parse(record.body));
      for (const table of COMPACTED_TABLES) logger.info('merged', { ...step, table, ...(await engine.execute(athenaMergeSql(table, step))) });
    } catch (error) {
      logger.error('merge failed', { messageId: record.messageId, error: error as Error });
      failures.push(record.messageId);
    }
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

let engine: AthenaQueryEngine | undefined;
export const handler = middy(async (event: SQSEvent) => compactSteps(event, (engine ??= openAthenaEngine({ workGroup: process.env.ATHENA_WORKGROUP!, database: process.env.ATHENA_DATABASE! })))).use(injectLambdaContext(logger));
