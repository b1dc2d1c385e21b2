/**
 * What makes the agent upload at once instead of waiting for a full batch (docs/agent.md,
 * "Batching"): read from the cgroup files while the scan has them in its buffer, compared with
 * the previous capture. Only numbers already on the node are used — no payload is parsed.
 */

/** One cgroup's figures of one capture (NaN where the file was absent or unreadable). */
export interface CgroupReading {
  /** Cgroup path relative to the memory root: the key the previous capture is matched on. */
  path: string;
  podUid: string;
  /** null for the pod cgroup. */
  containerId: string | null;
  usage: number;
  /** Infinity when unlimited (v1's page-rounded 2^63, v2's `max`). */
  limit: number;
  inactiveFile: number;
  oomKill: number;
}

/** Why a capture is flushed at once, in order of precedence. */
export type FlushReason = 'oom-kill' | 'restart' | 'near-limit';

/**
 * Near-limit: working set ≥ 90 % of the limit, working set as the kubelet computes it
 * (usage − inactive_file, floored at 0: kubelet pkg/kubelet/stats/cri_stats_provider.go,
 * `getMemoryWorkingSet`; it is what the eviction manager and `kubectl top` compare with limits).
 */
export const NEAR_LIMIT = 0.9;
/** A cgroup re-arms once below this fraction, so one container hovering at 90 % flushes once, not every capture. */
export const NEAR_LIMIT_REARM = 0.85;

export function workingSet(r: Pick<CgroupReading, 'usage' | 'inactiveFile'>): number {
  const inactive = Number.isFinite(r.inactiveFile) ? r.inactiveFile : 0;
  return Math.max(0, r.usage - inactive);
}

export interface FlushDecision {
  reason: FlushReason;
  /** The cgroup paths that caused it (for the log line). */
  paths: string[];
}

interface Previous {
  oomKill: number;
  /** Near-limit already reported and not re-armed yet. */
  near: boolean;
}

/**
 * Edge-triggered: a flush is asked for when something *changes* — an OOM-kill counter moved, a
 * pod seen before has a container id it did not have (a restarted container, or a recreated
 * sandbox), a cgroup crossed into near-limit — never again for a state that merely persists.
 * The first capture only sets the baseline (the agent flushes at start anyway).
 */
export class FlushWatch {
  private previous: Map<string, Previous> | null = null;
  private podContainers = new Map<string, Set<string>>();

  check(readings: readonly CgroupReading[]): FlushDecision | null {
    const first = this.previous === null;
    const previous = this.previous ?? new Map<string, Previous>();
    const next = new Map<string, Previous>();
    const pods = new Map<string, Set<string>>();
    const found: Record<FlushReason, string[]> = { 'oom-kill': [], restart: [], 'near-limit': [] };
    for (const r of readings) {
      const before = previous.get(r.path);
      const fraction = Number.isFinite(r.limit) && r.limit > 0 ? workingSet(r) / r.limit : 0;
      let near = before?.near ?? false;
      if (fraction >= NEAR_LIMIT) {
        if (!near && !first) found['near-limit'].push(r.path);
        near = true;
      } else if (fraction < NEAR_LIMIT_REARM) near = false;
      const oomKill = Number.isFinite(r.oomKill) ? r.oomKill : (before?.oomKill ?? 0);
      if (before && oomKill !== before.oomKill) found['oom-kill'].push(r.path);
      next.set(r.path, { oomKill, near });
      if (r.containerId !== null) {
        let ids = pods.get(r.podUid);
        if (!ids) pods.set(r.podUid, (ids = new Set()));
        ids.add(r.containerId);
        const known = this.podContainers.get(r.podUid);
        if (known && !known.has(r.containerId)) found.restart.push(r.path);
      }
    }
    this.previous = next;
    this.podContainers = pods;
    for (const reason of ['oom-kill', 'restart', 'near-limit'] as const) if (found[reason].length > 0) return { reason, paths: found[reason] };
    return null;
  }
}

const V1_UNLIMITED_FROM = 2 ** 62;

/** Leading decimal digits of `buf[from, end)` as a number (NaN when none); `max` → Infinity. */
export function numberAt(buf: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && buf[i] === 0x20) i++;
  if (buf[i] === 0x6d && buf[i + 1] === 0x61 && buf[i + 2] === 0x78) return Infinity; // "max"
  let n = 0;
  const start = i;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return i === start ? NaN : n;
}

/** The value of `key` in a `key value\n` file (memory.stat, memory.events, memory.oom_control): NaN if absent. */
export function keyedNumber(buf: Buffer, len: number, key: Buffer): number {
  let at = 0;
  for (;;) {
    const i = buf.indexOf(key, at);
    if (i < 0 || i + key.length > len) return NaN;
    // Whole key only: at a line start (so `inactive_file` does not match `total_inactive_file`).
    if (i === 0 || buf[i - 1] === 0x0a) return numberAt(buf, i + key.length, len);
    at = i + 1;
  }
}

const INACTIVE_V1 = Buffer.from('total_inactive_file ');
const INACTIVE_V2 = Buffer.from('inactive_file ');
const OOM_KILL = Buffer.from('oom_kill ');

/**
 * Collects readings during a cgroup scan: `file()` is called with the scan's read buffer for the
 * files it needs (by index in V1_FILES / V2_FILES), so nothing is copied or decoded.
 */
export class ReadingCollector {
  readonly readings: CgroupReading[] = [];
  private current: CgroupReading | null = null;
  constructor(private readonly version: 1 | 2) {}

  begin(path: string, podUid: string, containerId: string | null): void {
    this.current = { path, podUid, containerId, usage: NaN, limit: Infinity, inactiveFile: NaN, oomKill: NaN };
    this.readings.push(this.current);
  }

  /** `index` is the file's position in V1_FILES / V2_FILES (both: 0 stat, 1 usage, 2 limit). */
  file(index: number, buf: Buffer, len: number): void {
    const r = this.current;
    if (!r) return;
    if (index === 0) r.inactiveFile = keyedNumber(buf, len, this.version === 1 ? INACTIVE_V1 : INACTIVE_V2);
    else if (index === 1) r.usage = numberAt(buf, 0, len);
    else if (index === 2) {
      const limit = numberAt(buf, 0, len);
      r.limit = Number.isNaN(limit) || limit >= V1_UNLIMITED_FROM ? Infinity : limit;
    } else if (index === (this.version === 1 ? 5 : 4)) r.oomKill = keyedNumber(buf, len, OOM_KILL);
  }
}
