import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRICES } from '../../../scripts/prices.js';
import { expectedDistinct, extrapolate, fitLine, lambdaSeconds, messagesPerInvocation, vcpuShare, type Measured, type MeasuredAthena, type MeasuredFunction, type Settings } from '../../../scripts/scale/model.js';
import { classifyS3Request } from '../../../scripts/scale/s3-counter.js';
import { readServerlessSettings } from '../../../scripts/scale/serverless-config.js';
import { clusterOf } from '../../../scripts/scale/fleet.js';
import { invocations, sqsRecordOf } from '../../../scripts/scale/sqs.js';

describe('fitLine', () => {
  it('recovers a non-negative line from its points', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.double({ min: 0, max: 1e3, noNaN: true }), fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { minLength: 2, maxLength: 12 }), (a, b, xs) => {
        const fit = fitLine(xs.map((x) => ({ x, y: a + b * x })));
        expect(fit.a).toBeCloseTo(a, 3);
        expect(fit.b).toBeCloseTo(b, 6);
      }),
    );
  });
  it('never returns a negative fixed cost or slope', () => {
    expect(fitLine([{ x: 1, y: 10 }, { x: 2, y: 5 }])).toEqual({ a: 7.5, b: 0 }); // falling: all fixed, the mean
    // The line through them (y = 20x − 20) starts below zero: all proportional, b = Σxy/Σx² = (0·1 + 20·2) / (1 + 4) = 8.
    expect(fitLine([{ x: 1, y: 0 }, { x: 2, y: 20 }])).toEqual({ a: 0, b: 8 });
    expect(fitLine([{ x: 4, y: 10 }])).toEqual({ a: 0, b: 2.5 });
    expect(fitLine([])).toEqual({ a: 0, b: 0 });
  });
});

describe('Lambda arithmetic', () => {
  it('gives one vCPU at 1,769 MB, proportionally less below, never more than one', () => {
    expect(vcpuShare(1769)).toBe(1);
    expect(vcpuShare(1769 / 2)).toBe(0.5);
    expect(vcpuShare(3008)).toBe(1);
    // 300 ms of CPU at half a vCPU is 0.6 s, plus 0.1 s of waiting.
    expect(lambdaSeconds(300, 100, 1769 / 2)).toBeCloseTo(0.7, 12);
  });

  it('forms SQS batches by size, window and payload', () => {
    // 100 messages/s, 5 s window, 5 pollers → 100 per poller per window, capped by the batch size.
    expect(messagesPerInvocation(100, { batchSize: 10, windowSeconds: 5, messageBytes: 1000 })).toBe(10);
    expect(messagesPerInvocation(100, { batchSize: 1000, windowSeconds: 5, messageBytes: 1000 })).toBe(100);
    // 2 pollers at most (maximumConcurrency 2): 250 each.
    expect(messagesPerInvocation(100, { batchSize: 1000, windowSeconds: 5, maxConcurrency: 2, messageBytes: 1000 })).toBe(250);
    // 6 MiB / 10,000 bytes = 629 messages at most.
    expect(messagesPerInvocation(1e6, { batchSize: 10_000, windowSeconds: 60, messageBytes: 10_000 })).toBe(629);
    expect(messagesPerInvocation(0.001, { batchSize: 10, windowSeconds: 5, messageBytes: 1000 })).toBe(1);
  });

  it('expects k objects of one cluster to touch one cluster, and many objects every cluster', () => {
    expect(expectedDistinct(1, 10)).toBeCloseTo(1, 12);
    expect(expectedDistinct(50, 1)).toBe(1);
    expect(expectedDistinct(2, 2)).toBeCloseTo(1.5, 12); // 2 · (1 − ½²)
    expect(expectedDistinct(10_000, 10)).toBeCloseTo(10, 9);
  });
});

