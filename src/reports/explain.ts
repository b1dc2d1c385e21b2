/**
 * Plain-language explanation of one discrepancy row: the seed article's reasoning, automated.
 * Every sentence is derived from the row's own decomposition (analysis/discrepancy.ts), so
 * it never claims more than the numbers show.
 */
import { shmemShareOfPageCache } from '../analysis/discrepancy.js';
import type { DockerFormula } from '../analysis/formulas.js';
import type { HostFacts } from '../model/bundle.js';
import type { DiscrepancyRow } from '../outputs/tables.js';

const MiB = 1024 * 1024;
export function mib(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'n/a';
  const v = bytes / MiB;
  return Math.abs(v) >= 1 ? `${v.toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/**
 * A limit for a table cell: its size, `unlimited` when the capture said there is none, `not
 * captured` when no source gave it (trends_daily.limit_unlimited NULL; discrepancy flag limit-unknown).
 */
export function limitText(bytes: number | null, unlimited: boolean | null): string {
  if (bytes !== null) return mib(bytes);
  return unlimited === true ? 'unlimited' : 'not captured';
}

/** "Docker 18.06" from "18.06.1-ce" / "docker://18.6.1"; else the formula's era. */
function dockerName(row: Pick<DiscrepancyRow, 'docker_formula'>, host?: HostFacts): string {
  const raw = host?.dockerVersion ?? (host?.containerRuntime?.startsWith('docker://') ? host.containerRuntime.slice('docker://'.length) : undefined);
  const m = raw ? /^(\d+)\.(\d+)/.exec(raw) : null;
  // Up to 20.10 Docker versions were YY.MM (18.06 — the runtime string says 18.6.1); since 23.0, semver.
  if (m) return `Docker ${m[1]}.${Number(m[1]) <= 20 ? m[2]!.padStart(2, '0') : m[2]}`;
  if (row.docker_formula === 'raw-usage') return 'the Docker CLI (< 17.06: raw usage)';
  if (row.docker_formula === 'legacy') return 'the Docker CLI (≤ 19.03 formula)';
  if (row.docker_formula === 'modern') return 'the Docker CLI (≥ 20.10 formula)';
  return 'docker stats';
}

function who(row: Pick<DiscrepancyRow, 'namespace' | 'pod' | 'container' | 'level'>): string {
  const pod = `${row.namespace ?? '?'}/${row.pod ?? '?'}`;
  return row.level === 'pod' ? `pod ${pod}` : `${pod} container ${row.container ?? '?'}`;
}

/**
 * One paragraph: what each tool said, which memory makes the difference, whether that memory
 * is reclaimable, and what each enforcement mechanism (kubelet eviction, the OOM killer) counts.
 * `appsActiveFile`, for a pod row: the kernel's active_file summed over its app containers (NULL
 * when one of them had none), the counterpart of the pod row's page-cache term, which sums theirs;
 * without it a pod row's own cgroup active_file stands in.
 */
export function explainRow(row: DiscrepancyRow, host?: HostFacts, appsActiveFile?: number | null): string {
  const parts: string[] = [];
  const docker = dockerName(row, host);
  const top = row.kubectl_top_bytes;
  const ds = row.docker_stats_bytes;
  if (row.flags.includes('pause-container') || row.container === 'POD') {
    return `${who(row)} is the pause (k8s_POD_) container: kubectl top never includes it, so comparing its docker stats row (${mib(ds)}) with kubectl top compares different containers.`;
  }
  if (top === null || ds === null) {
    const missing = top === null ? 'kubectl top (kubelet/metrics-server)' : 'docker stats';
    return `${who(row)}: ${missing} had no number in this capture (a node without Docker has none), so the gap cannot be measured${row.working_set_bytes !== null ? `; the cgroup working set was ${mib(row.working_set_bytes)}` : ''}.`;
  }
  parts.push(`${who(row)}: kubectl top says ${mib(top)}, ${docker} says ${mib(ds)} (gap ${mib(row.gap_bytes)}).`);
  const pageCache = row.gap_page_cache_bytes ?? 0;
  const shmemPart = shmemShareOfPageCache(row.docker_formula as DockerFormula, row.shmem_bytes, pageCache);
  // The page-cache term less tmpfs: what kubectl top counts and docker stats subtracts, besides tmpfs.
  const cacheTerm = pageCache - shmemPart;
  // Secondary parts below 2 % of the gap are noise next to it: not worth a sentence.
  const minor = Math.max(4096, 0.02 * Math.abs(row.gap_bytes ?? 0));
  if (Math.abs(cacheTerm) > 4096) {
    if (cacheTerm > 0) {
      // Active page cache is the kernel's active_file where it was reported, never a difference
      // (one that can hold kernel memory and other pages); the difference only when it was not.
      const active = row.level === 'pod' && appsActiveFile !== undefined ? appsActiveFile : row.active_file_bytes;
      if (active !== null) {
        parts.push(`kubectl top counts ${mib(active)} of active page cache that ${docker} subtracts; reclaimable under pressure, yet kubelet eviction counts it.`);
        if (Math.abs(cacheTerm - active) > minor) parts.push(`The other ${mib(cacheTerm - active)} that ${docker} subtracts is neither active_file nor tmpfs.`);
      } else {
        parts.push(`kubectl top counts ${mib(cacheTerm)} of active page cache that ${docker} subtracts (estimated as the page-cache term less tmpfs: no active_file was captured for this row, so it may hold other memory); reclaimable under pressure, yet kubelet eviction counts it.`);
      }
    } else if (row.docker_formula === 'raw-usage') parts.push(`${docker} counts ${mib(-cacheTerm)} of inactive page cache that kubectl top leaves out (before 17.06 the CLI showed usage itself).`);
    else parts.push(`${docker} counts ${mib(-cacheTerm)} more than the working set (its formula has no clamp where the kubelet's clamps at 0).`);
  }
  if (shmemPart > 4096) parts.push(`${mib(shmemPart)} is tmpfs/shared memory: ${docker} subtracts it as cache, but it cannot be reclaimed without swap and counts toward the OOM limit.`);
  const rounding = row.gap_rounding_bytes ?? 0;
  if (Math.abs(rounding) > minor) parts.push(`${mib(Math.abs(rounding))} is the Docker CLI printing only 4 significant digits.`);
  const skew = row.gap_skew_bytes ?? 0;
  if (Math.abs(skew) > minor) parts.push(`${mib(Math.abs(skew))} comes from the tools sampling at different instants (memory moved ${skew > 0 ? 'up' : 'down'} in between).`);
  const residual = row.gap_residual_bytes ?? 0;
  if (Math.abs(residual) > minor) parts.push(`${mib(residual)} is not explained by page cache, tmpfs, rounding or timing: look closer.`);
  if (row.flags.includes('container-mismatch')) parts.push("Careful: the only docker stats row captured for this pod is its k8s_POD_ pause container, not the app container kubectl top measures.");
  if (row.cause === 'none' && parts.length === 1) parts.push('The tools agree within their tolerance.');
  if (row.working_set_pct_of_limit !== null && row.limit_bytes !== null) {
    parts.push(`Working set is ${row.working_set_pct_of_limit.toFixed(1)} % of the ${mib(row.limit_bytes)} limit${row.flags.includes('near-limit') ? ' — near the limit' : ''}.`);
  }
  return parts.join(' ');
}
