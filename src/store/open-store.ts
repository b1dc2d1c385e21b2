import { UsageError } from '../errors.js';
import { FsObjectStore } from './fs-store.js';
import type { ObjectStore } from './port.js';
import { parseS3Url, S3ObjectStore, type S3ObjectStoreOptions } from './s3-store.js';

/** S3 client settings for `s3://` locations; ignored for folders. */
export type OpenStoreOptions = Omit<S3ObjectStoreOptions, 'bucket' | 'prefix'>;

export function isS3Location(location: string): boolean {
  return location.startsWith('s3://');
}

/**
 * `s3://bucket/prefix` → S3ObjectStore, anything else → FsObjectStore on that folder.
 * The CLI passes user input straight here, so a malformed s3 URL is a usage error (exit 2).
 */
export function openStore(location: string, opts: OpenStoreOptions = {}): ObjectStore {
  if (isS3Location(location)) {
    const parsed = parseS3Url(location);
    if (!parsed) throw new UsageError(`not a valid s3 location: ${JSON.stringify(location)} (expected s3://bucket/prefix)`);
    return new S3ObjectStore({ ...opts, bucket: parsed.bucket, prefix: parsed.prefix });
  }
  if (location.length === 0) throw new UsageError('empty store location');
  return new FsObjectStore(location);
}
