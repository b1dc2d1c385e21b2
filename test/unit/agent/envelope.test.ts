import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLUSTER_PATTERN, NODE_PATTERN, assertCaptureEnvelope } from '../../../src/agent/envelope.js';
import { InvalidSnapshotError } from '../../../src/errors.js';
import { CaptureBundle, CLUSTER_PATTERN as MODEL_CLUSTER, NODE_PATTERN as MODEL_NODE } from '../../../src/model/bundle.js';

const accepts = (v: unknown): boolean => {
  try {
    assertCaptureEnvelope(v);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSnapshotError);
    return false;
  }
};

const valid = { schema: 'memgap.capture/v1', cluster: 'prod-eu-1', node: 'ip-10-0-1-23.ec2.internal', capturedAt: '2026-11-27T05:30:57Z', host: { cgroupVersion: 1, kernel: '4.14.165' }, sources: { cgroups: [] } };

describe('assertCaptureEnvelope, the agent’s zod-free copy of CaptureBundle', () => {
  it('uses the model’s name patterns', () => {
    expect(CLUSTER_PATTERN.source).toBe(MODEL_CLUSTER.source);
    expect(NODE_PATTERN.source).toBe(MODEL_NODE.source);
  });

  it('accepts the documented example and rejects each broken field with a bundle error naming it', () => {
    expect(accepts(valid)).toBe(true);
    const cases: [Record<string, unknown>, string][] = [
      [{ schema: 'memgap.capture/v2' }, 'schema'],
      [{ cluster: 'a/b' }, 'cluster'],
      [{ node: '..' }, 'node'],
      [{ capturedAt: '2026-02-30T00:00:00Z' }, 'capturedAt'],
      [{ capturedAt: '2026-11-27T05:30Z' }, 'capturedAt'],
      [{ host: { cgroupVersion: 3 } }, 'host.cgroupVersion'],
      [{ host: { kernel: 'k'.repeat(257) } }, 'host.kernel'],
      [{ sources: {} }, 'sources'],
    ];
    for (const [patch, where] of cases) {
      const err = (() => {
        try {
          assertCaptureEnvelope({ ...valid, ...patch });
        } catch (e) {
          return e as InvalidSnapshotError;
        }
        return null;
      })();
      expect(err?.source, where).toBe('bundle');
      expect(err?.path, where).toBe(where);
      expect(CaptureBundle.safeParse({ ...valid, ...patch }).success, where).toBe(false);
    }
  });

  it('accepts exactly what the zod schema accepts, on generated envelopes', () => {
    // Weighted towards valid values, so accepted envelopes are common enough to compare too.
    const name = fc.oneof({ arbitrary: fc.constantFrom('.', '..', '', 'a/b', 'x'.repeat(64), 'x'.repeat(254)), weight: 1 }, { arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,70}$/), weight: 8 }, { arbitrary: fc.string(), weight: 1 });
    const at = fc.oneof(
      { arbitrary: fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), weight: 6 },
      fc.constantFrom('2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2026-11-27T05:30:57+01:00', '2026-11-27T24:00:00Z', '2026-11-27 05:30:57Z', '2026-11-27T05:30:57.5-23:59'),
      fc.string(),
    );
    const host = fc.option(
      fc.record({ cgroupVersion: fc.constantFrom(1, 2, 1, 2, 3, '1'), cgroupDriver: fc.constantFrom('cgroupfs', 'systemd', 'cgroupfs', 'other'), kernel: fc.oneof({ arbitrary: fc.string({ maxLength: 300 }), weight: 6 }, { arbitrary: fc.integer(), weight: 1 }), extra: fc.string() }, { requiredKeys: [] }),
      { nil: undefined },
    );
    const sources = fc.record(
      { kubeletSummary: fc.jsonValue(), dockerStats: fc.oneof(fc.array(fc.string()), fc.array(fc.integer()), fc.string()), dockerStatsTable: fc.oneof(fc.string(), fc.integer()), dockerApiStats: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue()), cgroups: fc.oneof(fc.array(fc.jsonValue()), fc.string()) },
      { requiredKeys: [] },
    );
    const seen = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.constantFrom('memgap.capture/v1', 'memgap.capture/v2'), name, name, at, host, sources, (schema, cluster, node, capturedAt, h, s) => {
        const candidate = { schema, cluster, node, capturedAt, ...(h === undefined ? {} : { host: h }), sources: s };
        const ok = accepts(candidate);
        seen[ok ? 'accepted' : 'rejected']++;
        return ok === CaptureBundle.safeParse(candidate).success;
      }),
      { numRuns: 2000 },
    );
    // Both sides of the contract were exercised, not only rejections.
    expect(seen.accepted).toBeGreaterThan(20);
    expect(seen.rejected).toBeGreaterThan(20);
  });
});
