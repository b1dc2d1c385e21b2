/**
 * `npm run scale [-- --nodes N --json]`: what the AWS deployment costs per node-month at N nodes,
 * and how close each stage runs to its limits, from a scaled-down fleet run end to end on this
 * machine with the real code (docs/aws.md "Cost at 100 / 1,000 / 10,000 nodes"):
 *
 *   agents (the real batching loop on fake 110-pod nodes) → s3rver (behind counting proxies)
 *   → S3 notifications as SQS events, grouped like Lambda's SQS integration → the ingest Lambda
 *   bundle (dist/functions/ingest.mjs) in a warm sandbox → plan / compact / daily Lambda bundles,
 *   their SQS FIFO messages through an SQS stand-in, their SQL through the real Athena client
 *   against the Athena stand-in (test/integration/helpers/athena-standin.ts).
 *
 * Everything billed is counted as it happens (S3 requests by kind, SQS messages, invocations with
 * their CPU time and peak RSS, bytes scanned, bytes stored) and extrapolated linearly to N by
 * scripts/scale/model.ts, with the prices of scripts/prices.ts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { DEFAULT_BATCH_SIZE } from '../src/agent/batch.js';
import { UsageError } from '../src/errors.js';
import { ICEBERG_PROPERTIES, ICEBERG_TABLES, STAGED_TABLES, STAGING_PARTITION_KEYS, stagingGlueColumns, stagingTableName } from '../src/query/athena-tables.js';
import { S3ObjectStore } from '../src/store/s3-store.js';
import { startAthenaStandin, type StandinExecution } from '../test/integration/helpers/athena-standin.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../test/integration/helpers/s3rver.js';
import { PRICES } from './prices.js';
import { setSimulatedNow } from './scale/clock.js';
import { runFleet, type FleetResult } from './scale/fleet.js';
import { startSandbox, type LambdaSandbox } from './scale/lambda.js';
import { extrapolate, messagesPerInvocation, MONTH_SECONDS, type Measured, type MeasuredAthena, type MeasuredFunction, type ScaleResult, type Settings } from './scale/model.js';
import { startCountingProxy, type CountingProxy } from './scale/s3-counter.js';
import { limitsOf, loadServerlessSettings } from './scale/serverless-config.js';
import { invocations, sqsRecordOf } from './scale/sqs.js';
import { fifoStepsEvent } from '../test/integration/helpers/lambda-events.js';
import { startSqsStandin, type SqsStandin } from '../test/integration/helpers/sqs-standin.js';

const RAW = 'memgap-raw-scale';
const DATA = 'memgap-data-scale';

interface Options {
  /** Fleet sizes to extrapolate to (`--nodes 100,1000,10000`); the run forms ingest batches for the largest. */
  nodes: number[];
  fromMeasured?: string;
  json: boolean;
  simNodes: number;
  simHours: number;
  simClusters: number;
  clusterSize: number;
  batch: number;
  incidentsPerNodeDay: number;
  agentRestartsPerNodeMonth: number;
  build: boolean;
  keep: boolean;
  docker: boolean;
  markdown: boolean;
}

const USAGE = 'usage: npm run scale -- [--nodes 10000 | --nodes 100,1000,10000] [--json | --markdown] [--from-measured prev.json] [--sim-nodes 20] [--sim-hours 2] [--sim-clusters 3] [--cluster-size 1000] [--batch 15] [--incidents-per-node-day 2] [--agent-restarts-per-node-month 2] [--docker] [--no-build] [--keep]';

