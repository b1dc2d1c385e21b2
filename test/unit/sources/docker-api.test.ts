import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectCgroupVersion, parseDockerApiStats } from '../../../src/sources/docker-api.js';
import { InvalidSnapshotError } from '../../../src/errors.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import type { ParseContext } from '../../../src/sources/types.js';
import { rejectionOf } from './helpers.js';

const ctx: ParseContext = { capturedAt: new Date('2026-11-27T05:30:57Z'), host: {}, limits: DEFAULT_LIMITS };
const realText = (name: string) => readFileSync(new URL(`../../fixtures/real/${name}`, import.meta.url), 'utf8');
const v1Doc = (): any => JSON.parse(realText('docker-engine-api-v1.24-container-stats_docs-example_cgroupv1.json'));
const v2Stats = (): any => JSON.parse(realText('docker-engine-api-swagger-memory_stats.stats_example_cgroupv2.json'));

const APP_ID = '4f3c8b2a9d1e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a';
const UID = '0c7c3bb1-5c0f-4c5b-9a54-3e7fd0a3c0e1';
/**
 * The swagger example is only a `memory_stats.stats` map: this minimal response around it is
 * synthetic (id, name, read, usage and limit are invented; usage chosen ≥ anon + file).
 */
function v2Response(stats: unknown = v2Stats()) {
  return {
    id: APP_ID,
    name: `/k8s_app_mypod_myns_${UID}_0`,
    read: '2026-11-27T05:30:56.123456789Z',
    memory_stats: { usage: 10485760, limit: 8589934592, stats },
  };
}

const rejection = (input: unknown): InvalidSnapshotError => rejectionOf(() => parseDockerApiStats(input, ctx), 'dockerApiStats');

describe('parseDockerApiStats: API v1.24 docs example (cgroup v1, real)', () => {
  const [s] = parseDockerApiStats([v1Doc()], ctx);

  it('detects cgroup v1 from the total_* / cache keys and keeps the stats map', () => {
    expect(s!.source).toBe('docker-api');
    expect(s!.cgroupVersion).toBe(1);
    expect(s!.stat!['total_rss']).toBe(6537216);
    expect(s!.stat!['pgfault']).toBe(964);
    expect(Object.keys(s!.stat!)).toHaveLength(29);
  });

  it('maps v1 quantities with cgroupQuantities', () => {
    // usage 6537216; working set = usage − total_inactive_file = 6537216 − 0; rss = total_rss; cache = total_cache
    expect(s!.memory).toMatchObject({
      usage: 6537216,
      workingSet: 6537216,
      rss: 6537216,
      cache: 0,
      activeFile: 0,
      inactiveFile: 0,
      mappedFile: 0,
      shmem: null, // dockerd's v1 map has no shmem key
      swap: null,
      limit: 67108864,
    });
  });

  it('sampledAt = read, truncated to ms; the 2015 example has no id or name', () => {
    expect(s!.sampledAt!.toISOString()).toBe('2015-01-08T22:57:31.547Z');
    expect(s!.identity).toMatchObject({ level: 'container', containerId: null, runtimeName: null, pod: null });
  });
});

describe('parseDockerApiStats: swagger cgroup v2 stats map in a synthetic response', () => {
  const [s] = parseDockerApiStats([v2Response()], ctx);

  it('detects cgroup v2 from anon/file', () => {
    expect(s!.cgroupVersion).toBe(2);
  });

  it('maps v2 quantities; kernel is summed from the parts on this older key set', () => {
    expect(s!.memory).toMatchObject({
      usage: 10485760,
      // 10485760 − inactive_file 2510848
      workingSet: 7974912,
      rss: 1572864, // anon
      cache: 7626752, // file
      activeFile: 5115904,
      inactiveFile: 2510848,
      shmem: 0,
      mappedFile: 2723840, // file_mapped
      // no `kernel` key: kernel_stack 16384 + slab 1180928 + sock 0 (pagetables, percpu, vmalloc absent)
      kernel: 1197312,
      swap: null,
    });
  });

  it('keeps the host-clamped limit as a number', () => {
    expect(s!.memory.limit).toBe(8589934592);
  });

  it('parses the dockershim name (leading / trimmed)', () => {
    expect(s!.identity).toMatchObject({
      containerId: APP_ID,
      runtimeName: `k8s_app_mypod_myns_${UID}_0`,
      namespace: 'myns',
      pod: 'mypod',
      podUid: UID,
      container: 'app',
      isPause: false,
    });
    expect(s!.sampledAt!.toISOString()).toBe('2026-11-27T05:30:56.123Z');
  });

  it('marks the sandbox container as pause', () => {
    const [p] = parseDockerApiStats([{ ...v2Response(), name: `/k8s_POD_mypod_myns_${UID}_0` }], ctx);
    expect(p!.identity).toMatchObject({ container: 'POD', isPause: true, pod: 'mypod' });
  });

  it('keeps a non-dockershim name as runtimeName only', () => {
    const [p] = parseDockerApiStats([{ ...v2Response(), name: '/nginx' }], ctx);
    expect(p!.identity).toMatchObject({ runtimeName: 'nginx', pod: null, container: null, isPause: false });
  });
});

