/**
 * AWS list prices used by `npm run scale` (scripts/scale.ts), written once, here, with the date
 * they were checked. us-east-1, on-demand, no free tier, no discounts. Change them here only.
 */
export const PRICES = {
  region: 'us-east-1',
  checked: '2026-11-30',
  sources: [
    'https://aws.amazon.com/s3/pricing/',
    'https://aws.amazon.com/lambda/pricing/',
    'https://aws.amazon.com/sqs/pricing/',
    'https://aws.amazon.com/athena/pricing/',
    'https://aws.amazon.com/cloudwatch/pricing/',
    'https://aws.amazon.com/eventbridge/pricing/',
  ],
  s3: {
    /** PUT, COPY, POST, LIST requests (S3 Standard), per request. */
    putCopyPostListPerRequest: 0.005 / 1000,
    /** GET, SELECT and all other requests (HEAD included), per request. */
    getPerRequest: 0.0004 / 1000,
    /** DELETE is free. */
    deletePerRequest: 0,
    /** S3 Standard storage, first 50 TB, per GB-month; S3 bills a GB as 2^30 bytes. */
    storagePerGbMonth: 0.023,
    bytesPerGb: 2 ** 30,
  },
  lambda: {
    /** arm64 (Graviton), first 7.5 billion GB-s tier, per GB-second (GB = 1024 MB of configured memory). */
    arm64PerGbSecond: 0.0000133334,
    perRequest: 0.2 / 1_000_000,
    /** Configured memory at which a function gets one full vCPU (Lambda docs, "Memory and computing power"). */
    mbPerVcpu: 1769,
  },
  sqs: {
    /** Standard queue, per request; every 64 KB chunk of a payload is one request. */
    standardPerRequest: 0.4 / 1_000_000,
    fifoPerRequest: 0.5 / 1_000_000,
    chunkBytes: 64 * 1024,
  },
  athena: {
    /** Per TB scanned, each query rounded up to the next MB with a 10 MB minimum (athenaBilledBytes in src/query/athena.ts); DDL and failed queries free. */
    perTbScanned: 5,
    bytesPerTb: 1e12,
  },
  cloudwatchLogs: {
    /** Standard log class ingestion, per GB (2^30 bytes, counted the same way as S3's). */
    ingestionPerGb: 0.5,
    bytesPerGb: 2 ** 30,
  },
  eventbridge: {
    /** Scheduled rules (EventBridge Scheduler / rate/cron rules) invoking Lambda: no charge. */
    scheduledPerInvocation: 0,
  },
} as const;

export type Prices = typeof PRICES;
