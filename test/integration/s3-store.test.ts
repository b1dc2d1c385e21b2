import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { ObjectNotFoundError, TransientStoreError, UsageError } from '../../src/errors.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { openStore } from '../../src/store/open-store.js';
import { resolveInputs } from '../../src/pipeline/analyze.js';
import { S3ObjectStore, isTransientS3Error, parseS3Url } from '../../src/store/s3-store.js';
import { s3rverClientConfig, startS3rver, type S3rverHandle } from './helpers/s3rver.js';

const BUCKET = 'memgap-store-test';
let s3: S3rverHandle;
let store: S3ObjectStore;

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  store = new S3ObjectStore({ bucket: BUCKET, prefix: 'tenant-a', client: s3.client });
});
afterAll(async () => {
  await s3?.close();
});

describe('S3ObjectStore against s3rver', () => {
  it('round-trips binary bytes exactly through put/get/getBytes (no aws-chunked framing stored)', async () => {
    const body = randomBytes(100_000);
    await store.put('bin/blob.bin', body, 'application/octet-stream');
    expect((await store.getBytes('bin/blob.bin')).equals(body)).toBe(true);
    expect((await readAll(await store.get('bin/blob.bin'))).equals(body)).toBe(true);
    // What sits on the server's disk is the payload, byte for byte, under the prefix.
    const onDisk = await readFile(path.join(s3.directory, BUCKET, 'tenant-a', 'bin', 'blob.bin._S3rver_object'));
    expect(onDisk.length).toBe(100_000);
    expect(onDisk.equals(body)).toBe(true);
  });

  it('keeps keys with spaces, +, = and unicode intact', async () => {
    const keys = ['odd/a b.json', 'odd/a+b.json', 'odd/dt=2026-11-27/x.json', 'odd/pod-ñandú-日本.json'];
    for (const k of keys) await store.put(k, `body of ${k}`);
    for (const k of keys) expect((await store.getBytes(k)).toString()).toBe(`body of ${k}`);
    const listed = [];
    for await (const o of store.list('odd/')) listed.push(o.key);
    expect(listed.sort()).toEqual([...keys].sort());
  });

  it('reports existence, deletes, and raises ObjectNotFoundError for missing keys', async () => {
    await store.put('tmp/x.txt', 'x');
    expect(await store.exists('tmp/x.txt')).toBe(true);
    await store.delete('tmp/x.txt');
    expect(await store.exists('tmp/x.txt')).toBe(false);
    await expect(store.getBytes('tmp/x.txt')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(store.get('tmp/x.txt')).rejects.toBeInstanceOf(ObjectNotFoundError);
    // Deleting an absent object is not an error (S3 semantics; makes retries idempotent).
    await expect(store.delete('tmp/x.txt')).resolves.toBeUndefined();
  });

  it('rejects unsafe keys before any request', async () => {
    await expect(store.put('../escape', 'x')).rejects.toThrow(/unsafe object key/);
    await expect(store.getBytes('/abs')).rejects.toThrow(/unsafe object key/);
  });

  it('lists 1,100 objects across ListObjectsV2 pages, in key order, relative to the prefix', async () => {
    const N = 1100;
    const keys = Array.from({ length: N }, (_, i) => `many/obj-${String(i).padStart(5, '0')}.txt`);
    for (let i = 0; i < N; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, k)));
    }
    const listed = [];
    for await (const o of store.list('many/')) listed.push(o);
    expect(listed.map((o) => o.key)).toEqual(keys);
    // Each body is its own key: "many/obj-00000.txt" is 18 bytes.
    expect(listed.every((o) => o.size === 18)).toBe(true);
    // The prefix is part of the store root, so another prefix's objects never leak in.
    const other = new S3ObjectStore({ bucket: BUCKET, prefix: 'tenant-b', client: s3.client });
    const none = [];
    for await (const o of other.list('many/')) none.push(o);
    expect(none).toEqual([]);
  });

  it('turns S3 503 SlowDown into TransientStoreError after the SDK retries (maxAttempts)', async () => {
    await store.put('flaky/one.txt', 'ok');
    s3.faults.add(`${BUCKET}/tenant-a/flaky/one.txt`);
    const before = s3.faultsServed();
    try {
      const err = await store.getBytes('flaky/one.txt').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientStoreError);
      expect((err as TransientStoreError).key).toBe('flaky/one.txt');
      // The helper's client config says maxAttempts: 3, so the server saw three requests.
      expect(s3.faultsServed() - before).toBe(3);
    } finally {
      s3.faults.clear();
    }
    expect((await store.getBytes('flaky/one.txt')).toString()).toBe('ok');
  });

  it('turns a refused connection (server down) into TransientStoreError', async () => {
    const dead = new S3ObjectStore({
      bucket: BUCKET,
      client: new S3Client({ ...s3rverClientConfig('http://127.0.0.1:1'), maxAttempts: 1 }),
    });
    await expect(dead.put('k', 'v')).rejects.toBeInstanceOf(TransientStoreError);
    await expect(dead.exists('k')).rejects.toBeInstanceOf(TransientStoreError);
  });

  it('does not call a permanent error transient (missing bucket → NoSuchBucket)', async () => {
    const wrong = new S3ObjectStore({ bucket: 'no-such-bucket-here', client: s3.client });
    const err = await wrong.put('k', 'v').catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(TransientStoreError);
    expect(isTransientS3Error(err)).toBe(false);
  });
});

describe('openStore', () => {
  it('opens s3://bucket/prefix through the SDK, honouring AWS_ENDPOINT_URL_S3', async () => {
    const saved = { ...process.env };
    process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    process.env.MEMGAP_S3_CHECKSUMS = 'WHEN_REQUIRED';
    try {
      const opened = openStore(`s3://${BUCKET}/tenant-a/`);
      expect(opened).toBeInstanceOf(S3ObjectStore);
      expect(opened.location).toBe(`s3://${BUCKET}/tenant-a/`);
      expect((await opened.getBytes('flaky/one.txt')).toString()).toBe('ok');
    } finally {
      process.env = saved;
    }
  });

  it('expands `memgap analyze s3://…` inputs past 1,000 keys (ListObjectsV2 continuation)', async () => {
    const N = 1050;
    const keys = Array.from({ length: N }, (_, i) => `raw/cluster=c/node=n/dt=2026-11-27/${String(i).padStart(4, '0')}.json.gz`);
    for (let i = 0; i < N; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.put(`inputs/${k}`, 'x')));
    // Error files and quarantine copies are not inputs.
    await store.put('inputs/quarantine/raw/bad.json.gz', 'x');
    await store.put('inputs/raw/cluster=c/node=n/dt=2026-11-27/0000.json.gz.error.json', '{}');
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', MEMGAP_S3_CHECKSUMS: 'WHEN_REQUIRED' });
    try {
      const refs = await resolveInputs([`s3://${BUCKET}/tenant-a/inputs/`]);
      expect(refs.map((r) => r.key)).toEqual(keys);
      expect(refs[0]!.store.location).toBe(`s3://${BUCKET}/tenant-a/inputs/`);
    } finally {
      process.env = saved;
    }
  });

  it('opens a folder as FsObjectStore and rejects malformed s3 URLs as usage errors', () => {
    expect(openStore('/tmp/memgap-out')).toBeInstanceOf(FsObjectStore);
    expect(() => openStore('s3://')).toThrow(UsageError);
    expect(() => openStore('s3://Bad_Bucket/x')).toThrow(UsageError);
    expect(parseS3Url('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my-bucket/a/b/')).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
  });
});
