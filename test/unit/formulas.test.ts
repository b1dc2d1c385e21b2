/**
 * Hand-worked checks of every formula in src/analysis/formulas.ts. Each expected number is
 * derived in the comment beside it from the inputs, not read from the program.
 */
import { describe, expect, it } from 'vitest';
import {
  MiB,
  NEAR_LIMIT_PCT,
  UNLIMITED_THRESHOLD,
  cgroupQuantities,
  dockerFormulaForVersion,
  dockerLegacy,
  dockerModern,
  dockerRawUsage,
  dockerStatsFromStat,
  hierarchicalLimit,
  inactiveExceedsUsage,
  interpretLimit,
  kubectlTopDisplay,
  limitFromAvailable,
  pctOfLimit,
  workingSet,
  workingSetFromStat,
} from '../../src/analysis/formulas.js';

/** The seed article's busybox container after `less file100` (cgroup v1, docker 18.06). */
const SEED_USAGE = 105_971_712;
const SEED_V1: Record<string, number> = {
  cache: 105_865_216,
  rss: 106_496,
  shmem: 0,
  inactive_file: 8192,
  active_file: 105_857_024,
  total_cache: 105_865_216,
  total_rss: 106_496,
  total_shmem: 0,
  total_inactive_file: 8192,
  total_active_file: 105_857_024,
  total_mapped_file: 0,
};

describe('workingSet / workingSetFromStat / inactiveExceedsUsage', () => {
  it('usage − inactive_file', () => {
    expect(workingSet(1000, 300)).toBe(700);
    // seed: 105971712 − 8192 = 105963520
    expect(workingSetFromStat(SEED_USAGE, SEED_V1, 1)).toBe(105_963_520);
  });
  it('clamps at 0 when inactive_file > usage, and flags it', () => {
    expect(workingSet(1000, 1001)).toBe(0);
    expect(workingSet(1000, 1000)).toBe(0); // equal: 1000 − 1000, no clamp needed
    expect(workingSetFromStat(1000, { inactive_file: 5000 }, 2)).toBe(0);
    expect(inactiveExceedsUsage(1000, { inactive_file: 5000 }, 2)).toBe(true);
    expect(inactiveExceedsUsage(1000, { inactive_file: 1000 }, 2)).toBe(false);
  });
  it('missing key → usage itself (cAdvisor starts from usage)', () => {
    expect(workingSet(1000, null)).toBe(1000);
    expect(workingSetFromStat(1000, {}, 2)).toBe(1000);
    expect(inactiveExceedsUsage(1000, {}, 1)).toBe(false);
  });
  it('v1 uses total_inactive_file only, never the local inactive_file', () => {
    // local inactive_file 400 is ignored: no total_ key → usage 1000
    expect(workingSetFromStat(1000, { inactive_file: 400 }, 1)).toBe(1000);
    expect(workingSetFromStat(1000, { inactive_file: 400, total_inactive_file: 100 }, 1)).toBe(900);
    // v2 reads inactive_file and ignores a (nonsensical there) total_ key
    expect(workingSetFromStat(1000, { inactive_file: 400, total_inactive_file: 100 }, 2)).toBe(600);
    expect(inactiveExceedsUsage(1000, { inactive_file: 5000 }, 1)).toBe(false);
  });
});

