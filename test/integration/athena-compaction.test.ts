/**
 * The AWS compaction path end to end, without AWS: the ingest Lambda writes staging Parquet to
 * s3rver; the compact Lambda's handler (functions/compact.ts) runs each FIFO step's MERGE through
 * the real @aws-sdk/client-athena against the Athena stand-in, whose Iceberg tables were created
 * by the plan's DDL; then Athena readers count captures. Each capture is counted once even when
 * delivered twice (two SQS messages, two invocations an hour apart, a re-uploaded object) and when
 * a batch is killed halfway and retried (in the same hour and a later one).
 */
import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compactSteps, logger as compactLogger } from '../../functions/compact.js';
import { dailySteps, logger as dailyLogger } from '../../functions/daily.js';
import { S3ObjectStore } from '../../src/store/s3-store.js';
import { startSqsStandin, type SqsStandin } from './helpers/sqs-standin.js';
import { depsFromEnv, ingestBatch, logger as ingestLogger, type IngestDeps } from '../../functions/ingest.js';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { plainValue } from '../../src/cli/query.js';
import { compactStaging } from '../../src/pipeline/compact.js';
import { ingestObjects } from '../../src/pipeline/ingest.js';
import { openQueryEngine } from '../../src/query/engine.js';
import { bindParams, loadNamedQueries } from '../../src/query/named.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { buildTrends } from '../../src/trends/build.js';
import type { StepMessage } from '../../src/pipeline/plan.js';
import { openAthenaEngine, type AthenaEngineOptions, type AthenaQueryEngine } from '../../src/query/athena.js';
import { icebergCreateSql, icebergLocation, ICEBERG_TABLES } from '../../src/query/athena-tables.js';
import { startAthenaStandin, stagingHiveTables, type AthenaStandin } from './helpers/athena-standin.js';
import { fifoStepsEvent, lambdaContext, sqsEvent as sqsEvent2 } from './helpers/lambda-events.js';
import { startS3rver, type S3rverHandle } from './helpers/s3rver.js';

const RAW = 'memgap-raw-at';
const DATA = 'memgap-data-at';
const FIXTURE = new URL('../fixtures/real/kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json', import.meta.url);
const T = ['2026-06-26T10:14:40Z', '2026-06-26T10:15:40Z', '2026-06-26T10:16:40Z'];
const NODE = 'datagen-1-35';

let s3: S3rverHandle;
let summary: unknown;
let envBefore: NodeJS.ProcessEnv;
const standins: AthenaStandin[] = [];

const rawKeyOf = (t: string) => `raw/cluster=it/node=${NODE}/dt=${t.slice(0, 10)}/${t}.json.gz`;
const bundle = (t: string) => gzipSync(JSON.stringify({ schema: 'memgap.capture/v1', cluster: 'it', node: NODE, capturedAt: t, host: { cgroupVersion: 2, cgroupDriver: 'cgroupfs' }, sources: { kubeletSummary: summary } }));
const putRaw = (key: string, body: Buffer) => s3.client.send(new PutObjectCommand({ Bucket: RAW, Key: key, Body: body }));

const sqsEvent = (messages: Array<{ id: string; keys: string[] }>) => sqsEvent2(RAW, messages);
/** The same `delivery` (default) is a redelivery of the same messages (same ids: re-attach to their Athena queries); another is the steps sent again. */
const stepsEvent = (steps: StepMessage[], delivery?: string) => {
  const e = fifoStepsEvent(steps);
  if (delivery) for (const r of e.Records) r.messageId += `-${delivery}`;
  return e;
};
const ctx = () => lambdaContext('ingest', 120_000, 2048);

const at = (iso: string) => () => new Date(iso);
function ingestDeps(prefix: string, hooks: Partial<IngestDeps> = {}): IngestDeps {
  return { ...depsFromEnv({ ...process.env, RAW_BUCKET: RAW, OUTPUT_BUCKET: DATA, OUTPUT_PREFIX: prefix }), now: at('2026-06-26T10:20:00Z'), ...hooks };
}

