/**
 * `npm run scale`: from what the scaled-down run measured to the monthly cost and the limits at N
 * nodes. Pure arithmetic, one place, unit-tested (test/unit/scale/model.test.ts). Every count
 * comes from `Measured` (the run) times a fleet size; the only other inputs are the fleet's shape
 * (`Fleet`), the deployment's settings (`Settings`, read from serverless.yml) and PRICES.
 *
 * Units: a month is 30 days; one capture per node per minute; raw objects are kept `rawDays`,
 * tables `tableDays`. Where AWS does something the local run cannot observe (Athena's own S3
 * reads and Iceberg commits, SQS polling), the count is derived from measured quantities by a
 * stated rule and the component is marked `modelled`.
 */
import { athenaBilledBytes } from '../../src/query/athena.js';
import { PRICES } from '../prices.js';

export const MONTH_SECONDS = 30 * 86_400;
export const MONTH_MINUTES = 30 * 1_440;
export const MONTH_HOURS = 30 * 24;

/** What one Lambda function's invocations cost and use, measured in its warm sandbox. */
export interface MeasuredFunction {
  invocations: number;
  /** CPU ms of all invocations (user + system, all threads). */
  cpuMs: number;
  /** Wall ms of all invocations. */
  wallMs: number;
  /** CPU ms of a warm invocation with nothing to do (fixed cost per invocation). */
  idleCpuMs: number;
  /** Wall ms the function spent waiting on Athena (included in wallMs). */
  athenaWaitMs: number;
  /** Largest peak RSS seen (MiB), and the RSS right after loading. */
  maxRssMiB: number;
  initRssMiB: number;
  /** Units of work of the invocations (captures for ingest, steps for the others), total and of the largest invocation. */
  units: number;
  maxUnits: number;
  logBytes: number;
  /** Log bytes per invocation apart from per-object lines, and per object (ingest's one line per object). */
  logFixedBytes: number;
  logPerObjectBytes: number;
  /** Each measured invocation's own peak RSS (MiB) against its units, for the memory fit. */
  memPoints: { units: number; peakMiB: number }[];
  s3: Record<string, number>;
  s3BytesIn: number;
}

export interface MeasuredAthena {
  queries: number;
  /** Bytes scanned, of which in staging tables / in compacted (target) tables. */
  stagingBytes: number;
  targetBytes: number;
  /** Bytes billed (per query: next MB, 10 MB minimum; DDL free), and the engine's time. */
  billedBytes: number;
  engineMs: number;
  /** Files the statements read (for Athena's own S3 GETs) and partitions written (Iceberg commits). */
  filesRead: number;
  commits: number;
  partitionsWritten: number;
  /** Each billed statement's bytes scanned and engine time, for the time fit. */
  points: { bytes: number; ms: number }[];
}

export interface Measured {
  nodes: number;
  clusters: number;
  minutes: number;
  captures: number;
  /** Agent objects by flush reason ('full', 'start', 'shutdown', 'near-limit', 'oom-kill', 'restart'), and the captures in them. */
  objectsByReason: Record<string, number>;
  capturesByReason: Record<string, number>;
  rawBytes: number;
  agentS3: Record<string, number>;
  /** S3 notification message bodies (bytes, total). */
  notificationBytes: number;
  ingest: MeasuredFunction;
  /** Invocations of the run and the messages they held (for the per-invocation fits). */
  ingestMessages: number;
  /** Σ over ingest invocations of distinct clusters in the invocation, and the staging files put. */
  ingestClusterSlots: number;
  stagingFiles: number;
  stagingBytes: number;
  plan: MeasuredFunction;
  compact: MeasuredFunction;
  daily: MeasuredFunction;
  /** Compaction steps run (cluster-hours) and the node-hours of data in their targets when they ran. */
  compactSteps: number;
  compactTargetNodeHours: number;
  compactStagingNodeHours: number;
  athenaCompact: MeasuredAthena;
  /** The daily function's statements (trends MERGE, report queries). */
  athenaDaily: MeasuredAthena;
  /** The maintain steps' statements (OPTIMIZE per cluster-day, VACUUM per table), run by the compact function, and its CPU for them. */
  athenaMaintain: MeasuredAthena;
  maintainCpuMs: number;
  optimizeSteps: number;
  vacuumSteps: number;
  /** Daily steps run (cluster-days) and the node-hours of data they covered. */
  dailySteps: number;
  dailyNodeHours: number;
  /** Each daily step's node-hours of data and the daily function's CPU ms for it (fit: fixed + per node-hour). */
  dailyPoints: { nodeHours: number; nodes: number; cpuMs: number; peakMiB: number | null }[];
  /** Steps-queue messages per cluster-hour (compact) and per cluster-day (daily, optimize) and per day (vacuum). */
  stepsMessages: { compact: number; daily: number; optimize: number; vacuum: number; dailyForwarded: number };
  stepsBytes: number;
  /** Bytes stored per table from the run's data: samples/discrepancy per node-hour of data, trends per node-day. */
  tableBytes: { samples: number; discrepancy: number; trends_daily: number; reports: number };
  /**
   * Share of the compacted tables' bytes in the MERGE's ON columns (node, captured_at; dt and cluster
   * are partition values, not stored). A MERGE … WHEN NOT MATCHED THEN INSERT reads only these of the
   * target; the stand-in counts every column the statement names (the INSERT list names all).
   */
  mergeTargetColumnShare: number;
  reportsPerClusterDay: number;
}

