/**
 * Stop the S3 server mid-run → captures spool → restart it → every capture arrives exactly once,
 * in order, in batches; and an agent restarted with captures still spooled loses none. s3rver is started here rather than through test/integration/helpers/s3rver.ts because
 * the test needs to stop and restart the server on the same port and storage folder, which that
 * helper does not offer; the agent writes through the real S3ObjectStore.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { ingestBatch, logger } from '../../../functions/ingest.js';
import { compactStaging } from '../../../src/pipeline/compact.js';
import type { IngestDeps } from '../../../src/pipeline/ingest-batch.js';
import { lambdaContext, sqsEvent } from '../helpers/lambda-events.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../src/store/s3-store.js';
import { runAgent } from '../../../src/agent/run.js';
import { Spool } from '../../../src/agent/spool.js';
import { writeCgroupTree, syntheticPods } from './fake-host.js';
import type { AgentLogger } from '../../../src/agent/log.js';
import { CaptureBatch } from '../../../src/model/bundle.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { readCaptureBytes } from '../../../src/sources/bundle.js';

const BUCKET = 'memgap-raw';
const DATA = 'memgap-data';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-s3-'));
const s3dir = path.join(tmp, 's3');
let server: S3rver | null = null;
let port = 0;
/** Object keys in the order s3rver reported their PUTs, across restarts. */
const created: string[] = [];

async function startS3(): Promise<void> {
  const s = new S3rver({ address: '127.0.0.1', port, silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET, configs: [] }, { name: DATA, configs: [] }] });
  (s as unknown as NodeJS.EventEmitter).on('event', (e: { Records: { eventName: string; s3: { object: { key: string } } }[] }) => {
    for (const r of e.Records) if (r.eventName.startsWith('ObjectCreated')) created.push(r.s3.object.key);
  });
  const info = await s.run();
  port = info.port;
  server = s;
}
async function stopS3(): Promise<void> {
  await server?.close();
  server = null;
}

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(startS3);
afterAll(async () => {
  await stopS3();
  rmSync(tmp, { recursive: true, force: true });
});

function s3Store(): S3ObjectStore {
  return new S3ObjectStore({
    bucket: BUCKET,
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    checksums: 'WHEN_REQUIRED',
    maxAttempts: 1,
    connectionTimeoutMs: 300,
    requestTimeoutMs: 2000,
  });
}

/** Spooled capture keys (in capture order) and warnings, from the agent's log lines. */
function recordingLog(): { spooledKeys: string[]; warnings: string[]; log: AgentLogger } {
  const spooledKeys: string[] = [];
  const warnings: string[] = [];
  return {
    spooledKeys,
    warnings,
    log: {
      debug() {},
      info: (m, f) => {
        if (m === 'capture spooled') spooledKeys.push(f!.key as string);
      },
      warn: (m) => void warnings.push(m),
      error: (m, f) => void warnings.push(`${m} ${JSON.stringify(f)}`),
    },
  };
}

/** The capture instants inside the batch objects created under `prefix`, in upload order, and each object's size. */
async function uploadedCaptures(store: S3ObjectStore, prefix: string): Promise<{ instants: string[]; batchSizes: number[]; objects: string[] }> {
  const objects = created.filter((k) => k.startsWith(prefix));
  const instants: string[] = [];
  const batchSizes: number[] = [];
  for (const k of objects) {
    const batch = JSON.parse((await readCaptureBytes(await store.getBytes(k), DEFAULT_LIMITS, k)).toString('utf8')) as unknown; // as the pipeline reads it
    expect(CaptureBatch.safeParse(batch).success).toBe(true);
    const captures = (batch as { captures: { capturedAt: string }[] }).captures;
    batchSizes.push(captures.length);
    instants.push(...captures.map((c) => c.capturedAt));
  }
  return { instants, batchSizes, objects };
}

/** rawKey ends in the capture instant: `…/2026-11-27T05:00:00Z.json.gz` → `2026-11-27T05:00:00Z`. */
const instantOfKey = (k: string): string => k.slice(k.lastIndexOf('/') + 1, -'.json.gz'.length);

