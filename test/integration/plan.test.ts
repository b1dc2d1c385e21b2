/**
 * The plan function end to end: a real EventBridge scheduled event, reduced by the
 * inputTransformer serverless.yml declares, into the middy handler with the env the deployed
 * function gets; S3 (s3rver), Athena (the stand-in) and SQS (the SQS stand-in) through the real
 * SDK clients. It creates the Iceberg tables and enqueues one FIFO step per cluster.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { lambdaContext } from './helpers/lambda-events.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingKey } from '../../src/outputs/layout.js';
import { arrivalsOfDay, planSteps, queueEntries, StepMessage } from '../../src/pipeline/plan.js';
import { startAthenaStandin, type AthenaStandin } from './helpers/athena-standin.js';
import { startS3rver, type S3rverHandle } from './helpers/s3rver.js';
import { startSqsStandin, type SqsStandin } from './helpers/sqs-standin.js';

const repo = path.resolve(import.meta.dirname, '..', '..');
const DATA = 'data';
const QUEUE = 'memgap-it-steps.fifo';

// js-yaml ships with osls (no types here). serverless.yml uses CloudFormation's short tags.
const yamlModule = 'js-yaml';
const yaml = (await import(yamlModule)) as {
  load: (text: string, opts: { schema: unknown }) => unknown;
  Type: new (tag: string, opts: { kind: string; construct: (d: unknown) => unknown }) => unknown;
  DEFAULT_SCHEMA: { extend: (types: unknown[]) => unknown };
};
const cfnSchema = yaml.DEFAULT_SCHEMA.extend(['Ref', 'GetAtt', 'Sub'].map((tag) => new yaml.Type(`!${tag}`, { kind: 'scalar', construct: (d) => ({ [tag]: d }) })));

interface Transformer {
  inputPathsMap: Record<string, string>;
  inputTemplate: string;
}
const serverless = yaml.load(readFileSync(path.join(repo, 'serverless.yml'), 'utf8'), { schema: cfnSchema }) as {
  functions: { plan: { events: { schedule: { rate: string; inputTransformer: Transformer } }[] } };
};

/** What EventBridge does with a rule's InputTransformer: `$.a.b` paths into the event, each `<name>` replaced by the JSON value. */
function transform(event: Record<string, unknown>, t: Transformer): unknown {
  const values = Object.fromEntries(
    Object.entries(t.inputPathsMap).map(([name, p]) => [name, p.replace(/^\$\./, '').split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], event)]),
  );
  return JSON.parse(t.inputTemplate.replace(/<([A-Za-z0-9_]+)>/g, (_, n: string) => JSON.stringify(values[n])));
}

const scheduled = JSON.parse(readFileSync(path.join(repo, 'test/fixtures/events/eventbridge-scheduled.json'), 'utf8')) as Record<string, unknown>;
const inputFor = (kind: string, time: string) => {
  const rule = serverless.functions.plan.events.find((e) => e.schedule.inputTransformer.inputTemplate.includes(`"${kind}"`))!;
  return transform({ ...scheduled, time }, rule.schedule.inputTransformer);
};

const ctx = () => lambdaContext('plan', 120_000, 256);

let s3: S3rverHandle;
let athena: AthenaStandin;
let sqs: SqsStandin;
let envBefore: NodeJS.ProcessEnv;
let handler: (event: unknown, context: Context) => Promise<{ kind: string; steps: number }>;

async function stage(table: 'samples' | 'discrepancy', arrival: string, cluster: string) {
  await s3.client.send(new PutObjectCommand({ Bucket: DATA, Key: `mg/${stagingKey(table, arrival, cluster, 'abc123')}`, Body: 'PAR1' }));
}

beforeAll(async () => {
  s3 = await startS3rver({ buckets: [DATA] });
  athena = await startAthenaStandin({ s3Directory: s3.directory, bucket: DATA });
  sqs = await startSqsStandin();
  envBefore = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_ATHENA: athena.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    MEMGAP_S3_CHECKSUMS: 'WHEN_REQUIRED',
    OUTPUT_BUCKET: DATA,
    OUTPUT_PREFIX: 'mg/',
    STEPS_QUEUE_URL: sqs.queueUrl(QUEUE),
    ATHENA_WORKGROUP: athena.workGroup,
    ATHENA_DATABASE: athena.database,
    // The middy middleware resets the level to the initial one on every invocation.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  // Previous hour (05) of the 06:10 run: clusters a and b (b in one table only); c staged at 04, z at 06.
  await stage('samples', '2026-11-30T05', 'a');
  await stage('discrepancy', '2026-11-30T05', 'a');
  await stage('discrepancy', '2026-11-30T05', 'b');
  await stage('samples', '2026-11-30T04', 'c');
  await stage('samples', '2026-11-30T06', 'z');
  // Day 2026-11-30 ends with arrival 2026-12-01T00 (late captures); 2026-12-01T01 is the next day's.
  await stage('samples', '2026-12-01T00', 'late');
  await stage('samples', '2026-12-01T01', 'next');
  const mod = await import('../../functions/plan.js');
  mod.logger.setLogLevel('SILENT');
  handler = mod.handler as unknown as typeof handler;
}, 60_000);
afterAll(async () => {
  process.env = envBefore;
  await sqs?.close();
  await athena?.close();
  await s3?.close();
});

