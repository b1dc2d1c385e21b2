import type { Readable } from 'node:stream';

/**
 * The object-store port: the only I/O the core does. Keys are `/`-separated, relative to the
 * store's root (a folder, or an S3 bucket + prefix), exactly as src/outputs/layout.ts builds them.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStore {
  /** Human-readable location for messages (`/tmp/out`, `s3://bucket/prefix`). */
  readonly location: string;
  /** Every object under `prefix`, following continuation tokens; order is lexicographic by key. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Streams the object's bytes. Throws ObjectNotFoundError when absent. */
  get(key: string): Promise<Readable>;
  /** Reads the whole object (small objects only: reports, error files). */
  getBytes(key: string): Promise<Buffer>;
  /**
   * Writes the whole object atomically: readers see the old object or the new one, never a part.
   * `contentEncoding` (S3's Content-Encoding, e.g. `br`) describes the stored bytes for HTTP
   * clients; stores without metadata ignore it, and readers go by the key (`.br`), not by it.
   */
  put(key: string, body: Buffer | Uint8Array | string, contentType?: string, contentEncoding?: string): Promise<void>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

/** Rejects keys that could escape the store root or confuse a filesystem. */
export function assertSafeKey(key: string): void {
  if (key.length === 0 || key.length > 1024) throw new Error(`unsafe object key (length ${key.length})`);
  if (key.startsWith('/') || key.includes('\\') || key.includes('\0')) throw new Error(`unsafe object key: ${JSON.stringify(key)}`);
  for (const part of key.split('/')) {
    if (part === '' || part === '.' || part === '..') throw new Error(`unsafe object key: ${JSON.stringify(key)}`);
  }
}
