/**
 * The AWS scheduler: which steps to run, one SQS FIFO message each, serialised per cluster
 * (MessageGroupId = cluster) and parallel across clusters. Three EventBridge schedules call the
 * plan function, each with its kind and the event's time (serverless.yml, inputTransformer):
 *
 *   compact   hourly at :10   one `compact` step per cluster with staging files in the previous
 *                             arrival hour (the MERGE of that hour into samples and discrepancy)
 *   daily     01:25 UTC       one `daily` step per cluster seen the previous UTC day (trends_daily
 *                             + report); after that day's last compaction in the cluster's group
 *   maintain  02:40 UTC       one `optimize` step per cluster of the previous day (OPTIMIZE of the
 *                             day's partitions) and one `vacuum` step per table (VACUUM has no WHERE)
 *
 * All steps go to one FIFO queue, consumed by the `compact` function: it runs compact, optimize and
 * vacuum (Athena statements only) and hands each `daily` step on to the daily queue, whose function
 * builds trends and the report. Ordering: steps of one cluster run in the order they were enqueued,
 * so a `daily` step reaches the daily queue only after every `compact` step enqueued before it, and
 * an OPTIMIZE never races a MERGE of the same cluster. Captures of day D arrive up to arrival hour D+1 T00
 * (15-minute batches, delivery, retries), which the 01:10 compact run enqueues before 01:25.
 * The :10 delay covers an ingest that started in the previous hour (its timeout must stay below
 * 10 minutes; the template test checks it). Every step is idempotent (MERGE WHEN NOT MATCHED,
 * trends MERGE replacing the day, OPTIMIZE), so a redelivered or re-planned step changes nothing.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { arrivalHour, dtOf, stagingOf } from '../outputs/layout.js';
import type { TableName } from '../outputs/tables.js';
import { ClusterName } from '../model/bundle.js';
import { AthenaStillRunningError } from '../query/athena.js';
import { ICEBERG_TABLES, optimizeSql, vacuumSql } from '../query/athena-tables.js';
import type { ObjectStore } from '../store/port.js';
import { S3ObjectStore } from '../store/s3-store.js';
import { COMPACTED_TABLES } from './sql-steps.js';

const Dt = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'dt must be YYYY-MM-DD');
const Arrival = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}$/, 'arrival must be YYYY-MM-DDTHH');

/** One unit of work on the steps queue (the SQS message body). */
export const StepMessage = z.discriminatedUnion('step', [
  z.object({ step: z.literal('compact'), arrival: Arrival, cluster: ClusterName }),
  z.object({ step: z.literal('daily'), dt: Dt, cluster: ClusterName }),
  z.object({ step: z.literal('optimize'), dt: Dt, cluster: ClusterName }),
  z.object({ step: z.literal('vacuum'), table: z.enum(['samples', 'discrepancy', 'trends_daily']) }),
]);
export type StepMessage = z.infer<typeof StepMessage>;

export const PLAN_KINDS = ['compact', 'daily', 'maintain'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];

/** What the plan function receives: EventBridge's scheduled event reduced by the rule's inputTransformer to its kind and time. */
export const PlanInput = z.object({ steps: z.enum(PLAN_KINDS), time: z.iso.datetime() });
export type PlanInput = z.infer<typeof PlanInput>;

/** Group of the steps that touch no single cluster (VACUUM of a whole table). */
export const MAINTENANCE_GROUP = '_tables';

const HOUR = 3_600_000;

/** The arrival hour a compact run at `now` handles: the hour before the current one. */
export const compactArrival = (now: Date) => arrivalHour(new Date(now.getTime() - HOUR));
/** The day a daily or maintain run at `now` handles: the UTC day before. */
export const previousDay = (now: Date) => dtOf(new Date(now.getTime() - 24 * HOUR));

/** Arrival hours whose staging may hold captures of day `dt`: its 24 hours and the first hour after. */
export function arrivalsOfDay(dt: string): string[] {
  const start = Date.parse(`${dt}T00:00:00Z`);
  return Array.from({ length: 25 }, (_, i) => arrivalHour(new Date(start + i * HOUR)));
}

