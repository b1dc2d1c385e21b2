import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { runPlan, sqsSender, type PlanDeps } from '../src/pipeline/plan.js';
import { openAthenaEngine } from '../src/query/athena.js';
import { icebergCreateSql, icebergLocation, ICEBERG_TABLES } from '../src/query/athena-tables.js';
import { S3ObjectStore } from '../src/store/s3-store.js';

/** Env: OUTPUT_BUCKET, OUTPUT_PREFIX, STEPS_QUEUE_URL, ATHENA_WORKGROUP, ATHENA_DATABASE. Input: {steps, time} (EventBridge inputTransformer). */
export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): PlanDeps {
  const { OUTPUT_BUCKET: bucket, STEPS_QUEUE_URL: queue, ATHENA_WORKGROUP: workGroup, ATHENA_DATABASE: database } = env;
  if (!bucket || !queue || !workGroup || !database) throw new Error('OUTPUT_BUCKET, STEPS_QUEUE_URL, ATHENA_WORKGROUP and ATHENA_DATABASE must be set');
  const prefix = env.OUTPUT_PREFIX ?? '';
  const athena = openAthenaEngine({ workGroup, database });
  return {
    store: new S3ObjectStore({ bucket, prefix }),
    send: sqsSender(queue),
    // Free (DDL) and idempotent: the first run after a deploy creates the Iceberg tables.
    prepare: async () => {
      for (const t of ICEBERG_TABLES) await athena.execute(icebergCreateSql(t, icebergLocation(bucket, prefix, t)));
    },
  };
}

export const logger = new Logger({ serviceName: 'memgap-plan' });
let deps: PlanDeps | undefined;
export const handler = middy(async (event: unknown) => {
  const { kind, steps } = await runPlan(event, (deps ??= depsFromEnv()));
  logger.info('planned', { kind, steps: steps.length, groups: new Set(steps.map((s) => ('cluster' in s ? s.cluster : s.table))).size });
  return { kind, steps: steps.length };
}).use(injectLambdaContext(logger));
