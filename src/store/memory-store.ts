import { Readable } from 'node:stream';
import { ObjectNotFoundError } from '../errors.js';
import { assertSafeKey, type ObjectInfo, type ObjectStore } from './port.js';

/** An in-process store: for benchmarks that must measure the pipeline, not the disk. */
export class MemoryObjectStore implements ObjectStore {
  readonly location = 'memory:';
  private readonly objects = new Map<string, { body: Buffer; lastModified: Date }>();

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      const o = this.objects.get(key)!;
      yield { key, size: o.body.length, lastModified: o.lastModified };
    }
  }
  async get(key: string): Promise<Readable> {
    return Readable.from([await this.getBytes(key)]);
  }
  async getBytes(key: string): Promise<Buffer> {
    const o = this.objects.get(key);
    if (!o) throw new ObjectNotFoundError(key);
    return o.body;
  }
  async put(key: string, body: Buffer | Uint8Array | string): Promise<void> {
    assertSafeKey(key);
    this.objects.set(key, { body: Buffer.from(body), lastModified: new Date() });
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }
}
