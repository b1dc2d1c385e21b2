/**
 * SQS as the ingest Lambda sees it: S3 ObjectCreated notifications wrapped in SQS messages (the
 * real shapes of test/fixtures/events/sqs-s3-put.json), grouped into invocations the way Lambda's
 * SQS event source mapping groups them (batch size, batching window, 6 MB payload).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { S3Event, SQSEvent, SQSRecord } from 'aws-lambda';

/** S3 URL-encodes keys in notifications (form encoding: space → `+`); s3rver does not, so we do. */
export const s3EventKey = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

/** The notification S3 sends for one PUT, as a standard SQS message. */
export function sqsRecordOf(bucket: string, key: string, size: number, at: Date, region = 'us-east-1'): SQSRecord {
  const s3: S3Event = {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: at.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AROAEXAMPLEROLEID:memgap-agent' },
        requestParameters: { sourceIPAddress: '10.0.1.23' },
        responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'memgap-raw-created',
          bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: s3EventKey(key), size, eTag: createHash('md5').update(key).digest('hex'), sequencer: at.getTime().toString(16).toUpperCase().padStart(18, '0') },
        },
      },
    ],
  };
  const body = JSON.stringify(s3);
  const id = randomUUID();
  return {
    messageId: id,
    receiptHandle: `AQEB${Buffer.from(id).toString('base64')}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(at.getTime()), SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: String(at.getTime() + 10) },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:123456789012:memgap-ingest-scale`,
    awsRegion: region,
  };
}

/** A FIFO message (the compaction steps' queue): MessageGroupId and deduplication id set. */
export function fifoRecordOf(body: unknown, group: string, at: Date, region = 'us-east-1'): SQSRecord {
  const text = JSON.stringify(body);
  const id = randomUUID();
  return {
    messageId: id,
    receiptHandle: `AQEB${Buffer.from(id).toString('base64')}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(at.getTime()),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(at.getTime() + 10),
      SequenceNumber: String(at.getTime()).padStart(20, '0'),
      MessageGroupId: group,
      MessageDeduplicationId: createHash('sha256').update(text).digest('hex'),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(text).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:123456789012:memgap-steps-scale.fifo`,
    awsRegion: region,
  };
}

/** Splits records, in arrival order, into invocations of `size` records (the last may be short). */
export function invocations(records: readonly SQSRecord[], size: number): SQSEvent[] {
  const n = Math.max(1, Math.round(size));
  const out: SQSEvent[] = [];
  for (let i = 0; i < records.length; i += n) out.push({ Records: records.slice(i, i + n) });
  return out;
}