describe('dockerModern (CLI ≥ 20.10)', () => {
  it('v1: usage − total_inactive_file', () => {
    expect(dockerModern(SEED_USAGE, SEED_V1)).toBe(SEED_USAGE - 8192); // 105963520 = kubelet's
  });
  it('v1 quirk: total_inactive_file ≥ usage falls through to the local inactive_file', () => {
    // total 2000 ≥ usage 1000 → local 300 < 1000 → 1000 − 300 = 700
    expect(dockerModern(1000, { total_inactive_file: 2000, inactive_file: 300 })).toBe(700);
    // total 1000 is not < usage 1000 → inactive_file absent counts as 0 → 1000 − 0 = 1000
    expect(dockerModern(1000, { total_inactive_file: 1000 })).toBe(1000);
  });
  it('v2: usage − inactive_file; no clamp: inactive ≥ usage shows usage itself', () => {
    expect(dockerModern(1000, { inactive_file: 250 })).toBe(750);
    expect(dockerModern(1000, { inactive_file: 1000 })).toBe(1000);
    expect(dockerModern(1000, { inactive_file: 4000 })).toBe(1000); // kubelet would say 0
    expect(workingSetFromStat(1000, { inactive_file: 4000 }, 2)).toBe(0);
  });
  it('no inactive key at all → usage', () => {
    expect(dockerModern(1000, {})).toBe(1000);
  });
});

describe('dockerLegacy (CLI ≤ 19.03): usage − cache', () => {
  it('seed article: 105971712 − 105865216 = 106496', () => {
    expect(dockerLegacy(SEED_USAGE, SEED_V1)).toBe(106_496);
  });
  it('cache > usage would wrap in Go: null; equal → 0; no cache key (v2) → null', () => {
    expect(dockerLegacy(1000, { cache: 1001 })).toBeNull();
    expect(dockerLegacy(1000, { cache: 1000 })).toBe(0);
    expect(dockerLegacy(1000, { anon: 10, file: 20 })).toBeNull();
  });
  it('uses the local cache key, not total_cache', () => {
    expect(dockerLegacy(1000, { cache: 100, total_cache: 900 })).toBe(900);
  });
});

describe('tmpfs / shmem: cache includes shmem', () => {
  // 100 MiB written to a tmpfs (shmem, active) plus 10 MiB anon, 1 MiB inactive file.
  const shmem = 100 * MiB;
  const stat = { cache: shmem + MiB, total_cache: shmem + MiB, shmem, total_shmem: shmem, total_inactive_file: MiB, inactive_file: MiB, total_rss: 10 * MiB };
  const usage = 10 * MiB + shmem + MiB; // 111 MiB
  it('legacy subtracts it (usage − cache = anon only: 10 MiB)', () => {
    expect(dockerLegacy(usage, stat)).toBe(10 * MiB);
  });
  it('modern and the kubelet keep it (usage − inactive = 110 MiB)', () => {
    expect(dockerModern(usage, stat)).toBe(110 * MiB);
    expect(workingSetFromStat(usage, stat, 1)).toBe(110 * MiB);
  });
});

describe('dockerStatsFromStat', () => {
  it('dispatches by formula; unknown → null', () => {
    expect(dockerStatsFromStat('modern', SEED_USAGE, SEED_V1)).toBe(105_963_520);
    expect(dockerStatsFromStat('legacy', SEED_USAGE, SEED_V1)).toBe(106_496);
    expect(dockerStatsFromStat('raw-usage', SEED_USAGE, SEED_V1)).toBe(SEED_USAGE);
    expect(dockerStatsFromStat('unknown', SEED_USAGE, SEED_V1)).toBeNull();
  });
});

describe('dockerRawUsage (CLI before 17.06): usage itself', () => {
  it('seed article: page cache included, 105971712 B (the kubelet says 8192 less)', () => {
    expect(dockerRawUsage(SEED_USAGE)).toBe(105_971_712);
    // − working set 105963520 = 8192 = total_inactive_file: the old CLI counts even inactive cache
    expect(dockerRawUsage(SEED_USAGE) - workingSetFromStat(SEED_USAGE, SEED_V1, 1)).toBe(8192);
  });
});

