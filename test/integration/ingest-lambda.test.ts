import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { batchKey } from '../../src/outputs/layout.js';
import { analyze, resolveInputs } from '../../src/pipeline/analyze.js';
import { compactStaging } from '../../src/pipeline/compact.js';
import { localCopyFor, openQueryEngine } from '../../src/query/engine.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { S3ObjectStore } from '../../src/store/s3-store.js';
import { depsFromEnv, ingestBatch, logger, type IngestDeps } from '../../functions/ingest.js';
import { lambdaContext, s3Notification as s3NotificationOf, sqsEvent as sqsEventOf } from './helpers/lambda-events.js';
import { startS3rver, type S3rverHandle } from './helpers/s3rver.js';

/**
 * The ingest Lambda end to end against s3rver: real capture bundles in a raw bucket, real-shaped
 * SQS/S3 events (keys URL-encoded the way S3 encodes them), Parquet read back with DuckDB from
 * the server's storage folder and compared with what the CLI path (`analyze` on a folder) writes.
 */
const RAW = 'memgap-raw-it';
const DATA = 'memgap-data-it';
const FIXTURE = new URL('../fixtures/real/kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json', import.meta.url);

let s3: S3rverHandle;
let summary: unknown;
let db: DuckDBInstance;
let conn: DuckDBConnection;
let work: string;
let envBefore: NodeJS.ProcessEnv;

function bundle(capturedAt: string, node = 'datagen-1-35'): Buffer {
  return gzipSync(JSON.stringify({ schema: 'memgap.capture/v1', cluster: 'it', node, capturedAt, host: { cgroupVersion: 2, cgroupDriver: 'cgroupfs' }, sources: { kubeletSummary: summary } }));
}
function rawKeyOf(capturedAt: string, node = 'datagen-1-35'): string {
  return `raw/cluster=it/node=${node}/dt=${capturedAt.slice(0, 10)}/${capturedAt}.json.gz`;
}
async function putRaw(key: string, body: Buffer | string): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: RAW, Key: key, Body: body }));
}

const s3Notification = (keys: string[], encode = true) => s3NotificationOf(RAW, keys, encode);
const sqsEvent = (messages: Array<{ id: string; keys: string[] }>) => sqsEventOf(RAW, messages);
const ctx = (remainingMs = 60_000) => lambdaContext('ingest', remainingMs);

/** The ingest instant every test uses: staging arrival hour 2026-06-26T10. */
const NOW = new Date('2026-06-26T10:20:00Z');

/** Deps as the deployed function builds them, but writing under its own output prefix per test. */
function deps(outputPrefix: string, extra: Record<string, string> = {}, hooks: Partial<IngestDeps> = {}): IngestDeps {
  return { ...depsFromEnv({ ...process.env, RAW_BUCKET: RAW, OUTPUT_BUCKET: DATA, OUTPUT_PREFIX: outputPrefix, ...extra }), now: () => NOW, ...hooks };
}
const dataDir = (prefix: string) => path.join(s3.directory, DATA, prefix);
const outStore = (prefix: string) => new S3ObjectStore({ bucket: DATA, prefix, client: s3.client });
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson();
}
async function keysUnder(prefix: string): Promise<string[]> {
  const out = [];
  for await (const o of outStore(prefix).list('')) out.push(o.key);
  return out;
}
/** The local compaction step over the S3 output (DuckDB in a temp folder, results uploaded). */
const compact = (prefix: string) => compactStaging(outStore(prefix));
/** The compacted table as DuckDB reads it from s3rver's storage folder. */
const table = (prefix: string, name: string) => `read_parquet('${dataDir(prefix)}/${name}/*/*/*._S3rver_object')`;
/** `memgap query` on an s3:// output: the engine the CLI opens, over a local copy of the tables. */
async function memgapQuery(prefix: string, sql: string): Promise<Record<string, unknown>[]> {
  const copy = await localCopyFor(`s3://${DATA}/${prefix}`, sql, () => outStore(prefix));
  const engine = await openQueryEngine(copy.root);
  try {
    return (await engine.query(sql)).rows;
  } finally {
    await engine.close();
    await copy.dispose();
  }
}
const stagingKeys = (keys: string[]) => keys.filter((k) => k.startsWith('staging/')).map((k) => k.replace(/[0-9a-f]{32}\.parquet$/, 'ID.parquet')).sort();
const STAGED = ['staging/discrepancy/arrival=2026-06-26T10/cluster=it/ID.parquet', 'staging/samples/arrival=2026-06-26T10/cluster=it/ID.parquet'];

