/**
 * Every memory formula memgap uses, once, beside the code it reproduces. Citations name the
 * upstream files (and lines) each formula follows.
 */
import type { MemoryQuantities } from '../model/sample.js';

export type CgroupVersion = 1 | 2;
/**
 * The three eras of `docker stats` MEM USAGE (see dockerRawUsage, dockerLegacy, dockerModern):
 * 'raw-usage' before 17.06, 'legacy' 17.06–19.03, 'modern' since 20.10.
 */
export const DOCKER_FORMULAS = ['raw-usage', 'legacy', 'modern', 'unknown'] as const;
export type DockerFormula = (typeof DOCKER_FORMULAS)[number];

export const MiB = 1024 * 1024;

/**
 * Kernel page-rounded "unlimited" on cgroup v1 (9223372036854771712) and cAdvisor's rule:
 * `isMemoryUnlimited(v) = v > 1<<62` ("not MaxInt64 due to rounding by the kernel"),
 * kubernetes pkg/kubelet/stats/helper.go.
 */
export const UNLIMITED_THRESHOLD = 2 ** 62;

/** A limit value as read: v2 `max` and v1 values ≥ 2^62 are unlimited (OCI-CG fscommon GetCgroupParamUint). */
export function interpretLimit(raw: number | 'max'): number | 'unlimited' {
  if (raw === 'max' || raw >= UNLIMITED_THRESHOLD) return 'unlimited';
  return raw;
}

/**
 * Reads a key from a memory.stat map, preferring the hierarchical `total_` key on v1. Both names
 * are spelled out by the caller: a name built per lookup would be a new string to hash each time.
 */
function v1(stat: Readonly<Record<string, number>>, totalKey: `total_${string}`, key: string): number | null {
  const total = stat[totalKey];
  if (total !== undefined) return total;
  const local = stat[key];
  return local === undefined ? null : local;
}
function key(stat: Readonly<Record<string, number>>, name: string): number | null {
  const v = stat[name];
  return v === undefined ? null : v;
}

export interface CgroupFileValues {
  /** v1 memory.usage_in_bytes / v2 memory.current */
  usage: number | null;
  /** v1 memory.limit_in_bytes / v2 memory.max, already interpreted; null when not collected */
  limit: number | 'unlimited' | null;
  /** v2 memory.swap.current */
  swapCurrent?: number | null;
  /** v1 memory.kmem.usage_in_bytes */
  kmemUsage?: number | null;
}

/**
 * Cgroup quantities from memory.stat keys.
 * v1: total_<key> (hierarchical) else <key> — cAdvisor setMemoryStats, container/libcontainer/handler.go.
 * v2: anon/file/active_file/inactive_file/shmem/file_mapped; swap = memory.swap.current (OCI-CG fs2/memory.go);
 *     kernel = `kernel`, else kernel_stack+pagetables+slab+percpu+sock+vmalloc on older kernels (cgroup-v2.rst).
 * Working set per cAdvisor, see `workingSet`.
 */
export function cgroupQuantities(stat: Readonly<Record<string, number>>, version: CgroupVersion, files: CgroupFileValues): MemoryQuantities {
  const usage = files.usage;
  if (version === 1) {
    return {
      usage,
      workingSet: usage === null ? null : workingSet(usage, key(stat, 'total_inactive_file')),
      rss: v1(stat, 'total_rss', 'rss'),
      cache: v1(stat, 'total_cache', 'cache'),
      activeFile: v1(stat, 'total_active_file', 'active_file'),
      inactiveFile: v1(stat, 'total_inactive_file', 'inactive_file'),
      shmem: v1(stat, 'total_shmem', 'shmem'),
      mappedFile: v1(stat, 'total_mapped_file', 'mapped_file'),
      swap: v1(stat, 'total_swap', 'swap'),
      kernel: files.kmemUsage ?? null,
      limit: files.limit ?? hierarchicalLimit(stat),
    };
  }
  return {
    usage,
    workingSet: usage === null ? null : workingSet(usage, key(stat, 'inactive_file')),
    rss: key(stat, 'anon'),
    cache: key(stat, 'file'),
    activeFile: key(stat, 'active_file'),
    inactiveFile: key(stat, 'inactive_file'),
    shmem: key(stat, 'shmem'),
    mappedFile: key(stat, 'file_mapped'),
    swap: files.swapCurrent ?? null,
    kernel: v2Kernel(stat),
    limit: files.limit,
  };
}

