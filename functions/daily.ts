import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { runDaily } from '../src/pipeline/finish.js';
import type { ObjectStore } from '../src/store/port.js';
import { storeFromEnv } from './compact.js';

/**
 * EventBridge cron → trends_daily + report for the previous UTC day, every cluster. Env:
 * OUTPUT_BUCKET, OUTPUT_PREFIX. A manual invoke may pass `{ "time": "...", "clusters": ["c"] }`
 * to rebuild a day, or fan out one invocation per cluster.
 */
export const logger = new Logger({ serviceName: 'memgap-daily' });

export async function dailyScheduled(event: { time?: string; clusters?: string[] } | undefined, out: ObjectStore) {
  const t = event?.time ? new Date(event.time) : new Date();
  const summary = await runDaily(out, Number.isNaN(t.getTime()) ? new Date() : t, event?.clusters);
  for (const d of summary.days) logger.info('daily report', { dt: d.dt, cluster: d.cluster, trends: d.trendsKey, ...d.totals });
  return { compacted: summary.compacted, trendRows: summary.trendRows, reports: summary.reports };
}

let out: ObjectStore | undefined;
export const handler = middy(async (event: { time?: string; clusters?: string[] }) => dailyScheduled(event, (out ??= storeFromEnv()))).use(injectLambdaContext(logger));
