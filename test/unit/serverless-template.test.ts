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
  'arn:${AWS::Partition}:s3:::<data>/samples/*',
  'arn:${AWS::Partition}:s3:::<data>/discrepancy/*',
  'arn:${AWS::Partition}:s3:::<data>/quarantine/*',
  'arn:${AWS::Partition}:s3:::<data>/trends_daily/*',
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

describe('packaged CloudFormation: functions and events', () => {
  it('declares ingest, compact and daily on nodejs22.x/arm64, each from its own zip with its own role', () => {
    const fns = Object.fromEntries(ofType(t, 'AWS::Lambda::Function').map(([, r]) => [r.Properties.FunctionName, r.Properties]));
    expect(Object.keys(fns).sort()).toEqual(['memgap-ci-compact', 'memgap-ci-daily', 'memgap-ci-ingest']);
    for (const name of ['ingest', 'compact', 'daily']) {
      const p = fns[`memgap-ci-${name}`]!;
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe(`${name}.handler`);
      expect(p.Code.S3Key).toMatch(new RegExp(`/${name}\\.zip$`));
      expect(p.Role).toEqual({ 'Fn::GetAtt': [`${name[0]!.toUpperCase()}${name.slice(1)}Role`, 'Arn'] });
    }
    expect(fns['memgap-ci-ingest']!.MemorySize).toBe(512);
    expect(fns['memgap-ci-ingest']!.Timeout).toBe(60);
    expect(fns['memgap-ci-ingest']!.Environment.Variables).toMatchObject({ RAW_BUCKET: 'memgap-ci-raw', RAW_PREFIX: 'raw/', OUTPUT_BUCKET: 'memgap-ci-data', OUTPUT_PREFIX: '' });
  });

  it('feeds ingest from the queue with partial batch responses', () => {
    const maps = ofType(t, 'AWS::Lambda::EventSourceMapping');
    expect(maps).toHaveLength(1);
    const p = maps[0]![1].Properties;
    expect(p.EventSourceArn).toEqual({ 'Fn::GetAtt': ['IngestQueue', 'Arn'] });
    expect(p.FunctionName).toEqual({ 'Fn::GetAtt': ['IngestLambdaFunction', 'Arn'] });
    expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(p.BatchSize).toBe(10);
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

  it('has a DLQ after maxReceiveCount receives, a visibility timeout of 6x the function timeout, and an alarm on the DLQ', () => {
    const q = res(t, 'IngestQueue').Properties;
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    expect(q.VisibilityTimeout).toBe(6 * 60);
    expect(q.SqsManagedSseEnabled).toBe(true);
    const alarm = res(t, 'IngestDeadLetterAlarm').Properties;
    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'QueueName'] } }]);
    expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  it('runs compact and daily one at a time (the manifest commit has no compare-and-swap)', () => {
    const fns = Object.values(t.Resources).filter((r: any) => r.Type === 'AWS::Lambda::Function') as any[];
    const reserved = Object.fromEntries(fns.map((f) => [f.Properties.FunctionName, f.Properties.ReservedConcurrentExecutions]));
    expect(reserved).toEqual({ 'memgap-ci-compact': 1, 'memgap-ci-daily': 1, 'memgap-ci-ingest': undefined });
  });

  it('schedules compact hourly and daily by cron', () => {
    const rules = ofType(t, 'AWS::Events::Rule').map(([, r]) => [r.Properties.Targets[0].Arn['Fn::GetAtt'][0], r.Properties.ScheduleExpression]);
    expect(rules.sort()).toEqual([
      ['CompactLambdaFunction', 'rate(1 hour)'],
      ['DailyLambdaFunction', 'cron(20 0 * * ? *)'],
    ]);
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
  });

  it('takes stage, bucket names and the output prefix from parameters', () => {
    expect(res(custom, 'RawBucket').Properties.BucketName).toBe('acme-memgap-raw');
    expect(res(custom, 'DataBucket').Properties.BucketName).toBe('acme-memgap-data');
    expect(res(custom, 'IngestQueue').Properties.QueueName).toBe('memgap-prod-ingest');
    expect(res(custom, 'IngestQueue').Properties.RedrivePolicy.maxReceiveCount).toBe('3');
    expect(res(custom, 'IngestLambdaFunction').Properties.Environment.Variables).toMatchObject({ RAW_BUCKET: 'acme-memgap-raw', OUTPUT_BUCKET: 'acme-memgap-data', OUTPUT_PREFIX: 'mg/' });
    const ingestResources = (res(custom, 'IngestRole').Properties.Policies[0].PolicyDocument.Statement as any[]).flatMap((s) => list(s.Resource).map(subOf));
    expect(ingestResources).toContain('arn:${AWS::Partition}:s3:::acme-memgap-data/mg/samples/*');
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
    expect(roles).toEqual(['CompactRole', 'DailyRole', 'IngestRole']);
  });

  it('ingest: read raw/*, write samples/ discrepancy/ quarantine/, consume its queue, write its logs; nothing else', () => {
    expect(grants(t, 'IngestRole').sort()).toEqual(
      [
        'logs:CreateLogStream {"Fn::GetAtt":["IngestLogGroup","Arn"]}',
        'logs:PutLogEvents {"Fn::GetAtt":["IngestLogGroup","Arn"]}',
        'sqs:ReceiveMessage {"Fn::GetAtt":["IngestQueue","Arn"]}',
        'sqs:DeleteMessage {"Fn::GetAtt":["IngestQueue","Arn"]}',
        'sqs:GetQueueAttributes {"Fn::GetAtt":["IngestQueue","Arn"]}',
        'sqs:ChangeMessageVisibility {"Fn::GetAtt":["IngestQueue","Arn"]}',
        `s3:GetObject ${S3}<raw>/raw/*`,
        `s3:ListBucket ${S3}<raw>`,
        `s3:PutObject ${S3}<data>/samples/*`,
        `s3:PutObject ${S3}<data>/discrepancy/*`,
        `s3:PutObject ${S3}<data>/quarantine/*`,
      ].sort(),
    );
    const list = statementsOf(t, 'IngestRole').find((s) => s.Action === 's3:ListBucket')!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['raw/*'] } });
  });

  it('compact: read/write/delete samples/ and discrepancy/ only', () => {
    const s3 = grants(t, 'CompactRole').filter((g) => g.startsWith('s3:'));
    expect(s3.sort()).toEqual(
      ['GetObject', 'PutObject', 'DeleteObject'].flatMap((a) => [`s3:${a} ${S3}<data>/samples/*`, `s3:${a} ${S3}<data>/discrepancy/*`]).concat([`s3:ListBucket ${S3}<data>`]).sort(),
    );
  });

  it('daily: compact samples/ and discrepancy/, write trends_daily/ and reports/ only', () => {
    const s3 = grants(t, 'DailyRole').filter((g) => g.startsWith('s3:'));
    expect(s3.sort()).toEqual(
      [
        ...['GetObject', 'PutObject', 'DeleteObject'].flatMap((a) => [`s3:${a} ${S3}<data>/samples/*`, `s3:${a} ${S3}<data>/discrepancy/*`]),
        `s3:PutObject ${S3}<data>/trends_daily/*`,
        `s3:PutObject ${S3}<data>/reports/*`,
        `s3:ListBucket ${S3}<data>`,
      ].sort(),
    );
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