const T = ['2026-06-26T10:14:40Z', '2026-06-26T10:15:40Z', '2026-06-26T10:16:40Z'];

beforeAll(async () => {
  summary = JSON.parse(await readFile(FIXTURE, 'utf8'));
  s3 = await startS3rver({ buckets: [RAW, DATA] });
  envBefore = { ...process.env };
  // How the deployed function finds S3 is env only; here the env points it at s3rver.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    MEMGAP_S3_CHECKSUMS: 'WHEN_REQUIRED',
  });
  logger.setLogLevel('SILENT');
  for (const t of T) await putRaw(rawKeyOf(t), bundle(t));
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  work = await mkdtemp(path.join(os.tmpdir(), 'memgap-ingest-it-'));
});
afterAll(async () => {
  process.env = envBefore;
  conn?.closeSync();
  db?.closeSync();
  await s3?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('ingest Lambda against s3rver', () => {
  it('stages a real-shaped SQS batch as one file per table, and compacts to the same rows as the CLI path', async () => {
    const event = sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] })));
    const res = await ingestBatch(event, ctx(), deps('a/'));
    expect(res).toEqual({ batchItemFailures: [] });
    // One staging file per table for the whole batch (not per capture), none in the tables yet.
    const staged = await keysUnder('a/');
    expect(stagingKeys(staged)).toEqual(STAGED);
    expect(staged.filter((k) => !k.startsWith('staging/'))).toEqual([]);
    const c = await compact('a/');
    expect(c.partitions.map((p) => [p.table, p.dt, p.cluster]).sort()).toEqual([['discrepancy', '2026-06-26', 'it'], ['samples', '2026-06-26', 'it']]);
    expect((await keysUnder('a/')).sort()).toEqual(['discrepancy/dt=2026-06-26/cluster=it/data.parquet', 'samples/dt=2026-06-26/cluster=it/data.parquet']);

    // The fixture's kube-apiserver container reports memory.workingSetBytes 221794304: that is
    // what `kubectl top` shows for it, in every capture.
    const apiserver = await rows(`SELECT kubectl_top_bytes FROM ${table('a', 'discrepancy')} WHERE container = 'kube-apiserver' AND level = 'container'`);
    expect(apiserver).toEqual([{ kubectl_top_bytes: '221794304' }, { kubectl_top_bytes: '221794304' }, { kubectl_top_bytes: '221794304' }]);

    // CLI path: the same three bundles in a folder, `analyze` into a local output folder.
    const rawDir = path.join(work, 'raw-in');
    for (const t of T) {
      const file = path.join(rawDir, ...rawKeyOf(t).split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, bundle(t));
    }
    const cliOut = path.join(work, 'cli-out');
    const summaryOut = await analyze(await resolveInputs([rawDir]), new FsObjectStore(cliOut));
    expect(summaryOut.ingested).toBe(3);
    for (const name of ['samples', 'discrepancy']) {
      const lambdaRows = await rows(`SELECT * FROM ${table('a', name)} ORDER BY ALL`);
      const cliRows = await rows(`SELECT * FROM read_parquet('${cliOut}/${name}/*/*/*.parquet') ORDER BY ALL`);
      expect(lambdaRows.length).toBeGreaterThan(0);
      expect(lambdaRows).toEqual(cliRows);
    }
  });

  it('delivering the same event twice rewrites the same staging objects, and the table counts each capture once', async () => {
    const event = sqsEvent([{ id: 'dup', keys: [rawKeyOf(T[0]!)] }]);
    expect(await ingestBatch(event, ctx(), deps('dup/'))).toEqual({ batchItemFailures: [] });
    const keys1 = await keysUnder('dup/');
    const bytes1 = await outStore('dup/').getBytes(keys1.find((k) => k.startsWith('staging/discrepancy/'))!);
    expect(await ingestBatch(event, ctx(), deps('dup/'))).toEqual({ batchItemFailures: [] });
    expect(await keysUnder('dup/')).toEqual(keys1);
    expect((await outStore('dup/').getBytes(keys1.find((k) => k.startsWith('staging/discrepancy/'))!)).equals(bytes1)).toBe(true);
    await compact('dup/');
    // 17 pods in the fixture, one container each (no pause container in a kubelet summary):
    // 17 container rows + 17 pod rows per capture.
    expect(await rows(`SELECT count(*) AS n FROM ${table('dup', 'discrepancy')}`)).toEqual([{ n: '34' }]);
  });

  it('events out of order (and split across messages) give the same table as in order', async () => {
    const reversed = sqsEvent([...T].reverse().map((t, i) => ({ id: `r${i}`, keys: [rawKeyOf(t)] })));
    expect(await ingestBatch(reversed, ctx(), deps('ooo/'))).toEqual({ batchItemFailures: [] });
    await compact('ooo/');
    const q = (p: string) => `SELECT * FROM ${table(p, 'discrepancy')} ORDER BY ALL`;
    expect(await rows(q('ooo'))).toEqual(await rows(q('a')));
  });

  it('decodes keys with spaces, + and unicode from real S3 events, and takes s3rver keys verbatim', async () => {
    const odd = ['raw/manual/incident 42/summary.json.gz', 'raw/manual/a+b=c/summary.json.gz', 'raw/manual/ñandú-日本/summary.json.gz'];
    const nodes = ['node-space', 'node-plus', 'node-unicode'];
    const before = s3.events.length;
    for (let i = 0; i < odd.length; i++) await putRaw(odd[i]!, bundle(T[0]!, nodes[i]));
    const event = sqsEvent(odd.map((k, i) => ({ id: `odd${i}`, keys: [k] })));
    // What S3 would put on the wire: `+` for the space, %2B for the plus, UTF-8 escapes.
    expect(JSON.parse(event.Records[1]!.body).Records[0].s3.object.key).toBe('raw/manual/a%2Bb%3Dc/summary.json.gz');
    expect(await ingestBatch(event, ctx(), deps('odd/'))).toEqual({ batchItemFailures: [] });
    await compact('odd/');
    const nodesOf = async (p: string) => (await rows(`SELECT DISTINCT node FROM ${table(p, 'samples')} ORDER BY node`)).map((r) => r.node);
    expect(await nodesOf('odd')).toEqual([...nodes].sort());

    // s3rver's own notifications carry raw keys; with S3_EVENT_KEY_ENCODING=plain they work too.
    const emitted = s3.events.slice(before).filter((e) => e.Records[0]!.s3.bucket.name === RAW);
    expect(emitted.map((e) => e.Records[0]!.s3.object.key)).toEqual(odd);
    for (const e of emitted) {
      expect(await ingestBatch(e, ctx(), deps('odd-plain/', { S3_EVENT_KEY_ENCODING: 'plain' }))).toEqual({ batchItemFailures: [] });
    }
    await compact('odd-plain/');
    expect(await nodesOf('odd-plain')).toEqual([...nodes].sort());
  });

  it('quarantines a poison object among good ones and reports no failure for it', async () => {
    const poisonKey = 'raw/cluster=it/node=bad/dt=2026-06-26/poison.json.gz';
    await putRaw(poisonKey, gzipSync('{"schema":"memgap.capture/v1","cluster":"it"'));
    const event = sqsEvent([
      { id: 'good0', keys: [rawKeyOf(T[0]!)] },
      { id: 'poison', keys: [poisonKey] },
      { id: 'good1', keys: [rawKeyOf(T[1]!)] },
    ]);
    expect(await ingestBatch(event, ctx(), deps('p/'))).toEqual({ batchItemFailures: [] });
    const written = await keysUnder('p/');
    expect(written).toContain(`quarantine/${poisonKey}`);
    expect(written).toContain(`quarantine/${poisonKey}.error.json`);
    await compact('p/');
    expect(await rows(`SELECT count(DISTINCT captured_at) AS n FROM ${table('p', 'samples')}`)).toEqual([{ n: '2' }]);
    // The original bytes are kept exactly, so nothing is lost.
    const store = outStore('p/');
    const raw = new S3ObjectStore({ bucket: RAW, client: s3.client });
    expect((await store.getBytes(`quarantine/${poisonKey}`)).equals(await raw.getBytes(poisonKey))).toBe(true);
    const report = JSON.parse((await store.getBytes(`quarantine/${poisonKey}.error.json`)).toString());
    expect(report.errors[0].source).toBe('bundle');
  });

  it('a batch object with one bad capture: that capture is quarantined by index, the others are ingested', async () => {
    const good = (t: string) => JSON.parse(gunzipSync(bundle(t)).toString()) as Record<string, unknown>;
    const key = batchKey('it', 'datagen-1-35', new Date(T[0]!), 3);
    await putRaw(key, brotliCompressSync(JSON.stringify({ schema: 'memgap.batch/v1', cluster: 'it', node: 'datagen-1-35', captures: [good(T[0]!), { ...good(T[1]!), sources: { kubeletSummary: { node: 'not an object' } } }, good(T[2]!)] })));
    expect(await ingestBatch(sqsEvent([{ id: 'b', keys: [key] }]), ctx(), deps('bq/'))).toEqual({ batchItemFailures: [] });
    const report = JSON.parse((await outStore('bq/').getBytes(`quarantine/${key}.error.json`)).toString());
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ capture: 1, source: 'kubeletSummary' });
    await compact('bq/');
    const at = await rows(`SELECT DISTINCT strftime(captured_at, '%H:%M:%S') AS t FROM ${table('bq', 'discrepancy')} ORDER BY t`);
    expect(at.map((r) => r.t)).toEqual(['10:14:40', '10:16:40']);
  });

  it('reads brotli batches (.json.br) and the gzip batches and single captures older agents wrote (.json.gz), each capture once', async () => {
    const good = (t: string) => JSON.parse(gunzipSync(bundle(t)).toString()) as Record<string, unknown>;
    const batchOf = (ts: string[]) => JSON.stringify({ schema: 'memgap.batch/v1', cluster: 'it', node: 'datagen-1-35', captures: ts.map(good) });
    const brKey = batchKey('it', 'datagen-1-35', new Date(T[0]!), 2);
    const gzKey = brKey.replace(/_2\.json\.br$/, '_1.json.gz'); // an older agent's batch key
    expect(brKey.endsWith('.json.br')).toBe(true);
    await putRaw(brKey, brotliCompressSync(batchOf([T[0]!, T[1]!])));
    await putRaw(gzKey, gzipSync(batchOf([T[2]!])));
    const event = sqsEvent([{ id: 'br', keys: [brKey] }, { id: 'gz', keys: [gzKey] }, { id: 'one', keys: [rawKeyOf(T[1]!)] }]);
    expect(await ingestBatch(event, ctx(), deps('mix/'))).toEqual({ batchItemFailures: [] });
    expect((await keysUnder('mix/')).filter((k) => k.startsWith('quarantine/'))).toEqual([]);
    await compact('mix/');
    // T[1] came twice (the brotli batch and its single .json.gz object): counted once.
    expect(await rows(`SELECT strftime(captured_at, '%H:%M:%S') AS t, count(*) AS n FROM ${table('mix', 'discrepancy')} GROUP BY t ORDER BY t`)).toEqual(
      (await rows(`SELECT strftime(captured_at, '%H:%M:%S') AS t, count(*) AS n FROM ${table('a', 'discrepancy')} GROUP BY t ORDER BY t`)),
    );
  });

  it('quarantines a brotli bomb at the decompressed cap with its reason, keeping its bytes', async () => {
    const key = batchKey('it', 'bomb-node', new Date(T[0]!), 30);
    const bomb = brotliCompressSync(Buffer.alloc(4 * 1024 * 1024, 0x20)); // 4 MiB of spaces in a few bytes
    await putRaw(key, bomb);
    const limits = { maxDecompressedBytes: 1024 * 1024 };
    expect(await ingestBatch(sqsEvent([{ id: 'bomb', keys: [key] }]), ctx(), deps('bomb/', {}, { limits }))).toEqual({ batchItemFailures: [] });
    const report = JSON.parse((await outStore('bomb/').getBytes(`quarantine/${key}.error.json`)).toString());
    expect(report.errors).toEqual([expect.objectContaining({ source: 'bundle', reason: 'decompressed size exceeds the limit of 1048576 bytes' })]);
    expect((await outStore('bomb/').getBytes(`quarantine/${key}`)).equals(bomb)).toBe(true);
    expect((await keysUnder('bomb/')).filter((k) => k.startsWith('staging/'))).toEqual([]);
  });

  it('puts only the record whose S3 read fails with 503 SlowDown into batchItemFailures; the staging file holds the rest', async () => {
    s3.faults.add(`${RAW}/${rawKeyOf(T[1]!)}`);
    try {
      const event = sqsEvent(T.map((t, i) => ({ id: `t${i}`, keys: [rawKeyOf(t)] })));
      expect(await ingestBatch(event, ctx(), deps('tr/'))).toEqual({ batchItemFailures: [{ itemIdentifier: 't1' }] });
    } finally {
      s3.faults.clear();
    }
    await compact('tr/');
    const at = await rows(`SELECT DISTINCT strftime(captured_at, '%H:%M:%S') AS t FROM ${table('tr', 'samples')} ORDER BY t`);
    expect(at.map((r) => r.t)).toEqual(['10:14:40', '10:16:40']);
  });

  it('a failed staging write fails the whole invocation (SQS redelivers the batch)', async () => {
    const event = sqsEvent([{ id: 'w0', keys: [rawKeyOf(T[0]!)] }, { id: 'w1', keys: [rawKeyOf(T[1]!)] }]);
    // Learn the staging key of this batch, then make its samples file fail with 503 SlowDown.
    expect(await ingestBatch(event, ctx(), deps('tw0/'))).toEqual({ batchItemFailures: [] });
    const samplesKey = (await keysUnder('tw0/')).find((k) => k.startsWith('staging/samples/'))!;
    s3.faults.add(`${DATA}/tw/${samplesKey}`);
    try {
      await expect(ingestBatch(event, ctx(), deps('tw/'))).rejects.toThrow();
    } finally {
      s3.faults.clear();
    }
  });

  it('ignores the s3:TestEvent, and defers work when the invocation is near its timeout', async () => {
    const test = sqsEvent([]);
    test.Records = [{ ...sqsEvent([{ id: 'x', keys: [] }]).Records[0]!, messageId: 'test', body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: RAW }) }];
    expect(await ingestBatch(test, ctx(), deps('te/'))).toEqual({ batchItemFailures: [] });
    expect(await keysUnder('te/')).toEqual([]);

    const late = sqsEvent([{ id: 'l0', keys: [rawKeyOf(T[0]!)] }, { id: 'l1', keys: [rawKeyOf(T[1]!)] }]);
    expect(await ingestBatch(late, ctx(5_000), deps('late/'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'l0' }, { itemIdentifier: 'l1' }] });
    expect(await keysUnder('late/')).toEqual([]);
  });

  it('runs through the middy handler with the env the deployed function gets (direct S3 event)', async () => {
    Object.assign(process.env, { RAW_BUCKET: RAW, OUTPUT_BUCKET: DATA, OUTPUT_PREFIX: 'h/' });
    const { handler } = await import('../../functions/ingest.js');
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    logger.setLogLevel('INFO');
    let res;
    try {
      res = await handler(s3Notification([rawKeyOf(T[2]!)]), ctx());
    } finally {
      process.stdout.write = write;
      logger.setLogLevel('SILENT');
    }
    expect(res).toEqual({ batchItemFailures: [] });
    // Structured JSON: request id, key and outcome; never the snapshot's contents.
    const logs = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'ingested', function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', key: rawKeyOf(T[2]!), outcome: 'ingested' }));
    for (const payloadText of ['kube-apiserver', 'workingSetBytes', 'memgap.capture/v1']) expect(lines.join('')).not.toContain(payloadText);
    expect((await keysUnder('h/')).filter((k) => k.startsWith('staging/samples/'))).toHaveLength(1);
  });
});