describe('agent upload through an S3 outage, in batches', () => {
  it('spools while S3 is down and delivers every capture exactly once, in order, after it returns', async () => {
    const cgroupRoot = writeCgroupTree(path.join(tmp, 'cgroup'), { version: 1, driver: 'systemd', runtime: 'docker' }, syntheticPods(5));
    const store = s3Store();
    const node = 'ip-10-0-1-23.ec2.internal';
    const prefix = `raw/cluster=prod-eu-1/node=${node}/`;
    // A clock one minute apart per capture: distinct, ordered capture instants (and keys).
    let minute = 0;
    const now = (): Date => new Date(Date.UTC(2026, 10, 27, 5, 0 + minute++, 0));
    const { spooledKeys, warnings, log } = recordingLog();
    const spoolDir = path.join(tmp, 'spool');
    const controller = new AbortController();
    const batchSize = 3;
    const run = runAgent({
      capture: { cluster: 'prod-eu-1', node, crictl: false, cgroupRoot, now },
      store,
      spoolDir,
      spoolMaxBytes: 64 * 1024 * 1024,
      intervalMs: 150,
      jitter: 0,
      backoff: { baseMs: 20, maxMs: 200 },
      batchSize,
      log,
      signal: controller.signal,
      random: () => 0.5,
    });

    // The first capture goes at once (agent start), the next full batch of 3 after it.
    await until(() => created.length >= 2, 'the start flush and one full batch before the outage');
    await stopS3();
    const spool = new Spool(spoolDir, 64 * 1024 * 1024);
    await until(() => spool.list().length >= 2 * batchSize + 1, 'more than two batches spooled during the outage');
    const spooledDuringOutage = spool.list().length;
    expect(warnings.some((w) => w.includes('upload failed'))).toBe(true);
    const beforeRestart = created.length;
    await startS3();
    await until(() => created.length >= beforeRestart + 2, 'the spooled batches to go once S3 is back');
    controller.abort();
    const result = await run;

    expect(result.failures).toBe(0);
    expect(spooledKeys.length).toBe(result.captures);
    expect(result.uploaded).toBe(result.captures);
    expect(spool.list()).toEqual([]); // the shutdown flush sent the last partial batch
    // Exactly once: one ObjectCreated per batch key, no key twice…
    expect(new Set(created).size).toBe(created.length);
    const { instants, batchSizes, objects } = await uploadedCaptures(store, prefix);
    expect(objects.length).toBe(result.batches);
    // …every capture in exactly one batch, in capture order across batches…
    expect(instants).toEqual(spooledKeys.map(instantOfKey));
    expect([...instants].sort()).toEqual(instants);
    // …no batch over the size, the backlog went as full batches, fewer objects than captures.
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(batchSize);
    expect(objects.length).toBeLessThan(instants.length);
    expect(spooledDuringOutage).toBeGreaterThan(batchSize);
    const listed: string[] = [];
    for await (const o of store.list(prefix)) listed.push(o.key);
    expect(listed.sort()).toEqual([...objects].sort());

    // What S3 holds: brotli JSON under .json.br, and its headers say so.
    expect(objects.every((k) => k.endsWith('.json.br'))).toBe(true);
    const head = await store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: objects.at(-1)! }));
    expect([head.ContentType, head.ContentEncoding]).toEqual(['application/json', 'br']);
    // The ingest Lambda, fed S3's notifications of these objects: every capture staged, none
    // quarantined; compacted, each capture is in the table once.
    logger.setLogLevel('SILENT');
    const out = new S3ObjectStore({ bucket: DATA, client: store.client });
    const deps: IngestDeps = { raw: store, out, parse: { bucket: BUCKET, prefix: 'raw/', keyEncoding: 'url' }, minRemainingMs: 0 };
    const event = sqsEvent(BUCKET, objects.map((k, i) => ({ id: `m${i}`, keys: [k] })));
    expect(await ingestBatch(event, lambdaContext('ingest', 60_000), deps)).toEqual({ batchItemFailures: [] });
    const keysOut: string[] = [];
    for await (const o of out.list('')) keysOut.push(o.key);
    expect(keysOut.filter((k) => k.startsWith('quarantine/'))).toEqual([]);
    await compactStaging(out);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const counted = (await conn.runAndReadAll(`SELECT count(DISTINCT captured_at) AS n FROM read_parquet('${path.join(s3dir, DATA)}/samples/*/*/*._S3rver_object')`)).getRowObjectsJS();
    const perCapture = (await conn.runAndReadAll(`SELECT count(*) AS k FROM (SELECT node, captured_at, count(*) AS c FROM read_parquet('${path.join(s3dir, DATA)}/samples/*/*/*._S3rver_object') GROUP BY ALL) GROUP BY c`)).getRowObjectsJS();
    conn.closeSync();
    db.closeSync();
    expect(Number(counted[0]!.n)).toBe(instants.length);
    expect(perCapture).toHaveLength(1); // every capture has the same number of sample rows: none doubled
    store.client.destroy();
  }, 60_000);

  it('an agent restarted with captures still spooled sends them first, losing none', async () => {
    const cgroupRoot = writeCgroupTree(path.join(tmp, 'cgroup-restart'), { version: 2, driver: 'systemd', runtime: 'cri-containerd' }, syntheticPods(3));
    const node = 'ip-10-0-9-9.ec2.internal';
    const prefix = `raw/cluster=prod-eu-1/node=${node}/`;
    let minute = 0;
    const now = (): Date => new Date(Date.UTC(2026, 10, 28, 7, 0 + minute++, 0));
    const spoolDir = path.join(tmp, 'spool-restart');
    const first = recordingLog();
    await stopS3();
    const down = s3Store();
    // First life: S3 unreachable the whole time, stops after 5 captures (its shutdown flush fails too).
    const r1 = await runAgent({ capture: { cluster: 'prod-eu-1', node, crictl: false, cgroupRoot, now }, store: down, spoolDir, spoolMaxBytes: 64 * 1024 * 1024, intervalMs: 50, jitter: 0, backoff: { baseMs: 10, maxMs: 50 }, batchSize: 3, log: first.log, maxCaptures: 5, random: () => 0.5 });
    down.client.destroy();
    expect(r1).toMatchObject({ captures: 5, uploaded: 0 });
    expect(new Spool(spoolDir, 64 * 1024 * 1024).list().map((e) => e.key)).toEqual(first.spooledKeys);
    await startS3();
    // Second life: the leftovers are flushed at start, before and beside the new capture.
    const second = recordingLog();
    const up = s3Store();
    const r2 = await runAgent({ capture: { cluster: 'prod-eu-1', node, crictl: false, cgroupRoot, now }, store: up, spoolDir, spoolMaxBytes: 64 * 1024 * 1024, intervalMs: 50, jitter: 0, batchSize: 3, log: second.log, maxCaptures: 1, random: () => 0.5 });
    expect(r2.captures).toBe(1);
    expect(new Spool(spoolDir, 64 * 1024 * 1024).list()).toEqual([]);
    const { instants } = await uploadedCaptures(up, prefix);
    expect(instants).toEqual([...first.spooledKeys, ...second.spooledKeys].map(instantOfKey));
    up.client.destroy();
  }, 60_000);
});
