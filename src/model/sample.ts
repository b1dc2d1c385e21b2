import * as z from 'zod';

/**
 * The canonical sample: one container (or pod cgroup, or node) as one source saw it at one
 * instant. Every parser in `src/sources/` produces these; everything after works on them only.
 * A field a source does not provide is `null`, never 0.
 */
export const SOURCE_KINDS = [
  'kubelet',
  'docker-cli',
  'docker-api',
  'crictl',
  'cgroup',
  'kubelet-resource',
  'cadvisor',
  /** `kubectl top pod` output as printed: whole MiB, floored. */
  'kubectl-top',
  /** metrics.k8s.io PodMetrics/NodeMetrics objects: what `kubectl top` reads, exact bytes. */
  'metrics-api',
] as const;
export const SourceKind = z.enum(SOURCE_KINDS);
export type SourceKind = z.infer<typeof SourceKind>;

export const Level = z.enum(['container', 'pod', 'node']);
export type Level = z.infer<typeof Level>;

const bytes = z.number().int().nonnegative().nullable();

/** Where a sample belongs. Sources know different parts; matching joins them (analysis/match). */
export const Identity = z.object({
  level: Level,
  namespace: z.string().nullable(),
  pod: z.string().nullable(),
  /** Pod UID with dashes (static pods: 32 hex chars, no dashes). */
  podUid: z.string().nullable(),
  /** Kubernetes container name; `POD` for the pause (sandbox) container. */
  container: z.string().nullable(),
  /** Full 64-hex runtime id when known, else the prefix the source printed (docker: 12 chars). */
  containerId: z.string().nullable(),
  /** Docker's name for the container (`k8s_<container>_<pod>_<ns>_<uid>_<attempt>` under dockershim). */
  runtimeName: z.string().nullable(),
  cgroupPath: z.string().nullable(),
  isPause: z.boolean(),
});
export type Identity = z.infer<typeof Identity>;

/**
 * The cgroup memory quantities, already mapped from v1/v2 keys
 * (see analysis/formulas.ts `cgroupQuantities`). All bytes.
 */
export const MemoryQuantities = z.object({
  usage: bytes,
  workingSet: bytes,
  rss: bytes,
  cache: bytes,
  activeFile: bytes,
  inactiveFile: bytes,
  shmem: bytes,
  mappedFile: bytes,
  swap: bytes,
  kernel: bytes,
  /** `'unlimited'` when the source says so (v2 `max`, v1 ≥ 2^62, cAdvisor 0); null when not provided. */
  limit: z.union([z.number().int().nonnegative(), z.literal('unlimited')]).nullable(),
});
export type MemoryQuantities = z.infer<typeof MemoryQuantities>;

/** A number a tool printed for humans (docker stats `620KiB`): its value and how far off it may be. */
export const ReportedValue = z.object({
  bytes: z.number().nonnegative(),
  /** Half a unit in the last printed digit: the true value lies within ± this. */
  uncertaintyBytes: z.number().nonnegative(),
  text: z.string(),
});
export type ReportedValue = z.infer<typeof ReportedValue>;

export const Sample = z.object({
  source: SourceKind,
  /** The source's own sample instant; null when the source has none (docker CLI, raw cgroup files use the capture time). */
  sampledAt: z.date().nullable(),
  identity: Identity,
  memory: MemoryQuantities,
  /**
   * The raw `memory.stat`-style map when the source has one (cgroup files, Docker Engine API
   * `memory_stats.stats`), so tool formulas can be applied exactly as the tools apply them.
   */
  stat: z.record(z.string(), z.number()).nullable(),
  cgroupVersion: z.union([z.literal(1), z.literal(2)]).nullable(),
  /** The headline memory number the tool itself printed (docker CLI MEM USAGE), when it printed one. */
  reported: ReportedValue.nullable(),
  reportedLimit: ReportedValue.nullable(),
  /** Cumulative OOM-kill counter of the cgroup (v2 memory.events `oom_kill`, v1 memory.oom_control `oom_kill`). */
  oomKillCount: z.number().int().nonnegative().nullable(),
});
export type Sample = z.infer<typeof Sample>;

export function emptyMemory(): MemoryQuantities {
  return {
    usage: null,
    workingSet: null,
    rss: null,
    cache: null,
    activeFile: null,
    inactiveFile: null,
    shmem: null,
    mappedFile: null,
    swap: null,
    kernel: null,
    limit: null,
  };
}

export function emptyIdentity(level: Level): Identity {
  return {
    level,
    namespace: null,
    pod: null,
    podUid: null,
    container: null,
    containerId: null,
    runtimeName: null,
    cgroupPath: null,
    isPause: false,
  };
}

/** Builds a sample with every unknown field null, so parsers state only what their source says. */
export function makeSample(
  source: SourceKind,
  parts: {
    sampledAt?: Date | null;
    identity: Partial<Identity> & { level: Level };
    memory?: Partial<MemoryQuantities>;
    stat?: Record<string, number> | null;
    cgroupVersion?: 1 | 2 | null;
    reported?: ReportedValue | null;
    reportedLimit?: ReportedValue | null;
    oomKillCount?: number | null;
  },
): Sample {
  // Field by field rather than spreads over the empty records: every sample gets the same object
  // shape (the analysis loops stay monomorphic) and a part given as `undefined` still reads null.
  const id = parts.identity;
  const m = parts.memory;
  return {
    source,
    sampledAt: parts.sampledAt ?? null,
    identity: {
      level: id.level,
      namespace: id.namespace ?? null,
      pod: id.pod ?? null,
      podUid: id.podUid ?? null,
      container: id.container ?? null,
      containerId: id.containerId ?? null,
      runtimeName: id.runtimeName ?? null,
      cgroupPath: id.cgroupPath ?? null,
      isPause: id.isPause ?? false,
    },
    memory: m === undefined ? emptyMemory() : {
      usage: m.usage ?? null,
      workingSet: m.workingSet ?? null,
      rss: m.rss ?? null,
      cache: m.cache ?? null,
      activeFile: m.activeFile ?? null,
      inactiveFile: m.inactiveFile ?? null,
      shmem: m.shmem ?? null,
      mappedFile: m.mappedFile ?? null,
      swap: m.swap ?? null,
      kernel: m.kernel ?? null,
      limit: m.limit ?? null,
    },
    stat: parts.stat ?? null,
    cgroupVersion: parts.cgroupVersion ?? null,
    reported: parts.reported ?? null,
    reportedLimit: parts.reportedLimit ?? null,
    oomKillCount: parts.oomKillCount ?? null,
  };
}