describe('parseDockerApiStats: edge cases', () => {
  it('a stopped container (empty memory_stats, Go zero read time) yields nulls', () => {
    const [s] = parseDockerApiStats([{ id: APP_ID, name: '/x', read: '0001-01-01T00:00:00Z', memory_stats: {} }], ctx);
    expect(s!.sampledAt).toBeNull();
    expect(s!.memory).toMatchObject({ usage: null, workingSet: null, limit: null });
    expect(s!.stat).toBeNull();
    expect(s!.cgroupVersion).toBeNull();
  });

  it('an ambiguous or empty map falls back to the host cgroup version', () => {
    expect(detectCgroupVersion({})).toBeNull();
    expect(detectCgroupVersion({ cache: 1, anon: 2 })).toBeNull();
    const [s] = parseDockerApiStats([{ memory_stats: { usage: 100, stats: { inactive_file: 30 } } }], { ...ctx, host: { cgroupVersion: 2 } });
    expect(s!.cgroupVersion).toBe(2);
    expect(s!.memory.workingSet).toBe(70);
  });

  it('an unknown version keeps usage and limit and nothing derived', () => {
    const [s] = parseDockerApiStats([{ memory_stats: { usage: 100, limit: 200, stats: { inactive_file: 30 } } }], ctx);
    expect(s!.memory).toMatchObject({ usage: 100, limit: 200, workingSet: null, inactiveFile: null });
    expect(s!.stat!['inactive_file']).toBe(30);
  });

  it('an unlimited sentinel from an old daemon is read as unlimited; the v1 hierarchical limit may be huge', () => {
    const doc = v1Doc();
    doc.memory_stats.limit = 9223372036854771712;
    doc.memory_stats.stats.hierarchical_memory_limit = 9223372036854771712;
    const [s] = parseDockerApiStats([doc], ctx);
    expect(s!.memory.limit).toBe('unlimited');
    expect(s!.stat!['hierarchical_memory_limit']).toBe(9223372036854771712);
  });

  it('a host-clamped limit with the v1 sentinel hierarchical_memory_limit is unlimited (the number was the host memory)', () => {
    const doc = v1Doc();
    doc.memory_stats.limit = 8_589_934_592; // 8 GiB: the host's memory, as dockerd clamps it
    doc.memory_stats.stats.hierarchical_memory_limit = 9223372036854771712;
    expect(parseDockerApiStats([doc], ctx)[0]!.memory.limit).toBe('unlimited');
  });

  it('no `limit` (omitempty): the v1 hierarchical_memory_limit stands in (67108864 in the docs example); v2 stays unknown', () => {
    const doc = v1Doc();
    delete (doc.memory_stats as { limit?: number }).limit;
    expect(parseDockerApiStats([doc], ctx)[0]!.memory.limit).toBe(67_108_864);
    const v2 = v2Response();
    delete (v2.memory_stats as { limit?: number }).limit;
    expect(parseDockerApiStats([v2], ctx)[0]!.memory.limit).toBeNull();
  });

  it('a `__proto__` key in the stats map stays plain data', () => {
    const stats = JSON.parse('{"__proto__": 5, "anon": 1, "file": 2, "inactive_file": 1}');
    const [s] = parseDockerApiStats([v2Response(stats)], ctx);
    expect(Object.getPrototypeOf(s!.stat)).toBeNull();
    expect(Object.hasOwn(s!.stat!, '__proto__')).toBe(true);
    expect(s!.stat!['__proto__']).toBe(5);
    expect(({} as Record<string, unknown>)['anon']).toBeUndefined();
  });

  it('a `__proto__` object cannot smuggle inherited counters into the formulas: it is rejected', () => {
    const stats = JSON.parse('{"__proto__": {"inactive_file": 999}, "anon": 1, "file": 2}');
    const e = rejection([v2Response(stats)]);
    expect(e.path).toBe('[0].memory_stats.stats.__proto__');
  });
});

describe('parseDockerApiStats: rejections', () => {
  it('names the path of a bad field', () => {
    const doc = v1Doc();
    doc.memory_stats.usage = '6537216';
    expect(rejection([{}, doc]).path).toBe('[1].memory_stats.usage');
    const d2 = v1Doc();
    d2.memory_stats.stats.cache = -1;
    const e = rejection([d2]);
    expect(e.path).toBe('[0].memory_stats.stats.cache');
    expect(e.reason).toContain('non-negative whole number');
  });

  it('rejects a non-array, a bad read time, a huge non-limit counter and too many containers', () => {
    expect(rejection(v1Doc()).reason).toContain('expected an array');
    expect(rejection([{ read: 'now' }]).path).toBe('[0].read');
    expect(rejection([v2Response({ anon: 2 ** 60 })]).reason).toContain('beyond 2^53');
    expect(() => parseDockerApiStats([{}, {}, {}], { ...ctx, limits: { ...DEFAULT_LIMITS, maxContainers: 2 } })).toThrow('3 containers exceed the limit of 2');
  });
});
