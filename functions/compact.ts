import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AthenaQueryEngine } from '../src/query/athena.js';
import { athenaMergeSql, COMPACTED_TABLES } from '../src/pipeline/sql-steps.js';
import { fifoSteps, runOtherStep, sqsSender, stepErrorLog, stepScope, stepWaitMs } from '../src/pipeline/plan.js';
import { athenaFromEnv } from './shared/env.js';

/**
 * FIFO consumer (MessageGroupId = cluster) of the steps src/pipeline/plan.ts enqueues: a
 * `compact` step `{arrival, cluster}` MERGEs its staging rows into every compacted Iceberg table,
 * each MERGE one atomic commit; optimize/vacuum run there too, and a `daily` step is handed on to
 * DAILY_QUEUE_URL in the cluster's turn. FIFO order: after a failure the rest of the batch goes
 * back too; so does a step whose statements outlast ATHENA_STEP_WAIT_SECONDS (the query goes on; its
 * ClientRequestToken re-attaches the redelivered message to it). Env: ATHENA_WORKGROUP,
 * ATHENA_DATABASE, DAILY_QUEUE_URL, ATHENA_STEP_WAIT_SECONDS.
 */
export const logger = new Logger({ serviceName: 'memgap-compact' });

export const compactSteps = (event: SQSEvent, athena: AthenaQueryEngine): Promise<SQSBatchResponse> =>
  fifoSteps(
    event.Records,
    async (step, messageId) => {
      const engine = athena.step(stepScope(step, messageId), { maxWaitMs: stepWaitMs() });
      if (step.step !== 'compact') logger.info('step', { ...step, ...(await runOtherStep(step, { execute: (sql) => engine.execute(sql), forward: sqsSender(process.env.DAILY_QUEUE_URL!) })) });
      else for (const table of COMPACTED_TABLES) logger.info('merged', { ...step, table, ...(await engine.execute(athenaMergeSql(table, step))) });
    },
    stepErrorLog(logger),
  );

let engine: AthenaQueryEngine | undefined;
export const handler = middy(async (event: SQSEvent) => compactSteps(event, (engine ??= athenaFromEnv()))).use(injectLambdaContext(logger));