describe('scale harness plumbing', () => {
  it('classifies S3 requests into price tiers', () => {
    expect(classifyS3Request('PUT', '/bucket/raw/a.json.gz', {})).toBe('PUT');
    expect(classifyS3Request('PUT', '/bucket/b', { 'x-amz-copy-source': '/bucket/a' })).toBe('COPY');
    expect(classifyS3Request('GET', '/bucket?list-type=2&prefix=raw%2F', {})).toBe('LIST');
    expect(classifyS3Request('GET', '/bucket/', {})).toBe('LIST');
    expect(classifyS3Request('GET', '/bucket/raw/a.json.gz', {})).toBe('GET');
    expect(classifyS3Request('HEAD', '/bucket/raw/a.json.gz', {})).toBe('HEAD');
    expect(classifyS3Request('POST', '/bucket?delete', {})).toBe('POST');
    expect(classifyS3Request('DELETE', '/bucket/a', {})).toBe('DELETE');
  });

  it('reads function settings from serverless.yml text, resolving params', () => {
    const s = readServerlessSettings(
      [
        'params:',
        '  default:',
        '    ingestBatchSize: 50 # comment',
        'provider:',
        '  memorySize: 256',
        'functions:',
        '  ingest:',
        '    memorySize: 1769',
        '    timeout: 120',
        '    events:',
        '      - sqs:',
        '          arn: !GetAtt IngestQueue.Arn',
        '          batchSize: ${param:ingestBatchSize}',
        '          maximumBatchingWindow: 30',
        '  plan:',
        '    events:',
        '      - schedule: rate(1 hour)',
      ].join('\n'),
    );
    expect(s.functions.ingest).toMatchObject({ memorySize: 1769, timeout: 120, sqs: { batchSize: 50, maximumBatchingWindow: 30 } });
    expect(s.functions.plan).toMatchObject({ schedule: 'rate(1 hour)' });
    expect(s.provider.memorySize).toBe(256);
  });

  it('builds S3 notifications with S3-encoded keys inside SQS records, split into invocations', () => {
    const r = sqsRecordOf('raw-bucket', 'raw/cluster=a/node=b/dt=2026-11-27/2026-11-27T05:30:57Z_15.json.gz', 10, new Date('2026-11-27T00:00:00Z'));
    expect(JSON.parse(r.body).Records[0].s3.object).toMatchObject({ key: 'raw/cluster%3Da/node%3Db/dt%3D2026-11-27/2026-11-27T05%3A30%3A57Z_15.json.gz', size: 10 });
    expect(invocations([r, r, r, r, r], 2).map((e) => e.Records.length)).toEqual([2, 2, 1]);
  });

  it('gives clusters unequal shares of the nodes (1 : 2 for two)', () => {
    const counts = [0, 0];
    for (let n = 0; n < 30; n++) counts[clusterOf(n, 30, 2)]!++;
    expect(counts).toEqual([10, 20]);
  });
});

const fn = (over: Partial<MeasuredFunction> = {}): MeasuredFunction => ({ invocations: 1, cpuMs: 0, wallMs: 0, idleCpuMs: 0, athenaWaitMs: 0, maxRssMiB: 100, initRssMiB: 100, units: 1, maxUnits: 1, logBytes: 0, logFixedBytes: 0, logPerObjectBytes: 0, memPoints: [], s3: {}, s3BytesIn: 0, ...over });
const athena = (over: Partial<MeasuredAthena> = {}): MeasuredAthena => ({ queries: 0, stagingBytes: 0, targetBytes: 0, billedBytes: 0, engineMs: 0, filesRead: 0, commits: 0, partitionsWritten: 0, points: [], ...over });