describe('the same capture delivered twice, or a batch killed halfway: every reader counts it once', () => {
  const captureCount = (p: string) => memgapQuery(p, 'SELECT count(DISTINCT node || captured_at::varchar) AS captures, count(*) AS rows FROM discrepancy');
  // Three captures of one node, 34 discrepancy rows each (17 pods × container + pod row).
  const ONCE = [{ captures: 3n, rows: 102n }];

  it('two SQS messages for one object, in one batch and in two invocations', async () => {
    const event = sqsEvent([...T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] })), { id: 'again', keys: [rawKeyOf(T[0]!)] }]);
    expect(await ingestBatch(event, ctx(), deps('d1/'))).toEqual({ batchItemFailures: [] });
    expect(await ingestBatch(sqsEvent([{ id: 'later', keys: [rawKeyOf(T[1]!)] }]), ctx(), deps('d1/', {}, { now: () => new Date('2026-06-26T11:05:00Z') }))).toEqual({ batchItemFailures: [] });
    await compact('d1/');
    expect(await captureCount('d1/')).toEqual(ONCE);
  });

  it('the object re-uploaded under another key', async () => {
    const copy = 'raw/cluster=it/node=datagen-1-35/dt=2026-06-26/reupload-of-first.json.gz';
    await putRaw(copy, bundle(T[0]!));
    expect(await ingestBatch(sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] }))), ctx(), deps('d2/'))).toEqual({ batchItemFailures: [] });
    await compact('d2/');
    expect(await ingestBatch(sqsEvent([{ id: 'copy', keys: [copy] }]), ctx(), deps('d2/'))).toEqual({ batchItemFailures: [] });
    await compact('d2/');
    expect(await captureCount('d2/')).toEqual(ONCE);
  });

  it('the same capture inside two different batch objects (staged, not yet compacted, in two invocations)', async () => {
    const capture = (t: string) => JSON.parse(gunzipSync(bundle(t)).toString()) as unknown;
    const k1 = batchKey('it', 'datagen-1-35', new Date(T[0]!), 2);
    const k2 = batchKey('it', 'datagen-1-35', new Date(T[1]!), 2);
    await putRaw(k1, brotliCompressSync(JSON.stringify({ schema: 'memgap.batch/v1', cluster: 'it', node: 'datagen-1-35', captures: [capture(T[0]!), capture(T[1]!)] })));
    await putRaw(k2, brotliCompressSync(JSON.stringify({ schema: 'memgap.batch/v1', cluster: 'it', node: 'datagen-1-35', flushReason: 'restart', captures: [capture(T[1]!), capture(T[2]!)] })));
    expect(await ingestBatch(sqsEvent([{ id: 'b1', keys: [k1] }]), ctx(), deps('d3/'))).toEqual({ batchItemFailures: [] });
    expect(await ingestBatch(sqsEvent([{ id: 'b2', keys: [k2] }]), ctx(), deps('d3/'))).toEqual({ batchItemFailures: [] });
    expect(stagingKeys(await keysUnder('d3/'))).toHaveLength(4);
    await compact('d3/');
    expect(await captureCount('d3/')).toEqual(ONCE);
  });

  it('a batch killed after its first staging file, retried in the same hour and in a later one', async () => {
    const event = sqsEvent(T.map((t, i) => ({ id: `m${i}`, keys: [rawKeyOf(t)] })));
    const kill = { afterPut: () => Promise.reject(new Error('killed after one staging file')) };
    await expect(ingestBatch(event, ctx(), deps('d4/', {}, kill))).rejects.toThrow('killed');
    expect(stagingKeys(await keysUnder('d4/'))).toEqual([STAGED[0]]);
    // A compaction may run between the kill and the retry: discrepancy rows only, once.
    await compact('d4/');
    expect(await captureCount('d4/')).toEqual(ONCE);
    await expect(ingestBatch(event, ctx(), deps('d4/', {}, { ...kill, now: () => new Date('2026-06-26T12:00:00Z') }))).rejects.toThrow('killed');
    expect(await ingestBatch(event, ctx(), deps('d4/'))).toEqual({ batchItemFailures: [] });
    await compact('d4/');
    expect(await captureCount('d4/')).toEqual(ONCE);
    expect(await memgapQuery('d4/', 'SELECT count(*) AS rows FROM samples')).toEqual([{ rows: BigInt((await rows(`SELECT count(*) AS n FROM ${table('a', 'samples')}`))[0]!.n as string) }]);
  });
});