export function parseOptions(argv: string[]): Options {
  const o: Options = { nodes: [10_000], json: false, simNodes: 20, simHours: 2, simClusters: 3, clusterSize: 1_000, batch: DEFAULT_BATCH_SIZE, incidentsPerNodeDay: 2, agentRestartsPerNodeMonth: 2, build: true, keep: false, docker: false, markdown: false };
  const numeric: Record<string, keyof Options> = {
    '--sim-nodes': 'simNodes',
    '--sim-hours': 'simHours',
    '--sim-clusters': 'simClusters',
    '--cluster-size': 'clusterSize',
    '--batch': 'batch',
    '--incidents-per-node-day': 'incidentsPerNodeDay',
    '--agent-restarts-per-node-month': 'agentRestartsPerNodeMonth',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--markdown') o.markdown = true;
    else if (a === '--no-build') o.build = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--docker') o.docker = true;
    else if (a === '--nodes') {
      const list = (argv[++i] ?? '').split(',').map((x) => Number(x.replace(/_/g, '')));
      if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError('--nodes needs whole numbers ≥ 1, e.g. 10000 or 100,1000,10000');
      o.nodes = list;
    } else if (a === '--from-measured') {
      o.fromMeasured = argv[++i];
      if (!o.fromMeasured) throw new UsageError('--from-measured needs the file of a previous --json run');
    }
    else if (a === '--help' || a === '-h') throw new UsageError(USAGE);
    else if (numeric[a]) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new UsageError(`${a} needs a non-negative number`);
      (o as unknown as Record<string, number>)[numeric[a]!] = v;
    } else throw new UsageError(`unknown option ${a}\n${USAGE}`);
  }
  if (o.simHours * 60 < 1) throw new UsageError('--sim-hours must cover at least one minute');
  for (const k of ['simNodes', 'simClusters', 'clusterSize', 'batch'] as const) if (o[k] < 1) throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be at least 1`);
  if (o.simClusters > o.simNodes) throw new UsageError('--sim-clusters cannot exceed --sim-nodes');
  return o;
}

const log = (opts: Options, text: string) => {
  if (!opts.json || process.env.MEMGAP_SCALE_DEBUG) process.stderr.write(`${text}\n`);
};

function measuredFunction(sb: LambdaSandbox, proxy: CountingProxy, idleCpuMs: number, athenaWaitMs = 0, perObjectLog?: RegExp): MeasuredFunction {
  const inv = sb.invocations.filter((i) => i.units >= 0);
  // Log bytes: lines matching `perObjectLog` (one per object handled) apart from the rest (per invocation).
  const lines = sb.logText().split('\n').filter(Boolean);
  const perObjectBytes = perObjectLog ? lines.filter((l) => perObjectLog.test(l)).reduce((a, l) => a + l.length + 1, 0) : 0;
  return {
    memPoints: inv.filter((i) => i.peakRssMiB !== null).map((i) => ({ units: i.units, peakMiB: i.peakRssMiB! })),
    logPerObjectBytes: perObjectBytes,
    logFixedBytes: (sb.logBytes() - perObjectBytes) / Math.max(1, sb.invocations.length),
    invocations: inv.length,
    cpuMs: inv.reduce((a, i) => a + i.cpuMs, 0),
    wallMs: inv.reduce((a, i) => a + i.wallMs, 0),
    idleCpuMs,
    athenaWaitMs,
    maxRssMiB: Math.max(sb.initMaxRssMiB, ...sb.invocations.map((i) => i.maxRssMiB)),
    initRssMiB: sb.initMaxRssMiB,
    units: inv.reduce((a, i) => a + i.units, 0),
    maxUnits: Math.max(0, ...inv.map((i) => i.units)),
    logBytes: sb.logBytes(),
    s3: { ...proxy.counts.requests },
    s3BytesIn: proxy.counts.bytesIn,
  };
}

/** Athena statistics of some statements, split into staging / target bytes. */
function athenaOf(executions: readonly StandinExecution[]): MeasuredAthena {
  const ex = executions.filter((e) => e.state === 'SUCCEEDED' || e.state === 'FAILED');
  const staging = new Set(STAGED_TABLES.map((t) => stagingTableName(t)));
  let stagingBytes = 0;
  let targetBytes = 0;
  let filesRead = 0;
  let billed = 0;
  let commits = 0;
  const points: { bytes: number; ms: number }[] = [];
  for (const e of ex) {
    if (e.state === 'SUCCEEDED' && e.statementType !== 'DDL') points.push({ bytes: e.bytesScanned, ms: e.engineMs });
    for (const s of e.scanned) {
      if (staging.has(s.table)) stagingBytes += s.bytes;
      else targetBytes += s.bytes;
      filesRead += s.files;
    }
    if (e.state === 'SUCCEEDED' && e.statementType !== 'DDL') billed += Math.max(10_000_000, Math.ceil(e.bytesScanned / 1_000_000) * 1_000_000);
    if (e.statementType === 'DML' && e.substatementType !== 'SELECT' && e.state === 'SUCCEEDED') commits++;
  }
  return {
    queries: ex.filter((e) => e.statementType !== 'DDL').length,
    stagingBytes,
    targetBytes,
    billedBytes: billed,
    engineMs: ex.reduce((a, e) => a + e.engineMs, 0),
    filesRead,
    commits,
    // One data file per (table, dt, cluster) written: a commit of one step writes its cluster's day partition.
    partitionsWritten: commits,
    points,
  };
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (opts.fromMeasured) {
    // Re-extrapolate a previous run (its measured.input) to other fleet sizes, without running anything.
    const prev = JSON.parse(readFileSync(opts.fromMeasured, 'utf8')) as unknown;
    const first = (Array.isArray(prev) ? prev[0] : prev) as { measured?: { input?: Measured; settings?: Settings; assumptions?: Record<string, unknown> } };
    const m = first.measured;
    if (!m?.input || !m.settings || !m.assumptions) throw new UsageError(`${opts.fromMeasured} is not the output of npm run scale -- --json`);
    const a = m.assumptions as { clusterSize: number; agentRestartsPerNodeMonth: number; rawDays: number; tableDays: number; stagingDays: number };
    const { derived: _derived, ...common } = m as Record<string, unknown>;
    void _derived;
    const outs = opts.nodes.map((n) => present(extrapolate(m.input!, { nodes: n, clusterSize: a.clusterSize, agentRestartsPerNodeMonth: a.agentRestartsPerNodeMonth, rawDays: a.rawDays, tableDays: a.tableDays, stagingDays: a.stagingDays }, m.settings!), common));
    emit(opts, outs);
    return 0;
  }
  const started = Date.now();
  if (opts.build) {
    log(opts, 'building the Lambda bundles (scripts/build.mjs)…');
    const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (b.status !== 0) throw new Error('scripts/build.mjs failed');
  }
  const serverless = loadServerlessSettings();
  const ingestCfg = serverless.functions.ingest;
  if (!ingestCfg?.sqs?.batchSize) throw new Error('serverless.yml: the ingest function has no sqs batchSize');
  const settings: Settings = {
    ingest: { ...limitsOf(serverless, 'ingest'), batchSize: ingestCfg.sqs.batchSize, windowSeconds: ingestCfg.sqs.maximumBatchingWindow ?? 0, ...(ingestCfg.sqs.maximumConcurrency !== undefined ? { maxConcurrency: ingestCfg.sqs.maximumConcurrency } : {}) },
    plan: limitsOf(serverless, 'plan'),
    compact: limitsOf(serverless, 'compact'),
    daily: limitsOf(serverless, 'daily'),
    // Athena service quota "DML query timeout": 30 minutes by default.
    athenaDmlTimeoutSeconds: 30 * 60,
    // ATHENA_STEP_WAIT_SECONDS of compact and daily (serverless.yml param).
    stepAthenaWaitSeconds: Number(serverless.params.stepAthenaWaitSeconds ?? 60),
    stepVisibilitySeconds: Number(serverless.params.stepsVisibilityTimeout ?? 0),
  };

  const work = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'memgap-scale-'));
  // A snapshot of the bundles and the SQL they read (sql/ is found above the bundle): a rebuild of
  // dist/ while the run goes on changes nothing in it.
  const lambdaDir = path.join(work, 'lambda');
  mkdirSync(path.join(lambdaDir, 'functions'), { recursive: true });
  for (const fn of ['ingest', 'plan', 'compact', 'daily']) {
    if (!existsSync(`dist/functions/${fn}.mjs`)) throw new Error(`dist/functions/${fn}.mjs is missing: run without --no-build`);
    cpSync(`dist/functions/${fn}.mjs`, path.join(lambdaDir, 'functions', `${fn}.mjs`));
  }
  cpSync('sql', path.join(lambdaDir, 'sql'), { recursive: true });
  const s3 = await startS3rver({ buckets: [RAW, DATA] });
  const proxies = {
    agent: await startCountingProxy(s3.directEndpoint),
    ingest: await startCountingProxy(s3.directEndpoint),
    plan: await startCountingProxy(s3.directEndpoint),
    compact: await startCountingProxy(s3.directEndpoint),
    daily: await startCountingProxy(s3.directEndpoint),
  };
  // The harness's own reads (listing what the functions wrote), not counted in any cost.
  const harness = await startCountingProxy(s3.directEndpoint);
  const dataStore = () => new S3ObjectStore({ bucket: DATA, endpoint: harness.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS, checksums: 'WHEN_REQUIRED' });
  const sqs: SqsStandin = await startSqsStandin();
  // The SQS client sends to the queue URL's host, so the URLs point at the stand-in.
  const STEPS_QUEUE = sqs.queueUrl('memgap-steps-scale.fifo');
  const DAILY_QUEUE = sqs.queueUrl('memgap-daily-scale.fifo');
  // Messages not yet handed to a function, per queue URL.
  const taken = new Map<string, number>();
  const take = (url: string) => {
    const name = url.split('/').pop();
    const from = taken.get(url) ?? 0;
    taken.set(url, sqs.messages.length);
    return sqs.messages.slice(from).filter((m) => m.queue === name);
  };
  const athena = await startAthenaStandin({
    s3Directory: s3.directory,
    bucket: DATA,
    database: 'memgap',
    workGroup: 'memgap-scale',
    hiveTables: STAGED_TABLES.map((t) => ({
      name: stagingTableName(t),
      keyPrefix: `staging/${t}/`,
      columns: stagingGlueColumns(t).map((c) => ({ name: c.name, type: c.glue })),
      partitionKeys: STAGING_PARTITION_KEYS.map((k) => k.name),
    })),
  });
  const sandboxes: LambdaSandbox[] = [];
  const env = (fn: keyof typeof proxies): NodeJS.ProcessEnv => ({
    AWS_ENDPOINT_URL_S3: proxies[fn].endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_ATHENA: athena.endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    MEMGAP_S3_CHECKSUMS: 'WHEN_REQUIRED',
    RAW_BUCKET: RAW,
    RAW_PREFIX: 'raw/',
    OUTPUT_BUCKET: DATA,
    OUTPUT_PREFIX: '',
    S3_EVENT_KEY_ENCODING: 'url',
    ATHENA_WORKGROUP: athena.workGroup,
    ATHENA_DATABASE: athena.database,
    STEPS_QUEUE_URL: STEPS_QUEUE,
    DAILY_QUEUE_URL: DAILY_QUEUE,
    POWERTOOLS_SERVICE_NAME: `memgap-${fn}`,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  const sandbox = async (fn: keyof typeof proxies) => {
    const l = limitsOf(serverless, fn);
    const sb = await startSandbox({ name: fn, bundle: path.join(lambdaDir, 'functions', `${fn}.mjs`), memorySize: l.memorySize, timeout: l.timeout, env: env(fn) });
    sandboxes.push(sb);
    return sb;
  };
  const notes: string[] = [];
  try {
    // ---- 1. the fleet: real agents upload batches for simHours of simulated time
    const start = new Date(Date.UTC(2026, 10, 29, 0, 0, 0));
    const minutes = Math.round(opts.simHours * 60);
    log(opts, `fleet: ${opts.simNodes} ${opts.docker ? 'Docker' : 'containerd'} nodes × ${minutes} captures (110 pods each), ${opts.simClusters} clusters, batch ${opts.batch}…`);
    const fleet: FleetResult = await runFleet({
      dir: path.join(work, 'fleet'),
      nodes: opts.simNodes,
      clusters: opts.simClusters,
      minutes,
      pods: 110,
      batchSize: opts.batch,
      incidentsPerNodeDay: opts.incidentsPerNodeDay,
      docker: opts.docker,
      start,
      store: () =>
        new S3ObjectStore({ bucket: RAW, endpoint: proxies.agent.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS, checksums: 'WHEN_REQUIRED' }),
    });
    if (fleet.failures > 0) notes.push(`${fleet.failures} agent captures failed`);
    log(opts, `  ${fleet.captures} captures in ${fleet.objects} objects (${JSON.stringify(fleet.flushReasons)}), ${(fleet.wallMs / 1000).toFixed(0)} s`);

    // The raw objects, from s3rver's notifications, with their captures and simulated upload instant.
    const raw = s3.events
      .flatMap((e) => e.Records)
      .filter((r) => r.s3.bucket.name === RAW && r.eventName.startsWith('ObjectCreated') && r.s3.object.key.startsWith('raw/'))
      .map((r) => {
        const key = r.s3.object.key;
        const m = /\/([^/]+)_(\d+)\.json\.[a-z]+$/.exec(key);
        const first = m ? Date.parse(m[1]!) : NaN;
        const count = m ? Number(m[2]) : 1;
        // The agent uploads right after the batch's last capture.
        return { key, size: r.s3.object.size, captures: count, at: first + (count - 1) * 60_000 + 1_000 };
      })
      .sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
    const objectsByReason: Record<string, number> = {};
    const capturesByReason: Record<string, number> = {};
    for (const [reason, n] of Object.entries(fleet.flushReasons)) objectsByReason[reason] = n;
    for (const [reason, n] of Object.entries(fleet.capturesByReason)) capturesByReason[reason] = n;
    const rawBytes = raw.reduce((a, o) => a + o.size, 0);
    const records = raw.map((o) => ({ o, record: sqsRecordOf(RAW, o.key, o.size, new Date(o.at)) }));
    const notificationBytes = records.reduce((a, r) => a + Buffer.byteLength(r.record.body), 0);

    // ---- 2. ingest: invocations of the size Lambda's poller would form at N nodes
    const objectsPerNodeSecond = raw.length / opts.simNodes / (minutes * 60);
    const largestN = Math.max(...opts.nodes);
    const perInvocationN = messagesPerInvocation(objectsPerNodeSecond * largestN, { batchSize: settings.ingest.batchSize, windowSeconds: settings.ingest.windowSeconds, ...(settings.ingest.maxConcurrency !== undefined ? { maxConcurrency: settings.ingest.maxConcurrency } : {}), messageBytes: notificationBytes / Math.max(1, raw.length) });
    const simBatch = Math.max(1, Math.min(Math.round(perInvocationN), records.length));
    if (simBatch < Math.round(perInvocationN)) notes.push(`ingest: the run had ${records.length} messages, fewer than one invocation at N (${perInvocationN.toFixed(0)}); memory is extrapolated`);
    log(opts, `ingest: ${records.length} messages in invocations of ${simBatch} (${perInvocationN.toFixed(1)} per invocation at ${largestN} nodes)…`);
    const ingest = await sandbox('ingest');
    // Fixed cost of a warm invocation: a few with no records, after one to warm up.
    await ingest.invoke({ Records: [] }, -1);
    const idle: number[] = [];
    for (let i = 0; i < 3; i++) idle.push((await ingest.invoke({ Records: [] }, -1)).cpuMs);
    const ingestIdleCpuMs = Math.min(...idle);
    // Units: captures per invocation; clusters per invocation for the staging-file fit.
    let clusterSlots = 0;
    const batches = invocations(records.map((r) => r.record), simBatch);
    const captureCount = new Map(records.map((r) => [r.record.messageId, r.o]));
    // Captures per (arrival hour, cluster): the hour each object was ingested in decides its compaction step.
    const capturesByStep = new Map<string, number>();
    for (const event of batches) {
      const objs = event.Records.map((r) => captureCount.get(r.messageId)!);
      const at = Math.max(...objs.map((o) => o.at)) + settings.ingest.windowSeconds * 1000;
      clusterSlots += new Set(objs.map((o) => /cluster=([^/]+)/.exec(o.key)![1])).size;
      const arrival = new Date(at).toISOString().slice(0, 13);
      for (const o of objs) {
        const key = `${arrival}/${/cluster=([^/]+)/.exec(o.key)![1]}`;
        capturesByStep.set(key, (capturesByStep.get(key) ?? 0) + o.captures);
      }
      setSimulatedNow(at);
      const inv = await ingest.invoke(event, objs.reduce((a, o) => a + o.captures, 0), at);
      if (inv.error) throw new Error(`ingest invocation failed: ${inv.error}`);
      const failed = (inv.result as { batchItemFailures?: unknown[] } | null)?.batchItemFailures?.length ?? 0;
      if (failed > 0) notes.push(`ingest: ${failed} messages reported as failed`);
    }
    const staging: { key: string; size: number; arrival: string; cluster: string }[] = [];
    for await (const o of dataStore().list('staging/')) {
      const m = /arrival=([^/]+)\/cluster=([^/]+)\//.exec(o.key);
      if (m) staging.push({ key: o.key, size: o.size, arrival: m[1]!, cluster: m[2]! });
    }
    const ingestMeasured = measuredFunction(ingest, proxies.ingest, ingestIdleCpuMs, 0, /"message":"ingested"/);
    ingestMeasured.logPerObjectBytes /= Math.max(1, records.length);
    ingestMeasured.invocations = batches.length;
    log(opts, `  ${batches.length} invocations, ${(ingestMeasured.cpuMs / 1000).toFixed(1)} s CPU, peak RSS ${ingestMeasured.maxRssMiB} MiB, ${staging.length} staging files`);

    // ---- 3. plan + compaction per closed arrival hour
    const plan = await sandbox('plan');
    const compact = await sandbox('compact');
    const arrivals = [...new Set(staging.map((s) => s.arrival))].sort();
    // Athena statements by the step that ran them (compact = hourly MERGE; optimize/vacuum = maintain).
    const byStep: Record<'compact' | 'maintain' | 'daily', StandinExecution[]> = { compact: [], maintain: [], daily: [] };
    const compactStepCpu: { kind: string; cpuMs: number; peakMiB: number | null }[] = [];
    let compactSteps = 0;
    let compactTargetNodeHours = 0;
    let compactStagingNodeHours = 0;
    const merged = new Map<string, number>();
    let compactAthenaWait = 0;
    const stepsMessages = { compact: 0, daily: 0, optimize: 0, vacuum: 0, dailyForwarded: 0 };
    let stepsBytes = 0;
    const runSteps = async (at: number): Promise<void> => {
      const msgs = take(STEPS_QUEUE);
      for (const m of msgs) {
        const body = JSON.parse(m.body) as { step: keyof typeof stepsMessages; arrival?: string; cluster?: string };
        stepsMessages[body.step] = (stepsMessages[body.step] ?? 0) + 1;
        stepsBytes += Buffer.byteLength(m.body);
        if (body.step === 'compact') {
          compactSteps++;
          const stepKey = `${body.arrival}/${body.cluster}`;
          compactTargetNodeHours += (merged.get(body.cluster!) ?? 0) / 60;
          compactStagingNodeHours += (capturesByStep.get(stepKey) ?? 0) / 60;
          merged.set(body.cluster!, (merged.get(body.cluster!) ?? 0) + (capturesByStep.get(stepKey) ?? 0));
        }
        // One step per invocation: the steps of a group arrive one by one (an hour apart for compact).
        const before = athena.executions.length;
        const event: SQSEvent = fifoStepsEvent([JSON.parse(m.body) as { step: string; cluster?: string }]);
        setSimulatedNow(at);
        const inv = await compact.invoke(event, body.step === 'compact' ? 1 : -1, at);
        const ran = athena.executions.slice(before);
        if (body.step === 'compact') {
          compactAthenaWait += ran.reduce((a, e) => a + e.engineMs, 0);
          byStep.compact.push(...ran);
        } else if (body.step === 'optimize' || body.step === 'vacuum') byStep.maintain.push(...ran);
        compactStepCpu.push({ kind: body.step, cpuMs: inv.cpuMs, peakMiB: inv.peakRssMiB });
        if (inv.error) throw new Error(`compact invocation failed: ${inv.error}`);
        const failed = (inv.result as { batchItemFailures?: unknown[] } | null)?.batchItemFailures?.length ?? 0;
        if (failed > 0) throw new Error(`compact: step ${m.body} failed (see MEMGAP_SCALE_DEBUG=1)`);
      }
    };
    let planAthenaWait = 0;
    const runPlan = async (kind: string, at: number) => {
      const before = athena.executions.length;
      setSimulatedNow(at);
      const inv = await plan.invoke({ steps: kind, time: new Date(at).toISOString() }, 1, at);
      planAthenaWait += athena.executions.slice(before).reduce((a, e) => a + e.engineMs, 0);
      return inv;
    };
    for (const arrival of arrivals) {
      const at = Date.parse(`${arrival}:10:00Z`) + 3_600_000;
      const inv = await runPlan('compact', at);
      if (inv.error) throw new Error(`plan invocation failed: ${inv.error}`);
      await runSteps(at + 1_000);
    }
    const athenaCompact = athenaOf(byStep.compact);
    const compactMeasured = measuredFunction(compact, proxies.compact, 0, compactAthenaWait);
    log(opts, `compaction: ${compactSteps} steps, ${athenaCompact.queries} Athena statements, ${(athenaCompact.stagingBytes / 1e6).toFixed(1)} MB staging + ${(athenaCompact.targetBytes / 1e6).toFixed(1)} MB target scanned`);

    // ---- 4. daily: plan at 01:25 the next day → daily steps (forwarded by compact) → daily function; maintain at 02:40
    const daily = await sandbox('daily');
    let dailyWarm = false;
    const dailyPoints: { nodeHours: number; nodes: number; cpuMs: number; peakMiB: number | null }[] = [];
    const dayAfter = start.getTime() + 86_400_000;
    for (const [kind, offsetMs] of [['daily', 85 * 60_000], ['maintain', 160 * 60_000]] as const) {
      const at = dayAfter + offsetMs;
      const inv = await runPlan(kind, at);
      if (inv.error) throw new Error(`plan (${kind}) failed: ${inv.error}`);
      await runSteps(at + 1_000);
      for (const m of take(DAILY_QUEUE)) {
        stepsMessages.dailyForwarded++;
        const body = JSON.parse(m.body) as { step: string; cluster: string };
        const event = fifoStepsEvent([body]);
        setSimulatedNow(at + 2_000);
        if (!dailyWarm) {
          // A cold first run (module init, JIT) is not what the month's runs cost: run it once more and keep the second (the step is idempotent).
          const w = await daily.invoke(event, -1, at + 2_000);
          if (w.error) throw new Error(`daily invocation failed: ${w.error}`);
          dailyWarm = true;
        }
        const before = athena.executions.length;
        const d = await daily.invoke(event, 1, at + 2_000);
        byStep.daily.push(...athena.executions.slice(before));
        if (d.error) throw new Error(`daily invocation failed: ${d.error}`);
        const failed = (d.result as { batchItemFailures?: unknown[] } | null)?.batchItemFailures?.length ?? 0;
        if (failed > 0) throw new Error(`daily: step ${m.body} failed (see MEMGAP_SCALE_DEBUG=1)`);
        const nodes = fleet.clusterNodes[body.cluster] ?? 0;
        dailyPoints.push({ nodeHours: nodes * (minutes / 60), nodes, cpuMs: d.cpuMs, peakMiB: d.peakRssMiB });
      }
    }
    setSimulatedNow(null);
    const athenaDaily = athenaOf(byStep.daily);
    const athenaMaintain = athenaOf(byStep.maintain);
    const maintainCpuMs = compactStepCpu.filter((c) => c.kind === 'optimize' || c.kind === 'vacuum').reduce((a, c) => a + c.cpuMs, 0);
    const dailySteps = dailyPoints.length;
    const dailyMeasured = measuredFunction(daily, proxies.daily, 0, athenaDaily.engineMs);
    log(opts, `daily: ${dailySteps} cluster-days, ${athenaDaily.queries} Athena statements, ${(athenaDaily.billedBytes / 1e6).toFixed(0)} MB billed`);

    // ---- 5. bytes stored per table: the compacted tables as Parquet with the Iceberg tables' own
    // compression, one file per (dt, cluster) partition, as after the daily OPTIMIZE.
    const tableBytes = { samples: 0, discrepancy: 0, trends_daily: 0, reports: 0 };
    const compression = ICEBERG_PROPERTIES.write_compression ?? 'snappy';
    for (const t of ICEBERG_TABLES) {
      const file = path.join(work, `${t}.parquet`);
      await athena.duck(`COPY (SELECT * FROM awsdatacatalog.${athena.database}.${t} ORDER BY ALL) TO '${file}' (FORMAT parquet, COMPRESSION ${compression}, PARTITION_BY (dt, cluster))`);
      const size = dirBytes(file);
      if (t === 'trends_daily') tableBytes.trends_daily = size / opts.simNodes; // per node-day
      else if (t === 'samples' || t === 'discrepancy') tableBytes[t] = size / (fleet.captures / 60); // per node-hour
    }
    // The ON columns' share of the compacted tables (what a MERGE reads of its target).
    const colBytes = await athena.duck(
      `SELECT sum(CASE WHEN split_part(path_in_schema, ',', 1) IN ('node', 'captured_at') THEN total_compressed_size ELSE 0 END) AS on_cols, sum(total_compressed_size) AS total FROM parquet_metadata(['${path.join(work, 'samples.parquet')}/**/*.parquet', '${path.join(work, 'discrepancy.parquet')}/**/*.parquet'])`,
    );
    const mergeTargetColumnShare = Number(colBytes[0]?.on_cols ?? 0) / Math.max(1, Number(colBytes[0]?.total ?? 0));
    let reportBytes = 0;
    for await (const o of dataStore().list('reports/')) reportBytes += o.size;
    tableBytes.reports = reportBytes / Math.max(1, dailySteps); // per cluster-day

    // Retention from serverless.yml's lifecycle params; staging kept for the table horizon if no rule expires it.
    const fleetShape = {
      clusterSize: opts.clusterSize,
      agentRestartsPerNodeMonth: opts.agentRestartsPerNodeMonth,
      rawDays: Number(serverless.params.rawRetentionDays ?? 30),
      tableDays: 90,
      stagingDays: Number(serverless.params.stagingRetentionDays ?? 90),
    };
    if (serverless.params.stagingRetentionDays === undefined) notes.push('serverless.yml sets no stagingRetentionDays: staging counted as kept 90 days');
    const measured: Measured = {
      nodes: opts.simNodes,
      clusters: opts.simClusters,
      minutes,
      captures: fleet.captures,
      objectsByReason,
      capturesByReason,
      rawBytes,
      agentS3: { ...proxies.agent.counts.requests },
      notificationBytes,
      ingest: ingestMeasured,
      ingestMessages: records.length,
      ingestClusterSlots: clusterSlots,
      stagingFiles: staging.length,
      stagingBytes: staging.reduce((a, s) => a + s.size, 0),
      plan: measuredFunction(plan, proxies.plan, 0, planAthenaWait),
      compact: compactMeasured,
      daily: dailyMeasured,
      compactSteps,
      compactTargetNodeHours,
      compactStagingNodeHours,
      athenaCompact,
      athenaDaily,
      athenaMaintain,
      maintainCpuMs,
      optimizeSteps: stepsMessages.optimize,
      vacuumSteps: stepsMessages.vacuum,
      dailySteps,
      dailyNodeHours: dailyPoints.reduce((a, p) => a + p.nodeHours, 0),
      dailyPoints,
      stepsMessages,
      stepsBytes,
      tableBytes,
      mergeTargetColumnShare,
      reportsPerClusterDay: tableBytes.reports,
    };
    const common = {
        run: { nodes: opts.simNodes, clusters: opts.simClusters, hours: opts.simHours, captures: fleet.captures, wallSeconds: Math.round((Date.now() - started) / 1000), pricesChecked: PRICES.checked, region: PRICES.region },
        agent: { objects: raw.length, objectsByReason, capturesByReason, rawBytes, s3: proxies.agent.counts },
        ingest: { ...ingestMeasured, messages: records.length, messagesPerInvocation: simBatch, stagingFiles: staging.length, stagingBytes: measured.stagingBytes },
        plan: measured.plan,
        compact: { ...compactMeasured, steps: compactSteps, athena: athenaCompact },
        daily: { ...dailyMeasured, steps: dailySteps, athena: athenaDaily },
        sqs: { stepsMessages, stepsBytes, standinRequests: sqs.requests, notificationBytes },
        tableBytes,
        settings,
        assumptions: { monthDays: 30, capturesPerNodeMinute: 1, incidentsPerNodeDay: opts.incidentsPerNodeDay, node: opts.docker ? 'docker, cgroup v1 cgroupfs' : 'containerd, cgroup v2 systemd', ...fleetShape, tableCompression: compression, secondsPerMonth: MONTH_SECONDS },
        notes,
        input: measured,
    };
    const outs = opts.nodes.map((n) => present(extrapolate(measured, { ...fleetShape, nodes: n }, settings), common));
    emit(opts, outs);
    return 0;
  } finally {
    setSimulatedNow(null);
    for (const sb of sandboxes) await sb.close();
    await athena.close();
    await sqs.close();
    for (const p of [...Object.values(proxies), harness]) await p.close();
    await s3.close();
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
    else process.stderr.write(`kept ${work}\n`);
  }
}

/** Bytes of every file under `dir`. */
function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) total += e.isDirectory() ? dirBytes(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).size;
  return total;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

type Presented = ReturnType<typeof present>;

function emit(opts: Options, outs: Presented[]): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(outs.length === 1 ? outs[0] : outs, null, 2)}\n`);
  else if (opts.markdown) process.stdout.write(markdown(outs));
  else for (const o of outs) printTable(o);
}