export interface Fleet {
  nodes: number;
  /** Nodes per cluster at N (clusters = ceil(nodes / clusterSize)). */
  clusterSize: number;
  /** Agent restarts per node per month (rollouts, node replacement): one start and one shutdown flush each. */
  agentRestartsPerNodeMonth: number;
  rawDays: number;
  tableDays: number;
  /** Days staging files are kept (lifecycle), or the table horizon when no rule expires them. */
  stagingDays: number;
}

export interface LambdaSettings {
  memorySize: number;
  timeout: number;
}

export interface Settings {
  ingest: LambdaSettings & { batchSize: number; windowSeconds: number; maxConcurrency?: number };
  plan: LambdaSettings;
  compact: LambdaSettings;
  daily: LambdaSettings;
  /** Athena DML query timeout (service quota, default 30 min). */
  athenaDmlTimeoutSeconds: number;
  /** How long a compact/daily invocation waits for Athena before handing its message back (ATHENA_STEP_WAIT_SECONDS; 60 when absent). */
  stepAthenaWaitSeconds?: number;
  /** The steps queues' visibility timeout: when a handed-back step is received again. */
  stepVisibilitySeconds?: number;
}

export interface Component {
  name: string;
  /** Fleet-wide count per month of what is billed (requests, GB-s, GB-months, bytes…); see `unit`. */
  count: number;
  unit: string;
  /** Fleet-wide USD per month. */
  usd: number;
  usdPerNodeMonth: number;
  modelled?: boolean;
}

export interface Limit {
  stage: string;
  limit: number;
  atN: number;
  utilization: number;
  unit: string;
  /** How `atN` was obtained when it is not a measured quantity scaled linearly. */
  basis?: string;
}

/**
 * Stages whose time at N is the Athena stand-in's engine time (DuckDB in one process on this VM,
 * translated SQL) fitted per byte and scaled: Athena runs the same scan on many workers, so this is
 * an upper bound, not a measurement of Athena. A first real deploy must measure it.
 */
export const STANDIN_TIME_BASIS = 'Athena stand-in (DuckDB, one process on this VM) time per byte, scaled: an upper bound, not Athena';

