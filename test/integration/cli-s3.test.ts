/**
 * `--out s3://bucket/prefix` end to end through the CLI as a child process, against a real
 * S3-compatible server (s3rver): analyze writes tables, trends and reports there; query and
 * explain read them back; an empty prefix says there are no tables.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleCaptures, gzipBundle } from '../../src/demo/generator.js';
import { buildCli, type CliBuild } from './helpers/cli-process.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from './helpers/s3rver.js';

let cli: CliBuild;
let s3: S3rverHandle;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  [cli, s3] = await Promise.all([buildCli(), startS3rver({ buckets: ['memgap'] })]);
  dir = await mkdtemp(path.join(tmpdir(), 'memgap-cli-s3-'));
  await mkdir(path.join(dir, 'captures'));
  for (const b of articleCaptures()) await writeFile(path.join(dir, 'captures', `${b.capturedAt}.json.gz`), gzipBundle(b));
  env = {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    MEMGAP_S3_CHECKSUMS: 'WHEN_REQUIRED',
    // s3rver's continuation tokens need the legacy provider (see helpers/s3rver.ts)
    NODE_OPTIONS: '--openssl-legacy-provider',
  };
});

afterAll(async () => {
  cli?.dispose();
  await s3?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function keys(prefix: string): Promise<string[]> {
  const r = await s3.client.send(new ListObjectsV2Command({ Bucket: 'memgap', Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

describe('memgap with --out s3://', () => {
  it('analyze writes the tables, trends and the daily report to the prefix', async () => {
    const r = await cli.run(['analyze', path.join(dir, 'captures'), '--out', 's3://memgap/incident'], { env });
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(0);
    const all = await keys('incident/');
    expect(all.filter((k) => k.startsWith('incident/staging/'))).toEqual([]);
    const cluster = articleCaptures()[0]!.cluster;
    for (const table of ['samples', 'discrepancy', 'trends_daily']) expect(all).toContain(`incident/${table}/dt=2020-02-03/cluster=${cluster}/data.parquet`);
    expect(all.some((k) => k.startsWith('incident/reports/daily/dt=2020-02-03/') && k.endsWith('index.html'))).toBe(true);
  });

  it('query and explain read the prefix back', async () => {
    const q = await cli.run(['query', "select pod, max(gap_bytes) as gap from discrepancy where level = 'pod' group by pod", '--out', 's3://memgap/incident', '--csv'], { env });
    expect(q.stderr).toBe('');
    // after `less file100`: kubectl top 105963520 B − docker stats (usage − cache) 106496 B
    expect(q.stdout).toBe(`pod,gap\r\nbusybox,${105_963_520 - 106_496}\r\n`);
    const e = await cli.run(['explain', 'default/busybox', '--out', 's3://memgap/incident', '--json'], { env });
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ namespace: 'default', pod: 'busybox', captures: 2 });
  });

  it('a bucket that does not exist is a usage error naming it', async () => {
    for (const args of [['query', 'select 1', '--out', 's3://no-such-bucket/x'], ['analyze', path.join(dir, 'captures'), '--out', 's3://no-such-bucket/x']]) {
      const r = await cli.run(args, { env });
      expect(r.stderr).toBe('memgap: the bucket of the s3:// location does not exist (NoSuchBucket)\n');
      expect(r.code).toBe(2);
    }
  });

  it('a prefix with no tables: exit 2, "no memgap tables under s3://…"', async () => {
    const r = await cli.run(['query', 'select 1', '--out', 's3://memgap/nothing-here'], { env });
    expect(r.stderr.trim()).toBe('memgap: no memgap tables under s3://memgap/nothing-here; run memgap analyze <captures…> --out s3://memgap/nothing-here first');
    expect(r.code).toBe(2);
  });
});
