import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBundle, bundleJson, encodeBundle } from '../../../src/agent/bundle.js';
import { CgroupEntryWriter } from '../../../src/agent/cgroups.js';
import { RawJson } from '../../../src/agent/raw-json.js';

const raw = (value: unknown): RawJson => RawJson.object(Buffer.from(JSON.stringify(value), 'utf8'))!;

describe('encodeBundle (pieces batched into 64 KiB gzip writes)', () => {
  it('gunzips to exactly bundleJson, whatever the piece sizes and characters', async () => {
    const writer = new CgroupEntryWriter();
    // Texts from empty to well over one 64 KiB batch (as one string or one Buffer), any UTF-16.
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', minLength: 20_000, maxLength: 90_000 }));
    await fc.assert(
      fc.asyncProperty(fc.array(text, { maxLength: 6 }), fc.array(text, { maxLength: 4 }), fc.array(fc.string({ unit: 'grapheme', maxLength: 3000 }), { maxLength: 4 }), async (stats, bodies, cgroupTexts) => {
        const cgroups = cgroupTexts.map((t, i) => {
          writer.begin(`/kubepods/pod${i}`);
          const b = Buffer.from(t, 'utf8');
          writer.file('memory.stat', b, b.length);
          return writer.finish()!;
        });
        const bundle = buildBundle({
          cluster: 'c',
          node: 'n',
          capturedAt: new Date(Date.UTC(2026, 0, 1)),
          host: { kernel: 'k' },
          sources: { dockerStats: stats, dockerApiStats: bodies.map((b) => raw({ b })), kubeletSummary: raw({ s: stats }), ...(cgroups.length > 0 ? { cgroups } : {}) },
        });
        expect(gunzipSync(await encodeBundle(bundle)).toString('utf8')).toBe(bundleJson(bundle));
      }),
      { numRuns: 30 },
    );
  });
});
