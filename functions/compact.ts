import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { compactPreviousHour } from '../src/pipeline/compact.js';
import type { ObjectStore } from '../src/store/port.js';
import { S3ObjectStore } from '../src/store/s3-store.js';

/** Env: OUTPUT_BUCKET, OUTPUT_PREFIX=''. Schedule: hourly (EventBridge); `time` of the event is "now". */
export function storeFromEnv(env: NodeJS.ProcessEnv = process.env): ObjectStore {
  if (!env.OUTPUT_BUCKET) throw new Error('OUTPUT_BUCKET must be set');
  return new S3ObjectStore({ bucket: env.OUTPUT_BUCKET, prefix: env.OUTPUT_PREFIX ?? '' });
}

export const logger = new Logger({ serviceName: 'memgap-compact' });

export async function compactScheduled(event: { time?: string } | undefined, out: ObjectStore) {
  const now = event?.time ? new Date(event.time) : new Date();
  const hours = await compactPreviousHour(out, Number.isNaN(now.getTime()) ? new Date() : now);
  const merged = hours.filter((h) => h.merged > 0);
  logger.info('compacted', { hours: merged.length, files: merged.reduce((a, h) => a + h.merged, 0), rows: merged.reduce((a, h) => a + h.rows, 0) });
  return { hours: merged.map(({ table, dt, cluster, hour, rows, parts, merged: m }) => ({ table, dt, cluster, hour, rows, parts, merged: m })) };
}

let out: ObjectStore | undefined;
export const handler = middy(async (event: { time?: string }) => compactScheduled(event, (out ??= storeFromEnv()))).use(injectLambdaContext(logger));