export interface ScaleResult {
  nodes: number;
  usdPerNodeMonth: number;
  components: Component[];
  limits: Limit[];
  derived: Record<string, number>;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/**
 * y ≈ a + b·x by least squares, with a, b ≥ 0 (a fixed cost and a cost per unit, neither
 * negative); one point or equal x's give a = 0 and b = Σy / Σx (all of it proportional).
 */
export function fitLine(points: readonly { x: number; y: number }[]): { a: number; b: number } {
  const n = points.length;
  if (n === 0) return { a: 0, b: 0 };
  const sx = points.reduce((t, p) => t + p.x, 0);
  const sy = points.reduce((t, p) => t + p.y, 0);
  const sxx = points.reduce((t, p) => t + p.x * p.x, 0);
  const sxy = points.reduce((t, p) => t + p.x * p.y, 0);
  const den = n * sxx - sx * sx;
  const proportional = () => ({ a: 0, b: sx > 0 ? sy / sx : 0 });
  if (n < 2 || den <= 1e-12 * Math.max(1, sxx * n)) return proportional();
  const b = (n * sxy - sx * sy) / den;
  const a = (sy - b * sx) / n;
  if (b < 0) return { a: sy / n, b: 0 };
  if (a < 0) return { a: 0, b: sxx > 0 ? sxy / sxx : 0 };
  return { a, b };
}
const safeDiv = (a: number, b: number) => (b > 0 ? a / b : 0);

/** Lambda's vCPU share at a memory size: proportional up to 1 vCPU at 1,769 MB; one JS thread cannot use more than one. */
export function vcpuShare(memoryMb: number): number {
  return Math.min(1, memoryMb / PRICES.lambda.mbPerVcpu);
}

/** Seconds of an invocation on Lambda: its CPU at the vCPU share, plus the time it waits (Athena, I/O) that CPU does not explain. */
export function lambdaSeconds(cpuMs: number, waitMs: number, memoryMb: number): number {
  return cpuMs / 1000 / vcpuShare(memoryMb) + Math.max(0, waitMs) / 1000;
}

/** Expected distinct clusters among `k` objects drawn from `clusters` equally busy clusters. */
export function expectedDistinct(k: number, clusters: number): number {
  if (clusters <= 1) return 1;
  return clusters * (1 - (1 - 1 / clusters) ** k);
}

/** Messages per ingest invocation at an arrival rate (Lambda's SQS poller: batch size, window, 6 MB, five pollers). */
export function messagesPerInvocation(arrivalsPerSecond: number, s: { batchSize: number; windowSeconds: number; maxConcurrency?: number; messageBytes: number }): number {
  const pollers = Math.max(1, Math.min(5, s.maxConcurrency ?? 5));
  const inWindow = (arrivalsPerSecond * Math.max(0, s.windowSeconds)) / pollers;
  const byPayload = Math.floor((6 * 1024 * 1024) / Math.max(1, s.messageBytes));
  return Math.max(1, Math.min(s.batchSize, byPayload, inWindow));
}

const s3RequestUsd = (kinds: Record<string, number>) =>
  ((kinds.PUT ?? 0) + (kinds.COPY ?? 0) + (kinds.POST ?? 0) + (kinds.LIST ?? 0)) * PRICES.s3.putCopyPostListPerRequest + ((kinds.GET ?? 0) + (kinds.HEAD ?? 0) + (kinds.OTHER ?? 0)) * PRICES.s3.getPerRequest;

const scaleKinds = (kinds: Record<string, number>, f: number) => Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v * f]));