/** One output prefix = one deployment: its own Athena (stand-in) with the staging tables over that prefix and fresh Iceberg tables. */
async function deployment(prefix: string, engineOptions: Partial<AthenaEngineOptions> = {}, runningPolls = 0): Promise<{ athena: AthenaStandin; engine: AthenaQueryEngine }> {
  const athena = await startAthenaStandin({ s3Directory: s3.directory, bucket: DATA, hiveTables: stagingHiveTables(prefix), runningPolls });
  standins.push(athena);
  const engine = openAthenaEngine({ workGroup: athena.workGroup, database: athena.database, clientConfig: athena.clientConfig, poll: { initialMs: 5, maxMs: 20 }, ...engineOptions });
  for (const t of ICEBERG_TABLES) await engine.execute(icebergCreateSql(t, icebergLocation(DATA, prefix, t)));
  return { athena, engine };
}

const compactStep = (arrival: string): StepMessage => ({ step: 'compact', arrival, cluster: 'it' });

/** What Athena readers see: per capture, its rows in each compacted table. */
async function perCapture(engine: AthenaQueryEngine, table: 'discrepancy' | 'samples') {
  const r = await engine.query(`SELECT node, captured_at, count(*) AS n FROM ${table} WHERE cluster = 'it' AND dt = '2026-06-26' GROUP BY node, captured_at ORDER BY captured_at`);
  return r.rows.map((x) => [x.node, (x.captured_at as Date).toISOString().replace('.000Z', 'Z'), Number(x.n)]);
}

/** Rows one capture contributes, from a clean single ingest of it (staging file of one batch, read by the stand-in). */
const clean: Record<'discrepancy' | 'samples', number> = { discrepancy: 0, samples: 0 };

