import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';

/**
 * A real S3-compatible server for integration tests: s3rver 3.7.1 on port 0 in a temp dir.
 * Needs NODE_OPTIONS=--openssl-legacy-provider for ListObjectsV2 past 1,000 keys (s3rver's continuation token uses DES, which OpenSSL 3 disables).
 *
 * `endpoint` goes through a small pass-through proxy so a test can inject real HTTP faults:
 * add a key to `faults` and every request for it gets `503 SlowDown`, which the SDK sees exactly
 * as it would from S3 (and retries, then gives up).
 */
export interface S3rverHandle {
  /** Proxy endpoint (use this). */
  endpoint: string;
  /** s3rver's own endpoint, no fault injection. */
  directEndpoint: string;
  /** s3rver's storage folder: `<dir>/<bucket>/<key>._S3rver_object`. */
  directory: string;
  /** Client settings that make the SDK and s3rver agree (path style, fake creds, WHEN_REQUIRED checksums). */
  clientConfig: S3ClientConfig;
  /** A client on `endpoint`. */
  client: S3Client;
  /** Every S3 notification s3rver emitted, in order. Its keys are NOT URL-encoded (unlike S3). */
  events: S3Event[];
  /** `bucket/key` strings that answer 503 SlowDown while present. */
  faults: Set<string>;
  /** Number of requests the proxy failed on purpose. */
  faultsServed(): number;
  close(): Promise<void>;
}

export interface S3rverStartOptions {
  buckets?: string[];
}

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function s3rverClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Keep fault-injection tests fast: the SDK's backoff with 3 attempts stays well under 1 s.
    maxAttempts: 3,
  };
}

const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>FAULT</RequestId></Error>';

export async function startS3rver(opts: S3rverStartOptions = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'memgap-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const events: S3Event[] = [];
  (server as unknown as NodeJS.EventEmitter).on('event', (e: S3Event) => events.push(e));
  const { port } = await server.run();
  const directEndpoint = `http://127.0.0.1:${port}`;

  const faults = new Set<string>();
  let served = 0;
  const proxy = http.createServer((req, res) => {
    const target = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    if (faults.has(target)) {
      served++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN);
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const clientConfig = s3rverClientConfig(endpoint);
  const client = new S3Client(clientConfig);

  return {
    endpoint,
    directEndpoint,
    directory,
    clientConfig,
    client,
    events,
    faults,
    faultsServed: () => served,
    async close() {
      client.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
