import { describe, expect, it } from 'vitest';
import { discrepancyRows, PAGE_TOLERANCE_BYTES } from '../../src/analysis/discrepancy.js';
import { cgroupQuantities } from '../../src/analysis/formulas.js';
import { makeSample, type Sample } from '../../src/model/sample.js';
import type { HostFacts } from '../../src/model/bundle.js';
import { explainRow } from '../../src/reports/explain.js';
import { renderStoryTable, storyOf } from '../../src/reports/pod-story.js';

const MiB = 1024 * 1024;
const AT = new Date('2020-02-03T05:30:57Z');
const UID = '3f6d2a1e-0b7c-4c1e-9a55-6a1f2f0d9e11';
const APP_ID = 'a'.repeat(64);
const PAUSE_ID = 'db369d0c34bd' + 'b'.repeat(52);

function kubelet(ws: number, usage: number, at = AT, container = 'busybox'): Sample {
  return makeSample('kubelet', { sampledAt: at, identity: { level: 'container', namespace: 'default', pod: 'busybox', podUid: UID, container }, memory: { workingSet: ws, usage } });
}
function cgroupV1(stat: Record<string, number>, usage: number, id = APP_ID, limit: number | 'unlimited' | null = 'unlimited'): Sample {
  return makeSample('cgroup', {
    sampledAt: AT,
    identity: { level: 'container', podUid: UID, containerId: id, cgroupPath: `/kubepods/besteffort/pod${UID}/${id}` },
    memory: cgroupQuantities(stat, 1, { usage, limit }),
    stat,
    cgroupVersion: 1,
  });
}
function cgroupV2(stat: Record<string, number>, usage: number, limit: number | 'unlimited' = 'unlimited'): Sample {
  return makeSample('cgroup', {
    sampledAt: AT,
    identity: { level: 'container', podUid: UID, containerId: APP_ID, cgroupPath: `/kubepods.slice/x/cri-containerd-${APP_ID}.scope` },
    memory: cgroupQuantities(stat, 2, { usage, limit }),
    stat,
    cgroupVersion: 2,
  });
}
function dockerCli(text: string, bytes: number, uncertaintyBytes: number, name: string, id: string): Sample {
  return makeSample('docker-cli', {
    identity: { level: 'container', containerId: id.slice(0, 12), runtimeName: name, namespace: 'default', pod: 'busybox', podUid: UID, container: name.split('_')[1]!, isPause: name.startsWith('k8s_POD_') },
    reported: { bytes, uncertaintyBytes, text },
  });
}
const rows = (samples: Sample[], host: HostFacts) => discrepancyRows(samples, { capturedAt: AT, node: 'n1', host });
const containerRow = (r: ReturnType<typeof rows>, name: string) => r.find((x) => x.level === 'container' && x.container === name)!;
const podRow = (r: ReturnType<typeof rows>) => r.find((x) => x.level === 'pod')!;

// The seed article after `less file100`: usage 105971712, working set 105963520, rss 106496.
// cache = usage − rss = 105865216; inactive_file = usage − working set = 8192;
// active_file = cache − inactive = 105857024 (no shmem).
const ARTICLE_STAT = { total_cache: 105_865_216, total_rss: 106_496, total_inactive_file: 8192, total_active_file: 105_857_024, total_shmem: 0, cache: 105_865_216, rss: 106_496, inactive_file: 8192, active_file: 105_857_024 };
const ARTICLE_USAGE = 105_971_712;