/**
 * v1 memory.stat `hierarchical_memory_limit`: "# of bytes of memory limit with regard to hierarchy
 * under which the memory cgroup is" (cgroup-v1/memory.rst §5.2), i.e. the tightest
 * limit of the cgroup and its ancestors; the page-rounded sentinel 9223372036854771712 when none
 * of them has one. Used when memory.limit_in_bytes was not collected. Under
 * Kubernetes an unlimited container inherits the `kubepods` cgroup's limit here (node allocatable),
 * which is the limit its OOM kill would come from. cgroup v2's memory.stat has no limit key: there
 * only memory.max tells, and without it the limit stays unknown (null).
 */
export function hierarchicalLimit(stat: Readonly<Record<string, number>>): number | 'unlimited' | null {
  const v = stat['hierarchical_memory_limit'];
  return v === undefined ? null : interpretLimit(v);
}

function v2Kernel(stat: Readonly<Record<string, number>>): number | null {
  const kernel = key(stat, 'kernel');
  if (kernel !== null) return kernel;
  const parts = ['kernel_stack', 'pagetables', 'slab', 'percpu', 'sock', 'vmalloc'].map((k) => key(stat, k));
  if (parts.every((p) => p === null)) return null;
  return parts.reduce<number>((sum, p) => sum + (p ?? 0), 0);
}

/**
 * Working set, as cAdvisor computes it (setMemoryStats, CADV-0.49 L832-845) and as
 * kubelet, metrics-server, `kubectl top` and kubelet eviction use it: usage − inactive_file,
 * clamped at 0 when inactive_file > usage; usage itself when the key is absent.
 * The inactive key is always `total_inactive_file` on v1 and `inactive_file` on v2.
 */
export function workingSet(usage: number, inactiveFile: number | null): number {
  if (inactiveFile === null) return usage;
  return inactiveFile > usage ? 0 : usage - inactiveFile;
}

export function workingSetFromStat(usage: number, stat: Readonly<Record<string, number>>, version: CgroupVersion): number {
  return workingSet(usage, key(stat, version === 1 ? 'total_inactive_file' : 'inactive_file'));
}

/** True when the kubelet's clamp applies (flag `inactive-exceeds-usage`). */
export function inactiveExceedsUsage(usage: number, stat: Readonly<Record<string, number>>, version: CgroupVersion): boolean {
  const inactive = key(stat, version === 1 ? 'total_inactive_file' : 'inactive_file');
  return inactive !== null && inactive > usage;
}

/**
 * Docker CLI ≥ 20.10 `calculateMemUsageUnixNoCache` (docker/cli cli/command/container/stats_helpers.go,
 * CLI-29 L242-264, identical since v20.10.0):
 *   v1: total_inactive_file if present and < usage, else inactive_file (0 if absent) if < usage;
 *   v2: inactive_file if < usage; otherwise usage itself — no clamp to 0.
 * The v1/v2 distinction in the CLI is "is there a total_inactive_file key", reproduced here.
 */
export function dockerModern(usage: number, stat: Readonly<Record<string, number>>): number {
  const totalInactive = stat['total_inactive_file'];
  if (totalInactive !== undefined && totalInactive < usage) return usage - totalInactive;
  const inactive = stat['inactive_file'] ?? 0;
  if (inactive < usage) return usage - inactive;
  return usage;
}

