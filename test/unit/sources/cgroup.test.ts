import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerLegacy, dockerModern, kubectlTopDisplay } from '../../../src/analysis/formulas.js';
import { InvalidSnapshotError } from '../../../src/errors.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { Sample } from '../../../src/model/sample.js';
import { cgroupIdentity, parseCgroups } from '../../../src/sources/cgroup.js';
import type { ParseContext } from '../../../src/sources/types.js';
import { rejectionOf } from './helpers.js';

const real = (f: string): string => readFileSync(new URL(`../../fixtures/real/${f}`, import.meta.url), 'utf8');
const synthetic = (f: string): string => readFileSync(new URL(`../../fixtures/synthetic/b/${f}`, import.meta.url), 'utf8');

const capturedAt = new Date('2020-02-03T05:30:57Z');
const ctx: ParseContext = { capturedAt, host: {}, limits: DEFAULT_LIMITS };

const rejection = (fn: () => unknown): InvalidSnapshotError => rejectionOf(fn);

const V2_STAT = real('cgroupv2-memory.stat_opencontainers-cgroups-testdata.txt');
const V1_STAT = real('cgroupv1-memory.stat_containerd-cgroups-testdata_synthetic-values.txt');
const POD = '/kubepods/burstable/podda59f36e-a7a8-46ed-8d9d-36392eb967d4';
const CID = 'a33effaac09ebc0bd003f783736428445148029e0a835cf57e592321b75b8c7a';

describe('parseCgroups: the seed article container as a v1 file set (synthetic)', () => {
  const entry = JSON.parse(synthetic('cgroupv1-fileset_seed-article-busybox_synthetic.json')) as unknown;
  const [s, ...rest] = parseCgroups([entry], ctx);

  it('is one valid v1 container sample at the capture time', () => {
    expect(rest).toHaveLength(0);
    expect(Sample.safeParse(s).success).toBe(true);
    expect(s?.source).toBe('cgroup');
    expect(s?.cgroupVersion).toBe(1);
    expect(s?.sampledAt).toEqual(capturedAt);
    expect(s?.identity).toMatchObject({
      level: 'container',
      podUid: '5c7a3b1e-46d0-11ea-9f5c-0a1b2c3d4e5f',
      containerId: '3f0c9e2d7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d',
      pod: null,
    });
  });

  it('reproduces the article: working set 105963520 (101Mi), legacy docker 106496, modern ≈ kubelet', () => {
    // usage 105971712 − total_inactive_file 8192 = 105963520 (the summary's workingSetBytes)
    expect(s?.memory.workingSet).toBe(105_971_712 - 8192);
    expect(kubectlTopDisplay(s!.memory.workingSet!)).toBe('101Mi'); // 105963520 / 1048576 = 101.05
    expect(s?.memory).toMatchObject({
      usage: 105_971_712,
      rss: 106_496,
      cache: 105_865_216,
      activeFile: 105_857_024,
      inactiveFile: 8192,
      shmem: 0,
      mappedFile: 0,
      swap: null, // no swap accounting key in this file
      kernel: null,
      limit: 'unlimited', // 9223372036854771712 ≥ 2^62
    });
    // docker ≤ 19.03: usage − cache = 105971712 − 105865216 = 106496 (the 620KiB row was the pause container)
    expect(dockerLegacy(s!.memory.usage!, s!.stat!)).toBe(106_496);
    expect(dockerModern(s!.memory.usage!, s!.stat!)).toBe(105_963_520);
    expect(s?.oomKillCount).toBe(0);
    // the ≥ 2^62 sentinel in memory.stat is kept (approximately: it only means "unlimited")
    expect(s?.stat?.['hierarchical_memory_limit']).toBeGreaterThanOrEqual(2 ** 62);
  });
});

