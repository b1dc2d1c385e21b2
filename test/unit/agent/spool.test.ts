import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { brotliDecompressSync, gzipSync } from 'node:zlib';
import { Spool, Uploader, backoffDelay } from '../../../src/agent/spool.js';
import { batchKey } from '../../../src/outputs/layout.js';
import { FsObjectStore } from '../../../src/store/fs-store.js';
import type { ObjectStore } from '../../../src/store/port.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-spool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const dir = (name: string): string => path.join(tmp, name);
const key = (i: number): string => `raw/cluster=c/node=n/dt=2026-11-27/2026-11-27T05:30:${String(i).padStart(2, '0')}Z.json.gz`;
const batchKeyOf = (first: number, count: number): string => batchKey('c', 'n', new Date(`2026-11-27T05:30:${String(first).padStart(2, '0')}Z`), count);

function collectingLog(): { lines: { level: string; message: string; fields?: Record<string, unknown> }[]; log: import('../../../src/agent/log.js').AgentLogger } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const mk = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { lines, log: { debug: mk('debug'), info: mk('info'), warn: mk('warn'), error: mk('error') } };
}

describe('Spool', () => {
  it('lists oldest first and survives a restart with its order intact', () => {
    const d = dir('order');
    const a = new Spool(d, 1 << 20);
    a.add(key(1), Buffer.from('one'));
    a.add(key(2), Buffer.from('two'));
    const b = new Spool(d, 1 << 20); // a restarted agent
    b.add(key(3), Buffer.from('three'));
    expect(b.list().map((e) => e.key)).toEqual([key(1), key(2), key(3)]);
    expect(b.read(b.list()[2]!.name).toString()).toBe('three');
  });

  it('drops the oldest over the cap and logs how many, never silently', () => {
    const d = dir('cap');
    const { lines, log } = collectingLog();
    const s = new Spool(d, 25, log);
    for (let i = 1; i <= 5; i++) s.add(key(i), Buffer.alloc(10, i)); // 10 bytes each, cap 25 → 2 fit
    expect(s.list().map((e) => e.key)).toEqual([key(4), key(5)]);
    const dropped = lines.filter((l) => l.message.includes('dropped')).reduce((n, l) => n + (l.fields!.dropped as number), 0);
    expect(dropped).toBe(3);
  });

  it('keeps the newest capture even when it alone exceeds the cap', () => {
    const s = new Spool(dir('huge'), 5);
    s.add(key(1), Buffer.alloc(10));
    s.add(key(2), Buffer.alloc(10));
    expect(s.list().map((e) => e.key)).toEqual([key(2)]);
  });

  it('ignores half-written temp files', () => {
    const d = dir('temp');
    const s = new Spool(d, 1 << 20);
    s.add(key(1), Buffer.from('x'));
    expect(readdirSync(d).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(s.list()).toHaveLength(1);
  });
});

describe('backoffDelay', () => {
  it('stays within [0, min(max, base·2^attempt)] (full jitter)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const d = backoffDelay(attempt, { baseMs: 1000, maxMs: 300_000 }, () => r);
        return d >= 0 && d <= Math.min(300_000, 1000 * 2 ** attempt);
      }),
    );
  });
  it('grows with the attempt at the top of the jitter range: 1000·2^3 = 8000', () => {
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 300_000 }, () => 0.999999)).toBe(7999);
    expect(backoffDelay(20, { baseMs: 1000, maxMs: 300_000 }, () => 0.5)).toBe(150_000);
  });
});