describe('hierarchicalLimit (v1 memory.stat, when memory.limit_in_bytes was not collected)', () => {
  it('a number is the limit; the sentinel 2^63 − 4096 is unlimited; absent (or v2) is unknown', () => {
    expect(hierarchicalLimit({ hierarchical_memory_limit: 536_870_912 })).toBe(536_870_912);
    expect(hierarchicalLimit({ hierarchical_memory_limit: 9_223_372_036_854_771_712 })).toBe('unlimited');
    expect(hierarchicalLimit({ anon: 1 })).toBeNull();
  });
  it('cgroupQuantities v1 falls back to it; the limit file wins when both are there; v2 has no such key', () => {
    expect(cgroupQuantities({ hierarchical_memory_limit: 512 * MiB }, 1, { usage: 1, limit: null }).limit).toBe(512 * MiB);
    expect(cgroupQuantities({ hierarchical_memory_limit: 9_223_372_036_854_771_712 }, 1, { usage: 1, limit: null }).limit).toBe('unlimited');
    expect(cgroupQuantities({ hierarchical_memory_limit: 512 * MiB }, 1, { usage: 1, limit: 256 * MiB }).limit).toBe(256 * MiB);
    expect(cgroupQuantities({ hierarchical_memory_limit: 512 * MiB, anon: 1 }, 2, { usage: 1, limit: null }).limit).toBeNull();
  });
});

describe('interpretLimit', () => {
  it('v1 9223372036854771712 (2^63 − 4096) and anything ≥ 2^62 is unlimited; v2 max too', () => {
    expect(UNLIMITED_THRESHOLD).toBe(4_611_686_018_427_387_904);
    expect(interpretLimit(9_223_372_036_854_771_712)).toBe('unlimited');
    expect(interpretLimit(2 ** 62)).toBe('unlimited');
    expect(interpretLimit('max')).toBe('unlimited');
    expect(interpretLimit(2 ** 62 - 2 ** 20)).toBe(2 ** 62 - 2 ** 20);
    expect(interpretLimit(536_870_912)).toBe(536_870_912);
    expect(interpretLimit(0)).toBe(0);
  });
});

describe('cgroupQuantities', () => {
  it('v1: total_ keys preferred, kmem as kernel, swap from total_swap', () => {
    const stat = { ...SEED_V1, total_swap: 4096, swap: 1, mapped_file: 7, total_mapped_file: 8 };
    expect(cgroupQuantities(stat, 1, { usage: SEED_USAGE, limit: 'unlimited', kmemUsage: 12_288 })).toEqual({
      usage: SEED_USAGE,
      workingSet: 105_963_520,
      rss: 106_496,
      cache: 105_865_216,
      activeFile: 105_857_024,
      inactiveFile: 8192,
      shmem: 0,
      mappedFile: 8,
      swap: 4096,
      kernel: 12_288,
      limit: 'unlimited',
    });
  });
  it('v1 without hierarchy keys falls back to the local ones', () => {
    const q = cgroupQuantities({ rss: 1, cache: 2, active_file: 3, inactive_file: 4, shmem: 5, mapped_file: 6, swap: 7 }, 1, { usage: 100, limit: 50 });
    expect(q).toMatchObject({ rss: 1, cache: 2, activeFile: 3, inactiveFile: 4, shmem: 5, mappedFile: 6, swap: 7, limit: 50, kernel: null });
    // the working set still reads only total_inactive_file (absent) → usage
    expect(q.workingSet).toBe(100);
  });
  it('v2: anon/file/…, swap from memory.swap.current, kernel key or the sum of its parts', () => {
    const stat = { anon: 10, file: 20, active_file: 5, inactive_file: 15, shmem: 3, file_mapped: 4, kernel: 9 };
    expect(cgroupQuantities(stat, 2, { usage: 40, limit: 'unlimited', swapCurrent: 8 })).toEqual({
      usage: 40,
      workingSet: 25, // 40 − 15
      rss: 10,
      cache: 20,
      activeFile: 5,
      inactiveFile: 15,
      shmem: 3,
      mappedFile: 4,
      swap: 8,
      kernel: 9,
      limit: 'unlimited',
    });
    // older kernels: kernel_stack 1 + pagetables 2 + slab 4 + percpu 8 + sock 16 (vmalloc absent) = 31
    expect(cgroupQuantities({ kernel_stack: 1, pagetables: 2, slab: 4, percpu: 8, sock: 16 }, 2, { usage: 1, limit: null }).kernel).toBe(31);
    expect(cgroupQuantities({ anon: 1 }, 2, { usage: 1, limit: null }).kernel).toBeNull();
  });
  it('null usage → null working set; nothing invented', () => {
    const q = cgroupQuantities({}, 2, { usage: null, limit: null });
    expect(Object.values(q).every((v) => v === null)).toBe(true);
  });
});

