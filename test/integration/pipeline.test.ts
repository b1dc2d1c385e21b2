import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleCaptures, gzipBundle } from '../../src/demo/generator.js';
import { rawKey } from '../../src/outputs/layout.js';
import { columnsOf, TABLES } from '../../src/outputs/tables.js';
import { analyze, resolveInputs } from '../../src/pipeline/analyze.js';
import { finishPartitions } from '../../src/pipeline/finish.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { S3ObjectStore } from '../../src/store/s3-store.js';
import { startS3rver } from './helpers/s3rver.js';

const DUCK_TYPE = { timestamp: 'TIMESTAMP WITH TIME ZONE', string: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', 'array<string>': 'VARCHAR[]' } as const;

let dir: string;
let store: FsObjectStore;
let db: DuckDBInstance;

async function sql(query: string): Promise<Record<string, unknown>[]> {
  const con = await db.connect();
  const reader = await con.runAndReadAll(query);
  con.closeSync();
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}
const table = (name: string) => `read_parquet('${dir}/${name}/*/*/*.parquet', hive_partitioning = true)`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'memgap-pipeline-'));
  store = new FsObjectStore(dir);
  db = await DuckDBInstance.create(':memory:');
  for (const b of articleCaptures()) await store.put(rawKey(b.cluster, b.node, new Date(b.capturedAt)), gzipBundle(b));
  // Poison among good ones: a truncated gzip, and a bundle whose kubelet summary has a string where bytes go.
  await store.put('raw/cluster=seed-article/node=bad/dt=2020-02-03/truncated.json.gz', gzipBundle(articleCaptures()[0]!).subarray(0, 40));
  const bad = JSON.parse(JSON.stringify(articleCaptures()[1]!)) as unknown as { sources: { kubeletSummary: { pods: { containers: { memory: { usageBytes: unknown } }[] }[] } } };
  bad.sources.kubeletSummary.pods[0]!.containers[0]!.memory.usageBytes = 'lots';
  await store.put('raw/cluster=seed-article/node=bad/dt=2020-02-03/typo.json.gz', gzipSync(JSON.stringify(bad)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ingest → Parquet → DuckDB', () => {
  it('ingests the good captures and quarantines the bad ones with a specific reason', async () => {
    const summary = await analyze(await resolveInputs([path.join(dir, 'raw')]), store);
    expect(summary).toMatchObject({ inputs: 4, ingested: 2, quarantined: 2 });
    const errorFile = JSON.parse(await readFile(path.join(dir, 'quarantine/raw/cluster=seed-article/node=bad/dt=2020-02-03/typo.json.gz.error.json'), 'utf8'));
    expect(errorFile.errors[0]).toMatchObject({ source: 'kubeletSummary', path: 'pods[0].containers[0].memory.usageBytes' });
    const truncated = JSON.parse(await readFile(path.join(dir, 'quarantine/raw/cluster=seed-article/node=bad/dt=2020-02-03/truncated.json.gz.error.json'), 'utf8'));
    expect(truncated.errors[0]).toMatchObject({ source: 'bundle' });
    expect(truncated.errors[0].reason).toMatch(/decompress/);
    // nothing is lost: the original bytes sit beside the reason
    const copy = await readFile(path.join(dir, 'quarantine/raw/cluster=seed-article/node=bad/dt=2020-02-03/truncated.json.gz'));
    expect(copy.equals(gzipBundle(articleCaptures()[0]!).subarray(0, 40))).toBe(true);
  });

  it('has the contract columns and types (docs/columns.md) plus the dt/cluster partitions', async () => {
    for (const name of ['discrepancy', 'samples'] as const) {
      const described = await sql(`describe select * from ${table(name)}`);
      const actual = described.map((d) => `${d.column_name}:${d.column_type}`);
      const expected = columnsOf(TABLES[name]).map((c) => `${c.name}:${DUCK_TYPE[c.glue]}`);
      expect(actual.slice(0, expected.length)).toEqual(expected);
      expect(actual.slice(expected.length).sort()).toEqual(['cluster:VARCHAR', 'dt:DATE']);
    }
  });

  it('reproduces the article after `less file100`: 105963520 vs 106496, the gap is active page cache', async () => {
    const rows = await sql(`select * from ${table('discrepancy')} where captured_at = '2020-02-03 05:30:57+00' order by level, container`);
    const app = rows.find((r) => r.level === 'container' && r.container === 'busybox')!;
    expect(app.kubectl_top_bytes).toBe(105_963_520n);
    expect(app.docker_stats_bytes).toBe(106_496n);
    expect(app.gap_page_cache_bytes).toBe(105_857_024n); // usage − rss − inactive = 105971712 − 106496 − 8192
    expect(app.cause).toBe('page-cache');
    const pause = rows.find((r) => r.container === 'POD')!;
    expect(pause.docker_stats_bytes).toBe(634_880n); // 620KiB
    expect(pause.kubectl_top_bytes).toBeNull();
    expect(pause.flags).toEqual(expect.arrayContaining(['pause-container', 'cli-rounding']));
    const pod = rows.find((r) => r.level === 'pod')!;
    expect(pod.flags).toContain('container-mismatch');
    expect(String(pod.cluster)).toBe('seed-article');
  });

  it('keeps the kubelet and docker sample instants in the samples table', async () => {
    const rows = await sql(`select source, count(*) n, count(sampled_at) timed from ${table('samples')} group by source order by source`);
    expect(rows.map((r) => [r.source, Number(r.n), Number(r.timed)])).toEqual([
      ['cgroup', 4, 4], // app + pause cgroup × 2 captures, at the capture instant
      ['docker-cli', 2, 0], // the CLI prints no time
      ['kubelet', 6, 6], // node, pod and container × 2
    ]);
  });

  it('re-running the same input replaces files and never duplicates rows', async () => {
    const before = await sql(`select count(*) n from ${table('discrepancy')}`);
    const files = async () => (await readdir(path.join(dir, 'discrepancy/dt=2020-02-03/cluster=seed-article'))).sort();
    const filesBefore = await files();
    // the same captures again, under other object names
    for (const b of articleCaptures()) await store.put(`again/${b.capturedAt}.json.gz`, gzipBundle(b));
    await analyze(await resolveInputs([path.join(dir, 'raw'), path.join(dir, 'again')]), store);
    expect(await files()).toEqual(filesBefore);
    expect(await sql(`select count(*) n from ${table('discrepancy')}`)).toEqual(before);
  });
});

