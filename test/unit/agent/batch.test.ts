import { brotliDecompressSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchObjectKey, batchWindowBits, captureOfKey, encodeBatch } from '../../../src/agent/batch.js';
import { SpooledCaptureError } from '../../../src/errors.js';
import { BATCH_SCHEMA_ID, CaptureBatch } from '../../../src/model/bundle.js';
import { batchKey, rawKey } from '../../../src/outputs/layout.js';

const name = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/).filter((s) => s !== '.' && s !== '..');
// Whole seconds, as the agent's capture instants are (bundle.ts buildBundle).
const instant = fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2099, 11, 31) / 1000 }).map((s) => new Date(s * 1000));

describe('captureOfKey', () => {
  it('reads back cluster, node and instant from any rawKey', () => {
    fc.assert(
      fc.property(name, name, instant, (cluster, node, at) => {
        expect(captureOfKey(rawKey(cluster, node, at))).toEqual({ cluster, node, capturedAt: at });
      }),
    );
  });

  it('refuses batch keys and other keys (they are not single captures)', () => {
    fc.assert(
      fc.property(name, name, instant, fc.integer({ min: 1, max: 1000 }), (cluster, node, at, n) => {
        expect(captureOfKey(batchKey(cluster, node, at, n))).toBeNull();
      }),
    );
    expect(captureOfKey('raw/cluster=c/node=n/dt=2026-11-27/not-a-date.json.gz')).toBeNull();
    expect(captureOfKey('quarantine/raw/cluster=c/node=n/dt=2026-11-27/2026-11-27T05:00:00Z.json.gz')).toBeNull();
    expect(captureOfKey('raw/cluster=c/node=n/2026-11-27T05:00:00Z.json.gz')).toBeNull();
  });
});

describe('encodeBatch', () => {
  it('decompresses (brotli) to the batch JSON holding each capture verbatim, in order, and CaptureBatch accepts it', async () => {
    await fc.assert(
      fc.asyncProperty(name, name, fc.option(fc.constantFrom('near-limit', 'oom-kill', 'restart', 'start', 'shutdown'), { nil: undefined }), fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 6 }), async (cluster, node, flushReason, captures) => {
        const body = await encodeBatch({ cluster, node, ...(flushReason ? { flushReason } : {}) }, captures.map((c) => gzipSync(JSON.stringify(c))));
        const parsed = JSON.parse(brotliDecompressSync(body).toString('utf8')) as Record<string, unknown>;
        expect(parsed).toEqual(JSON.parse(JSON.stringify({ schema: BATCH_SCHEMA_ID, cluster, node, ...(flushReason ? { flushReason } : {}), captures })));
        expect(CaptureBatch.safeParse(parsed).success).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('takes a capture that is not gzip as it is', async () => {
    const body = await encodeBatch({ cluster: 'c', node: 'n' }, [Buffer.from('{"a":1}'), gzipSync('{"b":2}')]);
    expect(JSON.parse(brotliDecompressSync(body).toString())).toEqual({ schema: BATCH_SCHEMA_ID, cluster: 'c', node: 'n', captures: [{ a: 1 }, { b: 2 }] });
  });

  it('one stream over the batch finds what consecutive captures share: smaller than their gzip members together', async () => {
    // 20 captures of the same 300 containers, one number moving: what a node's minutes look like.
    const capture = (m: number) => JSON.stringify({ capturedAt: `2026-11-27T05:${String(m).padStart(2, '0')}:00Z`, containers: Array.from({ length: 300 }, (_, i) => ({ id: `c${i}`.padEnd(64, 'x'), usage: 1e8 + i * 4096 + m * 17, limit: 268435456 })) });
    const gz = Array.from({ length: 20 }, (_, m) => gzipSync(capture(m), { level: 1 }));
    const body = await encodeBatch({ cluster: 'c', node: 'n' }, gz);
    const members = gz.reduce((a, g) => a + g.length, 0);
    // Each gzip member codes its capture alone; the brotli stream codes 19 of them against the one before.
    expect(body.length * 3).toBeLessThan(members);
  });

  it('names the capture that does not inflate (a damaged spool file), so it can go alone', async () => {
    const good = gzipSync('{"a":1}');
    const truncated = gzipSync(JSON.stringify({ b: 'x'.repeat(1000) })).subarray(0, 30);
    const err = await encodeBatch({ cluster: 'c', node: 'n' }, [good, truncated, good]).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SpooledCaptureError);
    expect((err as SpooledCaptureError).index).toBe(1);
  });

  it('refuses an empty batch', async () => {
    await expect(encodeBatch({ cluster: 'c', node: 'n' }, [])).rejects.toThrow(RangeError);
  });

  it('window: the smallest power of two holding the largest capture and a quarter more, within brotli 2^18..2^24', () => {
    expect(batchWindowBits(712_228)).toBe(20); // 712,228 × 1.25 + 16 = 890,301 ≤ 2^20 = 1,048,576 (2^19 = 524,288 is too small)
    expect(batchWindowBits(900_000)).toBe(21); // 1,125,016 > 2^20
    expect(batchWindowBits(100)).toBe(18);
    expect(batchWindowBits(64 * 1024 * 1024)).toBe(24);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (largest) => {
        const bits = batchWindowBits(largest);
        expect(bits).toBeGreaterThanOrEqual(18);
        expect(bits).toBeLessThanOrEqual(24);
        if (bits > 18 && bits < 24) {
          expect(2 ** bits).toBeGreaterThanOrEqual(largest * 1.25 + 16);
          expect(2 ** (bits - 1)).toBeLessThan(largest * 1.25 + 16);
        }
      }),
    );
  });

  it('keys a batch by its first capture and its count, as brotli JSON', () => {
    const first = captureOfKey(rawKey('prod', 'node-1', new Date('2026-11-27T23:59:00Z')))!;
    expect(batchObjectKey(first, 30)).toBe('raw/cluster=prod/node=node-1/dt=2026-11-27/2026-11-27T23:59:00Z_30.json.br');
  });
});