describe('discrepancy: the seed article', () => {
  const docker1806: HostFacts = { dockerVersion: '18.06.1-ce', cgroupVersion: 1 };

  it('kubelet 105963520 vs Docker 18.06 106496: the whole gap is active page cache', () => {
    const r = containerRow(rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(ARTICLE_STAT, ARTICLE_USAGE)], docker1806), 'busybox');
    expect(r.kubectl_top_bytes).toBe(105_963_520);
    expect(r.docker_stats_bytes).toBe(ARTICLE_USAGE - 105_865_216); // legacy: usage − cache = 106496
    expect(r.docker_formula).toBe('legacy');
    expect(r.gap_bytes).toBe(105_963_520 - 106_496);
    expect(r.gap_page_cache_bytes).toBe(105_857_024); // = total_active_file
    expect(r.gap_rounding_bytes).toBe(0);
    expect(r.gap_skew_bytes).toBe(0);
    expect(r.gap_residual_bytes).toBe(0);
    expect(r.cause).toBe('page-cache');
    expect(r.flags).toContain('no-limit');
    expect(r.limit_bytes).toBeNull();
    expect(r.working_set_pct_of_limit).toBeNull();
  });

  it('the pause container row the article compared is flagged as a container mismatch', () => {
    // 620KiB printed = 634880 bytes, ± half a KiB digit? %.4g of 620.0 prints "620": ± 0.05 KiB.
    const all = rows(
      [kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(ARTICLE_STAT, ARTICLE_USAGE), dockerCli('620KiB', 620 * 1024, 51.2, `k8s_POD_busybox_default_${UID}_0`, PAUSE_ID)],
      docker1806,
    );
    const pause = containerRow(all, 'POD');
    expect(pause.kubectl_top_bytes).toBeNull(); // kubectl top never shows the pause container
    expect(pause.docker_stats_bytes).toBe(634_880);
    expect(pause.cause).toBe('container-mismatch');
    expect(pause.flags).toEqual(expect.arrayContaining(['pause-container', 'cli-rounding']));
    const pod = podRow(all);
    expect(pod.kubectl_top_bytes).toBe(105_963_520);
    expect(pod.docker_stats_bytes).toBe(106_496); // app containers only: pause excluded
    expect(pod.flags).toContain('container-mismatch');
    expect(pod.cause).toBe('page-cache');
  });

  it('on Docker ≥ 20.10 the same numbers agree (modern formula subtracts only inactive_file)', () => {
    const r = containerRow(rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(ARTICLE_STAT, ARTICLE_USAGE)], { dockerVersion: '20.10.8' }), 'busybox');
    expect(r.docker_stats_bytes).toBe(ARTICLE_USAGE - 8192);
    expect(r.gap_bytes).toBe(0);
    expect(r.cause).toBe('none');
  });
});

