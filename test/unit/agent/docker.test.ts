import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDocker } from '../../../src/agent/docker.js';

const FIX = path.resolve(import.meta.dirname, '../../fixtures');
const realStats = readFileSync(path.join(FIX, 'real/docker-engine-api-v1.24-container-stats_docs-example_cgroupv1.json'), 'utf8');
const list = readFileSync(path.join(FIX, 'agent/docker-containers-json_synthetic.json'), 'utf8');
const [appId, pauseId] = (JSON.parse(list) as { Id: string }[]).map((c) => c.Id) as [string, string];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-docker-'));
const socketPath = path.join(tmp, 'docker.sock');
const seen: string[] = [];
// A unix-socket server answering like dockerd: chunked bodies (dockerd streams its JSON encoder
// output), a 404 for a container that went away between the list and the stats call.
const server = http.createServer((req, res) => {
  seen.push(req.url ?? '');
  const u = new URL(req.url ?? '/', 'http://docker');
  if (u.pathname === '/version') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"Version":"18.06.1-ce","ApiVersion":"1.38"}');
  if (u.pathname === '/containers/json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(list);
  if (u.pathname === `/containers/${appId}/stats`) {
    res.writeHead(200, { 'content-type': 'application/json' });
    // Two writes → Transfer-Encoding: chunked, split mid-JSON.
    res.write(realStats.slice(0, 100));
    res.end(realStats.slice(100));
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container: ' + pauseId + '"}');
});

beforeAll(() => new Promise<void>((resolve) => server.listen(socketPath, resolve)));
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

describe('collectDocker over a unix socket', () => {
  it('keeps the recorded Engine API body verbatim, counts a vanished container, reads the version', async () => {
    const got = await collectDocker({ socketPath, limits: { timeoutMs: 5000, maxBytes: 1 << 20 }, concurrency: 2 });
    // Byte for byte what dockerd sent, reassembled from the two chunks.
    expect(got.stats.map((s) => s.text)).toEqual([realStats]);
    expect(got.failed).toBe(1);
    expect(got.version).toBe('18.06.1-ce');
    expect(seen).toContain(`/containers/${appId}/stats?stream=false&one-shot=true`);
  });

  it('counts a stats body that is not one JSON object as failed, never splices it', async () => {
    const bad = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://docker');
      if (u.pathname === '/containers/json') return void res.writeHead(200).end(list);
      // A body cut off mid-object, as a crashed proxy would leave it.
      res.writeHead(200, { 'content-type': 'application/json' }).end(realStats.slice(0, 200));
    });
    const badSocket = path.join(tmp, 'bad.sock');
    await new Promise<void>((resolve) => bad.listen(badSocket, resolve));
    try {
      const got = await collectDocker({ socketPath: badSocket, limits: { timeoutMs: 5000, maxBytes: 1 << 20 }, concurrency: 1 });
      expect(got.stats).toEqual([]);
      expect(got.failed).toBe(2);
    } finally {
      await new Promise((r) => bad.close(r));
    }
  });

  it('rejects a body over the byte limit instead of buffering it', async () => {
    const got = await collectDocker({ socketPath, limits: { timeoutMs: 5000, maxBytes: 500 }, concurrency: 1 }).catch((e: Error) => e);
    // The container list (505 bytes of body plus headers) is already over 500: the Docker source fails.
    expect(got).toBeInstanceOf(Error);
  });

  it('fails when nothing listens on the socket', async () => {
    await expect(collectDocker({ socketPath: path.join(tmp, 'absent.sock'), limits: { timeoutMs: 2000, maxBytes: 1 << 20 } })).rejects.toThrow();
  });
});

describe('collectDocker pipelining (stats calls sent in batches on each connection, answered in order)', () => {
  const ids = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32));
  const statsBody = (id: string): string => JSON.stringify({ id, memory_stats: { usage: parseInt(id.slice(0, 2), 16) } });
  const idOf = (url: string | undefined): string => /^\/containers\/([0-9a-f]+)\/stats/.exec(url ?? '')?.[1] ?? '';

  let servers = 0;
  async function withServer(handler: http.RequestListener, run: (socketPath: string) => Promise<void>): Promise<void> {
    const server = http.createServer(handler);
    const sock = path.join(tmp, `pipe-${++servers}.sock`);
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      await run(sock);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }
  const listBody = JSON.stringify(ids.map((Id) => ({ Id })));

  it('collects every container, in list order, when the server closes the connection after every third answer', async () => {
    let answered = 0;
    await withServer(
      (req, res) => {
        if (req.url === '/containers/json') return void res.writeHead(200).end(listBody);
        if (req.url === '/version') return void res.writeHead(404).end();
        // `Connection: close`: the answers to calls pipelined behind this one never come.
        if (++answered % 3 === 0) res.setHeader('connection', 'close');
        res.writeHead(200, { 'content-type': 'application/json' }).end(statsBody(idOf(req.url)));
      },
      async (sock) => {
        const got = await collectDocker({ socketPath: sock, limits: { timeoutMs: 5000, maxBytes: 1 << 20 }, concurrency: 2, pipelineDepth: 8 });
        expect(got.failed).toBe(0);
        expect(got.stats.map((s) => (JSON.parse(s.text) as { id: string }).id)).toEqual(ids);
      },
    );
  });

  it('a call that never answers fails alone after the timeout; the calls queued behind it are sent again', async () => {
    const stuck = ids[5]!;
    await withServer(
      (req, res) => {
        if (req.url === '/containers/json') return void res.writeHead(200).end(listBody);
        if (req.url === '/version') return void res.writeHead(404).end();
        if (idOf(req.url) === stuck) return; // never answers
        res.writeHead(200, { 'content-type': 'application/json' }).end(statsBody(idOf(req.url)));
      },
      async (sock) => {
        const got = await collectDocker({ socketPath: sock, limits: { timeoutMs: 300, maxBytes: 1 << 20 }, concurrency: 2, pipelineDepth: 8 });
        expect(got.failed).toBe(1);
        expect(got.stats.map((s) => (JSON.parse(s.text) as { id: string }).id)).toEqual(ids.filter((id) => id !== stuck));
      },
    );
  });
});