describe('parseCgroups: containerd v1 key-order fixture (values 1..32 are synthetic)', () => {
  // the file is `rss 2` … `total_unevictable 32`: each value is its key's position + 1
  const [s] = parseCgroups([{ path: `/sys/fs/cgroup/memory${POD}/${CID}`, files: { 'memory.stat': V1_STAT, 'memory.usage_in_bytes': '100\n' } }], ctx);

  it('detects v1 from the total_* keys and maps the hierarchical keys', () => {
    expect(s?.cgroupVersion).toBe(1);
    expect(s?.memory).toMatchObject({
      usage: 100,
      rss: 19, // total_rss
      cache: 18, // total_cache
      mappedFile: 21, // total_mapped_file
      inactiveFile: 30, // total_inactive_file
      activeFile: 31, // total_active_file
      workingSet: 100 - 30, // usage − total_inactive_file
      shmem: null, // neither total_shmem nor shmem in this key set
      swap: null,
      limit: 16, // no memory.limit_in_bytes file: memory.stat `hierarchical_memory_limit 16` stands in
    });
    expect(s?.stat?.['pgmajfault']).toBe(10);
    expect(Object.keys(s!.stat!)).toHaveLength(31);
    expect(s?.identity).toMatchObject({ level: 'container', containerId: CID, podUid: 'da59f36e-a7a8-46ed-8d9d-36392eb967d4' });
  });
});

describe('parseCgroups: limit when memory.limit_in_bytes / memory.max was not collected', () => {
  const seed = JSON.parse(synthetic('cgroupv1-fileset_seed-article-busybox_synthetic.json')) as { path: string; files: Record<string, string> };
  const without = (files: Record<string, string>, name: string) => Object.fromEntries(Object.entries(files).filter(([k]) => k !== name));

  it('v1: the seed memory.stat alone says unlimited (hierarchical_memory_limit 9223372036854771712 ≥ 2^62)', () => {
    const [s] = parseCgroups([{ path: seed.path, files: without(seed.files, 'memory.limit_in_bytes') }], ctx);
    expect(s!.memory.limit).toBe('unlimited');
  });

  it('v1: a real hierarchical_memory_limit is the limit (here a 512 MiB pod limit: 536870912 B)', () => {
    const stat = seed.files['memory.stat']!.replace('hierarchical_memory_limit 9223372036854771712', 'hierarchical_memory_limit 536870912');
    const [s] = parseCgroups([{ path: seed.path, files: { ...without(seed.files, 'memory.limit_in_bytes'), 'memory.stat': stat } }], ctx);
    expect(s!.memory.limit).toBe(536_870_912);
  });

  it('v1: no limit file and no hierarchical key (only memory.usage_in_bytes) → not captured (null), never unlimited', () => {
    const [s] = parseCgroups([{ path: seed.path, files: { 'memory.usage_in_bytes': '105971712\n' } }], ctx);
    expect(s!.memory.limit).toBeNull();
  });

  it('v2: memory.stat has no limit key, so without memory.max the limit is not captured (null)', () => {
    const [s] = parseCgroups([{ path: `${POD}/${CID}`, files: { 'memory.stat': V2_STAT, 'memory.current': '6800000000\n' } }], ctx);
    expect(s!.cgroupVersion).toBe(2);
    expect(s!.memory.limit).toBeNull();
  });
});

describe('parseCgroups: opencontainers v2 memory.stat (no trailing newline)', () => {
  const files = {
    'memory.stat': V2_STAT,
    'memory.current': '6800000000\n',
    'memory.max': 'max\n',
    'memory.swap.current': '4096',
    'memory.events': 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n',
  };
  const [s] = parseCgroups([{ path: `${POD}`, files }], ctx);

  it('maps v2 keys and reads the side files', () => {
    expect(s?.cgroupVersion).toBe(2);
    expect(s?.identity).toMatchObject({ level: 'pod', containerId: null, podUid: 'da59f36e-a7a8-46ed-8d9d-36392eb967d4' });
    expect(s?.memory).toMatchObject({
      usage: 6_800_000_000,
      rss: 790_425_600, // anon
      cache: 6_502_666_240, // file
      activeFile: 1_179_316_224,
      inactiveFile: 5_307_346_944,
      shmem: 6_721_536,
      mappedFile: 656_187_392, // file_mapped
      swap: 4096, // memory.swap.current
      // no `kernel` key: kernel_stack 7012352 + pagetables 8867840 + slab 358966048 + percpu 2445520 + sock 40960
      kernel: 377_332_720,
      workingSet: 6_800_000_000 - 5_307_346_944,
      limit: 'unlimited',
    });
    expect(s?.oomKillCount).toBe(2);
  });

  it('clamps the working set at 0 when inactive_file > usage (v2)', () => {
    const [t] = parseCgroups([{ path: POD, files: { 'memory.stat': V2_STAT, 'memory.current': '1000' } }], ctx);
    expect(t?.memory.workingSet).toBe(0);
  });
});

