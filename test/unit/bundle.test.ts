import zlib, { brotliCompressSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidSnapshotError } from '../../src/errors.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { decodeCapture, decodeRawObject, jsonDepthExceeds, parseRawJson, readCaptureBytes } from '../../src/sources/bundle.js';
import { parseCaptureSources } from '../../src/sources/index.js';

const valid = { schema: 'memgap.capture/v1', cluster: 'c1', node: 'n1', capturedAt: '2026-11-27T05:30:57Z', sources: { dockerStats: [] } };
const reject = async (bytes: Buffer, limits = DEFAULT_LIMITS) => {
  const err = await decodeCapture(bytes, limits).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidSnapshotError);
  return err as InvalidSnapshotError;
};

describe('capture bundle decoding', () => {
  it('accepts gzip and plain JSON', async () => {
    expect((await decodeCapture(gzipSync(JSON.stringify(valid)))).node).toBe('n1');
    expect((await decodeCapture(Buffer.from(JSON.stringify(valid)))).cluster).toBe('c1');
  });

  it('stops inflating a gzip bomb at the cap', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)); // 8 MiB of spaces → ~8 KiB
    expect(bomb.length).toBeLessThan(64 * 1024);
    const err = await reject(bomb, { ...DEFAULT_LIMITS, maxDecompressedBytes: 1024 * 1024 });
    expect(err.reason).toMatch(/exceeds the limit of 1048576 bytes/);
  });

  it('refuses deep nesting before JSON.parse', async () => {
    const deep = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
    const err = await reject(deep);
    expect(err.reason).toMatch(/nesting deeper than 64/);
    expect(jsonDepthExceeds(Buffer.from('{"a":"[[[[[[[["}'), 2)).toBe(false); // brackets inside strings do not count
  });

  it('property: the byte scan measures the same depth as the parsed value (escapes and quotes included)', () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, limit) => {
        const bytes = new TextEncoder().encode(JSON.stringify(value));
        expect(jsonDepthExceeds(bytes, limit)).toBe(depthOf(value) > limit);
      }),
      { numRuns: 500 },
    );
  });

  it('validates partition values before they become paths', async () => {
    const err = await reject(Buffer.from(JSON.stringify({ ...valid, cluster: '../etc' })));
    expect(err.source).toBe('bundle');
    expect(err.path).toBe('cluster');
    const err2 = await reject(Buffer.from(JSON.stringify({ ...valid, node: '..' })));
    expect(err2.path).toBe('node');
  });

  it('names the field that is wrong', async () => {
    const err = await reject(Buffer.from(JSON.stringify({ ...valid, capturedAt: 'yesterday' })));
    expect(err.path).toBe('capturedAt');
    const none = await reject(Buffer.from(JSON.stringify({ ...valid, sources: {} })));
    expect(none.path).toBe('sources');
    expect(none.reason).toMatch(/at least one source/);
  });

  it('keeps __proto__ keys inert', async () => {
    const text = JSON.stringify(valid).replace('"sources"', '"__proto__":{"polluted":true},"sources"');
    const b = await decodeCapture(Buffer.from(text));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((b as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('property: any bytes decode to a bundle or our typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v)))), async (bytes) => {
        const outcome = await decodeCapture(Buffer.from(bytes)).then(
          () => 'ok',
          (e: unknown) => (e instanceof InvalidSnapshotError ? 'typed' : e),
        );
        expect(['ok', 'typed']).toContain(outcome);
      }),
      { numRuns: 300 },
    );
  });

  it('property: any source payload is parsed or reported per source, never thrown', () => {
    const ctx = { capturedAt: new Date('2026-11-27T00:00:00Z'), host: {}, limits: DEFAULT_LIMITS };
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('kubeletSummary', 'dockerStats', 'dockerStatsTable', 'dockerApiStats', 'crictlStats', 'kubeletResourceMetrics', 'kubeletCadvisorMetrics', 'cgroups'), fc.anything()), (sources) => {
        const result = parseCaptureSources({ ...valid, sources } as never, ctx);
        for (const e of result.errors) expect(e.reason).not.toMatch(/^internal parser error/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('memgap.batch/v1 decoding', () => {
  const at = (m: number) => `2026-11-27T05:${String(m).padStart(2, '0')}:00Z`;
  const capture = (m: number, extra: object = {}) => ({ ...valid, capturedAt: at(m), ...extra });
  const batch = (captures: unknown[]) => ({ schema: 'memgap.batch/v1', cluster: 'c1', node: 'n1', flushReason: 'near-limit', captures });

  it('a single capture is a one-entry object', async () => {
    const raw = await decodeRawObject(gzipSync(JSON.stringify(valid)));
    expect(raw.kind).toBe('capture');
    expect(raw.captures.map((c) => c.bundle?.capturedAt)).toEqual(['2026-11-27T05:30:57Z']);
  });

  it('each capture is validated on its own; a bad one is named by its index and the others still count', async () => {
    const raw = await decodeRawObject(gzipSync(JSON.stringify(batch([capture(0), capture(1, { capturedAt: 'soon' }), capture(2), capture(3, { node: 'n2' })]))));
    expect(raw.kind).toBe('batch');
    expect(raw.captures.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(raw.captures.filter((c) => c.bundle).map((c) => c.bundle!.capturedAt)).toEqual([at(0), at(2)]);
    expect(raw.captures[1]!.error).toMatchObject({ source: 'bundle', path: 'captures[1].capturedAt' });
    // a capture of another node cannot hide in this node's batch (the key names the node)
    expect(raw.captures[3]!.error).toMatchObject({ source: 'bundle', path: 'captures[3]', reason: 'capture of c1/n2 in a batch of c1/n1' });
  });

  it('brotli batches (.json.br, what the agent uploads) read by their key; gzip ones still read', async () => {
    const text = JSON.stringify(batch([capture(0), capture(1)]));
    const key = 'raw/cluster=c1/node=n1/dt=2026-11-27/2026-11-27T05:00:00Z_2.json.br';
    const viaBrotli = await decodeRawObject(brotliCompressSync(text), DEFAULT_LIMITS, key);
    expect(viaBrotli.captures.map((c) => c.bundle?.capturedAt)).toEqual([at(0), at(1)]);
    // An agent from before brotli: gzip under .json.gz.
    const viaGzip = await decodeRawObject(gzipSync(text), DEFAULT_LIMITS, key.replace('.json.br', '.json.gz'));
    expect(viaGzip).toEqual(viaBrotli);
    // A .json.br an HTTP client already decoded (it honoured Content-Encoding: br) is plain JSON.
    expect(await decodeRawObject(Buffer.from(text), DEFAULT_LIMITS, key)).toEqual(viaBrotli);
    // Not brotli under a .br name: a typed error naming the cause.
    const err = await decodeRawObject(Buffer.from('not brotli'), DEFAULT_LIMITS, key).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSnapshotError);
    expect((err as InvalidSnapshotError).reason).toMatch(/^cannot decompress: /);
  });

  it('stops a brotli bomb at the cap, with the same reason as a gzip bomb', async () => {
    const bomb = brotliCompressSync(Buffer.alloc(8 * 1024 * 1024, 0x20)); // 8 MiB of spaces → a few bytes
    expect(bomb.length).toBeLessThan(1024);
    const err = await decodeCapture(bomb, { ...DEFAULT_LIMITS, maxDecompressedBytes: 1024 * 1024 }, 'raw/x/bomb.json.br').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSnapshotError);
    expect((err as InvalidSnapshotError).reason).toBe('decompressed size exceeds the limit of 1048576 bytes');
  });

  it('property: under a .br key, brotli JSON reads back exactly, and any bytes give a bundle or our typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const text = JSON.stringify(value) ?? 'null';
        expect((await readCaptureBytes(brotliCompressSync(text), DEFAULT_LIMITS, 'raw/x.json.br')).toString('utf8')).toBe(text);
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 512 }).map((b) => new Uint8Array(brotliCompressSync(b)))), async (bytes) => {
        const outcome = await decodeRawObject(Buffer.from(bytes), DEFAULT_LIMITS, 'raw/x.json.br').then(
          () => 'ok',
          (e: unknown) => (e instanceof InvalidSnapshotError ? 'typed' : e),
        );
        expect(['ok', 'typed']).toContain(outcome);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a brotli stream never starts with `{` (RFC 7932 §9.1: that first byte is an empty stream), so the reader may take `{` as plain JSON', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2048 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: 10, max: 24 }), (bytes, quality, lgwin) => {
        const c = zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality, [zlib.constants.BROTLI_PARAM_LGWIN]: lgwin } });
        expect(c[0]).not.toBe(0x7b);
      }),
      { numRuns: 300 },
    );
  });

  it('a batch without captures, or with an unsafe node, is refused whole', () => {
    expect(() => parseRawJson(Buffer.from(JSON.stringify(batch([]))))).toThrow(InvalidSnapshotError);
    const err = (() => {
      try {
        parseRawJson(Buffer.from(JSON.stringify({ ...batch([capture(0)]), node: '..' })));
      } catch (e) {
        return e as InvalidSnapshotError;
      }
    })();
    expect(err?.path).toBe('node');
  });

  it('property: one entry per capture, in order, each a bundle or a typed error, never a throw', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 59 }).map((m) => capture(m) as unknown), fc.jsonValue()), { minLength: 1, maxLength: 8 }), (captures) => {
        const raw = parseRawJson(Buffer.from(JSON.stringify(batch(captures))));
        expect(raw.captures.map((c) => c.index)).toEqual(captures.map((_, i) => i));
        for (const c of raw.captures) {
          expect(c.bundle === undefined).toBe(c.error instanceof InvalidSnapshotError);
          if (c.error) expect(c.error.path.startsWith(`captures[${c.index}]`)).toBe(true);
          else expect(c.bundle).toEqual(captures[c.index]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
