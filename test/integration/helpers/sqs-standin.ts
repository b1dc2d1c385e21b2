/**
 * A minimal local SQS for tests: an HTTP server speaking the SQS JSON 1.0 protocol
 * (X-Amz-Target AmazonSQS.SendMessage / SendMessageBatch) well enough for the real
 * `@aws-sdk/client-sqs`, which checks the MD5 of every body it sent. Messages are only recorded:
 * there is no receive side. FIFO queues (`….fifo`) require MessageGroupId and drop a message whose
 * MessageDeduplicationId was seen in the last 5 minutes, as SQS does.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';

export interface SentMessage {
  queue: string;
  body: string;
  groupId?: string;
  dedupId?: string;
  sequence: number;
}

export interface SqsStandin {
  endpoint: string;
  clientConfig: SQSClientConfig;
  /** `http://127.0.0.1:<port>/000000000000/<name>` */
  queueUrl(name: string): string;
  /** Messages accepted (FIFO duplicates are not in it), in order. */
  messages: SentMessage[];
  /** API requests served, by operation. */
  requests: Record<string, number>;
  close(): Promise<void>;
}

const DEDUP_WINDOW_MS = 5 * 60_000;

export async function startSqsStandin(now: () => number = Date.now): Promise<SqsStandin> {
  const messages: SentMessage[] = [];
  const requests: Record<string, number> = {};
  const seen = new Map<string, number>();
  let sequence = 0;

  class SqsError extends Error {
    constructor(readonly type: string, message: string) {
      super(message);
    }
  }

  function accept(queueUrl: string, e: { MessageBody?: string; MessageGroupId?: string; MessageDeduplicationId?: string }) {
    const queue = queueUrl.split('/').pop() ?? '';
    if (typeof e.MessageBody !== 'string' || e.MessageBody.length === 0) throw new SqsError('InvalidParameterValue', 'The request must contain the parameter MessageBody.');
    const fifo = queue.endsWith('.fifo');
    if (fifo && !e.MessageGroupId) throw new SqsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
    if (fifo && !e.MessageDeduplicationId) throw new SqsError('InvalidParameterValue', 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
    const md5 = createHash('md5').update(e.MessageBody, 'utf8').digest('hex');
    const reply = { MessageId: randomUUID(), MD5OfMessageBody: md5, ...(fifo ? { SequenceNumber: String(++sequence).padStart(20, '0') } : {}) };
    const key = `${queue}\n${e.MessageDeduplicationId}`;
    if (fifo && (seen.get(key) ?? -Infinity) > now() - DEDUP_WINDOW_MS) return reply;
    if (fifo) seen.set(key, now());
    messages.push({ queue, body: e.MessageBody, ...(e.MessageGroupId ? { groupId: e.MessageGroupId } : {}), ...(e.MessageDeduplicationId ? { dedupId: e.MessageDeduplicationId } : {}), sequence: messages.length });
    return reply;
  }

  function handle(op: string, body: Record<string, any>): unknown {
    requests[op] = (requests[op] ?? 0) + 1;
    if (op === 'SendMessage') return accept(body.QueueUrl, body);
    if (op === 'SendMessageBatch') {
      const entries = (body.Entries ?? []) as { Id: string; MessageBody?: string; MessageGroupId?: string; MessageDeduplicationId?: string }[];
      if (entries.length === 0 || entries.length > 10) throw new SqsError('AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
      return { Successful: entries.map((e) => ({ Id: e.Id, ...accept(body.QueueUrl, e) })), Failed: [] };
    }
    throw new SqsError('UnsupportedOperation', `stand-in: ${op} is not implemented`);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(payload));
      };
      try {
        send(200, handle(op, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>));
      } catch (err) {
        if (err instanceof SqsError) send(400, { __type: err.type, message: err.message });
        else send(500, { __type: 'InternalError', message: String(err) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    clientConfig: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'STANDIN', secretAccessKey: 'STANDIN' } },
    queueUrl: (name) => `${endpoint}/000000000000/${name}`,
    messages,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
