import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchObjectKey, captureOfKey, encodeBatch } from '../../../src/agent/batch.js';
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
  it('gunzips to the batch JSON holding each capture verbatim, in order, and CaptureBatch accepts it', () => {
    fc.assert(
      fc.property(name, name, fc.option(fc.constantFrom('near-limit', 'oom-kill', 'restart', 'start', 'shutdown'), { nil: undefined }), fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 6 }), (cluster, node, flushReason, captures) => {
        const body = encodeBatch({ cluster, node, ...(flushReason ? { flushReason } : {}) }, captures.map((c) => gzipSync(JSON.stringify(c))));
        const parsed = JSON.parse(gunzipSync(body).toString('utf8')) as Record<string, unknown>;
        expect(parsed).toEqual(JSON.parse(JSON.stringify({ schema: BATCH_SCHEMA_ID, cluster, node, ...(flushReason ? { flushReason } : {}), captures })));
        expect(CaptureBatch.safeParse(parsed).success).toBe(true);
      }),
    );
  });

  it('wraps a capture that is not gzip yet as its own member', () => {
    const body = encodeBatch({ cluster: 'c', node: 'n' }, [Buffer.from('{"a":1}'), gzipSync('{"b":2}')]);
    expect(JSON.parse(gunzipSync(body).toString())).toEqual({ schema: BATCH_SCHEMA_ID, cluster: 'c', node: 'n', captures: [{ a: 1 }, { b: 2 }] });
  });

  it('refuses an empty batch', () => {
    expect(() => encodeBatch({ cluster: 'c', node: 'n' }, [])).toThrow(RangeError);
  });

  it('keys a batch by its first capture and its count', () => {
    const first = captureOfKey(rawKey('prod', 'node-1', new Date('2026-11-27T23:59:00Z')))!;
    expect(batchObjectKey(first, 15)).toBe('raw/cluster=prod/node=node-1/dt=2026-11-27/2026-11-27T23:59:00Z_15.json.gz');
  });
});
