import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ObjectNotFoundError } from '../errors.js';
import { assertSafeKey, type ObjectInfo, type ObjectStore } from './port.js';

const TEMP_MARK = '.memgap-tmp-';

/** The embedded default: a local folder laid out exactly like the S3 prefix. */
export class FsObjectStore implements ObjectStore {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get location(): string {
    return this.root;
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the directory the prefix names, then filter, so `samples/dt=2026-` stays cheap.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const startDir = dirKey ? path.join(this.root, ...dirKey.split('/')) : this.root;
    const keys: string[] = [];
    await this.walk(startDir, dirKey, keys);
    keys.sort();
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const s = await stat(path.join(this.root, ...key.split('/'))).catch(() => null);
      if (s) yield { key, size: s.size, lastModified: s.mtime };
    }
  }

  private async walk(dir: string, dirKey: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.includes(TEMP_MARK)) continue;
      const key = dirKey ? `${dirKey}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await this.walk(path.join(dir, entry.name), key, out);
      else if (entry.isFile()) out.push(key);
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    const s = await stat(file).catch(() => null);
    if (!s?.isFile()) throw new ObjectNotFoundError(key);
    return createReadStream(file);
  }

  async getBytes(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async put(key: string, body: Buffer | Uint8Array | string): Promise<void> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write beside the target and rename: rename is atomic within a filesystem.
    const temp = `${file}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(temp, body);
    await rename(temp, file);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    const s = await stat(this.pathOf(key)).catch(() => null);
    return s?.isFile() ?? false;
  }
}