/** The docs' table: one column per fleet size, one row per component, then the limits. */
function markdown(outs: Presented[]): string {
  const head = `| per node-month, USD | ${outs.map((o) => `${o.nodes.toLocaleString('en-US')} nodes`).join(' | ')} |`;
  const sep = `|---|${outs.map(() => '---:').join('|')}|`;
  const rows = outs[0]!.components.map((c, i) => `| ${c.name}${c.modelled ? ' *' : ''} | ${outs.map((o) => o.components[i]!.usdPerNodeMonth.toFixed(4)).join(' | ')} |`);
  const total = `| **total** | ${outs.map((o) => `**${o.usdPerNodeMonth.toFixed(4)}**`).join(' | ')} |`;
  const lhead = `| utilization at N | ${outs.map((o) => `${o.nodes.toLocaleString('en-US')} nodes`).join(' | ')} |`;
  const lrows = outs[0]!.limits.map((l, i) => `| ${l.stage}${l.basis ? ' †' : ''} | ${outs.map((o) => o.limits[i]!.utilization.toFixed(3)).join(' | ')} |`);
  return [head, sep, ...rows, total, '', lhead, sep, ...lrows, ''].join('\n');
}

/** One fleet size's answer: the figures of the issue's JSON shape, then what they came from. */
function present(result: ScaleResult, common: Record<string, unknown>) {
  return {
    nodes: result.nodes,
    usdPerNodeMonth: round(result.usdPerNodeMonth, 5),
    components: result.components.map((c) => ({ name: c.name, count: round(c.count, 3), unit: c.unit, usd: round(c.usd, 2), usdPerNodeMonth: round(c.usdPerNodeMonth, 5), ...(c.modelled ? { modelled: true } : {}) })),
    limits: result.limits.map((l) => ({ ...l, atN: round(l.atN, 3), utilization: round(l.utilization, 3) })),
    measured: { ...common, derived: result.derived } as unknown as Record<string, unknown> & { notes: string[] },
  };
}

