import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The deployment artifact, checked offline: scripts/package.mjs builds the bundles, zips them and
 * runs `osls package` with fake credentials; these tests read the CloudFormation it generates.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Resource { Type: string; Properties: Record<string, any>; DependsOn?: string | string[] }
interface Template { Resources: Record<string, Resource> }

/**
 * Every Allow statement resource that contains `*`, after the template's own values are filled in.
 * Each is listed with its reason in docs/aws.md §IAM (checked below). `<data>` is the data bucket
 * and `<raw>` the raw bucket; ${AWS::Partition} is kept as written.
 */
const WILDCARD_ALLOWLIST = [
  'arn:${AWS::Partition}:s3:::<raw>/raw/*',
  'arn:${AWS::Partition}:s3:::<data>/staging/*',
  'arn:${AWS::Partition}:s3:::<data>/quarantine/*',
  'arn:${AWS::Partition}:s3:::<data>/iceberg/*',
  'arn:${AWS::Partition}:s3:::<data>/athena-results/*',
  'arn:${AWS::Partition}:s3:::<data>/reports/*',
];

const tmp: string[] = [];
function packageWith(extra: string[], oslsArgs: string[] = []): Template {
  const out = mkdtempSync(path.join(os.tmpdir(), 'memgap-sls-'));
  tmp.push(out);
  execFileSync(process.execPath, ['scripts/package.mjs', ...extra, '--', '--package', out, ...oslsArgs], { cwd: root, stdio: 'pipe' });
  return JSON.parse(readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

let t: Template;
let custom: Template;
beforeAll(() => {
  t = packageWith(['--stage', 'ci']);
  custom = packageWith(['--stage', 'prod', '--no-build'], ['--param=rawBucket=acme-memgap-raw', '--param=dataBucket=acme-memgap-data', '--param=outputPrefix=mg/', '--param=rawRetentionDays=7', '--param=maxReceiveCount=3']);
}, 180_000);
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

const ofType = (tpl: Template, type: string) => Object.entries(tpl.Resources).filter(([, r]) => r.Type === type);
const res = (tpl: Template, id: string): Resource => {
  const r = tpl.Resources[id];
  if (!r) throw new Error(`no resource ${id}`);
  return r;
};
const subOf = (v: unknown): string => (typeof v === 'string' ? v : (v as { 'Fn::Sub'?: string })['Fn::Sub'] ?? JSON.stringify(v));
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

const FUNCTIONS = ['ingest', 'plan', 'compact', 'daily'];
const fnProps = (tpl: Template) => Object.fromEntries(ofType(tpl, 'AWS::Lambda::Function').map(([, r]) => [r.Properties.FunctionName as string, r.Properties]));
const cronMinute = (expr: string) => Number(/^cron\((\d+) /.exec(expr)![1]);

describe('packaged CloudFormation: functions and events', () => {
  it('declares ingest, plan, compact and daily on nodejs22.x/arm64, each from its own zip with its own role', () => {
    const fns = fnProps(t);
    expect(Object.keys(fns).sort()).toEqual(FUNCTIONS.map((f) => `memgap-ci-${f}`).sort());
    for (const name of FUNCTIONS) {
      const p = fns[`memgap-ci-${name}`]!;
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe(`${name}.handler`);
      expect(p.Code.S3Key).toMatch(new RegExp(`/${name}\\.zip$`));
      expect(p.Role).toEqual({ 'Fn::GetAtt': [`${name[0]!.toUpperCase()}${name.slice(1)}Role`, 'Arn'] });
      expect(p.Environment.Variables).toMatchObject({ OUTPUT_BUCKET: 'memgap-ci-data', OUTPUT_PREFIX: '', ATHENA_WORKGROUP: { Ref: 'AthenaWorkGroup' }, ATHENA_DATABASE: { Ref: 'GlueDatabase' } });
    }
    expect(fns['memgap-ci-ingest']!.Environment.Variables).toMatchObject({ RAW_BUCKET: 'memgap-ci-raw', RAW_PREFIX: 'raw/' });
    // docs/aws.md "Sizing": the fullest ingest batch at ≤ 50 % of memory and time; the step functions mostly wait on Athena.
    expect(Object.fromEntries(FUNCTIONS.map((f) => [f, [fns[`memgap-ci-${f}`]!.MemorySize, fns[`memgap-ci-${f}`]!.Timeout]]))).toEqual({
      ingest: [2048, 120],
      plan: [256, 120],
      compact: [256, 150],
      daily: [2048, 300],
    });
    expect(fns['memgap-ci-plan']!.Environment.Variables.STEPS_QUEUE_URL).toEqual({ Ref: 'StepsQueue' });
    expect(fns['memgap-ci-compact']!.Environment.Variables.DAILY_QUEUE_URL).toEqual({ Ref: 'DailyQueue' });
    // A step waits for Athena at most ATHENA_STEP_WAIT_SECONDS per invocation, under half its timeout (the rest is its own work).
    for (const f of ['compact', 'daily']) {
      const wait = Number(fns[`memgap-ci-${f}`]!.Environment.Variables.ATHENA_STEP_WAIT_SECONDS);
      expect(wait, f).toBe(60);
      expect(wait, f).toBeLessThan(fns[`memgap-ci-${f}`]!.Timeout / 2);
    }
  });

  it('feeds ingest large batches with a batching window; compact and daily one FIFO step at a time, a few clusters at once', () => {
    const maps = Object.fromEntries(ofType(t, 'AWS::Lambda::EventSourceMapping').map(([, r]) => [r.Properties.FunctionName['Fn::GetAtt'][0] as string, r.Properties]));
    expect(Object.keys(maps).sort()).toEqual(['CompactLambdaFunction', 'DailyLambdaFunction', 'IngestLambdaFunction']);
    expect(maps.IngestLambdaFunction).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 40,
      MaximumBatchingWindowInSeconds: 60,
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    // Lambda allows up to 10,000 per batch on a standard queue, and needs a window ≥ 1 s above 10.
    expect(maps.IngestLambdaFunction!.BatchSize).toBeLessThanOrEqual(10_000);
    expect(maps.IngestLambdaFunction!.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(1);
    expect(maps.IngestLambdaFunction!.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(300);
    for (const [fn, queue] of [['CompactLambdaFunction', 'StepsQueue'], ['DailyLambdaFunction', 'DailyQueue']] as const) {
      expect(maps[fn]).toMatchObject({ EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] }, BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 5 } });
      // FIFO event sources take no batching window.
      expect(maps[fn]!.MaximumBatchingWindowInSeconds).toBeUndefined();
    }
  });

  it('sends raw/ ObjectCreated notifications to the queue, which only the raw bucket may write to', () => {
    const raw = res(t, 'RawBucket');
    expect(raw.Properties.NotificationConfiguration.QueueConfigurations).toEqual([
      { Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] }, Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'raw/' }] } } },
    ]);
    // S3 validates the destination on creation, so the queue policy must exist first.
    expect(list(raw.DependsOn!)).toContain('IngestQueuePolicy');
    const stmts = res(t, 'IngestQueuePolicy').Properties.PolicyDocument.Statement as any[];
    const allow = stmts.filter((s) => s.Effect === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0].Principal).toEqual({ Service: 's3.amazonaws.com' });
    expect(allow[0].Action).toBe('sqs:SendMessage');
    expect(subOf(allow[0].Condition.ArnEquals['aws:SourceArn'])).toBe('arn:${AWS::Partition}:s3:::memgap-ci-raw');
  });

  it('every queue has a DLQ after maxReceiveCount receives, a visibility timeout ≥ 6x its consumer timeout, and an alarm on the DLQ', () => {
    const fns = fnProps(t);
    const queues = [
      { queue: 'IngestQueue', dlq: 'IngestDeadLetterQueue', alarm: 'IngestDeadLetterAlarm', fn: 'ingest', receives: 5, fifo: false },
      // Steps: 12 receives x 15 min (daily 30 min) visibility, room for Athena's 30-minute DML timeout while a step waits in budget-sized turns.
      { queue: 'StepsQueue', dlq: 'StepsDeadLetterQueue', alarm: 'StepsDeadLetterAlarm', fn: 'compact', receives: 12, fifo: true },
      { queue: 'DailyQueue', dlq: 'DailyDeadLetterQueue', alarm: 'DailyDeadLetterAlarm', fn: 'daily', receives: 12, fifo: true },
    ];
    for (const q of queues) {
      const p = res(t, q.queue).Properties;
      expect(p.RedrivePolicy, q.queue).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [q.dlq, 'Arn'] }, maxReceiveCount: q.receives });
      expect(p.VisibilityTimeout, q.queue).toBeGreaterThanOrEqual(6 * fns[`memgap-ci-${q.fn}`]!.Timeout);
      // A step's message comes back every visibility timeout while its statement runs: its receives outlast Athena's 30-minute DML timeout, twice.
      if (q.fifo) expect(q.receives * p.VisibilityTimeout, q.queue).toBeGreaterThanOrEqual(2 * 30 * 60);
      expect(p.SqsManagedSseEnabled).toBe(true);
      // A FIFO queue's DLQ must be FIFO too.
      expect(Boolean(p.FifoQueue), q.queue).toBe(q.fifo);
      expect(Boolean(res(t, q.dlq).Properties.FifoQueue), q.dlq).toBe(q.fifo);
      if (q.fifo) expect(p.QueueName).toMatch(/\.fifo$/);
      const alarm = res(t, q.alarm).Properties;
      expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [q.dlq, 'QueueName'] } }]);
      expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    }
  });

  it('reserves concurrency nowhere: work fans out per cluster (FIFO groups), bounded by maximum concurrency', () => {
    for (const [name, p] of Object.entries(fnProps(t))) expect(p.ReservedConcurrentExecutions, name).toBeUndefined();
  });

  it('schedules the plan three times with its kind and the event time, compact after the longest ingest of the hour', () => {
    const rules = ofType(t, 'AWS::Events::Rule').map(([, r]) => ({
      target: r.Properties.Targets[0].Arn['Fn::GetAtt'][0],
      schedule: r.Properties.ScheduleExpression as string,
      transformer: r.Properties.Targets[0].InputTransformer,
    }));
    expect(rules.map((r) => [r.target, r.schedule, JSON.parse(r.transformer.InputTemplate.replace('<time>', '"T"'))]).sort()).toEqual([
      ['PlanLambdaFunction', 'cron(10 * * * ? *)', { steps: 'compact', time: 'T' }],
      ['PlanLambdaFunction', 'cron(25 1 * * ? *)', { steps: 'daily', time: 'T' }],
      ['PlanLambdaFunction', 'cron(40 2 * * ? *)', { steps: 'maintain', time: 'T' }],
    ]);
    for (const r of rules) expect(r.transformer.InputPathsMap).toEqual({ time: '$.time' });
    // An ingest that starts at hh:59:59 still writes arrival hh; the compact run must come after it ends.
    const compact = rules.find((r) => r.transformer.InputTemplate.includes('compact'))!;
    expect(cronMinute(compact.schedule) * 60).toBeGreaterThan(fnProps(t)['memgap-ci-ingest']!.Timeout);
    // The daily run comes after the compact run that handles the day's last arrival hour (00 of the next day, at 01:10).
    const daily = rules.find((r) => r.transformer.InputTemplate.includes('daily'))!;
    expect(daily.schedule).toMatch(/^cron\(\d+ 1 \* \* \? \*\)$/);
    expect(cronMinute(daily.schedule)).toBeGreaterThan(cronMinute(compact.schedule));
  });
});

