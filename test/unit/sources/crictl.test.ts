import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCrictlStats } from '../../../src/sources/crictl.js';
import { InvalidSnapshotError } from '../../../src/errors.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import type { ParseContext } from '../../../src/sources/types.js';
import { rejectionOf } from './helpers.js';

const containerdHost: ParseContext = { capturedAt: new Date('2026-06-26T10:15:00Z'), host: { containerRuntime: 'containerd://2.2.1' }, limits: DEFAULT_LIMITS };
const unknownHost: ParseContext = { ...containerdHost, host: {} };
// Synthetic (see test/fixtures/synthetic/a/README.md): the documented protojson shape, numbers from the real 1.35 fixtures.
const fixture = (): any => JSON.parse(readFileSync(new URL('../../fixtures/synthetic/a/crictl-stats-json_synthetic_containerd-protojson.json', import.meta.url), 'utf8'));

const rejection = (input: unknown): InvalidSnapshotError => rejectionOf(() => parseCrictlStats(input, containerdHost), 'crictlStats');

/** Recursively replaces protojson's decimal strings with numbers, as pre-protojson crictl printed them. */
function asNumbers(v: unknown): unknown {
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  if (Array.isArray(v)) return v.map(asNumbers);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'labels' || k === 'annotations' ? x : asNumbers(x)]));
  return v;
}

describe('parseCrictlStats (synthetic protojson fixture)', () => {
  const [pi, proxy] = parseCrictlStats(fixture(), containerdHost);

  it('reads identity from the kubelet labels and the full container id', () => {
    expect(pi!.source).toBe('crictl');
    expect(pi!.identity).toMatchObject({
      level: 'container',
      namespace: 'scraper',
      pod: 'e2e-deployment-79967c5968-8bnn8',
      podUid: 'da59f36e-a7a8-46ed-8d9d-36392eb967d4',
      container: 'compute-pi-digits',
      containerId: 'a33effaac09ebc0bd003f783736428445148029e0a835cf57e592321b75b8c7a',
      isPause: false,
    });
  });

  it('decodes UInt64Value strings; limit = available 20987904 + working set 10469376 = 30 MiB', () => {
    expect(pi!.memory).toMatchObject({ usage: 10498048, workingSet: 10469376, rss: 10129408, swap: 0, limit: 30 * 1024 * 1024 });
  });

  it('converts the int64 ns timestamp string to ms: 1782468869183456789 ns → 1782468869183 ms', () => {
    expect(pi!.sampledAt!.getTime()).toBe(1782468869183);
    expect(pi!.sampledAt!.toISOString()).toBe('2026-06-26T10:14:29.183Z');
  });

  it('availableBytes "0" is containerd\'s "unlimited" when the host runs containerd', () => {
    expect(proxy!.memory.workingSet).toBe(18755584);
    expect(proxy!.memory.limit).toBe('unlimited');
  });

  it('availableBytes "0" on an unnamed runtime stays unknown (could also be working set exactly at the limit)', () => {
    const [, p] = parseCrictlStats(fixture(), unknownHost);
    expect(p!.memory.limit).toBeNull();
  });

  it('accepts the numbers older crictl printed where protojson prints strings', () => {
    expect(parseCrictlStats(asNumbers(fixture()), containerdHost)).toEqual(parseCrictlStats(fixture(), containerdHost));
  });

  it('a present wrapper without value is proto3 0; a missing wrapper or memory block is null', () => {
    const doc = fixture();
    doc.stats[0].memory.rssBytes = {};
    delete doc.stats[0].memory.usageBytes;
    delete doc.stats[1].memory;
    const [a, b] = parseCrictlStats(doc, containerdHost);
    expect(a!.memory.rss).toBe(0);
    expect(a!.memory.usage).toBeNull();
    expect(b!.memory).toMatchObject({ usage: null, workingSet: null, rss: null, limit: null });
    expect(b!.sampledAt).toBeNull();
  });

  it('falls back to metadata.name without the kubelet labels', () => {
    const doc = fixture();
    delete doc.stats[0].attributes.labels;
    const [a] = parseCrictlStats(doc, containerdHost);
    expect(a!.identity).toMatchObject({ container: 'compute-pi-digits', pod: null, namespace: null });
  });

  it('accepts an empty list', () => {
    expect(parseCrictlStats({ stats: [] }, containerdHost)).toEqual([]);
  });
});

describe('parseCrictlStats: rejections', () => {
  it('names the path of a malformed value', () => {
    const doc = fixture();
    doc.stats[1].memory.workingSetBytes.value = '12a';
    const e = rejection(doc);
    expect(e.path).toBe('stats[1].memory.workingSetBytes.value');
    expect(e.reason).toContain('decimal uint64 string');
  });

  it.each([
    [(d: any) => { d.stats[0].memory.timestamp = '-5'; }, 'stats[0].memory.timestamp', 'int64 nanoseconds'],
    [(d: any) => { delete d.stats[0].attributes.id; }, 'stats[0].attributes.id', ''],
    [(d: any) => { d.stats[0].memory.usageBytes.value = '99999999999999999999'; }, 'stats[0].memory.usageBytes.value', 'beyond 2^53'],
    [(d: any) => { d.stats[0].memory.usageBytes.value = -3; }, 'stats[0].memory.usageBytes.value', 'non-negative'],
    [(d: any) => { d.stats = {}; }, 'stats', 'expected array'],
  ])('rejects mutation %#', (mutate, path, reason) => {
    const doc = fixture();
    mutate(doc);
    const e = rejection(doc);
    expect(e.path).toBe(path);
    expect(e.reason).toContain(reason);
  });

  it('rejects a non-object and too many containers', () => {
    expect(rejection('stats').reason).toContain('crictl stats -o json');
    const doc = { stats: Array.from({ length: 3 }, () => fixture().stats[0]) };
    expect(() => parseCrictlStats(doc, { ...containerdHost, limits: { ...DEFAULT_LIMITS, maxContainers: 2 } })).toThrow('3 containers exceed the limit of 2');
  });
});
