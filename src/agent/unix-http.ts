import net from 'node:net';

/**
 * A request that was queued behind one whose connection failed: it never reached an answer, so it
 * is safe to send again on a new connection (collectDocker does, once).
 */
export class NotAnsweredError extends Error {
  override readonly name = 'NotAnsweredError';
}

interface Pending {
  resolve: (r: { status: number; body: Buffer }) => void;
  reject: (e: Error) => void;
}

/**
 * A minimal HTTP/1.1 GET client over one keep-alive unix-socket connection, for the Docker
 * Engine API's 200+ stats calls per capture. node:http costs ~130 µs of CPU per request
 * (ClientRequest, agent, events); this costs a fraction, which is what keeps a 110-pod capture
 * inside its CPU budget. It speaks exactly what dockerd answers: Content-Length or chunked
 * bodies. Requests issued in the same tick are pipelined (HTTP/1.1 §9.3.2; dockerd, a Go net/http
 * server, answers them in order): they leave in one write instead of one write each, and a
 * write to a unix socket was the largest single cost of a Docker call (~25 µs of CPU each).
 * The timeout is for progress: it fires when no answer arrived for timeoutMs while requests wait.
 */
export class UnixHttpConnection {
  private socket: net.Socket | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private corked = false;

  constructor(private readonly socketPath: string, private readonly limits: { timeoutMs: number; maxBytes: number }) {}

  private connect(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.buffer = Buffer.alloc(0);
    const s = net.createConnection(this.socketPath);
    s.on('data', (chunk: Buffer) => {
      if (this.socket !== s) return;
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.tryParse();
    });
    const fail = (err: Error): void => {
      if (this.socket === s) this.failAll(err);
    };
    s.on('error', fail);
    s.on('close', () => fail(new Error(`${this.socketPath}: connection closed`)));
    this.socket = s;
    return s;
  }

  get(path: string): Promise<{ status: number; body: Buffer }> {
    const socket = this.connect();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      if (this.pending.length === 1) this.armTimer();
      if (!this.corked) {
        // Everything written until the next tick leaves in one writev.
        this.corked = true;
        socket.cork();
        process.nextTick(() => {
          this.corked = false;
          socket.uncork();
        });
      }
      socket.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\nAccept: application/json\r\n\r\n`);
    });
  }

  private armTimer(): void {
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.timer = null;
        const s = this.socket;
        if (s && this.pending.length > 0) {
          const err = new Error(`unix:${this.socketPath}: no answer within ${this.limits.timeoutMs} ms`);
          this.failAll(err);
          s.destroy(err);
        }
      }, this.limits.timeoutMs);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The first waiting request gets `err`; those queued behind it were never answered. */
  private failAll(err: Error): void {
    this.socket = null;
    this.clearTimer();
    const waiting = this.pending;
    this.pending = [];
    waiting.forEach((p, i) => p.reject(i === 0 ? err : new NotAnsweredError(`${err.message} (request was queued behind it)`)));
  }

  private tryParse(): void {
    while (this.pending.length > 0) {
      const buf = this.buffer;
      if (buf.length > this.limits.maxBytes) return this.abort(new Error(`response larger than ${this.limits.maxBytes} bytes`));
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = buf.toString('latin1', 0, headEnd);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN);
      if (!Number.isFinite(status)) return this.abort(new Error('malformed HTTP response'));
      const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
      const closeAfter = /\r\nconnection:\s*close/i.test(head);
      let body: Buffer;
      let consumed: number;
      if (lengthMatch) {
        const len = Number(lengthMatch[1]);
        if (buf.length < headEnd + 4 + len) return;
        body = buf.subarray(headEnd + 4, headEnd + 4 + len);
        consumed = headEnd + 4 + len;
      } else if (chunked) {
        const parts: Buffer[] = [];
        let pos = headEnd + 4;
        for (;;) {
          const lineEnd = buf.indexOf('\r\n', pos);
          if (lineEnd < 0) return;
          const size = parseInt(buf.toString('latin1', pos, lineEnd), 16);
          if (!Number.isFinite(size)) return this.abort(new Error('malformed chunk size'));
          if (size === 0) {
            const trailerEnd = buf.indexOf('\r\n', lineEnd + 2);
            if (trailerEnd < 0) return;
            consumed = trailerEnd + 2;
            break;
          }
          if (buf.length < lineEnd + 2 + size + 2) return;
          parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
          pos = lineEnd + 2 + size + 2;
        }
        body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      } else {
        // Body until close: only for bodiless statuses in practice; wait for the close.
        return;
      }
      this.buffer = buf.subarray(consumed);
      const p = this.pending.shift()!;
      if (this.pending.length > 0) this.armTimer();
      else this.clearTimer();
      p.resolve({ status, body: Buffer.from(body) });
      if (closeAfter) {
        const s = this.socket;
        this.failAll(new NotAnsweredError(`unix:${this.socketPath}: server closed the connection`));
        s?.end();
        return;
      }
    }
  }

  private abort(err: Error): void {
    const s = this.socket;
    this.failAll(err);
    s?.destroy(err);
  }

  close(): void {
    const s = this.socket;
    this.failAll(new Error(`unix:${this.socketPath}: connection closed by the client`));
    s?.destroy();
  }
}
