/**
 * Counting HTTP proxies in front of s3rver, one port per component (agent, ingest, compact,
 * daily, …), so every S3 request a component makes is counted by kind and byte, whatever client
 * or library made it. Kinds follow S3's price tiers: PUT/COPY/POST/LIST, GET (HEAD and every
 * other read), DELETE (free).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type S3RequestKind = 'PUT' | 'COPY' | 'POST' | 'LIST' | 'GET' | 'HEAD' | 'DELETE' | 'OTHER';

export interface S3Counts {
  requests: Record<S3RequestKind, number>;
  /** Body bytes sent to S3 (PUT bodies). */
  bytesIn: number;
  /** Body bytes read from S3 (GET bodies, listings). */
  bytesOut: number;
}

export const emptyCounts = (): S3Counts => ({ requests: { PUT: 0, COPY: 0, POST: 0, LIST: 0, GET: 0, HEAD: 0, DELETE: 0, OTHER: 0 }, bytesIn: 0, bytesOut: 0 });

/** The S3 operation kind of a path-style request (`/<bucket>[/<key>][?query]`). */
export function classifyS3Request(method: string, url: string, headers: http.IncomingHttpHeaders): S3RequestKind {
  const [pathPart = '/', query = ''] = url.split('?', 2);
  const hasKey = pathPart.replace(/^\/+/, '').includes('/') && !pathPart.endsWith('/');
  const params = new URLSearchParams(query);
  switch (method.toUpperCase()) {
    case 'PUT':
      return headers['x-amz-copy-source'] ? 'COPY' : 'PUT';
    case 'POST':
      return 'POST';
    case 'GET':
      return !hasKey || params.has('list-type') ? 'LIST' : 'GET';
    case 'HEAD':
      return 'HEAD';
    case 'DELETE':
      return 'DELETE';
    default:
      return 'OTHER';
  }
}

export interface CountingProxy {
  endpoint: string;
  counts: S3Counts;
  close(): Promise<void>;
}

/** A pass-through proxy to `target` (s3rver's own endpoint) that counts what goes through. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const { hostname, port } = new URL(target);
  const counts = emptyCounts();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const kind = classifyS3Request(req.method ?? 'GET', req.url ?? '/', req.headers);
    counts.requests[kind]++;
    const upstream = http.request({ host: hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      // Node's HTTP server dates its answers with the real clock even when the harness runs on
      // simulated time (scripts/scale/clock.ts); the SDK would take the difference for clock skew.
      res.writeHead(up.statusCode ?? 502, { ...up.headers, date: new Date().toUTCString() });
      up.on('data', (c: Buffer) => (counts.bytesOut += c.length));
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.on('data', (c: Buffer) => (counts.bytesIn += c.length));
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