describe('dockerFormulaForVersion', () => {
  it.each([
    ['18.06.1-ce', 'legacy'], // the seed article's daemon
    ['19.03.15', 'legacy'],
    ['20.10.0', 'modern'], // first release with PR #2415
    ['20.10.8', 'modern'],
    ['v24.0.7', 'modern'],
    ['24.0.7', 'modern'],
    ['docker://18.6.1', 'legacy'], // kubelet's containerRuntimeVersion form
    ['docker://20.10.8', 'modern'],
    // Before 17.06 (docker/cli PR #80, May 2017) the CLI printed raw usage
    ['1.13.1', 'raw-usage'],
    ['docker://1.13.1', 'raw-usage'],
    ['1.12.6', 'raw-usage'],
    ['17.03.2-ce', 'raw-usage'],
    ['17.05.0-ce', 'raw-usage'],
    ['17.06.0-ce', 'legacy'], // first release with PR #80: usage − cache
    ['v17.09.1-ce', 'legacy'],
    ['20.9.0', 'legacy'],
    ['garbage', 'unknown'],
    ['', 'unknown'],
    [null, 'unknown'],
    [undefined, 'unknown'],
    // fixed: a CRI runtime's version is not a Docker CLI version (was 'legacy' for containerd 1.x)
    ['containerd://1.6.0', 'unknown'],
    ['containerd://2.2.1', 'unknown'],
    ['cri-o://1.25.0', 'unknown'],
  ] as const)('%s → %s', (v, want) => {
    expect(dockerFormulaForVersion(v)).toBe(want);
  });
});

describe('kubectlTopDisplay: floor(bytes / MiB) + "Mi"', () => {
  it('seed: 105963520 / 1048576 = 101.05 → 101Mi; 1.35 app 10469376 / 1048576 = 9.98 → 9Mi', () => {
    expect(kubectlTopDisplay(105_963_520)).toBe('101Mi');
    expect(kubectlTopDisplay(10_469_376)).toBe('9Mi');
    expect(kubectlTopDisplay(MiB - 1)).toBe('0Mi');
    expect(kubectlTopDisplay(0)).toBe('0Mi');
  });
});

describe('limitFromAvailable', () => {
  it('limit = availableBytes + workingSetBytes; no availableBytes → unlimited; no working set → unknown', () => {
    // 1.35 node: 7299776512 + 917110784 = 8216887296 (MemTotal, = cAdvisor's root limit)
    expect(limitFromAvailable(7_299_776_512, 917_110_784)).toBe(8_216_887_296);
    expect(limitFromAvailable(undefined, 10)).toBe('unlimited');
    expect(limitFromAvailable(null, 10)).toBe('unlimited');
    expect(limitFromAvailable(5, null)).toBeNull();
    expect(limitFromAvailable(5, undefined)).toBeNull();
  });
});

describe('pctOfLimit', () => {
  it('100 × ws / limit; null for unlimited, unknown or zero limit', () => {
    // 1.35 app: 10469376 / 31457280 = 33.28125 %
    expect(pctOfLimit(10_469_376, 31_457_280)).toBeCloseTo(33.28125, 10);
    expect(pctOfLimit(90, 100)).toBe(NEAR_LIMIT_PCT);
    expect(pctOfLimit(10, 'unlimited')).toBeNull();
    expect(pctOfLimit(10, null)).toBeNull();
    expect(pctOfLimit(null, 100)).toBeNull();
    expect(pctOfLimit(10, 0)).toBeNull();
  });
});