function printTable(out: { nodes: number; usdPerNodeMonth: number; components: { name: string; count: number; unit: string; usd: number; usdPerNodeMonth: number; modelled?: boolean }[]; limits: { stage: string; limit: number; atN: number; utilization: number; unit: string }[]; measured: { notes: string[] } }): void {
  const w = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  const lines = [`memgap on AWS at ${out.nodes.toLocaleString('en-US')} nodes: $${out.usdPerNodeMonth.toFixed(4)} per node-month (${PRICES.region} list prices of ${PRICES.checked})`, ''];
  for (const c of out.components) lines.push(`  ${w(c.name + (c.modelled ? ' *' : ''), 58)} ${w(`${c.count.toLocaleString('en-US', { maximumFractionDigits: 1 })} ${c.unit}`, 26)} $${c.usd.toFixed(2)}/month  $${c.usdPerNodeMonth.toFixed(5)}/node`);
  lines.push('', '  * derived from measured counts by a stated rule (not observable locally); see docs/aws.md', '', 'limits at N:');
  for (const l of out.limits) lines.push(`  ${w(l.stage, 66)} ${w(`${l.atN.toLocaleString('en-US', { maximumFractionDigits: 2 })} / ${l.limit.toLocaleString('en-US')} ${l.unit}`, 32)} ${(l.utilization * 100).toFixed(1)} %`);
  for (const n of out.measured.notes) lines.push(`note: ${n}`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`scale: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