/** Which arrival hours the run must look at for clusters. */
export function arrivalsFor(kind: PlanKind, now: Date): string[] {
  return kind === 'compact' ? [compactArrival(now)] : arrivalsOfDay(previousDay(now));
}

/** The steps of one run, given the clusters found in the staging of `arrivalsFor(kind, now)`. */
export function planSteps(kind: PlanKind, now: Date, clusters: readonly string[]): StepMessage[] {
  const sorted = [...new Set(clusters)].sort();
  if (kind === 'compact') return sorted.map((cluster) => ({ step: 'compact', arrival: compactArrival(now), cluster }));
  const dt = previousDay(now);
  if (kind === 'daily') return sorted.map((cluster) => ({ step: 'daily', dt, cluster }));
  const tables: TableName[] = ['samples', 'discrepancy', 'trends_daily'];
  return [...sorted.map((cluster): StepMessage => ({ step: 'optimize', dt, cluster })), ...tables.map((table): StepMessage => ({ step: 'vacuum', table }))];
}

/** MessageGroupId: the cluster (its steps run one at a time, in order). */
export const groupOf = (m: StepMessage) => (m.step === 'vacuum' ? MAINTENANCE_GROUP : m.cluster);

/** MessageDeduplicationId: the step's identity, so a plan retried within SQS's 5-minute window enqueues nothing twice. */
export function dedupIdOf(m: StepMessage): string {
  if (m.step === 'compact') return `compact_${m.arrival}_${m.cluster}`;
  if (m.step === 'vacuum') return `vacuum_${m.table}`;
  return `${m.step}_${m.dt}_${m.cluster}`;
}

/**
 * The ClientRequestToken scope of one delivery of a step (src/query/athena.ts statementToken): the
 * step's identity and the SQS message id. A redelivered message keeps its id, so it re-attaches to
 * the step's queries still running in Athena (or finished); a step planned again is a new message
 * and runs its statements again.
 */
export const stepScope = (m: StepMessage, messageId: string): string => `${dedupIdOf(m)}/${messageId}`;

/** How long one step's statements may wait for Athena in one invocation (env ATHENA_STEP_WAIT_SECONDS, default 60). */
export function stepWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.ATHENA_STEP_WAIT_SECONDS ?? 60);
  if (!Number.isFinite(s) || s <= 0) throw new Error(`ATHENA_STEP_WAIT_SECONDS must be a positive number of seconds, not ${env.ATHENA_STEP_WAIT_SECONDS}`);
  return s * 1000;
}

/**
 * fifoSteps' onError for a step function: a statement still running past the poll budget is not a
 * failure (info, with the query id: the message comes back after the visibility timeout and
 * re-attaches); anything else is an error.
 */
export const stepErrorLog =
  (logger: { info(msg: string, extra: Record<string, unknown>): void; error(msg: string, extra: Record<string, unknown>): void }) =>
  (messageId: string, error: Error): void =>
    error instanceof AthenaStillRunningError
      ? logger.info('step waits for Athena; back after the visibility timeout', { messageId, queryExecutionId: error.queryExecutionId, state: error.state, waitedMs: error.waitedMs })
      : logger.error('step failed', { messageId, error });

/** The `cluster=<c>/` "folders" under a prefix: one ListObjectsV2 with Delimiter per page of clusters, not per file. */
async function* clusterFolders(store: S3ObjectStore, prefix: string): AsyncIterable<string> {
  let token: string | undefined;
  do {
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: store.prefix + prefix, Delimiter: '/', ContinuationToken: token }));
    for (const p of page.CommonPrefixes ?? []) {
      const m = /\/cluster=([^/]+)\/$/.exec(p.Prefix ?? '');
      if (m) yield m[1]!;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Clusters with staging files in the given arrival hours (either staged table). On S3 the listing
 * stops at the cluster folders: a day is 50 requests however many files the hour holds (at 10,000
 * nodes an hour holds thousands).
 */
export async function stagedClusters(store: ObjectStore, arrivals: readonly string[]): Promise<string[]> {
  const clusters = new Set<string>();
  for (const table of COMPACTED_TABLES) {
    for (const arrival of arrivals) {
      const prefix = `staging/${table}/arrival=${arrival}/`;
      if (store instanceof S3ObjectStore) {
        for await (const c of clusterFolders(store, prefix)) clusters.add(c);
        continue;
      }
      for await (const o of store.list(prefix)) {
        const s = stagingOf(o.key);
        if (s) clusters.add(s.cluster);
      }
    }
  }
  return [...clusters].sort();
}

/** The SQS SendMessageBatch entries (at most 10 per call) for a list of steps. */
export function queueEntries(steps: readonly StepMessage[]): { Id: string; MessageBody: string; MessageGroupId: string; MessageDeduplicationId: string }[][] {
  const entries = steps.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m), MessageGroupId: groupOf(m), MessageDeduplicationId: dedupIdOf(m) }));
  const batches: (typeof entries)[] = [];
  for (let i = 0; i < entries.length; i += 10) batches.push(entries.slice(i, i + 10));
  return batches;
}