beforeAll(async () => {
  summary = JSON.parse(await readFile(FIXTURE, 'utf8'));
  s3 = await startS3rver({ buckets: [RAW, DATA] });
  envBefore = { ...process.env };
  Object.assign(process.env, { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', MEMGAP_S3_CHECKSUMS: 'WHEN_REQUIRED' });
  ingestLogger.setLogLevel('SILENT');
  compactLogger.setLogLevel('SILENT');
  dailyLogger.setLogLevel('SILENT');
  for (const t of T) await putRaw(rawKeyOf(t), bundle(t));
  // The reference: one capture, ingested once, straight from staging (no MERGE involved).
  const ref = await deployment('ref/');
  expect(await ingestBatch(sqsEvent([{ id: 'r', keys: [rawKeyOf(T[0]!)] }]), ctx(), ingestDeps('ref/'))).toEqual({ batchItemFailures: [] });
  for (const table of ['discrepancy', 'samples'] as const) {
    const r = await ref.engine.query(`SELECT count(*) AS n FROM ${table}_staging WHERE arrival = '2026-06-26T10' AND cluster = 'it'`);
    clean[table] = Number(r.rows[0]!.n);
  }
}, 120_000);
afterAll(async () => {
  process.env = envBefore;
  for (const a of standins) await a.close();
  await s3?.close();
});

const once = (table: 'discrepancy' | 'samples') => T.map((t) => [NODE, t, clean[table]]);

describe('Athena compaction (stand-in): each capture counted once by Athena readers', () => {
  it('the reference capture has rows in both tables', () => {
    expect(clean.discrepancy).toBeGreaterThan(0);
    expect(clean.samples).toBeGreaterThan(clean.discrepancy);
  });

  it('the same object in two SQS messages of one batch, and again an hour later in another invocation', async () => {
    const { engine } = await deployment('twice/');
    const event = sqsEvent([...T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] })), { id: 'again', keys: [rawKeyOf(T[0]!)] }]);
    expect(await ingestBatch(event, ctx(), ingestDeps('twice/'))).toEqual({ batchItemFailures: [] });
    expect(await ingestBatch(sqsEvent([{ id: 'later', keys: [rawKeyOf(T[1]!)] }]), ctx(), ingestDeps('twice/', { now: at('2026-06-26T11:05:00Z') }))).toEqual({ batchItemFailures: [] });
    expect(await compactSteps(stepsEvent([compactStep('2026-06-26T10'), compactStep('2026-06-26T11')]), engine)).toEqual({ batchItemFailures: [] });
    expect(await perCapture(engine, 'discrepancy')).toEqual(once('discrepancy'));
    expect(await perCapture(engine, 'samples')).toEqual(once('samples'));
    // Re-running a step (SQS redelivery, a re-plan) adds nothing.
    const before = engine.stats().queries;
    await compactSteps(stepsEvent([compactStep('2026-06-26T10')]), engine);
    expect(engine.stats().queries).toBe(before + 2);
    expect(await perCapture(engine, 'discrepancy')).toEqual(once('discrepancy'));
  });

  it('the object re-uploaded under another key, after the first copy was compacted', async () => {
    const { engine } = await deployment('reup/');
    const copy = `raw/cluster=it/node=${NODE}/dt=2026-06-26/reupload-of-first.json.gz`;
    await putRaw(copy, bundle(T[0]!));
    await ingestBatch(sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] }))), ctx(), ingestDeps('reup/'));
    await compactSteps(stepsEvent([compactStep('2026-06-26T10')]), engine);
    await ingestBatch(sqsEvent([{ id: 'copy', keys: [copy] }]), ctx(), ingestDeps('reup/', { now: at('2026-06-26T13:00:00Z') }));
    await compactSteps(stepsEvent([compactStep('2026-06-26T13')]), engine);
    expect(await perCapture(engine, 'discrepancy')).toEqual(once('discrepancy'));
    expect(await perCapture(engine, 'samples')).toEqual(once('samples'));
  });

  it('a batch killed after its first staging file, compacted meanwhile, retried in a later hour (killed again) and in the same hour', async () => {
    const { engine, athena } = await deployment('kill/');
    const event = sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] })));
    const kill = { afterPut: () => Promise.reject(new Error('killed after one staging file')) };
    await expect(ingestBatch(event, ctx(), ingestDeps('kill/', kill))).rejects.toThrow('killed');
    await compactSteps(stepsEvent([compactStep('2026-06-26T10')]), engine);
    // Half a batch: one table has the captures, the other not yet; neither counts one twice.
    const half = [await perCapture(engine, 'discrepancy'), await perCapture(engine, 'samples')];
    expect(half.filter((rows) => rows.length > 0)).toEqual([once(half[0]!.length > 0 ? 'discrepancy' : 'samples')]);
    await expect(ingestBatch(event, ctx(), ingestDeps('kill/', { ...kill, now: at('2026-06-26T12:00:00Z') }))).rejects.toThrow('killed');
    expect(await ingestBatch(event, ctx(), ingestDeps('kill/'))).toEqual({ batchItemFailures: [] });
    await compactSteps(stepsEvent([compactStep('2026-06-26T10'), compactStep('2026-06-26T12')], 'planned-again'), engine);
    expect(await perCapture(engine, 'discrepancy')).toEqual(once('discrepancy'));
    expect(await perCapture(engine, 'samples')).toEqual(once('samples'));
    // The last four MERGEs (hours 10 and 12, both tables) each read only their own arrival hour's staging files.
    for (const x of athena.executions.filter((q) => q.substatementType === 'MERGE').slice(-4)) {
      const arrival = /arrival = '([^']+)'/.exec(x.sql)![1]!;
      const staged = x.scanned.find((s) => s.table.endsWith('_staging'))!;
      const files = (await athena.duck(`SELECT count(*) AS n FROM glob('${s3.directory}/${DATA}/kill/staging/${staged.table.replace('_staging', '')}/arrival=${arrival}/*/*.parquet._S3rver_object')`))[0]!.n;
      expect(staged.files).toBe(Number(files));
    }
  });

  it('an Iceberg commit race: retried in the function first; still failing, the step and every later one go back to the queue', async () => {
    const noWait = async () => undefined;
    const { engine, athena } = await deployment('race/', { retries: 1, sleep: noWait });
    await ingestBatch(sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] }))), ctx(), ingestDeps('race/'));
    const race = { match: /MERGE INTO discrepancy/, reason: 'ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table: conflicting concurrent commit', retryable: true };
    athena.inject({ ...race, times: 2 });
    const res = await compactSteps(stepsEvent([compactStep('2026-06-26T10'), compactStep('2026-06-26T11')]), engine);
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'step-0' }, { itemIdentifier: 'step-1' }] });
    // samples was merged before discrepancy failed: the redelivery, whose first try loses the race again, merges discrepancy and leaves samples alone.
    athena.inject({ ...race, times: 1 });
    expect(await compactSteps(stepsEvent([compactStep('2026-06-26T10')]), engine)).toEqual({ batchItemFailures: [] });
    expect(await perCapture(engine, 'discrepancy')).toEqual(once('discrepancy'));
    expect(await perCapture(engine, 'samples')).toEqual(once('samples'));
  });

  it('maintenance and daily steps: OPTIMIZE per table, VACUUM, and the daily step handed on, then trends_daily and the report through Athena', async () => {
    const { engine, athena } = await deployment('day/');
    const sqs: SqsStandin = await startSqsStandin();
    const env = { AWS_ENDPOINT_URL_SQS: process.env.AWS_ENDPOINT_URL_SQS, DAILY_QUEUE_URL: process.env.DAILY_QUEUE_URL };
    Object.assign(process.env, { AWS_ENDPOINT_URL_SQS: sqs.endpoint, DAILY_QUEUE_URL: sqs.queueUrl('memgap-at-daily.fifo') });
    try {
      await ingestBatch(sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] }))), ctx(), ingestDeps('day/'));
      const steps: StepMessage[] = [compactStep('2026-06-26T10'), { step: 'daily', dt: '2026-06-26', cluster: 'it' }, { step: 'optimize', dt: '2026-06-26', cluster: 'it' }, { step: 'vacuum', table: 'samples' }];
      expect(await compactSteps(stepsEvent(steps), engine)).toEqual({ batchItemFailures: [] });
      const ran = athena.executions.filter((x) => x.state === 'SUCCEEDED').map((x) => x.sql.split(/\s+/).slice(0, 2).join(' '));
      expect(ran.filter((q) => q.startsWith('OPTIMIZE'))).toEqual(['OPTIMIZE samples', 'OPTIMIZE discrepancy', 'OPTIMIZE trends_daily']);
      expect(ran.filter((q) => q.startsWith('VACUUM'))).toEqual(['VACUUM samples']);
      // The daily step went on to the daily queue, in its cluster's group, after the compaction.
      expect(sqs.messages.map((m) => [m.queue, m.groupId, JSON.parse(m.body)])).toEqual([['memgap-at-daily.fifo', 'it', { step: 'daily', dt: '2026-06-26', cluster: 'it' }]]);
      // The daily function: trends_daily MERGE and the report's SELECTs on Athena, report files to S3.
      const out = new S3ObjectStore({ bucket: DATA, prefix: 'day/', client: s3.client });
      expect(await dailySteps(stepsEvent([{ step: 'daily', dt: '2026-06-26', cluster: 'it' }]), engine, out)).toEqual({ batchItemFailures: [] });
      const trends = await engine.query(`SELECT count(*) AS series, sum(samples) AS samples FROM trends_daily WHERE dt = '2026-06-26' AND cluster = 'it'`);
      const discrepancy = await engine.query(`SELECT count(DISTINCT concat(level, node, coalesce(namespace, ''), coalesce(pod, ''), coalesce(pod_uid, ''), coalesce(container, ''))) AS series, count(*) AS n FROM discrepancy WHERE dt = '2026-06-26' AND cluster = 'it'`);
      // One trends row per series of the day's discrepancy rows, each counting that series' rows.
      expect(trends.rows).toEqual([{ series: discrepancy.rows[0]!.series, samples: discrepancy.rows[0]!.n }]);
      const reports: string[] = [];
      for await (const o of out.list('reports/')) reports.push(o.key);
      expect(reports.map((k) => k.replace(/^reports\/daily\/dt=2026-06-26\/cluster=it\//, '')).sort()).toEqual(['index.html', 'summary.json', 'summary.md']);
      // The same captures through the local pipeline give the same trends_daily rows, every column.
      const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-day-'));
      const raw = new FsObjectStore(path.join(root, 'raw'));
      for (const t of T) await raw.put(rawKeyOf(t), bundle(t));
      const localOut = new FsObjectStore(path.join(root, 'out'));
      await ingestObjects(raw, T.map(rawKeyOf), localOut);
      await compactStaging(localOut);
      const local = await openQueryEngine(localOut.root);
      try {
        await buildTrends(local, localOut, '2026-06-26', 'it');
        const all = `SELECT * FROM trends_daily WHERE dt = '2026-06-26' AND cluster = 'it'`;
        // Column order aside (the Iceberg DDL ends with dt, cluster; the local view with its path keys).
        const canon = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.entries(plainValue(r) as object).sort(([a], [b]) => a.localeCompare(b)))).sort();
        const [viaAthena, viaDuckDb] = [await engine.query(all), await local.query(all)];
        expect(viaAthena.rows.length).toBeGreaterThan(0);
        expect(canon(viaAthena.rows)).toEqual(canon(viaDuckDb.rows));
      } finally {
        await local.close();
      }
    } finally {
      Object.assign(process.env, env);
      await sqs.close();
    }
  });

  it('a compact step past its poll budget goes back with the later steps of its group (FIFO); redelivered, it merges once', async () => {
    const { engine, athena } = await deployment('slowc/', {}, 4);
    await ingestBatch(sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] }))), ctx(), ingestDeps('slowc/'));
    const env = { ...process.env };
    process.env.ATHENA_STEP_WAIT_SECONDS = '0.02';
    try {
      const event = stepsEvent([compactStep('2026-06-26T10'), compactStep('2026-06-26T11')]);
      const first = await compactSteps(event, engine);
      expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'step-0' }, { itemIdentifier: 'step-1' }] });
      const merges = () => athena.executions.filter((x) => x.substatementType === 'MERGE');
      expect(merges()).toHaveLength(1);
      expect(merges()[0]!.stopRequested).toBeFalsy();
      let res = first;
      for (let i = 0; i < 40 && res.batchItemFailures.length > 0; i++) res = await compactSteps(event, engine);
      expect(res).toEqual({ batchItemFailures: [] });
      // Two MERGEs for hour 10 (one per table), two for hour 11 (nothing staged there): each started once.
      expect(merges().map((x) => /MERGE INTO (\w+)/.exec(x.sql)![1])).toEqual(['samples', 'discrepancy', 'samples', 'discrepancy']);
      expect(await perCapture(engine, 'discrepancy')).toEqual(once('discrepancy'));
      expect(await perCapture(engine, 'samples')).toEqual(once('samples'));
    } finally {
      process.env = env;
    }
  });

  it('a daily step past its poll budget goes back to SQS with its query left running; redelivered, it re-attaches to each query and writes the report', async () => {
    // Every query reports RUNNING for its first 4 polls; the daily handler waits at most 0.3 s per delivery (2 polls).
    const { engine, athena } = await deployment('slow/', {}, 4);
    await ingestBatch(sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] }))), ctx(), ingestDeps('slow/'));
    expect(await compactSteps(stepsEvent([compactStep('2026-06-26T10')]), engine)).toEqual({ batchItemFailures: [] });
    const env = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_ATHENA: athena.endpoint, ATHENA_WORKGROUP: athena.workGroup, ATHENA_DATABASE: athena.database, OUTPUT_BUCKET: DATA, OUTPUT_PREFIX: 'slow/', ATHENA_STEP_WAIT_SECONDS: '0.3' });
    const info = vi.spyOn(dailyLogger, 'info').mockImplementation(() => undefined);
    try {
      const { handler } = await import('../../functions/daily.js');
      const event = stepsEvent([{ step: 'daily', dt: '2026-06-26', cluster: 'it' }]);
      const before = athena.executions.length;
      const daily = () => athena.executions.slice(before);
      const reports = async () => {
        const keys: string[] = [];
        for await (const o of new S3ObjectStore({ bucket: DATA, prefix: 'slow/', client: s3.client }).list('reports/')) keys.push(o.key);
        return keys;
      };
      // First delivery: the MERGE is still running at the budget; the message goes back, nothing stopped, no report.
      expect(await handler(event, lambdaContext('daily', 180_000, 2048))).toEqual({ batchItemFailures: [{ itemIdentifier: 'step-0' }] });
      expect(daily().map((x) => x.sql.split(/\s+/).slice(0, 3).join(' '))).toEqual(['MERGE INTO trends_daily']);
      const merge = daily()[0]!;
      expect(merge.stopRequested).toBeFalsy();
      expect(info).toHaveBeenCalledWith(expect.stringContaining('waits for Athena'), expect.objectContaining({ messageId: 'step-0', queryExecutionId: merge.id, state: 'RUNNING' }));
      expect(await reports()).toEqual([]);
      // Redeliveries (the same message): each re-attaches to the statement it left running and goes on.
      let deliveries = 1;
      let res = { batchItemFailures: [{ itemIdentifier: 'step-0' }] };
      while (res.batchItemFailures.length > 0 && deliveries < 40) {
        res = await handler(event, lambdaContext('daily', 180_000, 2048));
        deliveries++;
      }
      expect(res).toEqual({ batchItemFailures: [] });
      expect(deliveries).toBeGreaterThan(2);
      // Every statement of the step ran once: one MERGE, one query per statement text, none stopped or failed.
      const sqls = daily().map((x) => x.sql);
      expect(sqls.filter((q) => q.startsWith('MERGE INTO trends_daily'))).toHaveLength(1);
      expect(new Set(sqls).size).toBe(sqls.length);
      expect(daily().every((x) => x.state === 'SUCCEEDED')).toBe(true);
      expect((await reports()).map((k) => k.replace(/^reports\/daily\/dt=2026-06-26\/cluster=it\//, '')).sort()).toEqual(['index.html', 'summary.json', 'summary.md']);
    } finally {
      info.mockRestore();
      process.env = env;
    }
  });

  it('every named query answers the same through Athena (stand-in, Iceberg tables) as locally (DuckDB over the analyze output)', async () => {
    const { engine } = await deployment('named/');
    await ingestBatch(sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] }))), ctx(), ingestDeps('named/'));
    await compactSteps(stepsEvent([compactStep('2026-06-26T10')]), engine);
    // The same three captures through the local pipeline.
    const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-named-'));
    const raw = new FsObjectStore(path.join(root, 'raw'));
    for (const t of T) await raw.put(rawKeyOf(t), bundle(t));
    await ingestObjects(raw, T.map(rawKeyOf), new FsObjectStore(path.join(root, 'out')));
    await compactStaging(new FsObjectStore(path.join(root, 'out')));
    const local = await openQueryEngine(path.join(root, 'out'));
    try {
      const pod = (await engine.query(`SELECT namespace, pod FROM discrepancy WHERE dt = '2026-06-26' AND cluster = 'it' AND pod IS NOT NULL ORDER BY namespace, pod LIMIT 1`)).rows[0]!;
      const params: Record<string, string> = { day: '2026-06-26', cluster: 'it', namespace: String(pod.namespace), pod: String(pod.pod), threshold_pct: '0', min_mib_per_hour: '0' };
      const canon = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(plainValue(r))).sort();
      let nonEmpty = 0;
      for (const q of loadNamedQueries()) {
        const sql = bindParams(q.sql, Object.fromEntries(q.params.map((p) => [p.name, params[p.name]!])));
        const [viaAthena, viaDuckDb] = [await engine.query(sql), await local.query(sql)];
        expect(canon(viaAthena.rows), q.name).toEqual(canon(viaDuckDb.rows));
        expect(viaAthena.columns.map((c) => c.name), q.name).toEqual(viaDuckDb.columns.map((c) => c.name));
        if (viaAthena.rows.length > 0) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThanOrEqual(3);
    } finally {
      await local.close();
    }
  });
});