describe('parseCgroups: version detection', () => {
  it('uses host.cgroupVersion when the files do not tell, else rejects with a reason', () => {
    const files = { 'memory.stat': 'inactive_file 5\nactive_file 7\n' };
    expect(parseCgroups([{ path: '/x', files }], { ...ctx, host: { cgroupVersion: 2 } })[0]?.cgroupVersion).toBe(2);
    const err = rejection(() => parseCgroups([{ path: '/x', files }], ctx));
    expect(err.path).toBe('cgroups[0].files');
    expect(err.reason).toMatch(/cannot tell the cgroup version/);
  });
  it('v1 from memory.usage_in_bytes or a cache key; v2 from memory.current', () => {
    expect(parseCgroups([{ path: '/x', files: { 'memory.usage_in_bytes': '1' } }], ctx)[0]?.cgroupVersion).toBe(1);
    expect(parseCgroups([{ path: '/x', files: { 'memory.stat': 'cache 1' } }], ctx)[0]?.cgroupVersion).toBe(1);
    expect(parseCgroups([{ path: '/x', files: { 'memory.current': '1' } }], ctx)[0]?.cgroupVersion).toBe(2);
  });
  it('rejects files that mix versions', () => {
    const err = rejection(() => parseCgroups([{ path: '/x', files: { 'memory.current': '1', 'memory.stat': 'total_cache 1' } }], ctx));
    expect(err.reason).toMatch(/mix cgroup v1/);
  });
});