export interface PlanDeps {
  /** The data bucket (OUTPUT_BUCKET + OUTPUT_PREFIX). */
  store: ObjectStore;
  /** SendMessageBatch of up to 10 entries; resolves to the ids SQS did not accept. */
  send(entries: ReturnType<typeof queueEntries>[number]): Promise<string[]>;
  /** Statements to run (and wait for) before enqueuing: the Iceberg tables' CREATE TABLE IF NOT EXISTS. */
  prepare?: () => Promise<void>;
}

/** One plan run: prepare the tables, find the clusters, enqueue their steps; returns what was enqueued. */
export async function runPlan(input: unknown, deps: PlanDeps): Promise<{ kind: PlanKind; steps: StepMessage[] }> {
  const { steps: kind, time } = PlanInput.parse(input);
  const now = new Date(time);
  await deps.prepare?.();
  const steps = planSteps(kind, now, await stagedClusters(deps.store, arrivalsFor(kind, now)));
  for (const batch of queueEntries(steps)) {
    const failed = await deps.send(batch);
    if (failed.length > 0) throw new Error(`SQS refused ${failed.length} step message(s): ${failed.join(', ')}`);
  }
  return { kind, steps };
}

/** A SendMessageBatch function for one queue (what PlanDeps.send and the daily hand-off use). */
export function sqsSender(queueUrl: string, client: SQSClient = new SQSClient({})): PlanDeps['send'] {
  return async (Entries) => ((await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }))).Failed ?? []).map((f) => `${f.Id}: ${f.Code}`);
}

/**
 * The steps the compact function runs besides its MERGE: OPTIMIZE of one day and cluster (every
 * Iceberg table), VACUUM of one table, and the hand-off of a `daily` step to the daily queue (in
 * the cluster's turn, so after the compactions enqueued before it).
 */
export async function runOtherStep(
  step: Exclude<StepMessage, { step: 'compact' }>,
  deps: { execute(sql: string): Promise<unknown>; forward: PlanDeps['send'] },
): Promise<{ statements: number; forwarded: number }> {
  if (step.step === 'daily') {
    const failed = await deps.forward(queueEntries([step])[0]!);
    if (failed.length > 0) throw new Error(`daily queue refused the step: ${failed.join(', ')}`);
    return { statements: 0, forwarded: 1 };
  }
  const sql = step.step === 'vacuum' ? [vacuumSql(step.table)] : ICEBERG_TABLES.map((t) => optimizeSql(t, step.dt, step.cluster));
  for (const s of sql) await deps.execute(s);
  return { statements: sql.length, forwarded: 0 };
}

/**
 * An SQS FIFO batch, in order: each body parsed as a StepMessage and run; after the first failure
 * (or a statement still running in Athena) that record and every later one go back to the queue (a
 * group's steps must keep their order).
 */
export async function fifoSteps(
  records: ReadonlyArray<{ messageId: string; body: string }>,
  run: (step: StepMessage, messageId: string) => Promise<void>,
  onError: (messageId: string, error: Error) => void,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const failures: string[] = [];
  for (const record of records) {
    if (failures.length > 0) failures.push(record.messageId);
    else
      try {
        await run(StepMessage.parse(JSON.parse(record.body)), record.messageId);
      } catch (error) {
        onError(record.messageId, error as Error);
        failures.push(record.messageId);
      }
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