describe('analyze --out s3://… (DuckDB in a temp folder, results uploaded)', () => {
  it('stages, compacts and builds trends and reports on the bucket; staging is consumed', async () => {
    const s3 = await startS3rver({ buckets: ['out'] });
    try {
      const out = new S3ObjectStore({ bucket: 'out', prefix: 'team/', client: s3.client });
      const inputs = new FsObjectStore(await mkdtemp(path.join(tmpdir(), 'memgap-pipeline-s3-in-')));
      for (const b of articleCaptures()) await inputs.put(rawKey(b.cluster, b.node, new Date(b.capturedAt)), gzipBundle(b));
      const summary = await analyze(await resolveInputs([path.join(inputs.root, 'raw')]), out);
      expect(summary).toMatchObject({ inputs: 2, ingested: 2, captures: 2, partitions: [{ dt: '2020-02-03', cluster: 'seed-article' }] });
      const finish = await finishPartitions(out, summary.partitions);
      const keys: string[] = [];
      for await (const o of out.list('')) keys.push(o.key);
      expect(keys.filter((k) => k.startsWith('staging/'))).toEqual([]);
      const prefix = 'dt=2020-02-03/cluster=seed-article/';
      expect(keys).toEqual(expect.arrayContaining([`discrepancy/${prefix}data.parquet`, `samples/${prefix}data.parquet`, `trends_daily/${prefix}data.parquet`, ...finish.reports]));
      expect(finish.reports.length).toBeGreaterThan(0);
      // The uploaded table reads like the local one: the article's busybox in both captures.
      const rows = await sql(`select count(*) n from read_parquet('${path.join(s3.directory, 'out', 'team', 'discrepancy', 'dt=2020-02-03', 'cluster=seed-article', 'data.parquet._S3rver_object')}') where container = 'busybox'`);
      expect(rows).toEqual([{ n: 2n }]);
      await rm(inputs.root, { recursive: true, force: true });
    } finally {
      await s3.close();
    }
  });
});

describe('analyze on worker threads', () => {
  it('the bundled worker stages the same rows as ingest in this thread, split over several chunks', async () => {
    // Bundle the worker the way scripts/build.mjs does, inside the repository so node_modules resolve.
    const bundleDir = path.resolve('.tmp', `worker-test-${process.pid}-${Date.now()}`);
    await build({ entryPoints: { 'ingest-worker': 'src/pipeline/ingest-worker.ts' }, outdir: bundleDir, outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
    const base = await mkdtemp(path.join(tmpdir(), 'memgap-workers-'));
    try {
      const inputs = new FsObjectStore(path.join(base, 'in'));
      const list: string[] = [];
      for (const b of articleCaptures()) list.push(rawKey(b.cluster, b.node, new Date(b.capturedAt)));
      for (const [i, b] of articleCaptures().entries()) await inputs.put(list[i]!, gzipBundle(b));
      // The same two captures again under other names: four objects, two chunks per worker run.
      for (const [i, b] of articleCaptures().entries()) await inputs.put(`raw/again/${i}.json.gz`, gzipBundle(b));
      const refs = await resolveInputs([path.join(base, 'in', 'raw')]);
      const threaded = await analyze(refs, new FsObjectStore(path.join(base, 'threads')), { workers: 2, chunkSize: 1, workerScript: pathToFileURL(path.join(bundleDir, 'ingest-worker.mjs')) });
      const inline = await analyze(refs, new FsObjectStore(path.join(base, 'inline')), { workers: 0 });
      expect(threaded).toMatchObject({ inputs: 4, ingested: 4, quarantined: 0 });
      expect(threaded.partitions).toEqual(inline.partitions);
      for (const name of ['samples', 'discrepancy']) {
        const read = (dir: string) => sql(`select * exclude (dt, cluster) from read_parquet('${path.join(base, dir, name)}/*/*/*.parquet', hive_partitioning = true) order by all`);
        const rows = await read('threads');
        expect(rows.length).toBeGreaterThan(0);
        expect(rows).toEqual(await read('inline'));
      }
    } finally {
      await rm(base, { recursive: true, force: true });
      await rm(bundleDir, { recursive: true, force: true });
    }
  });
});