describe('parseCgroups: values and limits', () => {
  const v1 = (files: Record<string, string>) => parseCgroups([{ path: '/x', files: { 'memory.usage_in_bytes': '10', ...files } }], ctx)[0]!;
  it('v1 limit: 9223372036854771712 and any value ≥ 2^62 unlimited; smaller values are bytes', () => {
    expect(v1({ 'memory.limit_in_bytes': '9223372036854771712\n' }).memory.limit).toBe('unlimited');
    expect(v1({ 'memory.limit_in_bytes': '4611686018427387904' }).memory.limit).toBe('unlimited'); // 2^62
    expect(v1({ 'memory.limit_in_bytes': '536870912\n' }).memory.limit).toBe(536_870_912);
    // between 2^53 and 2^62: not a sentinel, not exact → rejected
    const err = rejection(() => v1({ 'memory.limit_in_bytes': '9007199254740993' }));
    expect(err.path).toBe('cgroups[0].files["memory.limit_in_bytes"]');
    expect(err.reason).toMatch(/2\^53-1/);
  });
  it('v1 kmem and oom_control', () => {
    const s = v1({ 'memory.kmem.usage_in_bytes': '4096\n', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 1\noom_kill 5\n' });
    expect(s.memory.kernel).toBe(4096);
    expect(s.oomKillCount).toBe(5);
    // kernels before 4.13 print no oom_kill line: unknown, not 0
    expect(v1({ 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\n' }).oomKillCount).toBeNull();
  });
  it('without memory.stat the working set is unknown, not usage', () => {
    const s = v1({});
    expect(s.memory.usage).toBe(10);
    expect(s.memory.workingSet).toBeNull();
    expect(s.stat).toBeNull();
  });
  it('v2 memory.max: max or bytes; "max" refused where it has no meaning', () => {
    const v2 = (max: string) => parseCgroups([{ path: '/x', files: { 'memory.current': '1', 'memory.max': max } }], ctx)[0]!.memory.limit;
    expect(v2('max\n')).toBe('unlimited');
    expect(v2('268435456')).toBe(268_435_456);
    expect(rejection(() => parseCgroups([{ path: '/x', files: { 'memory.current': 'max' } }], ctx)).reason).toMatch(/not an unsigned decimal/);
  });
});

describe('parseCgroups: memory.stat text format', () => {
  const parse = (stat: string) => parseCgroups([{ path: '/x', files: { 'memory.stat': stat, 'memory.current': '100' } }], ctx)[0]!;
  it('tolerates a trailing newline, no trailing newline, CRLF', () => {
    expect(parse('anon 1\nfile 2\n').stat).toEqual({ anon: 1, file: 2 });
    expect(parse('anon 1\nfile 2').stat).toEqual({ anon: 1, file: 2 });
    expect(parse('anon 1\r\nfile 2\r\n').stat).toEqual({ anon: 1, file: 2 });
  });
  it('rejects non-numeric values, malformed lines and duplicate keys with the line number', () => {
    const bad = rejection(() => parse('anon 1\nfile 2\nshmem 3\nslab 4\ninactive_file x12\n'));
    expect(bad.source).toBe('cgroups');
    expect(bad.path).toBe('cgroups[0].files["memory.stat"] line 5');
    expect(bad.reason).toMatch(/"x12" is not an unsigned decimal/);
    expect(rejection(() => parse('anon -1')).reason).toMatch(/not an unsigned/);
    expect(rejection(() => parse('anon')).reason).toMatch(/expected "key value"/);
    expect(rejection(() => parse('anon 1 2')).path).toBe('cgroups[0].files["memory.stat"] line 1');
    const dup = rejection(() => parse('anon 1\nfile 2\nanon 3'));
    expect(dup.path).toBe('cgroups[0].files["memory.stat"] line 3');
    expect(dup.reason).toMatch(/duplicate key "anon" \(first at line 1\)/);
    // The second copy in the tolerated spelling (indent, tab, trailing blank) is still the same key.
    const loose = rejection(() => parse('file 2\nanon 1\n  anon\t3 \n'));
    expect(loose.path).toBe('cgroups[0].files["memory.stat"] line 3');
    expect(loose.reason).toMatch(/duplicate key "anon" \(first at line 2\)/);
  });
  it('rejects counters above 2^53-1 (precision)', () => {
    expect(rejection(() => parse('anon 9007199254740992')).reason).toMatch(/2\^53-1/);
  });
  it('long values on the kernel spelling: the ≥ 2^62 limit sentinel kept, other keys above 2^53-1 refused, a key with a tab still malformed', () => {
    expect(parse('hierarchical_memory_limit 9223372036854771712\nanon 1').stat?.['hierarchical_memory_limit']).toBe(9223372036854771712);
    const big = rejection(() => parse('anon 1\nfile 18446744073709551615'));
    expect(big.path).toBe('cgroups[0].files["memory.stat"] line 2');
    expect(big.reason).toBe('file value 18446744073709551615 is above 2^53-1: it cannot be held exactly');
    // 19 digits after a key holding a tab: not `key value` (the key must be one word)
    expect(rejection(() => parse('anon 1\nhier\tlimit 9223372036854771712')).reason).toMatch(/expected "key value"/);
  });
  it('a file reads the same whatever was read before (keys remembered from the last file are only a shortcut)', () => {
    const stats = [
      'anon 1\nfile 2\nshmem 3\n',
      'anon 4\nfile 5\n',
      'file 7\nanon 6\nshmem 8\nslab 9\n',
      'anon 1\nfile 2\nanon 3\n',
      '12 1\nanon 2\n',
      'anon 10\nfil 11\n',
      'ano 10\nfile 11\n',
    ];
    const outcome = (stat: string) => {
      try {
        return { stat: { ...parse(stat).stat } };
      } catch (err) {
        return { error: (err as InvalidSnapshotError).toJSON() };
      }
    };
    const alone = stats.map(outcome);
    for (const [i, stat] of stats.entries()) {
      for (const before of stats) {
        outcome(before);
        expect(outcome(stat)).toEqual(alone[i]);
      }
    }
    expect(alone[2]).toEqual({ stat: { file: 7, anon: 6, shmem: 8, slab: 9 } });
    expect(alone[3]!.error?.reason).toMatch(/duplicate key "anon"/);
  });
  it('keeps __proto__ and constructor keys inert', () => {
    const s = parse('__proto__ 5\nconstructor 6\nanon 1\n');
    expect(s.stat?.['__proto__']).toBe(5);
    expect(s.stat?.['constructor']).toBe(6);
    expect(Object.getPrototypeOf(s.stat)).toBeNull();
    expect(({} as Record<string, unknown>)['anon']).toBeUndefined();
  });
  it('enforces maxLineLength with the line', () => {
    const err = rejection(() =>
      parseCgroups([{ path: '/x', files: { 'memory.stat': `anon 1\nfile ${'1'.repeat(50)}` } }], { ...ctx, limits: { ...DEFAULT_LIMITS, maxLineLength: 20 } }),
    );
    expect(err.path).toBe('cgroups[0].files["memory.stat"] line 2');
  });
});

describe('parseCgroups: input shape and limits', () => {
  it('rejects non-arrays, bad entries (with index) and too many cgroups', () => {
    expect(rejection(() => parseCgroups('nope', ctx)).path).toBe('cgroups');
    const e = rejection(() => parseCgroups([{ path: '/a', files: { 'memory.current': '1' } }, { path: '', files: {} }], ctx));
    expect(e.path).toBe('cgroups[1].path');
    const f = rejection(() => parseCgroups([{ path: '/a', files: { 'memory.stat': 5 } }], ctx));
    expect(f.path).toBe('cgroups[0].files["memory.stat"]');
    const g = rejection(() => parseCgroups([{ path: '/a', files: { 'memory.peak': '5' } }], { ...ctx, host: { cgroupVersion: 2 } }));
    expect(g.reason).toMatch(/no memory file/);
    const many = [1, 2, 3].map(() => ({ path: '/x', files: { 'memory.current': '1' } }));
    expect(parseCgroups(many, ctx)).toHaveLength(3);
    expect(rejection(() => parseCgroups(many, { ...ctx, limits: { ...DEFAULT_LIMITS, maxContainers: 2 } })).reason).toMatch(/above the limit of 2/);
  });
});

describe('cgroupIdentity (paths that are not pod cgroups are kept with what is known)', () => {
  it('pod and container cgroups, cgroupfs and systemd, with mount prefixes', () => {
    expect(cgroupIdentity(`/sys/fs/cgroup${POD}`)).toEqual({ level: 'pod', podUid: 'da59f36e-a7a8-46ed-8d9d-36392eb967d4', containerId: null });
    expect(
      cgroupIdentity(
        `/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b2c3d_0000_4000_8000_000000000001.slice/cri-containerd-${CID}.scope`,
      ),
    ).toEqual({ level: 'container', podUid: '0a1b2c3d-0000-4000-8000-000000000001', containerId: CID });
  });
  it('root → node; docker leafs → container; other slices → pod level without names', () => {
    expect(cgroupIdentity('/')).toEqual({ level: 'node', podUid: null, containerId: null });
    expect(cgroupIdentity('/sys/fs/cgroup/memory')).toEqual({ level: 'node', podUid: null, containerId: null });
    expect(cgroupIdentity(`/docker/${CID}`)).toEqual({ level: 'container', podUid: null, containerId: CID });
    expect(cgroupIdentity(`/system.slice/docker-${CID}.scope`)).toEqual({ level: 'container', podUid: null, containerId: CID });
    expect(cgroupIdentity('/kubepods/burstable')).toEqual({ level: 'pod', podUid: null, containerId: null });
    expect(cgroupIdentity('/system.slice/kubelet.service')).toEqual({ level: 'pod', podUid: null, containerId: null });
    expect(cgroupIdentity(`/system.slice/crio-conmon-${CID}.scope`).level).toBe('pod');
  });
  it('a path asked again gives the same (frozen) identity: one parse per path, shared by every capture of the node', () => {
    const path = `/kubepods/pod12/${CID}`;
    const first = cgroupIdentity(path);
    expect(cgroupIdentity(path)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first).toEqual({ level: 'container', podUid: '12', containerId: CID });
  });
});