/**
 * Docker CLI before 17.06: raw `usage`, no cache subtracted: `s.Memory = float64(v.MemoryStats.Usage)`
 * in moby/moby api/client/stats.go and api/client/container/stats_helpers.go, then
 * `mem = float64(v.MemoryStats.Usage)` in cli/command/container/stats_helpers.go, until docker/cli
 * PR #80 "Adjusted docker stats memory output" (merged 2017-05-17, first released in 17.06)
 * introduced calculateMemUsageUnixNoCache. Those CLIs printed it with go-units `HumanSize`
 * (decimal kB/MB/GB, `%.4g`, e.g. `284.3 MB / 16.66 GB`) until moby/moby PR #21773 (April 2016)
 * switched memory to `BytesSize` (binary units); so a decimal MEM USAGE dates the CLI to this era.
 */
export function dockerRawUsage(usage: number): number {
  return usage;
}

/**
 * Docker CLI 17.06–19.03: `float64(mem.Usage - mem.Stats["cache"])` (CLI-19 stats_helpers.go L229-231;
 * introduced by docker/cli PR #80, see dockerRawUsage). Go's unsigned subtraction wraps when cache > usage (the CLI then prints ~16EiB);
 * we return null in that case rather than a number no column can hold.
 * On v2 there is no `cache` key; old CLIs predate cgroup v2, so the formula is undefined there.
 */
export function dockerLegacy(usage: number, stat: Readonly<Record<string, number>>): number | null {
  const cache = stat['cache'];
  if (cache === undefined) return null;
  return cache > usage ? null : usage - cache;
}

export function dockerStatsFromStat(formula: DockerFormula, usage: number, stat: Readonly<Record<string, number>>): number | null {
  if (formula === 'modern') return dockerModern(usage, stat);
  if (formula === 'legacy') return dockerLegacy(usage, stat);
  if (formula === 'raw-usage') return dockerRawUsage(usage);
  return null;
}

/**
 * Which formula a Docker version implies: the change shipped in docker/cli v20.10.0
 * (commit a4a07c64, PR #2415); 17.06–19.03 subtract `cache` (docker/cli PR #80);
 * before 17.06 (1.x such as `1.13.1`, and `17.03.2-ce`, `17.05.0-ce`) the CLI printed raw usage.
 * Accepts `18.06.1-ce`, `20.10.8`, `v24.0.7`, `docker://18.6.1`, `1.13.1`; other runtimes' `<name>://…` give 'unknown'.
 */
export function dockerFormulaForVersion(version: string | undefined | null): DockerFormula {
  if (!version) return 'unknown';
  // A CRI runtime string (`containerd://1.6.0`, `cri-o://1.25.0`) is no Docker version: its number says nothing about the CLI.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(version);
  if (scheme && scheme[1]!.toLowerCase() !== 'docker') return 'unknown';
  const m = /(?:^|[^0-9])(\d+)\.(\d+)/.exec(version.replace(/^docker:\/\//i, ' '));
  if (!m) return 'unknown';
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major < 17 || (major === 17 && minor < 6)) return 'raw-usage';
  if (major < 20) return 'legacy';
  if (major === 20 && minor < 10) return 'legacy';
  return 'modern';
}

/** `kubectl top` prints `quantity.Value()/(1024*1024)` + "Mi": integer division (KUBECTL metrics_printer.go L244-253). */
export function kubectlTopDisplay(bytes: number): string {
  return `${Math.floor(bytes / MiB)}Mi`;
}

/** The metrics-server/kubelet `availableBytes` rule inverted: limit = availableBytes + workingSetBytes. */
export function limitFromAvailable(availableBytes: number | null | undefined, workingSetBytes: number | null | undefined): number | 'unlimited' | null {
  if (workingSetBytes === null || workingSetBytes === undefined) return null;
  if (availableBytes === null || availableBytes === undefined) return 'unlimited';
  return availableBytes + workingSetBytes;
}

/** Threshold of flag `near-limit` (docs/columns.md). */
export const NEAR_LIMIT_PCT = 90;

export function pctOfLimit(workingSetBytes: number | null, limit: number | 'unlimited' | null): number | null {
  if (workingSetBytes === null || limit === null || limit === 'unlimited' || limit === 0) return null;
  return (100 * workingSetBytes) / limit;
}