describe('discrepancy: causes', () => {
  it('tmpfs: the legacy formula subtracts shmem as cache; cause shmem', () => {
    // anon 60 MiB; file cache: active 15, inactive 25, shmem 380 → cache 420, usage 480 MiB.
    const stat = { total_rss: 60 * MiB, total_cache: 420 * MiB, total_active_file: 15 * MiB, total_inactive_file: 25 * MiB, total_shmem: 380 * MiB, cache: 420 * MiB };
    const usage = 480 * MiB;
    const r = containerRow(rows([kubelet(455 * MiB, usage), cgroupV1(stat, usage, APP_ID, 512 * MiB)], { dockerVersion: '18.09.7' }), 'busybox');
    expect(r.docker_stats_bytes).toBe(60 * MiB);
    expect(r.gap_bytes).toBe(395 * MiB);
    expect(r.gap_page_cache_bytes).toBe(395 * MiB); // 15 active + 380 shmem
    expect(r.cause).toBe('shmem');
    expect(r.working_set_pct_of_limit).toBeCloseTo((100 * 455) / 512, 10);
    expect(r.flags).not.toContain('near-limit'); // 88.9 % < 90 %
  });

  it('near-limit at ≥ 90 % of the limit', () => {
    const stat = { anon: 460 * MiB, file: 10 * MiB, inactive_file: 4 * MiB, active_file: 6 * MiB, shmem: 0 };
    const usage = 470 * MiB;
    const r = containerRow(rows([kubelet(466 * MiB, usage), cgroupV2(stat, usage, 512 * MiB)], { dockerVersion: '24.0.7' }), 'busybox');
    expect(r.working_set_pct_of_limit).toBeCloseTo((100 * 466) / 512, 10); // 91.0 %
    expect(r.flags).toContain('near-limit');
    expect(r.cause).toBe('none');
  });

  it('CLI rounding: 2.352MiB printed for 2466000 exact bytes', () => {
    // %.4g → 2.352 MiB = 2466250.752 B, ± 0.0005 MiB = 524.288 B.
    const stat = { anon: 2_000_000, file: 470_000, inactive_file: 4000, active_file: 466_000 };
    const usage = 2_470_000;
    const printed = 2.352 * MiB;
    const r = containerRow(
      rows([kubelet(usage - 4000, usage), cgroupV2(stat, usage), dockerCli('2.352MiB', printed, 0.0005 * MiB, `k8s_busybox_busybox_default_${UID}_0`, APP_ID)], { dockerVersion: '24.0.7' }),
      'busybox',
    );
    expect(r.docker_stats_bytes).toBe(Math.round(printed));
    expect(r.gap_rounding_bytes).toBe(Math.round(2_466_000 - printed)); // −251
    expect(r.gap_page_cache_bytes).toBe(0);
    expect(r.flags).toContain('cli-rounding');
    expect(Math.abs(r.gap_bytes!)).toBeLessThanOrEqual(PAGE_TOLERANCE_BYTES);
    expect(r.cause).toBe('none');
  });

  it('infers the legacy formula from the printed value when no Docker version is known', () => {
    // legacy: usage − cache = 106496 B = 104KiB exactly; modern would print ~101.1MiB.
    const r = containerRow(
      rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(ARTICLE_STAT, ARTICLE_USAGE), dockerCli('104KiB', 104 * 1024, 51.2, `k8s_busybox_busybox_default_${UID}_0`, APP_ID)], {}),
      'busybox',
    );
    expect(r.docker_formula).toBe('legacy');
    expect(r.flags).toContain('formula-inferred');
    expect(r.cause).toBe('page-cache');
  });

  describe('formula inference from the printed figure (no Docker version known)', () => {
    const appCli = (text: string, bytes: number, uncertainty: number) => dockerCli(text, bytes, uncertainty, `k8s_busybox_busybox_default_${UID}_0`, APP_ID);

    it('one page apart: only the ≤ 19.03 formula prints the pasted 2.148MiB, so it is legacy (not 4 KiB unexplained)', () => {
      // rss 2252800 (550 pages); active_file 4096 (one page); inactive_file 1 MiB = 1048576; no shmem.
      // cache = 4096 + 1048576 = 1052672; usage = 2252800 + 1052672 = 3305472.
      //   raw usage 3305472 / 2^20 = 3.15234375 → %.4g → "3.152MiB"
      //   legacy    usage − cache = 2252800 / 2^20 = 2.1484375 → "2.148MiB"   ← the pasted text
      //   modern    usage − inactive = 2256896 / 2^20 = 2.15234375 → "2.152MiB"
      // Within the old tolerance (± 0.0005 MiB = 524.288 B, + 4096 B of fuzz = 4620.288 B) both legacy
      // (458.752 B away) and modern (4554.752 B away) fitted; only legacy reproduces the text.
      const stat = { total_rss: 2_252_800, total_cache: 1_052_672, cache: 1_052_672, total_active_file: 4096, total_inactive_file: 1_048_576, total_shmem: 0 };
      const usage = 3_305_472;
      const printed = 2.148 * MiB; // 2252341.248 B
      const r = containerRow(rows([kubelet(2_256_896, usage), cgroupV1(stat, usage), appCli('2.148MiB', printed, 0.0005 * MiB)], {}), 'busybox');
      expect(r.docker_formula).toBe('legacy');
      expect(r.flags).toEqual(expect.arrayContaining(['formula-inferred', 'cli-rounding']));
      expect(r.docker_stats_bytes).toBe(2_252_341); // round(2252341.248)
      // gap = 2256896 − 2252341.248 = 4554.752 → 4555
      expect(r.gap_bytes).toBe(4555);
      // page cache = working set − legacy = 2256896 − 2252800 = 4096 (the one active page)
      expect(r.gap_page_cache_bytes).toBe(4096);
      // rounding = legacy − printed = 2252800 − 2252341.248 = 458.752 → 459
      expect(r.gap_rounding_bytes).toBe(459);
      expect(r.gap_skew_bytes).toBe(0);
      // residual = 4554.752 − 4096 − 458.752 = 0
      expect(r.gap_residual_bytes).toBe(0);
      expect(r.cause).toBe('page-cache');
    });

    it('several formulas print the same text with different values: unknown, no formula-inferred', () => {
      // rss 2 GiB = 2147483648; active 4096; inactive 1 MiB; cache 1052672; usage 2148536320.
      //   legacy 2147483648 / 2^30 = 2 → "2GiB"; modern 2147487744 / 2^30 = 2.0000038… → "2GiB";
      //   raw 2148536320 / 2^30 = 2.00098 → "2.001GiB". Two reproduce "2GiB" and disagree by 4096 B.
      const stat = { total_rss: 2 ** 31, total_cache: 1_052_672, cache: 1_052_672, total_active_file: 4096, total_inactive_file: 1_048_576 };
      const usage = 2 ** 31 + 1_052_672;
      const r = containerRow(rows([kubelet(usage - 1_048_576, usage), cgroupV1(stat, usage), appCli('2GiB', 2 ** 31, 0.0005 * 2 ** 30)], {}), 'busybox');
      expect(r.docker_formula).toBe('unknown');
      expect(r.flags).not.toContain('formula-inferred');
      expect(r.gap_page_cache_bytes).toBeNull();
    });

    it('raw usage reproduces the binary figure of a Docker 1.12–17.05 CLI: formula raw-usage, page cache counted by docker', () => {
      // rss 100 MiB; active 10 MiB; inactive 50 MiB; cache 60 MiB; usage 160 MiB.
      //   raw "160MiB" ← pasted; legacy 100 MiB "100MiB"; modern 110 MiB "110MiB".
      const stat = { total_rss: 100 * MiB, total_cache: 60 * MiB, cache: 60 * MiB, total_active_file: 10 * MiB, total_inactive_file: 50 * MiB };
      const usage = 160 * MiB;
      const r = containerRow(rows([kubelet(110 * MiB, usage), cgroupV1(stat, usage), appCli('160MiB', 160 * MiB, 0.05 * MiB)], {}), 'busybox');
      expect(r.docker_formula).toBe('raw-usage');
      expect(r.flags).toContain('formula-inferred');
      // gap = 110 − 160 = −50 MiB, all of it the inactive page cache docker counted and the kubelet did not
      expect(r.gap_bytes).toBe(-50 * MiB);
      expect(r.gap_page_cache_bytes).toBe(-50 * MiB);
      expect(r.gap_rounding_bytes).toBe(0);
      expect(r.gap_residual_bytes).toBe(0);
      expect(r.cause).toBe('page-cache');
    });

    it('decimal units date the CLI before moby PR #21773: raw usage, whatever the numbers', () => {
      // Same container. HumanSize of 160 MiB = 167772160 B: /1000 /1000 = 167.77216 → %.4g → "167.8 MB".
      // printed 167.8 MB = 167800000 ± 0.05 MB = 50000 B.
      const stat = { total_rss: 100 * MiB, total_cache: 60 * MiB, cache: 60 * MiB, total_active_file: 10 * MiB, total_inactive_file: 50 * MiB };
      const usage = 160 * MiB;
      const r = containerRow(rows([kubelet(110 * MiB, usage), cgroupV1(stat, usage), appCli('167.8 MB', 167_800_000, 50_000)], {}), 'busybox');
      expect(r.docker_formula).toBe('raw-usage');
      expect(r.flags).toContain('formula-inferred');
      expect(r.docker_stats_bytes).toBe(167_800_000);
      // gap = 115343360 − 167800000 = −52456640; page cache = 115343360 − 167772160 = −52428800 (−50 MiB);
      // rounding = raw − printed = 167772160 − 167800000 = −27840 (within ± 50000); residual 0
      expect(r.gap_bytes).toBe(-52_456_640);
      expect(r.gap_page_cache_bytes).toBe(-52_428_800);
      expect(r.gap_rounding_bytes).toBe(-27_840);
      expect(r.gap_residual_bytes).toBe(0);
    });

    it('one CLI printed every row: a figure that decides names the formula of the containers with no docker stats row', () => {
      // Pod A as in the one-page case above: its "2.148MiB" reproduces only under the legacy formula.
      const statA = { total_rss: 2_252_800, total_cache: 1_052_672, cache: 1_052_672, total_active_file: 4096, total_inactive_file: 1_048_576, total_shmem: 0 };
      const podA = [kubelet(2_256_896, 3_305_472), cgroupV1(statA, 3_305_472), appCli('2.148MiB', 2.148 * MiB, 0.0005 * MiB)];
      // Pod B, no docker stats row: rss 50 MiB, active 20 MiB, inactive 10 MiB → cache 30, usage 80, working set 70 MiB.
      const uidB = '7d0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
      const idB = 'e'.repeat(64);
      const statB = { total_rss: 50 * MiB, total_cache: 30 * MiB, cache: 30 * MiB, total_active_file: 20 * MiB, total_inactive_file: 10 * MiB };
      const podB = [
        makeSample('kubelet', { sampledAt: AT, identity: { level: 'container', namespace: 'default', pod: 'worker', podUid: uidB, container: 'worker' }, memory: { workingSet: 70 * MiB, usage: 80 * MiB } }),
        makeSample('cgroup', { sampledAt: AT, identity: { level: 'container', podUid: uidB, containerId: idB, cgroupPath: `/kubepods/besteffort/pod${uidB}/${idB}` }, memory: cgroupQuantities(statB, 1, { usage: 80 * MiB, limit: 'unlimited' }), stat: statB, cgroupVersion: 1 }),
      ];
      const worker = (all: ReturnType<typeof rows>) => all.find((x) => x.level === 'container' && x.container === 'worker')!;

      const alone = worker(rows(podB, {}));
      expect(alone.docker_formula).toBe('unknown');
      expect(alone.docker_stats_bytes).toBeNull();

      const r = worker(rows([...podA, ...podB], {}));
      expect(r.docker_formula).toBe('legacy');
      expect(r.flags).toContain('formula-inferred');
      // legacy: usage − cache = 80 − 30 = 50 MiB; gap = 70 − 50 = 20 MiB = the active page cache
      expect(r.docker_stats_bytes).toBe(50 * MiB);
      expect(r.gap_bytes).toBe(20 * MiB);
      expect(r.gap_page_cache_bytes).toBe(20 * MiB);

      // A third figure that decides 'modern' (rss 10, active 2, inactive 1 MiB: "12MiB" is usage − inactive only)
      // contradicts pod A: then no figure speaks for the others.
      const uidC = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';
      const idC = 'f'.repeat(64);
      const statC = { total_rss: 10 * MiB, total_cache: 3 * MiB, cache: 3 * MiB, total_active_file: 2 * MiB, total_inactive_file: MiB };
      const podC = [
        makeSample('cgroup', { sampledAt: AT, identity: { level: 'container', podUid: uidC, containerId: idC, cgroupPath: `/kubepods/besteffort/pod${uidC}/${idC}` }, memory: cgroupQuantities(statC, 1, { usage: 13 * MiB, limit: 'unlimited' }), stat: statC, cgroupVersion: 1 }),
        makeSample('docker-cli', { identity: { level: 'container', containerId: idC.slice(0, 12), runtimeName: `k8s_c_c_default_${uidC}_0`, namespace: 'default', pod: 'c', podUid: uidC, container: 'c' }, reported: { bytes: 12 * MiB, uncertaintyBytes: 0.005 * MiB, text: '12MiB' } }),
      ];
      const mixed = rows([...podA, ...podB, ...podC], {});
      expect(mixed.find((x) => x.container === 'c')!.docker_formula).toBe('modern');
      expect(worker(mixed).docker_formula).toBe('unknown');
    });

    it('a known Docker 1.13.1 host needs no inference: raw usage from memory.stat', () => {
      const r = containerRow(rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(ARTICLE_STAT, ARTICLE_USAGE)], { dockerVersion: '1.13.1' }), 'busybox');
      expect(r.docker_formula).toBe('raw-usage');
      expect(r.flags).not.toContain('formula-inferred');
      // docker = usage 105971712; gap = 105963520 − 105971712 = −8192 = −total_inactive_file
      expect(r.docker_stats_bytes).toBe(ARTICLE_USAGE);
      expect(r.gap_bytes).toBe(-8192);
      expect(r.gap_page_cache_bytes).toBe(-8192);
    });

    it('the explanation names the era and the inactive cache, not a missing clamp', () => {
      // 160 MiB usage, 50 MiB inactive: docker 160 MiB, kubectl top 110 MiB
      const stat = { total_rss: 100 * MiB, total_cache: 60 * MiB, cache: 60 * MiB, total_active_file: 10 * MiB, total_inactive_file: 50 * MiB };
      const r = containerRow(rows([kubelet(110 * MiB, 160 * MiB), cgroupV1(stat, 160 * MiB)], {}), 'busybox');
      expect(r.docker_formula).toBe('unknown'); // no CLI figure, no version: nothing to infer from
      const old = containerRow(rows([kubelet(110 * MiB, 160 * MiB), cgroupV1(stat, 160 * MiB), appCli('160MiB', 160 * MiB, 0.05 * MiB)], {}), 'busybox');
      const text = explainRow(old);
      expect(text).toContain('the Docker CLI (< 17.06: raw usage) says 160.0 MiB');
      expect(text).toContain('counts 50.0 MiB of inactive page cache that kubectl top leaves out');
      expect(text).not.toContain('clamp');
    });
  });

  describe('limit: unlimited and not captured are told apart', () => {
    it('memory.limit_in_bytes not collected, memory.stat without hierarchical_memory_limit: limit-unknown, never no-limit', () => {
      const all = rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(ARTICLE_STAT, ARTICLE_USAGE, APP_ID, null)], { dockerVersion: '18.06.1-ce' });
      const r = containerRow(all, 'busybox');
      expect(r.limit_bytes).toBeNull();
      expect(r.flags).toContain('limit-unknown');
      expect(r.flags).not.toContain('no-limit');
      expect(r.working_set_pct_of_limit).toBeNull();
      // the pod cgroup was not captured either: its row says so too
      expect(podRow(all).flags).toContain('limit-unknown');
      expect(podRow(all).flags).not.toContain('no-limit');
    });

    it('explain (the pod story) says "not captured", never "no limit", when no limit was collected', () => {
      const story = (limit: number | 'unlimited' | null) => {
        // the pod cgroup too, with the same limit file (or none)
        const podCgroup = makeSample('cgroup', { sampledAt: AT, identity: { level: 'pod', podUid: UID, cgroupPath: `/kubepods/besteffort/pod${UID}` }, memory: cgroupQuantities(ARTICLE_STAT, 1, { usage: ARTICLE_USAGE, limit }), stat: ARTICLE_STAT, cgroupVersion: 1 });
        const all = rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(ARTICLE_STAT, ARTICLE_USAGE, APP_ID, limit), podCgroup], { dockerVersion: '18.06.1-ce' });
        expect(podRow(all).flags).toContain(limit === null ? 'limit-unknown' : 'no-limit');
        return renderStoryTable(storyOf('default', 'busybox', AT.getTime() - 1, AT.getTime() + 1, all, ['c1']));
      };
      const unknown = story(null);
      expect(unknown).toContain('(limit not captured)');
      expect(unknown).toContain('not captured');
      expect(unknown).not.toMatch(/no limit|unlimited/);
      const unlimited = story('unlimited');
      expect(unlimited).toContain('(no limit)');
      expect(unlimited).not.toContain('not captured');
    });

    it('memory.stat alone with the v1 sentinel hierarchical_memory_limit 9223372036854771712: no-limit', () => {
      const stat = { ...ARTICLE_STAT, hierarchical_memory_limit: 9_223_372_036_854_771_712 };
      const r = containerRow(rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(stat, ARTICLE_USAGE, APP_ID, null)], { dockerVersion: '18.06.1-ce' }), 'busybox');
      expect(r.limit_bytes).toBeNull();
      expect(r.flags).toContain('no-limit');
      expect(r.flags).not.toContain('limit-unknown');
    });

    it('memory.stat alone with hierarchical_memory_limit 134217728 (128 MiB): that is the limit', () => {
      const stat = { ...ARTICLE_STAT, hierarchical_memory_limit: 128 * MiB };
      const r = containerRow(rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(stat, ARTICLE_USAGE, APP_ID, null)], { dockerVersion: '18.06.1-ce' }), 'busybox');
      expect(r.limit_bytes).toBe(128 * MiB);
      expect(r.flags).not.toContain('no-limit');
      expect(r.flags).not.toContain('limit-unknown');
      // 100 × 105963520 / 134217728 = 78.95 %
      expect(r.working_set_pct_of_limit).toBeCloseTo((100 * 105_963_520) / (128 * MiB), 10);
    });
  });

  it('time skew: the kubelet sampled 10 s earlier, 1 MiB lower', () => {
    const stat = { anon: 100 * MiB, file: 20 * MiB, inactive_file: 10 * MiB, active_file: 10 * MiB };
    const usage = 120 * MiB; // working set now: 110 MiB; the kubelet saw 109 MiB
    const r = containerRow(rows([kubelet(109 * MiB, 119 * MiB, new Date(AT.getTime() - 10_000)), cgroupV2(stat, usage)], { dockerVersion: '24.0.7' }), 'busybox');
    expect(r.docker_stats_bytes).toBe(110 * MiB);
    expect(r.gap_bytes).toBe(-1 * MiB);
    expect(r.gap_skew_bytes).toBe(-1 * MiB);
    expect(r.gap_residual_bytes).toBe(0);
    expect(r.cause).toBe('time-skew');
    expect(r.flags).toContain('time-skew');
  });

  it('same instant but different numbers: reported as unexplained, never hidden', () => {
    const stat = { anon: 100 * MiB, file: 20 * MiB, inactive_file: 10 * MiB, active_file: 10 * MiB };
    const r = containerRow(rows([kubelet(115 * MiB, 125 * MiB), cgroupV2(stat, 120 * MiB)], { dockerVersion: '24.0.7' }), 'busybox');
    expect(r.gap_bytes).toBe(5 * MiB);
    expect(r.gap_skew_bytes).toBe(0);
    expect(r.gap_residual_bytes).toBe(5 * MiB);
    expect(r.cause).toBe('unexplained');
  });

  it('inactive_file > usage: the kubelet clamps to 0, modern Docker shows usage itself', () => {
    const stat = { anon: 0, file: 2_000_000, inactive_file: 2_000_000, active_file: 0 };
    const usage = 1_000_000;
    // Only the cgroup files: the container is known by id alone.
    const r = rows([cgroupV2(stat, usage)], { dockerVersion: '24.0.7' }).find((x) => x.container_id === APP_ID)!;
    expect(r.container).toBeNull();
    expect(r.kubectl_top_bytes).toBe(0);
    expect(r.docker_stats_bytes).toBe(1_000_000);
    expect(r.gap_page_cache_bytes).toBe(-1_000_000);
    expect(r.flags).toContain('inactive-exceeds-usage');
  });

  it('no Docker on the host: docker_stats is NULL and the cause says a source is missing', () => {
    const r = containerRow(rows([kubelet(105_963_520, ARTICLE_USAGE)], { containerRuntime: 'containerd://1.7.11' }), 'busybox');
    expect(r.docker_stats_bytes).toBeNull();
    expect(r.gap_bytes).toBeNull();
    expect(r.gap_page_cache_bytes).toBeNull();
    expect(r.docker_formula).toBe('unknown');
    expect(r.cause).toBe('missing-source');
    expect(r.flags).toContain('missing-source');
    expect(r.rss_bytes).toBeNull(); // never 0 for a value no source gave
  });

  it('joins the kubelet container (name, no id) with the sole cgroup container of its pod (id, no name)', () => {
    const all = rows([kubelet(105_963_520, ARTICLE_USAGE), cgroupV1(ARTICLE_STAT, ARTICLE_USAGE)], { dockerVersion: '18.06.1-ce' });
    expect(all.filter((r) => r.level === 'container')).toHaveLength(1);
    expect(containerRow(all, 'busybox').container_id).toBe(APP_ID);
  });
});