const bodies = () => sqs.messages.map((m) => ({ ...StepMessage.parse(JSON.parse(m.body)), group: m.groupId, dedup: m.dedupId }));

describe('plan handler (EventBridge schedule → Athena DDL → SQS FIFO)', () => {
  it('compact at 06:10: creates the three Iceberg tables, then one step per cluster staged in hour 05, grouped by cluster', async () => {
    expect(await handler(inputFor('compact', '2026-11-30T06:10:00Z'), ctx())).toEqual({ kind: 'compact', steps: 2 });
    expect(bodies()).toEqual([
      { step: 'compact', arrival: '2026-11-30T05', cluster: 'a', group: 'a', dedup: 'compact_2026-11-30T05_a' },
      { step: 'compact', arrival: '2026-11-30T05', cluster: 'b', group: 'b', dedup: 'compact_2026-11-30T05_b' },
    ]);
    const ddl = athena.executions.filter((x) => x.statementType === 'DDL');
    expect(ddl.map((x) => x.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const tables = await athena.duck(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${athena.database}' AND table_type = 'BASE TABLE' ORDER BY 1`);
    expect(tables.map((r) => r.table_name)).toEqual(['discrepancy', 'samples', 'trends_daily']);
    expect(sqs.requests).toEqual({ SendMessageBatch: 1 });
  });

  it('a second run of the same schedule (EventBridge retry) creates nothing and enqueues nothing new (deduplication ids)', async () => {
    await handler(inputFor('compact', '2026-11-30T06:10:00Z'), ctx());
    expect(sqs.messages).toHaveLength(2);
    expect(athena.executions.filter((x) => x.statementType === 'DDL' && x.state === 'SUCCEEDED')).toHaveLength(6);
  });

  it('daily at 01:25: one daily step per cluster staged during the previous day, including its late arrival hour', async () => {
    sqs.messages.length = 0;
    expect(await handler(inputFor('daily', '2026-12-01T01:25:00Z'), ctx())).toEqual({ kind: 'daily', steps: 5 });
    expect(bodies().map((b) => [b.step, 'dt' in b ? b.dt : '', b.group])).toEqual(['a', 'b', 'c', 'late', 'z'].map((c) => ['daily', '2026-11-30', c]));
  });

  it('maintain at 02:40: OPTIMIZE per cluster of the day, VACUUM per table in a group of its own', async () => {
    sqs.messages.length = 0;
    await handler(inputFor('maintain', '2026-12-01T02:40:00Z'), ctx());
    expect(bodies().map((b) => [b.step, b.group])).toEqual([
      ...['a', 'b', 'c', 'late', 'z'].map((c) => ['optimize', c]),
      ['vacuum', '_tables'],
      ['vacuum', '_tables'],
      ['vacuum', '_tables'],
    ]);
  });

  it('an input that is not {steps, time} (e.g. the raw scheduled event) is refused, enqueuing nothing', async () => {
    sqs.messages.length = 0;
    await expect(handler(scheduled, ctx())).rejects.toThrow();
    expect(sqs.messages).toHaveLength(0);
  });
});

describe('planning rules', () => {
  it('the day covers its 24 arrival hours and the first hour of the next day', () => {
    const hours = arrivalsOfDay('2026-11-30');
    expect(hours).toHaveLength(25);
    expect([hours[0], hours[23], hours[24]]).toEqual(['2026-11-30T00', '2026-11-30T23', '2026-12-01T00']);
  });

  it('a compact run at 00:10 handles the previous day\'s last hour', () => {
    expect(planSteps('compact', new Date('2026-12-01T00:10:00Z'), ['x'])).toEqual([{ step: 'compact', arrival: '2026-11-30T23', cluster: 'x' }]);
  });

  it('sends at most 10 entries per SendMessageBatch', () => {
    const steps = planSteps('compact', new Date('2026-12-01T00:10:00Z'), Array.from({ length: 23 }, (_, i) => `c${i}`));
    expect(queueEntries(steps).map((b) => b.length)).toEqual([10, 10, 3]);
  });
});
