import { openAthenaEngine, type AthenaQueryEngine } from '../../src/query/athena.js';
import type { ObjectStore } from '../../src/store/port.js';
import { S3ObjectStore } from '../../src/store/s3-store.js';

/** Env: OUTPUT_BUCKET, OUTPUT_PREFIX=''. */
export function outputStoreFromEnv(env: NodeJS.ProcessEnv = process.env): ObjectStore {
  if (!env.OUTPUT_BUCKET) throw new Error('OUTPUT_BUCKET must be set');
  return new S3ObjectStore({ bucket: env.OUTPUT_BUCKET, prefix: env.OUTPUT_PREFIX ?? '' });
}

/** Env: ATHENA_WORKGROUP, ATHENA_DATABASE. */
export function athenaFromEnv(env: NodeJS.ProcessEnv = process.env): AthenaQueryEngine {
  if (!env.ATHENA_WORKGROUP || !env.ATHENA_DATABASE) throw new Error('ATHENA_WORKGROUP and ATHENA_DATABASE must be set');
  return openAthenaEngine({ workGroup: env.ATHENA_WORKGROUP, database: env.ATHENA_DATABASE });
}