export function extrapolate(m: Measured, fleet: Fleet, settings: Settings): ScaleResult {
  const N = fleet.nodes;
  const clustersN = Math.max(1, Math.ceil(N / fleet.clusterSize));
  const nodesPerClusterN = N / clustersN;
  const capturesN = N * MONTH_MINUTES;
  const components: Component[] = [];
  const limits: Limit[] = [];
  const add = (name: string, count: number, unit: string, usd: number, modelled = false) => components.push({ name, count, unit, usd, usdPerNodeMonth: usd / N, ...(modelled ? { modelled } : {}) });
  const limit = (stage: string, lim: number, atN: number, unit: string, basis?: string) => limits.push({ stage, limit: lim, atN, utilization: safeDiv(atN, lim), unit, ...(basis ? { basis } : {}) });

  // ---- agent objects: steady batches + event flushes per capture, plus start/stop per restart
  const steadyReasons = Object.keys(m.objectsByReason).filter((r) => r !== 'start' && r !== 'shutdown');
  const steadyObjects = steadyReasons.reduce((a, r) => a + m.objectsByReason[r]!, 0);
  const steadyCaptures = steadyReasons.reduce((a, r) => a + (m.capturesByReason[r] ?? 0), 0);
  const objectsPerCapture = safeDiv(steadyObjects, steadyCaptures);
  const objectsN = capturesN * objectsPerCapture + N * fleet.agentRestartsPerNodeMonth * 2;
  const totalObjects = sum(m.objectsByReason);
  const agentKinds = scaleKinds(m.agentS3, safeDiv(objectsN, totalObjects));
  add('S3 requests: agent uploads', sum(agentKinds), 'requests', s3RequestUsd(agentKinds));

  // ---- raw storage: bytes per capture × captures kept rawDays
  const rawBytesPerCapture = safeDiv(m.rawBytes, m.captures);
  const rawStoredGb = (rawBytesPerCapture * N * 1_440 * fleet.rawDays) / PRICES.s3.bytesPerGb;
  add(`S3 storage: raw (${fleet.rawDays} days)`, rawStoredGb, 'GB-month', rawStoredGb * PRICES.s3.storagePerGbMonth);

  // ---- SQS (standard) for S3 notifications → ingest
  const messageBytes = safeDiv(m.notificationBytes, totalObjects);
  const arrivals = objectsN / MONTH_SECONDS;
  const perInvocation = messagesPerInvocation(arrivals, { batchSize: settings.ingest.batchSize, windowSeconds: settings.ingest.windowSeconds, ...(settings.ingest.maxConcurrency !== undefined ? { maxConcurrency: settings.ingest.maxConcurrency } : {}), messageBytes });
  const ingestInvocationsN = objectsN / perInvocation;
  // S3 sends each notification (one request per 64 KB chunk); the poller's ReceiveMessage returns at
  // most 10 messages, DeleteMessageBatch deletes at most 10; five idle long polls of 20 s run all month.
  const sends = objectsN * Math.ceil(messageBytes / PRICES.sqs.chunkBytes);
  const receives = ingestInvocationsN * Math.ceil(perInvocation / 10) * Math.ceil((Math.min(10, perInvocation) * messageBytes) / PRICES.sqs.chunkBytes);
  const deletes = ingestInvocationsN * Math.ceil(perInvocation / 10);
  const idlePolls = 5 * (MONTH_SECONDS / 20);
  const sqsIngest = sends + receives + deletes + idlePolls;
  add('SQS: ingest queue (notifications, polls, deletes)', sqsIngest, 'requests', sqsIngest * PRICES.sqs.standardPerRequest, true);

  // ---- ingest Lambda
  const capturesPerObject = safeDiv(m.captures, totalObjects);
  const capturesPerInvocationN = perInvocation * capturesPerObject;
  const ingestCpuPerCapture = safeDiv(m.ingest.cpuMs - m.ingest.invocations * m.ingest.idleCpuMs, m.ingest.units);
  // CPU only: the run's wall time on a shared VM is mostly waiting for a core, and S3 from inside AWS is not s3rver.
  const ingestSecondsN = lambdaSeconds(m.ingest.idleCpuMs + ingestCpuPerCapture * capturesPerInvocationN, 0, settings.ingest.memorySize);
  const ingestGbs = ingestInvocationsN * ingestSecondsN * (settings.ingest.memorySize / 1024);
  add('Lambda ingest: GB-seconds', ingestGbs, 'GB-s', ingestGbs * PRICES.lambda.arm64PerGbSecond);
  add('Lambda ingest: requests', ingestInvocationsN, 'invocations', ingestInvocationsN * PRICES.lambda.perRequest);
  limit('ingest: invocation duration / timeout', settings.ingest.timeout, ingestSecondsN, 's');
  // Memory: each invocation's own peak against its captures, fitted (fixed + per capture), at N's batch;
  // never below the largest peak the run saw.
  const ingestMemFit = fitLine(m.ingest.memPoints.map((p) => ({ x: p.units, y: p.peakMiB })));
  const ingestRssN = m.ingest.memPoints.length > 0 ? Math.max(ingestMemFit.a + ingestMemFit.b * capturesPerInvocationN, capturesPerInvocationN >= m.ingest.maxUnits ? m.ingest.maxRssMiB : 0) : m.ingest.initRssMiB + (m.ingest.maxRssMiB - m.ingest.initRssMiB) * Math.max(1, safeDiv(capturesPerInvocationN, m.ingest.maxUnits));
  limit('ingest: peak memory / memorySize', settings.ingest.memorySize, ingestRssN * 1.048576, 'MB');
  limit('ingest: SQS batch payload / 6 MB', 6 * 1024 * 1024, perInvocation * messageBytes, 'bytes');
  if (settings.ingest.maxConcurrency !== undefined) limit('ingest: concurrent invocations / maximumConcurrency', settings.ingest.maxConcurrency, (ingestInvocationsN / MONTH_SECONDS) * ingestSecondsN, 'invocations');
  // ingest S3: raw GETs per object, staging PUTs per (invocation, cluster, table), the rest per invocation
  const clustersPerInvocationN = expectedDistinct(perInvocation, clustersN);
  const stagingPerSlot = safeDiv(m.stagingFiles, m.ingestClusterSlots);
  const stagingPutsN = ingestInvocationsN * clustersPerInvocationN * stagingPerSlot;
  const ingestKinds = scaleKinds(m.ingest.s3, 0);
  ingestKinds.GET = (m.ingest.s3.GET ?? 0) * safeDiv(objectsN, totalObjects);
  ingestKinds.PUT = stagingPutsN + Math.max(0, (m.ingest.s3.PUT ?? 0) - m.stagingFiles) * safeDiv(objectsN, totalObjects);
  for (const k of ['LIST', 'HEAD', 'POST', 'COPY', 'OTHER', 'DELETE']) ingestKinds[k] = (m.ingest.s3[k] ?? 0) * safeDiv(ingestInvocationsN, m.ingest.invocations);
  add('S3 requests: ingest (raw reads, staging writes)', sum(ingestKinds), 'requests', s3RequestUsd(ingestKinds));
  const stagingBytesPerCapture = safeDiv(m.stagingBytes, m.captures);
  const stagingGb = (stagingBytesPerCapture * N * 1_440 * fleet.stagingDays) / PRICES.s3.bytesPerGb;
  add(`S3 storage: staging (${fleet.stagingDays} days)`, stagingGb, 'GB-month', stagingGb * PRICES.s3.storagePerGbMonth);

  // ---- plan Lambda: hourly (compact) + daily + maintain runs, fleet-wide
  const planRunsN = MONTH_HOURS + 30 + 30;
  const planPerRun = safeDiv(1, m.plan.invocations);
  const planCpuPerRun = m.plan.cpuMs * planPerRun;
  const planWaitPerRun = m.plan.athenaWaitMs * planPerRun;
  // A plan run lists staging of the hour (per cluster) — its CPU grows with clusters, not nodes.
  const planClusterFactor = clustersN / Math.max(1, m.clusters);
  const planSecondsN = lambdaSeconds(planCpuPerRun * planClusterFactor, planWaitPerRun, settings.plan.memorySize);
  const planGbs = planRunsN * planSecondsN * (settings.plan.memorySize / 1024);
  add('Lambda plan: GB-seconds + requests', planGbs, 'GB-s', planGbs * PRICES.lambda.arm64PerGbSecond + planRunsN * PRICES.lambda.perRequest);
  limit('plan: invocation duration / timeout', settings.plan.timeout, planSecondsN, 's');
  limit('plan: peak memory / memorySize', settings.plan.memorySize, m.plan.maxRssMiB * 1.048576, 'MB');
  const planKinds = scaleKinds(m.plan.s3, planPerRun * planRunsN * planClusterFactor);
  add('S3 requests: plan (staging listings)', sum(planKinds), 'requests', s3RequestUsd(planKinds));

  // ---- steps queue (FIFO): one compact step per cluster-hour, daily + optimize per cluster-day, vacuum per table-day
  const compactStepsN = clustersN * MONTH_HOURS;
  const dailyStepsN = clustersN * 30;
  const vacuumPerDay = safeDiv(m.stepsMessages.vacuum, Math.max(1, m.dailySteps > 0 ? 1 : 0));
  const fifoMessages = compactStepsN + dailyStepsN * 2 /* daily + optimize */ + vacuumPerDay * 30 + dailyStepsN /* daily forwarded to the daily queue */;
  // Each message: send, receive, delete (FIFO receives deliver one group's messages in order).
  const fifoRequests = fifoMessages * 3 * Math.max(1, Math.ceil(safeDiv(m.stepsBytes, Math.max(1, sum(m.stepsMessages))) / PRICES.sqs.chunkBytes));
  add('SQS FIFO: steps + daily queues', fifoRequests, 'requests', fifoRequests * PRICES.sqs.fifoPerRequest, true);

  // ---- compaction: per cluster-hour step. Athena scans the hour's staging (∝ nodes per cluster) and the
  // target partition's join columns (∝ nodes per cluster × hours of the day already merged: 11.5 on average).
  const stagingScanPerNodeHour = safeDiv(m.athenaCompact.stagingBytes, m.compactStagingNodeHours);
  const targetScanPerNodeHour = safeDiv(m.athenaCompact.targetBytes, m.compactTargetNodeHours) * (m.mergeTargetColumnShare || 1);
  const queriesPerStep = safeDiv(m.athenaCompact.queries, m.compactSteps);
  const avgHoursMerged = 11.5;
  const compactScanPerStepN = stagingScanPerNodeHour * nodesPerClusterN + targetScanPerNodeHour * nodesPerClusterN * avgHoursMerged;
  const compactBilledPerStepN = queriesPerStep * athenaBilledBytes(compactScanPerStepN / Math.max(1, queriesPerStep), 'DML');
  const compactTb = (compactStepsN * compactBilledPerStepN) / PRICES.athena.bytesPerTb;
  add('Athena: hourly MERGE (compaction)', compactTb, 'TB scanned', compactTb * PRICES.athena.perTbScanned);
  // Athena's time: the stand-in's engine time per statement fitted as fixed + per byte scanned, at the step's bytes at N.
  const compactFit = fitLine(m.athenaCompact.points.map((p) => ({ x: p.bytes, y: p.ms })));
  const compactAthenaSecondsN = (queriesPerStep * compactFit.a + compactFit.b * compactScanPerStepN) / 1000;
  const compactCpuPerStep = safeDiv(m.compact.cpuMs, m.compactSteps);
  // Its own CPU, plus the wait for Athena (billed: the function polls until the statements finish).
  const compactSecondsN = lambdaSeconds(compactCpuPerStep, compactAthenaSecondsN * 1000, settings.compact.memorySize);
  const compactGbs = compactStepsN * compactSecondsN * (settings.compact.memorySize / 1024);
  add('Lambda compact: GB-seconds + requests', compactGbs, 'GB-s', compactGbs * PRICES.lambda.arm64PerGbSecond + compactStepsN * PRICES.lambda.perRequest);
  // One invocation waits for Athena at most the poll budget, then the message comes back and re-attaches (src/query/athena.ts).
  const stepWaitSeconds = settings.stepAthenaWaitSeconds ?? 60;
  const invocationSeconds = (cpuMs: number, athenaSeconds: number, memoryMb: number) => lambdaSeconds(cpuMs, Math.min(athenaSeconds, stepWaitSeconds) * 1000, memoryMb);
  limit('compact: cluster-hour step invocation / timeout', settings.compact.timeout, invocationSeconds(compactCpuPerStep, compactAthenaSecondsN, settings.compact.memorySize), 's', STANDIN_TIME_BASIS);
  limit('compact: peak memory / memorySize', settings.compact.memorySize, m.compact.maxRssMiB * 1.048576, 'MB');
  // The group is held until the step's last receive: a statement outlasting the budget is looked at again every visibility timeout.
  const visibility = settings.stepVisibilitySeconds ?? 0;
  const redeliveries = compactAthenaSecondsN > stepWaitSeconds && visibility > 0 ? Math.ceil((compactAthenaSecondsN - stepWaitSeconds) / visibility) : 0;
  limit('compact: one cluster-hour step / one hour (FIFO group keeps up)', 3600, Math.max(compactSecondsN, redeliveries * visibility + invocationSeconds(compactCpuPerStep, compactAthenaSecondsN, settings.compact.memorySize)), 's', STANDIN_TIME_BASIS);
  limit('Athena: MERGE per cluster-hour / DML timeout', settings.athenaDmlTimeoutSeconds, compactAthenaSecondsN / Math.max(1, queriesPerStep), 's', STANDIN_TIME_BASIS);
  // Athena's own S3 traffic (not observable in the stand-in): each file read costs about two GETs
  // (footer, then the column chunks); each commit writes its partitions' data files plus three
  // Iceberg metadata files (manifest, manifest list, metadata.json) and reads the current metadata.
  const filesPerStep = safeDiv(m.athenaCompact.filesRead, m.compactSteps);
  const filesPerStepN = filesPerStep; // files per step do not grow with nodes: one staging file per table per ingest invocation and cluster
  const commitsPerStep = safeDiv(m.athenaCompact.commits, m.compactSteps);
  const partsPerStep = safeDiv(m.athenaCompact.partitionsWritten, m.compactSteps);
  const stagingFilesPerStepN = (ingestInvocationsN * clustersPerInvocationN * stagingPerSlot) / Math.max(1, compactStepsN);
  const athenaGets = compactStepsN * (2 * (filesPerStepN + stagingFilesPerStepN) + 2 * commitsPerStep);
  const athenaPuts = compactStepsN * (partsPerStep + 3 * commitsPerStep);
  add('S3 requests: Athena compaction reads + Iceberg commits', athenaGets + athenaPuts, 'requests', athenaGets * PRICES.s3.getPerRequest + athenaPuts * PRICES.s3.putCopyPostListPerRequest, true);

  // ---- daily: trends_daily + report per cluster-day, OPTIMIZE per cluster-day, VACUUM per table-day
  const dailyScale = safeDiv(nodesPerClusterN * 24, safeDiv(m.dailyNodeHours, Math.max(1, m.dailySteps)));
  const dailyBilledPerStep = safeDiv(m.athenaDaily.billedBytes, m.dailySteps);
  const dailyScanPerStep = safeDiv(m.athenaDaily.stagingBytes + m.athenaDaily.targetBytes, m.dailySteps);
  const dailyQueriesPerStep = safeDiv(m.athenaDaily.queries, m.dailySteps);
  const dailyScanPerStepN = dailyScanPerStep * dailyScale;
  // Every statement is billed at least 10 MB: what the run billed per step is the floor, the scaled scan the estimate above it.
  const dailyBilledPerStepN = Math.max(dailyBilledPerStep, dailyQueriesPerStep * athenaBilledBytes(dailyScanPerStepN / Math.max(1, dailyQueriesPerStep), 'DML'));
  const dailyTb = (dailyStepsN * dailyBilledPerStepN) / PRICES.athena.bytesPerTb;
  add('Athena: daily trends + report', dailyTb, 'TB scanned', dailyTb * PRICES.athena.perTbScanned);
  const dailyFit = fitLine(m.athenaDaily.points.map((p) => ({ x: p.bytes, y: p.ms })));
  const dailyAthenaSecondsN = (dailyQueriesPerStep * dailyFit.a + dailyFit.b * dailyScanPerStepN) / 1000;
  // The function's own CPU (report rendering, result paging) per step: fixed + per node-hour of the cluster-day.
  const dailyCpuFit = fitLine(m.dailyPoints.map((p) => ({ x: p.nodeHours, y: p.cpuMs })));
  const dailyCpuPerStepN = dailyCpuFit.a + dailyCpuFit.b * nodesPerClusterN * 24;
  const dailySecondsN = lambdaSeconds(dailyCpuPerStepN, dailyAthenaSecondsN * 1000, settings.daily.memorySize);
  const dailyGbs = dailyStepsN * dailySecondsN * (settings.daily.memorySize / 1024);
  add('Lambda daily: GB-seconds + requests', dailyGbs, 'GB-s', dailyGbs * PRICES.lambda.arm64PerGbSecond + dailyStepsN * PRICES.lambda.perRequest);
  limit('daily: cluster-day step invocation / timeout', settings.daily.timeout, invocationSeconds(dailyCpuPerStepN, dailyAthenaSecondsN, settings.daily.memorySize), 's', STANDIN_TIME_BASIS);
  // Memory: each step's own peak against its cluster's nodes (report rows grow with pods, not hours), fitted.
  const dailyMemPoints = m.dailyPoints.filter((p) => p.peakMiB !== null).map((p) => ({ x: p.nodes, y: p.peakMiB! }));
  const dailyMemFit = fitLine(dailyMemPoints);
  const dailyRssN = dailyMemPoints.length > 0 ? dailyMemFit.a + dailyMemFit.b * nodesPerClusterN : m.daily.maxRssMiB;
  limit('daily: peak memory / memorySize', settings.daily.memorySize, dailyRssN * 1.048576, 'MB');
  limit('Athena: daily statements per cluster-day / DML timeout', settings.athenaDmlTimeoutSeconds, dailyAthenaSecondsN / Math.max(1, dailyQueriesPerStep), 's', STANDIN_TIME_BASIS);
  // Maintain: OPTIMIZE rewrites a cluster-day (∝ node-hours, like the daily scan); VACUUM works on table metadata (per table-day, unscaled).
  const optimizeStepsN = clustersN * 30;
  const vacuumStepsN = safeDiv(m.vacuumSteps, 1) * 30;
  const maintainBilledRun = m.athenaMaintain.billedBytes;
  const maintainScanRun = m.athenaMaintain.stagingBytes + m.athenaMaintain.targetBytes;
  const optimizeScanPerStepN = safeDiv(maintainScanRun, m.optimizeSteps) * dailyScale;
  const maintainQueriesPerOptimize = safeDiv(m.athenaMaintain.queries - m.vacuumSteps, m.optimizeSteps);
  const optimizeBilledN = optimizeStepsN * Math.max(safeDiv(maintainBilledRun, Math.max(1, m.optimizeSteps + m.vacuumSteps)), maintainQueriesPerOptimize * athenaBilledBytes(optimizeScanPerStepN / Math.max(1, maintainQueriesPerOptimize), 'DML'));
  const maintainTb = optimizeBilledN / PRICES.athena.bytesPerTb;
  add('Athena: daily OPTIMIZE + VACUUM', maintainTb, 'TB scanned', maintainTb * PRICES.athena.perTbScanned);
  const maintainFit = fitLine(m.athenaMaintain.points.map((p) => ({ x: p.bytes, y: p.ms })));
  const optimizeAthenaSecondsN = (maintainQueriesPerOptimize * maintainFit.a + maintainFit.b * optimizeScanPerStepN) / 1000;
  const optimizeSecondsN = lambdaSeconds(safeDiv(m.maintainCpuMs, m.optimizeSteps + m.vacuumSteps), optimizeAthenaSecondsN * 1000, settings.compact.memorySize);
  const maintainGbs = (optimizeStepsN + vacuumStepsN) * optimizeSecondsN * (settings.compact.memorySize / 1024);
  add('Lambda compact (maintain steps): GB-seconds + requests', maintainGbs, 'GB-s', maintainGbs * PRICES.lambda.arm64PerGbSecond + (optimizeStepsN + vacuumStepsN) * PRICES.lambda.perRequest);
  limit('compact: OPTIMIZE of a cluster-day, one invocation / timeout', settings.compact.timeout, invocationSeconds(safeDiv(m.maintainCpuMs, m.optimizeSteps + m.vacuumSteps), optimizeAthenaSecondsN, settings.compact.memorySize), 's', STANDIN_TIME_BASIS);
  const dailyKinds = scaleKinds(m.daily.s3, safeDiv(dailyStepsN, m.dailySteps));
  add('S3 requests: daily (reports written)', sum(dailyKinds), 'requests', s3RequestUsd(dailyKinds));

  // ---- table storage: samples + discrepancy per node-hour, trends per node-day, reports per cluster-day, kept tableDays
  const tablesGb = ((m.tableBytes.samples + m.tableBytes.discrepancy) * N * 24 * fleet.tableDays + m.tableBytes.trends_daily * N * fleet.tableDays + m.tableBytes.reports * clustersN * fleet.tableDays) / PRICES.s3.bytesPerGb;
  add(`S3 storage: tables + reports (${fleet.tableDays} days)`, tablesGb, 'GB-month', tablesGb * PRICES.s3.storagePerGbMonth);

  // ---- CloudWatch Logs: bytes the functions logged per invocation
  const logBytesN =
    m.ingest.logFixedBytes * ingestInvocationsN + m.ingest.logPerObjectBytes * objectsN +
    safeDiv(m.plan.logBytes, m.plan.invocations) * planRunsN +
    safeDiv(m.compact.logBytes, m.compactSteps) * compactStepsN +
    safeDiv(m.daily.logBytes, m.dailySteps) * dailyStepsN;
  const logGb = logBytesN / PRICES.cloudwatchLogs.bytesPerGb;
  add('CloudWatch Logs: ingestion', logGb, 'GB', logGb * PRICES.cloudwatchLogs.ingestionPerGb);
  add('EventBridge: schedules', planRunsN, 'invocations', planRunsN * PRICES.eventbridge.scheduledPerInvocation);

  const total = components.reduce((a, c) => a + c.usd, 0);
  return {
    nodes: N,
    usdPerNodeMonth: total / N,
    components,
    limits,
    derived: {
      clusters: clustersN,
      capturesPerNodeMonth: MONTH_MINUTES,
      objectsPerNodeMonth: objectsN / N,
      capturesPerObject,
      rawBytesPerCapture,
      messagesPerIngestInvocation: perInvocation,
      capturesPerIngestInvocation: capturesPerInvocationN,
      ingestInvocationsPerMonth: ingestInvocationsN,
      ingestCpuMsPerCapture: ingestCpuPerCapture,
      ingestIdleCpuMs: m.ingest.idleCpuMs,
      ingestSecondsPerInvocation: ingestSecondsN,
      stagingFilesPerMonth: stagingPutsN,
      compactStepsPerMonth: compactStepsN,
      compactScanBytesPerStep: compactScanPerStepN,
      athenaCompactFixedMs: compactFit.a,
      athenaCompactMsPerMB: compactFit.b * 1e6,
      athenaDailyFixedMs: dailyFit.a,
      athenaDailyMsPerMB: dailyFit.b * 1e6,
      dailyCpuFixedMs: dailyCpuFit.a,
      ingestPeakMiBAtN: ingestRssN,
      ingestMemFixedMiB: ingestMemFit.a,
      ingestMemMiBPerCapture: ingestMemFit.b,
      dailyPeakMiBAtN: dailyRssN,
      dailyMemFixedMiB: dailyMemFit.a,
      dailyMemMiBPerNode: dailyMemFit.b,
      optimizeScanBytesPerStep: optimizeScanPerStepN,
      optimizeSecondsPerStep: optimizeSecondsN,
      dailyCpuMsPerNodeHour: dailyCpuFit.b,
      compactSecondsPerStep: compactSecondsN,
      dailyScanBytesPerStep: dailyScanPerStepN,
      dailySecondsPerStep: dailySecondsN,
    },
  };
}
