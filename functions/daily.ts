import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { fifoSteps, stepErrorLog, stepScope, stepWaitMs } from '../src/pipeline/plan.js';
import type { AthenaQueryEngine } from '../src/query/athena.js';
import type { ObjectStore } from '../src/store/port.js';
import { buildDay } from '../src/trends/build.js';
import { athenaFromEnv, outputStoreFromEnv } from './shared/env.js';

/**
 * FIFO consumer (MessageGroupId = cluster) of `daily` steps `{dt, cluster}`, handed on by the
 * compact function after that cluster's compactions: trends_daily (one Athena MERGE into the
 * Iceberg table) then the daily report (HTML/MD/JSON under reports/). Each statement carries a
 * ClientRequestToken of (step, message, statement); the step waits for Athena at most
 * ATHENA_STEP_WAIT_SECONDS, then hands the message back (a redelivery re-attaches to the query).
 * Env: OUTPUT_BUCKET, OUTPUT_PREFIX, ATHENA_WORKGROUP, ATHENA_DATABASE, ATHENA_STEP_WAIT_SECONDS.
 */
export const logger = new Logger({ serviceName: 'memgap-daily' });

export const dailySteps = (event: SQSEvent, engine: AthenaQueryEngine, out: ObjectStore): Promise<SQSBatchResponse> =>
  fifoSteps(
    event.Records,
    async (step, messageId) => {
      if (step.step !== 'daily') throw new Error(`not a daily step: ${step.step}`);
      const day = await buildDay(engine.step(stepScope(step, messageId), { maxWaitMs: stepWaitMs() }), out, step.dt, step.cluster);
      logger.info('daily report', { dt: step.dt, cluster: step.cluster, trendRows: day.rows, report: day.reportKeys, ...day.totals });
    },
    stepErrorLog(logger),
  );

let engine: AthenaQueryEngine | undefined;
let out: ObjectStore | undefined;
export const handler = middy(async (event: SQSEvent) => dailySteps(event, (engine ??= athenaFromEnv()), (out ??= outputStoreFromEnv()))).use(injectLambdaContext(logger));
