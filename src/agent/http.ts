import http from 'node:http';
import https from 'node:https';

/** Limits every collector HTTP call: a stuck kubelet or dockerd must not stall the capture. */
export interface HttpLimits {
  timeoutMs: number;
  maxBytes: number;
}

export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  constructor(readonly url: string, readonly status: number) {
    super(`GET ${url}: HTTP ${status}`);
  }
}

export interface GetOptions extends HttpLimits {
  url: URL;
  headers?: Record<string, string>;
  /** Unix socket path (Docker Engine API); the URL then only supplies the path. */
  socketPath?: string;
  ca?: Buffer | string;
  /** Keep-alive agent, so the per-container Docker calls reuse one socket. */
  agent?: http.Agent;
}

/** GET → body text. Rejects non-2xx, oversize bodies and timeouts (the whole exchange, not idle). */
export async function httpGet(options: GetOptions): Promise<string> {
  return (await httpGetBytes(options)).toString('utf8');
}

/** GET → body bytes, for payloads the agent passes on verbatim (no string on the JS heap). */
export function httpGetBytes(options: GetOptions): Promise<Buffer> {
  const { url } = options;
  const isHttps = url.protocol === 'https:';
  const request = isHttps ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: 'GET',
        ...(options.socketPath ? { socketPath: options.socketPath } : { hostname: url.hostname, port: url.port }),
        path: url.pathname + url.search,
        headers: { accept: 'application/json', ...options.headers },
        ...(isHttps ? { ca: options.ca, servername: sniName(url.hostname) } : {}),
        ...(options.agent ? { agent: options.agent } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          res.resume();
          reject(new HttpStatusError(url.toString(), status));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            req.destroy(new Error(`GET ${url.toString()}: response larger than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`GET ${url.toString()}: timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('error', reject);
    req.on('close', () => clearTimeout(timer));
    req.end();
  });
}

/** TLS SNI must not be an IP literal (Node warns and servers ignore it). */
function sniName(host: string): string | undefined {
  return /^[\d.]+$/.test(host) || host.includes(':') ? undefined : host;
}