describe('packaged CloudFormation: buckets', () => {
  it('encrypts every bucket, blocks public access and denies non-TLS requests', () => {
    const buckets = ofType(t, 'AWS::S3::Bucket');
    expect(buckets.map(([id]) => id).sort()).toEqual(['DataBucket', 'RawBucket', 'ServerlessDeploymentBucket']);
    const policies = ofType(t, 'AWS::S3::BucketPolicy').map(([, r]) => r.Properties);
    for (const [id, b] of buckets) {
      const sse = b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm;
      expect(sse, id).toBe('AES256');
      if (id !== 'ServerlessDeploymentBucket') {
        expect(b.Properties.PublicAccessBlockConfiguration, id).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      }
      const policy = policies.find((p) => p.Bucket?.Ref === id);
      expect(policy, `${id} has a bucket policy`).toBeDefined();
      const deny = (policy!.PolicyDocument.Statement as any[]).find((s) => s.Effect === 'Deny' && String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false');
      expect(deny, `${id} denies insecure transport`).toBeDefined();
      expect(deny.Principal === '*' || deny.Principal?.AWS === '*').toBe(true);
      expect(list(deny.Action)).toContain('s3:*');
      // The deny covers the bucket itself and every object in it.
      expect(list(deny.Resource).length).toBe(2);
    }
  });

  it('expires raw captures after the configured days and keeps quarantine for review', () => {
    const rules = res(t, 'RawBucket').Properties.LifecycleConfiguration.Rules as any[];
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'raw/', ExpirationInDays: 30, Status: 'Enabled' }));
    const customRules = res(custom, 'RawBucket').Properties.LifecycleConfiguration.Rules as any[];
    // A --param value arrives as a string; CloudFormation reads "7" as the integer 7.
    expect(customRules.find((r) => r.Prefix === 'raw/')?.ExpirationInDays).toBe('7');
    // Staging is read once by its hour's MERGE; Athena's result files are never read back after the run.
    const data = res(t, 'DataBucket').Properties.LifecycleConfiguration.Rules as any[];
    expect(data).toContainEqual(expect.objectContaining({ Prefix: 'staging/', ExpirationInDays: 7, Status: 'Enabled' }));
    expect(data).toContainEqual(expect.objectContaining({ Prefix: 'athena-results/', ExpirationInDays: 7, Status: 'Enabled' }));
    expect(data).toContainEqual(expect.objectContaining({ Prefix: 'quarantine/', ExpirationInDays: 90, Status: 'Enabled' }));
    // Iceberg's files are managed by the table (VACUUM), never by a lifecycle rule.
    for (const r of data) expect(String(r.Prefix ?? '')).not.toMatch(/^iceberg/);
  });

  it('takes stage, bucket names and the output prefix from parameters', () => {
    expect(res(custom, 'RawBucket').Properties.BucketName).toBe('acme-memgap-raw');
    expect(res(custom, 'DataBucket').Properties.BucketName).toBe('acme-memgap-data');
    expect(res(custom, 'IngestQueue').Properties.QueueName).toBe('memgap-prod-ingest');
    expect(res(custom, 'IngestQueue').Properties.RedrivePolicy.maxReceiveCount).toBe('3');
    expect(res(custom, 'IngestLambdaFunction').Properties.Environment.Variables).toMatchObject({ RAW_BUCKET: 'acme-memgap-raw', OUTPUT_BUCKET: 'acme-memgap-data', OUTPUT_PREFIX: 'mg/' });
    const ingestResources = (res(custom, 'IngestRole').Properties.Policies[0].PolicyDocument.Statement as any[]).flatMap((s) => list(s.Resource).map(subOf));
    expect(ingestResources).toContain('arn:${AWS::Partition}:s3:::acme-memgap-data/mg/staging/*');
  });
});

