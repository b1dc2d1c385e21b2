/**
 * Stop the S3 server mid-run → captures spool → restart it → every capture arrives exactly once,
 * in order. s3rver is started here rather than through test/integration/helpers/s3rver.ts because
 * the test needs to stop and restart the server on the same port and storage folder, which that
 * helper does not offer; the agent writes through the real S3ObjectStore.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../src/store/s3-store.js';
import { runAgent } from '../../../src/agent/run.js';
import { Spool } from '../../../src/agent/spool.js';
import { writeCgroupTree, syntheticPods } from '../../../src/agent/fake-host.js';
import type { AgentLogger } from '../../../src/agent/log.js';

const BUCKET = 'memgap-raw';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-s3-'));
const s3dir = path.join(tmp, 's3');
let server: S3rver | null = null;
let port = 0;
/** Object keys in the order s3rver reported their PUTs, across restarts. */
const created: string[] = [];

async function startS3(): Promise<void> {
  const s = new S3rver({ address: '127.0.0.1', port, silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
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

describe('agent upload through an S3 outage', () => {
  it('spools while S3 is down and delivers every capture exactly once, in order, after it returns', async () => {
    const cgroupRoot = writeCgroupTree(path.join(tmp, 'cgroup'), { version: 1, driver: 'systemd', runtime: 'docker' }, syntheticPods(5));
    const store = new S3ObjectStore({
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
    // A clock one minute apart per capture: distinct, ordered capture instants (and keys).
    let minute = 0;
    const now = (): Date => new Date(Date.UTC(2026, 10, 27, 5, 0 + minute++, 0));
    const spooledKeys: string[] = [];
    const warnings: string[] = [];
    const log: AgentLogger = {
      debug() {},
      info: (m, f) => {
        if (m === 'capture spooled') spooledKeys.push(f!.key as string);
      },
      warn: (m) => void warnings.push(m),
      error: (m, f) => void warnings.push(`${m} ${JSON.stringify(f)}`),
    };
    const spoolDir = path.join(tmp, 'spool');
    const controller = new AbortController();
    const run = runAgent({
      capture: { cluster: 'prod-eu-1', node: 'ip-10-0-1-23.ec2.internal', crictl: false, cgroupRoot, now },
      store,
      spoolDir,
      spoolMaxBytes: 64 * 1024 * 1024,
      intervalMs: 150,
      jitter: 0,
      backoff: { baseMs: 20, maxMs: 200 },
      log,
      signal: controller.signal,
      random: () => 0.5,
    });

    await until(() => created.length >= 2, 'two uploads before the outage');
    await stopS3();
    const spool = new Spool(spoolDir, 64 * 1024 * 1024);
    await until(() => spool.list().length >= 3, 'three captures spooled during the outage');
    const spooledDuringOutage = spool.list().length;
    expect(warnings.some((w) => w.includes('upload failed'))).toBe(true);
    await startS3();
    await until(() => spool.list().length === 0 && created.length >= spooledKeys.length && spooledKeys.length >= 2 + spooledDuringOutage, 'the spool to drain');
    controller.abort();
    const result = await run;

    expect(result.failures).toBe(0);
    expect(spooledKeys.length).toBe(result.captures);
    // Exactly once: one ObjectCreated per capture key, no key twice…
    expect(new Set(created).size).toBe(created.length);
    // …and in capture order (keys end in the capture instant, so sorted order is capture order too).
    expect(created).toEqual(spooledKeys);
    expect([...spooledKeys].sort()).toEqual(spooledKeys);
    const listed: string[] = [];
    for await (const o of store.list('raw/')) listed.push(o.key);
    expect(listed).toEqual(spooledKeys);
    store.client.destroy();
  }, 60_000);
});