describe('extrapolate', () => {
  // A run of 10 nodes × 60 captures: 40 full objects of 15 captures, 600 captures, 30 MB raw.
  const measured: Measured = {
    nodes: 10,
    clusters: 1,
    minutes: 60,
    captures: 600,
    objectsByReason: { full: 40 },
    capturesByReason: { full: 600 },
    rawBytes: 30_000_000,
    agentS3: { PUT: 40 },
    notificationBytes: 40 * 1_000,
    ingest: fn({ invocations: 4, cpuMs: 4 * 10 + 600 * 20, wallMs: 4 * 10 + 600 * 20, idleCpuMs: 10, units: 600, maxUnits: 150, s3: { GET: 40, PUT: 8 } }),
    ingestMessages: 40,
    ingestClusterSlots: 4,
    stagingFiles: 8,
    stagingBytes: 6_000_000,
    plan: fn(),
    compact: fn({ invocations: 0, units: 0 }),
    daily: fn({ invocations: 0, units: 0 }),
    compactSteps: 1,
    compactTargetNodeHours: 0,
    compactStagingNodeHours: 10,
    athenaCompact: athena(),
    athenaDaily: athena(),
    athenaMaintain: athena(),
    maintainCpuMs: 0,
    optimizeSteps: 1,
    vacuumSteps: 3,
    dailySteps: 1,
    dailyNodeHours: 10,
    dailyPoints: [],
    stepsMessages: { compact: 1, daily: 1, optimize: 1, vacuum: 3, dailyForwarded: 1 },
    stepsBytes: 600,
    tableBytes: { samples: 0, discrepancy: 0, trends_daily: 0, reports: 0 },
    mergeTargetColumnShare: 1,
    reportsPerClusterDay: 0,
  };
  const settings: Settings = {
    ingest: { memorySize: 1769, timeout: 60, batchSize: 10, windowSeconds: 5 },
    plan: { memorySize: 256, timeout: 60 },
    compact: { memorySize: 256, timeout: 900 },
    daily: { memorySize: 1024, timeout: 900 },
    athenaDmlTimeoutSeconds: 1800,
  };
  const r = extrapolate(measured, { nodes: 1000, clusterSize: 1000, agentRestartsPerNodeMonth: 0, rawDays: 30, tableDays: 90, stagingDays: 2 }, settings);
  const component = (prefix: string) => r.components.find((c) => c.name.startsWith(prefix))!;

  it('puts raw storage at bytes per capture × captures kept 30 days', () => {
    // 30 MB / 600 = 50,000 B per capture; 1,000 nodes × 1,440 × 30 days = 43.2 M captures kept.
    const gb = (50_000 * 1000 * 1440 * 30) / 2 ** 30;
    expect(component('S3 storage: raw').count).toBeCloseTo(gb, 6);
    expect(component('S3 storage: raw').usd).toBeCloseTo(gb * 0.023, 6);
  });

  it('counts one agent PUT per 15 captures', () => {
    // 43,200 captures per node-month / 15 = 2,880 objects per node; $0.005 per 1,000 PUTs.
    expect(component('S3 requests: agent').count).toBeCloseTo(2880 * 1000, 6);
    expect(component('S3 requests: agent').usd).toBeCloseTo(2880 * 1000 * 0.000005, 6);
  });

  it('bills ingest as idle + per-capture CPU at the invocation size Lambda would form', () => {
    // 2,880,000 objects / month ≈ 1.11 /s; 5 s window over 5 pollers → 1.11 messages per invocation (batch size 10 not reached).
    const perInvocation = (2_880_000 / (30 * 86_400)) * 5 / 5;
    expect(r.derived.messagesPerIngestInvocation).toBeCloseTo(perInvocation, 9);
    // 20 ms per capture, 15 captures per object, 10 ms per invocation; 1 vCPU at 1,769 MB.
    const seconds = (10 + 20 * 15 * perInvocation) / 1000;
    const invocationsN = 2_880_000 / perInvocation;
    const gbs = invocationsN * seconds * (1769 / 1024);
    expect(component('Lambda ingest: GB-seconds').count).toBeCloseTo(gbs, 3);
    expect(component('Lambda ingest: GB-seconds').usd).toBeCloseTo(gbs * PRICES.lambda.arm64PerGbSecond, 6);
    expect(r.limits.find((l) => l.stage.startsWith('ingest: invocation duration'))!.utilization).toBeCloseTo(seconds / 60, 9);
  });

  it('adds the components up to the per-node figure', () => {
    expect(r.usdPerNodeMonth).toBeCloseTo(r.components.reduce((a, c) => a + c.usd, 0) / 1000, 12);
    for (const c of r.components) expect(c.usdPerNodeMonth).toBeCloseTo(c.usd / 1000, 12);
  });
});
