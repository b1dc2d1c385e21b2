import type { Context, S3Event, SQSEvent } from 'aws-lambda';
import { encodeS3EventKey } from '../../../src/pipeline/s3-events.js';

/**
 * Real-shaped Lambda inputs for integration tests: S3 notifications (keys form-encoded the way S3
 * encodes them), SQS deliveries of those (standard queue) and of plan steps (FIFO queue), and a
 * Lambda context.
 */

/** An S3 notification exactly as S3 sends it: the key form-encoded (space → `+`, `=` → `%3D`) unless `encode` is false. */
export function s3Notification(bucket: string, keys: string[], encode = true): S3Event {
  return {
    Records: keys.map((key, i) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-06-26T10:15:00.000Z',
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:AROAEXAMPLE:agent' },
      requestParameters: { sourceIPAddress: '10.0.1.23' },
      responseElements: { 'x-amz-request-id': `REQ${i}`, 'x-amz-id-2': 'example' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'memgap-raw-created',
        bucket: { name: bucket, ownerIdentity: { principalId: 'A3EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encode ? encodeS3EventKey(key) : key, size: 1, eTag: 'e', sequencer: `00${i}` },
      },
    })),
  };
}

/** An SQS delivery of S3 notifications, one message per entry (each may name several keys). */
export function sqsEvent(bucket: string, messages: Array<{ id: string; keys: string[] }>): SQSEvent {
  return {
    Records: messages.map(({ id, keys }) => ({
      messageId: id,
      receiptHandle: `rh-${id}`,
      body: JSON.stringify(s3Notification(bucket, keys)),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1782468900000', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1782468900001' },
      messageAttributes: {},
      md5OfBody: 'x',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:memgap-it-ingest',
      awsRegion: 'eu-west-1',
    })),
  };
}

/** A FIFO delivery of plan steps (src/pipeline/plan.ts StepMessage bodies), as Lambda hands it to compact or daily. */
export function fifoStepsEvent(steps: ReadonlyArray<{ step: string; cluster?: string }>): SQSEvent {
  return {
    Records: steps.map((s, i) => ({
      messageId: `step-${i}`,
      receiptHandle: `rh-step-${i}`,
      body: JSON.stringify(s),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1782468900000',
        SenderId: 'AROAEXAMPLE:memgap-it-plan',
        ApproximateFirstReceiveTimestamp: '1782468900001',
        SequenceNumber: String(i + 1),
        MessageGroupId: s.cluster ?? '_tables',
        MessageDeduplicationId: `d${i}`,
      },
      messageAttributes: {},
      md5OfBody: 'x',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:memgap-it-steps.fifo',
      awsRegion: 'eu-west-1',
    })),
  };
}

/** A Lambda context for `memgap-it-<fn>` with a fixed request id and remaining time. */
export function lambdaContext(fn: string, remainingMs = 60_000, memoryMB = 512): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `memgap-it-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:memgap-it-${fn}`,
    memoryLimitInMB: String(memoryMB),
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    logGroupName: `/aws/lambda/memgap-it-${fn}`,
    logStreamName: '2026/06/26/[$LATEST]abc',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