describe('packaged CloudFormation: least privilege', () => {
  type Stmt = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
  const statementsOf = (tpl: Template, role: string): Stmt[] => res(tpl, role).Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
  /** `s3:GetObject raw/*`-style grants, with bucket names replaced by <raw>/<data>. */
  const grants = (tpl: Template, role: string) =>
    statementsOf(tpl, role).flatMap((s) =>
      list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${a} ${subOf(r).replace('memgap-ci-raw', '<raw>').replace('memgap-ci-data', '<data>')}`)),
    );
  const S3 = 'arn:${AWS::Partition}:s3:::';

  it('gives every function a role of its own and no shared default role', () => {
    const roles = ofType(t, 'AWS::IAM::Role').map(([id]) => id).sort();
    expect(roles).toEqual(['CompactRole', 'DailyRole', 'IngestRole', 'PlanRole']);
  });

  const WG = 'arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/memgap-ci';
  const GLUE = 'arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:';
  const ATHENA_RUN = ['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults', 'StopQueryExecution'].map((a) => `athena:${a} ${WG}`);
  const glue = (actions: string[], tables: string[]) =>
    actions.flatMap((a) => [`${GLUE}catalog`, `${GLUE}database/memgap_ci`, ...tables.map((tb) => `${GLUE}table/memgap_ci/${tb}`)].map((r) => `glue:${a} ${r}`));
  const ICEBERG = ['samples', 'discrepancy', 'trends_daily'];
  const logs = (fn: string) => ['CreateLogStream', 'PutLogEvents'].map((a) => `logs:${a} {"Fn::GetAtt":["${fn}LogGroup","Arn"]}`);
  const consume = (queue: string) => ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes', 'ChangeMessageVisibility'].map((a) => `sqs:${a} {"Fn::GetAtt":["${queue}","Arn"]}`);
  const listCondition = (role: string) => statementsOf(t, role).find((s) => s.Action === 's3:ListBucket')!.Condition;

  it('ingest: read raw/*, write staging/ and quarantine/, consume its queue, write its logs; nothing else', () => {
    expect(grants(t, 'IngestRole').sort()).toEqual(
      [...logs('Ingest'), ...consume('IngestQueue'), `s3:GetObject ${S3}<raw>/raw/*`, `s3:ListBucket ${S3}<raw>`, `s3:PutObject ${S3}<data>/staging/*`, `s3:PutObject ${S3}<data>/quarantine/*`].sort(),
    );
    expect(listCondition('IngestRole')).toEqual({ StringLike: { 's3:prefix': ['raw/*'] } });
  });

  it('plan: list staging/, enqueue steps, run the Iceberg DDL in its workgroup on the three tables; nothing else', () => {
    expect(grants(t, 'PlanRole').sort()).toEqual(
      [
        ...logs('Plan'),
        `sqs:SendMessage {"Fn::GetAtt":["StepsQueue","Arn"]}`,
        ...ATHENA_RUN,
        ...glue(['GetDatabase', 'GetTable', 'CreateTable'], ICEBERG),
        `s3:ListBucket ${S3}<data>`,
        `s3:GetBucketLocation ${S3}<data>`,
        ...['GetObject', 'PutObject'].flatMap((a) => [`s3:${a} ${S3}<data>/iceberg/*`, `s3:${a} ${S3}<data>/athena-results/*`]),
      ].sort(),
    );
    expect(listCondition('PlanRole')).toEqual({ StringLike: { 's3:prefix': ['staging/*', 'iceberg/*', 'athena-results/*'] } });
  });

  it('compact: consume steps, hand daily steps on, MERGE/OPTIMIZE/VACUUM: read staging/, read-write-delete iceberg/; nothing else', () => {
    expect(grants(t, 'CompactRole').sort()).toEqual(
      [
        ...logs('Compact'),
        ...consume('StepsQueue'),
        `sqs:SendMessage {"Fn::GetAtt":["DailyQueue","Arn"]}`,
        ...ATHENA_RUN,
        ...glue(['GetDatabase', 'GetTable', 'UpdateTable'], [...ICEBERG, 'samples_staging', 'discrepancy_staging']),
        `s3:ListBucket ${S3}<data>`,
        `s3:GetBucketLocation ${S3}<data>`,
        `s3:GetObject ${S3}<data>/staging/*`,
        ...['GetObject', 'PutObject', 'DeleteObject'].map((a) => `s3:${a} ${S3}<data>/iceberg/*`),
        ...['GetObject', 'PutObject'].map((a) => `s3:${a} ${S3}<data>/athena-results/*`),
      ].sort(),
    );
    expect(listCondition('CompactRole')).toEqual({ StringLike: { 's3:prefix': ['staging/*', 'iceberg/*', 'athena-results/*'] } });
  });

  it('daily: consume daily steps, MERGE trends_daily and read the tables through Athena, write reports/; nothing else', () => {
    expect(grants(t, 'DailyRole').sort()).toEqual(
      [
        ...logs('Daily'),
        ...consume('DailyQueue'),
        ...ATHENA_RUN,
        ...glue(['GetDatabase', 'GetTable', 'UpdateTable'], ICEBERG),
        `s3:ListBucket ${S3}<data>`,
        `s3:GetBucketLocation ${S3}<data>`,
        ...['GetObject', 'PutObject'].flatMap((a) => [`s3:${a} ${S3}<data>/iceberg/*`, `s3:${a} ${S3}<data>/athena-results/*`]),
        `s3:PutObject ${S3}<data>/reports/*`,
      ].sort(),
    );
    expect(listCondition('DailyRole')).toEqual({ StringLike: { 's3:prefix': ['iceberg/*', 'athena-results/*'] } });
  });

  it('Athena actions only on the workgroup ARN; Glue actions only on the catalog, the database and named tables', () => {
    let athena = 0;
    let glueGrants = 0;
    for (const role of ['IngestRole', 'PlanRole', 'CompactRole', 'DailyRole']) {
      for (const s of statementsOf(t, role)) {
        for (const a of list(s.Action)) {
          const resources = list(s.Resource).map(subOf);
          if (a.startsWith('athena:')) {
            athena++;
            expect(resources, `${role} ${a}`).toEqual([WG]);
          }
          if (a.startsWith('glue:')) {
            glueGrants++;
            for (const r of resources) expect(r, `${role} ${a}`).toMatch(new RegExp(`^${GLUE.replace(/[$.{}:]/g, '\\$&')}(catalog|database/memgap_ci|table/memgap_ci/[a-z_]+)$`));
            expect(resources).toContain(`${GLUE}catalog`);
          }
        }
      }
    }
    expect(athena).toBe(12);
    expect(glueGrants).toBe(9);
  });

  it('has no Allow with a * action anywhere, and * resources only from the documented allowlist', () => {
    const docs = readFileSync(path.join(root, 'docs', 'aws.md'), 'utf8');
    for (const entry of WILDCARD_ALLOWLIST) expect(docs, `docs/aws.md lists ${entry}`).toContain(entry);
    const allows: Array<{ where: string; s: Stmt & { Principal?: unknown } }> = [];
    for (const [id, r] of Object.entries(t.Resources)) {
      const docsOf = [r.Properties?.PolicyDocument, ...(r.Properties?.Policies ?? []).map((p: any) => p.PolicyDocument)].filter(Boolean);
      for (const d of docsOf) for (const s of list(d.Statement) as any[]) if (s.Effect === 'Allow') allows.push({ where: id, s });
    }
    expect(allows.length).toBeGreaterThan(10);
    for (const { where, s } of allows) {
      for (const a of list(s.Action)) expect(a, `${where}: action ${a}`).not.toContain('*');
      expect(s.Principal === '*' || (s.Principal as any)?.AWS === '*', `${where}: public principal`).toBe(false);
      for (const r of list(s.Resource)) {
        const text = subOf(r).replace('memgap-ci-raw', '<raw>').replace('memgap-ci-data', '<data>');
        if (typeof r === 'object' && 'Fn::GetAtt' in (r as object)) continue;
        if (text.includes('*')) expect(WILDCARD_ALLOWLIST, `${where}: resource ${text}`).toContain(text);
      }
    }
  });
});