/** A real folder store behind a switch: `down` makes every put fail like an unreachable endpoint. */
class FlakyStore implements ObjectStore {
  down = false;
  puts: string[] = [];
  constructor(private readonly inner: FsObjectStore) {}
  get location(): string {
    return this.inner.location;
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  get(k: string) {
    return this.inner.get(k);
  }
  getBytes(k: string) {
    return this.inner.getBytes(k);
  }
  /** Content-Type and Content-Encoding of each PUT, by key. */
  meta = new Map<string, [string | undefined, string | undefined]>();
  async put(k: string, body: Buffer | Uint8Array | string, contentType?: string, contentEncoding?: string): Promise<void> {
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    this.puts.push(k);
    this.meta.set(k, [contentType, contentEncoding]);
    await this.inner.put(k, body);
  }
  delete(k: string) {
    return this.inner.delete(k);
  }
  exists(k: string) {
    return this.inner.exists(k);
  }
}

/** The captures of an uploaded batch object, as the text each capture was spooled with. */
async function batchOf(store: ObjectStore, k: string): Promise<{ flushReason?: string; captures: unknown[] }> {
  return JSON.parse(brotliDecompressSync(await store.getBytes(k)).toString('utf8')) as { flushReason?: string; captures: unknown[] };
}
const capture = (i: number): Buffer => gzipSync(JSON.stringify({ i }));

describe('Uploader', () => {
  it('sends oldest first, stops at the first failure, resumes in order with no duplicate', async () => {
    const spool = new Spool(dir('upl'), 1 << 20);
    const store = new FlakyStore(new FsObjectStore(dir('upl-store')));
    const up = new Uploader(spool, store, { batchSize: 1 });
    spool.add(key(1), capture(1));
    store.down = true;
    spool.add(key(2), capture(2));
    expect(await up.drainOnce()).toBe(false);
    expect(spool.list().map((e) => e.key)).toEqual([key(1), key(2)]);
    store.down = false;
    spool.add(key(3), capture(3));
    expect(await up.drainOnce()).toBe(true);
    expect(store.puts).toEqual([1, 2, 3].map((i) => batchKeyOf(i, 1)));
    expect(spool.list()).toEqual([]);
    expect((await batchOf(store, batchKeyOf(2, 1))).captures).toEqual([{ i: 2 }]);
  });

  it('waits for a full batch, then sends it as one object keyed by its first capture and count', async () => {
    const spool = new Spool(dir('full'), 1 << 20);
    const store = new FlakyStore(new FsObjectStore(dir('full-store')));
    const up = new Uploader(spool, store, { batchSize: 3 });
    for (const i of [1, 2]) spool.add(key(i), capture(i));
    expect(await up.drainOnce()).toBe(true);
    expect(store.puts).toEqual([]);
    for (const i of [3, 4]) spool.add(key(i), capture(i));
    expect(await up.drainOnce()).toBe(true);
    expect(store.puts).toEqual([batchKeyOf(1, 3)]);
    const batch = await batchOf(store, batchKeyOf(1, 3));
    expect(batch.captures).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expect(batch.flushReason).toBeUndefined();
    expect(spool.list().map((e) => e.key)).toEqual([key(4)]);
    expect([up.uploaded, up.batches]).toEqual([3, 1]);
    expect(store.meta.get(batchKeyOf(1, 3))).toEqual(['application/json', 'br']);
  });

  it('a spooled capture that does not inflate goes alone under its own key, as it is; the others still go as one batch', async () => {
    const spool = new Spool(dir('damaged'), 1 << 20);
    const store = new FlakyStore(new FsObjectStore(dir('damaged-store')));
    const up = new Uploader(spool, store, { batchSize: 3 });
    const damaged = capture(2).subarray(0, 12); // a torn write: gzip header, no deflate data
    spool.add(key(1), capture(1));
    spool.add(key(2), damaged);
    spool.add(key(3), capture(3));
    spool.add(key(4), capture(4));
    expect(await up.drainOnce()).toBe(true);
    // The chunk 1-3 cannot be built: 2 goes first, alone (the pipeline quarantines it), then 1, 3, 4 make a full batch.
    expect(store.puts).toEqual([key(2), batchKeyOf(1, 3)]);
    expect(Buffer.compare(await store.getBytes(key(2)), damaged)).toBe(0);
    expect(store.meta.get(key(2))).toEqual(['application/gzip', undefined]);
    expect((await batchOf(store, batchKeyOf(1, 3))).captures).toEqual([{ i: 1 }, { i: 3 }, { i: 4 }]);
    expect(spool.list()).toEqual([]);
    expect([up.uploaded, up.batches]).toEqual([4, 2]);
  });

  it('on a flush request sends everything spooled so far with the reason; later captures wait again', async () => {
    const spool = new Spool(dir('flush'), 1 << 20);
    const store = new FlakyStore(new FsObjectStore(dir('flush-store')));
    const up = new Uploader(spool, store, { batchSize: 3 });
    for (const i of [1, 2, 3, 4]) spool.add(key(i), capture(i));
    up.requestFlush('near-limit');
    spool.add(key(5), capture(5)); // after the request: waits for its batch
    expect(up.flushPending).toBe(true);
    expect(await up.drainOnce()).toBe(true);
    // 1-3 full (and asked for), then 4 and 5 together: the request reaches back to 4, the batch takes 5 along.
    expect(store.puts).toEqual([batchKeyOf(1, 3), batchKeyOf(4, 2)]);
    expect((await batchOf(store, batchKeyOf(4, 2))).flushReason).toBe('near-limit');
    expect(up.flushPending).toBe(false);
    spool.add(key(6), capture(6));
    expect(await up.drainOnce()).toBe(true);
    expect(store.puts).toHaveLength(2);
  });

  it('keeps a failed flush pending and sends it once the store is back', async () => {
    const spool = new Spool(dir('flush-fail'), 1 << 20);
    const store = new FlakyStore(new FsObjectStore(dir('flush-fail-store')));
    const up = new Uploader(spool, store, { batchSize: 10 });
    spool.add(key(1), capture(1));
    store.down = true;
    up.requestFlush('oom-kill');
    expect(await up.drainOnce()).toBe(false);
    expect(up.flushPending).toBe(true);
    store.down = false;
    expect(await up.drainOnce()).toBe(true);
    expect(store.puts).toEqual([batchKeyOf(1, 1)]);
    expect((await batchOf(store, batchKeyOf(1, 1))).flushReason).toBe('oom-kill');
  });

  it('sends an entry that is not a capture key alone and as it is (not written by this agent)', async () => {
    const spool = new Spool(dir('odd'), 1 << 20);
    const store = new FlakyStore(new FsObjectStore(dir('odd-store')));
    const up = new Uploader(spool, store, { batchSize: 5 });
    spool.add('raw/other/thing.json.gz', Buffer.from('x'));
    expect(await up.drainOnce()).toBe(true);
    expect(store.puts).toEqual(['raw/other/thing.json.gz']);
  });
});
