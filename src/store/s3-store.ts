import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { PassThrough, Readable } from 'node:stream';
import { ObjectNotFoundError, TransientStoreError } from '../errors.js';
import { assertSafeKey, type ObjectInfo, type ObjectStore } from './port.js';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket that acts as the store root (`''` or `team/memgap`). */
  prefix?: string;
  /** A ready client (tests, or sharing one client between stores). Overrides the options below. */
  client?: S3Client;
  region?: string;
  /** S3-compatible server URL. Defaults to `AWS_ENDPOINT_URL_S3`, which the SDK also honours. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /**
   * `WHEN_REQUIRED` is needed for s3rver 3.7.1: the default (`WHEN_SUPPORTED`) makes the SDK send
   * aws-chunked bodies that s3rver stores verbatim, framing included.
   */
  checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** SDK attempts per request (first try + retries), with the SDK's own backoff. */
  maxAttempts?: number;
  /** Socket-level time limits, so a stalled connection becomes a retryable error, not a hang. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  credentials?: S3ClientConfig['credentials'];
}

export const DEFAULT_MAX_ATTEMPTS = 3;

const THROTTLING_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

interface AwsLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** True for failures another attempt may fix: 5xx, 429/throttling, timeouts, dropped sockets. */
export function isTransientS3Error(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as AwsLikeError;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (e.$retryable) return true;
  if (e.name && THROTTLING_NAMES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isTransientS3Error(cause);
}

function isNotFound(err: unknown): boolean {
  const e = err as AwsLikeError;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function normalisePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  return p ? `${p}/` : '';
}

/** The S3 adapter of the object-store port. Keys are relative to `s3://bucket/prefix/`. */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;

  constructor(opts: S3ObjectStoreOptions) {
    if (!opts.bucket) throw new Error('S3ObjectStore: bucket is required');
    this.bucket = opts.bucket;
    this.prefix = normalisePrefix(opts.prefix);
    this.client = opts.client ?? new S3Client(s3ClientConfig(opts));
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  private fullKey(key: string): string {
    assertSafeKey(key);
    return this.prefix + key;
  }

  /** Turns SDK errors into the port's typed errors; anything else (403, 400…) passes unchanged. */
  private mapError(err: unknown, key: string, op: string): unknown {
    if (err instanceof TransientStoreError || err instanceof ObjectNotFoundError) return err;
    if (isTransientS3Error(err)) {
      const name = (err as AwsLikeError).name ?? 'Error';
      return new TransientStoreError(`s3 ${op} ${this.location}${key}: ${name}: ${(err as Error).message}`, key, { cause: err });
    }
    return err;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
        );
      } catch (err) {
        throw this.mapError(err, prefix, 'list');
      }
      for (const obj of page.Contents ?? []) {
        if (obj.Key === undefined || !obj.Key.startsWith(this.prefix)) continue;
        yield { key: obj.Key.slice(this.prefix.length), size: obj.Size ?? 0, lastModified: obj.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async get(key: string): Promise<Readable> {
    const fullKey = this.fullKey(key);
    let body: unknown;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey }));
      body = res.Body;
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      throw this.mapError(err, key, 'get');
    }
    if (!(body instanceof Readable)) throw new Error(`s3 get ${key}: the SDK returned a non-stream body`);
    // A socket dropped mid-body is as retryable as a failed request, so it gets the same type.
    const out = new PassThrough();
    body.on('error', (err) => out.destroy(new TransientStoreError(`s3 get ${this.location}${key}: body stream failed: ${err.message}`, key, { cause: err })));
    body.pipe(out);
    return out;
  }

  async getBytes(key: string): Promise<Buffer> {
    const fullKey = this.fullKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey }));
      if (!res.Body) return Buffer.alloc(0);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      throw this.mapError(err, key, 'get');
    }
  }

  /** S3 PUTs are atomic: a reader sees the old object or the new one. */
  async put(key: string, body: Buffer | Uint8Array | string, contentType?: string, contentEncoding?: string): Promise<void> {
    const fullKey = this.fullKey(key);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: fullKey, Body: body, ContentType: contentType, ContentEncoding: contentEncoding }));
    } catch (err) {
      throw this.mapError(err, key, 'put');
    }
  }

  async delete(key: string): Promise<void> {
    const fullKey = this.fullKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fullKey }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw this.mapError(err, key, 'delete');
    }
  }

  async exists(key: string): Promise<boolean> {
    const fullKey = this.fullKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw this.mapError(err, key, 'head');
    }
  }
}

/** The client configuration the store uses; exported so tests and tools build identical clients. */
export function s3ClientConfig(opts: Omit<S3ObjectStoreOptions, 'bucket' | 'prefix' | 'client'>): S3ClientConfig {
  const endpoint = opts.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const checksums = opts.checksums ?? (process.env.MEMGAP_S3_CHECKSUMS === 'WHEN_REQUIRED' ? 'WHEN_REQUIRED' : undefined);
  const config: S3ClientConfig = {
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: opts.connectionTimeoutMs ?? 3_000, requestTimeout: opts.requestTimeoutMs ?? 30_000 },
  };
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  config.region = region ?? 'us-east-1';
  if (endpoint) {
    config.endpoint = endpoint;
    // S3-compatible servers rarely resolve virtual-hosted bucket names.
    config.forcePathStyle = opts.forcePathStyle ?? true;
  } else if (opts.forcePathStyle !== undefined) {
    config.forcePathStyle = opts.forcePathStyle;
  }
  if (checksums) {
    config.requestChecksumCalculation = checksums;
    config.responseChecksumValidation = checksums;
  }
  if (opts.credentials) config.credentials = opts.credentials;
  return config;
}

/** `s3://bucket/some/prefix` → `{bucket, prefix}`; null when the string is not an s3 URL. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | null {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) return null;
  const bucket = m[1]!;
  // Bucket naming rules, so a typo fails here rather than as a signed-request error.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return null;
  return { bucket, prefix: normalisePrefix(m[2]) };
}
