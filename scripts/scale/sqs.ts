/**
 * SQS as the ingest Lambda sees it: S3 ObjectCreated notifications wrapped in SQS messages (the
 * real shapes of test/fixtures/events/sqs-s3-put.json, with each object's size and upload time;
 * s3rver's own notifications do not encode keys, S3's do), split into invocations of the size
 * Lambda's poller forms (scripts/scale/model.ts messagesPerInvocation).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { S3Event, SQSEvent, SQSRecord } from 'aws-lambda';
import { encodeS3EventKey } from '../../src/pipeline/s3-events.js';


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
          object: { key: encodeS3EventKey(key), size, eTag: createHash('md5').update(key).digest('hex'), sequencer: at.getTime().toString(16).toUpperCase().padStart(18, '0') },
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

/** Splits records, in arrival order, into invocations of `size` records (the last may be short). */
export function invocations(records: readonly SQSRecord[], size: number): SQSEvent[] {
  const n = Math.max(1, Math.round(size));
  const out: SQSEvent[] = [];
  for (let i = 0; i < records.length; i += n) out.push({ Records: records.slice(i, i + n) });
  return out;
}
