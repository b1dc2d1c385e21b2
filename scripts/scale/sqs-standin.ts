/**
 * A minimal Amazon SQS stand-in for `npm run scale`: the JSON 1.0 protocol the real
 * `@aws-sdk/client-sqs` speaks (X-Amz-Target AmazonSQS.SendMessage / SendMessageBatch), with the
 * MD5 of each body the SDK checks. Messages are kept per queue URL, in order, for the harness to
 * hand to the consuming function as SQS events; every request is counted.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMessage {
  queueUrl: string;
  body: string;
  groupId?: string;
  dedupId?: string;
}

export interface SqsStandin {
  endpoint: string;
  /** Messages sent and not yet taken, per queue URL. */
  take(queueUrl: string): SentMessage[];
  /** Requests by API action, and billed 64 KB request chunks of sends. */
  counts: { requests: Record<string, number>; messages: number; bytes: number };
  close(): Promise<void>;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export async function startSqsStandin(): Promise<SqsStandin> {
  const queues = new Map<string, SentMessage[]>();
  const counts = { requests: {} as Record<string, number>, messages: 0, bytes: 0 };
  const put = (m: SentMessage) => {
    let q = queues.get(m.queueUrl);
    if (!q) queues.set(m.queueUrl, (q = []));
    q.push(m);
    counts.messages++;
    counts.bytes += Buffer.byteLength(m.body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
      counts.requests[action] = (counts.requests[action] ?? 0) + 1;
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(body));
      };
      if (action === 'SendMessage') {
        const body = String(input.MessageBody);
        put({ queueUrl: String(input.QueueUrl), body, ...(input.MessageGroupId ? { groupId: String(input.MessageGroupId) } : {}), ...(input.MessageDeduplicationId ? { dedupId: String(input.MessageDeduplicationId) } : {}) });
        return reply(200, { MessageId: randomUUID(), MD5OfMessageBody: md5(body) });
      }
      if (action === 'SendMessageBatch') {
        const entries = (input.Entries as { Id: string; MessageBody: string; MessageGroupId?: string; MessageDeduplicationId?: string }[]) ?? [];
        const Successful = entries.map((e) => {
          put({ queueUrl: String(input.QueueUrl), body: e.MessageBody, ...(e.MessageGroupId ? { groupId: e.MessageGroupId } : {}), ...(e.MessageDeduplicationId ? { dedupId: e.MessageDeduplicationId } : {}) });
          return { Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(e.MessageBody) };
        });
        return reply(200, { Successful, Failed: [] });
      }
      reply(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: `stand-in: ${action} is not supported` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    take(queueUrl) {
      const q = queues.get(queueUrl) ?? [];
      queues.set(queueUrl, []);
      return q;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
