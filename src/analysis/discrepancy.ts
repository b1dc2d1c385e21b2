/**
 * Discrepancy rows (docs/columns.md): per container and per pod of one capture, what `kubectl top`
 * and `docker stats` said, the cgroup truth, and the gap decomposed as
 *
 *   gap = kubectl_top − docker_stats
 *       = (kubectl_top − WS(S))          skew: the kubelet sampled at another instant than S
 *       + (WS(S) − DOCKER(S))             page cache / shmem: the formulas differ
 *       + (DOCKER(S) − printed)           rounding: the CLI's 4 significant digits
 *       + residual                        whatever is left, reported, never forced to zero
 *
 * where S is the docker-side memory.stat snapshot (Docker Engine API stats, else the cgroup
 * files), WS the kubelet's working-set formula and DOCKER the CLI's formula for its era.
 */
import type { HostFacts } from '../model/bundle.js';
import { emptyMemory, type MemoryQuantities, type ReportedValue, type Sample, type SourceKind } from '../model/sample.js';
import { byteColumns, type DiscrepancyRow } from '../outputs/tables.js';
import { printsAs, tryParseHumanBytes } from '../sources/human-units.js';
import {
  type CgroupVersion,
  type DockerFormula,
  MiB,
  NEAR_LIMIT_PCT,
  dockerFormulaForVersion,
  dockerRawUsage,
  dockerStatsFromStat,
  inactiveExceedsUsage,
  pctOfLimit,
  workingSetFromStat,
} from './formulas.js';
import { type Entity, matchSamples } from './match.js';

export type Cause = 'none' | 'page-cache' | 'shmem' | 'rounding' | 'time-skew' | 'container-mismatch' | 'missing-source' | 'unexplained';

/** Gaps up to one page are noise of `usage_in_bytes` (a "fuzz value"), not a finding. */
export const PAGE_TOLERANCE_BYTES = 4096;
/** Sample instants closer than this are treated as simultaneous. */
export const SKEW_TOLERANCE_MS = 1000;

/** Which source's number `kubectl top` shows, in the order metrics-server would have read it. */
// metrics-api is what kubectl top itself reads (exact bytes); kubectl-top is its printed, floored
// figure pasted by hand, which counts only when nothing exact about the working set was collected.
const KUBECTL_TOP_ORDER: SourceKind[] = ['metrics-api', 'kubelet-resource', 'kubelet', 'cadvisor', 'crictl', 'kubectl-top', 'cgroup'];
/** Whose cgroup numbers fill the byte columns, most direct first. */
const CGROUP_ORDER: SourceKind[] = ['cgroup', 'docker-api', 'cadvisor', 'crictl', 'kubelet', 'kubelet-resource'];

export interface CaptureContext {
  capturedAt: Date;
  node: string;
  host: HostFacts;
}

interface DockerSide {
  /** the docker-side memory.stat snapshot */
  stat: Readonly<Record<string, number>>;
  usage: number;
  version: CgroupVersion;
  at: Date;
  shmem: number | null;
}

interface ContainerAnalysis {
  row: DiscrepancyRow;
  hasDockerCli: boolean;
}

export function hostRunsDocker(host: HostFacts, samples: readonly Sample[]): boolean {
  if (host.dockerVersion || host.containerRuntime?.startsWith('docker://')) return true;
  return samples.some((s) => s.source === 'docker-cli' || s.source === 'docker-api' || s.identity.cgroupPath?.includes('/docker-'));
}

export function discrepancyRows(samples: readonly Sample[], ctx: CaptureContext): DiscrepancyRow[] {
  const entities = matchSamples(samples);
  spreadPodTop(entities);
  const docker = hostRunsDocker(ctx.host, samples);
  const versionFormula = dockerFormulaForVersion(ctx.host.dockerVersion ?? (ctx.host.containerRuntime?.startsWith('docker://') ? ctx.host.containerRuntime : undefined));
  const nodeFormula = docker && versionFormula === 'unknown' ? formulaOfTheCli(entities, ctx) : versionFormula;

  const containers: ContainerAnalysis[] = [];
  const byPod = new Map<string, ContainerAnalysis[]>();
  for (const e of entities) {
    if (e.level !== 'container') continue;
    const a = analyzeContainer(e, ctx, docker, versionFormula, nodeFormula);
    containers.push(a);
    const podKey = podKeyOf(e);
    if (podKey) {
      const members = byPod.get(podKey);
      if (members) members.push(a);
      else byPod.set(podKey, [a]);
    }
  }
  const podEntities = new Map(entities.filter((e) => e.level === 'pod').map((e) => [podKeyOf(e) ?? e.key, e]));
  const podKeys = new Set([...byPod.keys(), ...podEntities.keys()]);

  const rows = containers.map((c) => c.row);
  for (const podKey of podKeys) rows.push(analyzePod(podEntities.get(podKey) ?? null, byPod.get(podKey) ?? [], ctx, docker));
  rows.sort(compareRows);
  return rows;
}

/**
 * A pasted `kubectl top pod` (no --containers) prints the sum of the pod's app containers
 * (kubectl getPodMetrics): with exactly one app container that sum is the container's own figure, so the
 * container row can decompose it. Pods of several containers keep it on the pod row only.
 */
function spreadPodTop(entities: readonly Entity[]): void {
  const apps = new Map<string, Entity[]>();
  for (const e of entities) {
    const key = e.level === 'container' && !e.identity.isPause ? podKeyOf(e) : null;
    if (!key) continue;
    const members = apps.get(key);
    if (members) members.push(e);
    else apps.set(key, [e]);
  }
  for (const pod of entities) {
    const printed = pod.level === 'pod' ? pod.bySource['kubectl-top'] : undefined;
    const members = printed ? apps.get(podKeyOf(pod) ?? '') : undefined;
    if (printed && members?.length === 1) members[0]!.bySource['kubectl-top'] ??= printed;
  }
}

function podKeyOf(e: Entity): string | null {
  const id = e.identity;
  if (id.podUid) return `uid:${id.podUid}`;
  if (id.namespace && id.pod) return `name:${id.namespace}/${id.pod}`;
  return null;
}

/** Byte order, not locale order: stable across machines and much cheaper than localeCompare. */
function cmp(a: string | null, b: string | null): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareRows(a: DiscrepancyRow, b: DiscrepancyRow): number {
  return (
    cmp(a.namespace, b.namespace) ||
    cmp(a.pod, b.pod) ||
    (a.level === b.level ? 0 : a.level === 'pod' ? -1 : 1) ||
    cmp(a.container, b.container) ||
    cmp(a.container_id, b.container_id)
  );
}

/** Field-wise: the most direct source that has a value wins. */
function mergedMemory(e: Entity): MemoryQuantities {
  const out = emptyMemory();
  for (const source of CGROUP_ORDER) {
    const m = e.bySource[source]?.memory;
    if (!m) continue;
    out.usage ??= m.usage;
    out.workingSet ??= m.workingSet;
    out.rss ??= m.rss;
    out.cache ??= m.cache;
    out.activeFile ??= m.activeFile;
    out.inactiveFile ??= m.inactiveFile;
    out.shmem ??= m.shmem;
    out.mappedFile ??= m.mappedFile;
    out.swap ??= m.swap;
    out.kernel ??= m.kernel;
    out.limit ??= m.limit;
  }
  return out;
}

function kubectlTop(e: Entity): { bytes: number; at: Date | null; floored: boolean } | null {
  for (const source of KUBECTL_TOP_ORDER) {
    const s = e.bySource[source];
    const ws = s?.memory.workingSet;
    if (s && ws !== null && ws !== undefined) return { bytes: ws, at: s.sampledAt, floored: source === 'kubectl-top' };
  }
  return null;
}

function dockerSide(e: Entity, capturedAt: Date): DockerSide | null {
  for (const source of ['docker-api', 'cgroup'] as const) {
    const s = e.bySource[source];
    if (s?.stat && s.memory.usage !== null && s.cgroupVersion !== null) {
      return { stat: s.stat, usage: s.memory.usage, version: s.cgroupVersion, at: s.sampledAt ?? capturedAt, shmem: s.memory.shmem };
    }
  }
  return null;
}

/** The formulas a printed figure is tested against, oldest era first. */
const ERAS = ['raw-usage', 'legacy', 'modern'] as const;

interface Inference {
  formula: DockerFormula;
  /** The docker-side value the formula(s) that fit give, when they agree on one; else null. */
  value: number | null;
}

/**
 * Without a Docker version, the printed figure decides which formula produced it, when it can:
 * 1. decimal units (`495.2 MB`): only CLIs before moby/moby PR #21773 printed them, and those showed
 *    raw usage (formulas.ts dockerRawUsage);
 * 2. each era's value is printed as the CLI prints it (`%.4g` of the unit, go-units BytesSize or
 *    HumanSize, exactly: human-units.ts printsAs); the one formula that reproduces the text wins;
 *    several reproducing it leave the formula 'unknown' (their value still counts when they agree
 *    on it: the same number decomposes the same way);
 * 3. none reproduces it (memory.stat read at another instant than the CLI's sample): a formula
 *    within the printing's rounding plus a page of usage fuzz, when only one is.
 */
function inferFormula(printed: ReportedValue, side: DockerSide): Inference {
  const candidates: { formula: DockerFormula; value: number }[] = [];
  for (const formula of ERAS) {
    const value = dockerStatsFromStat(formula, side.usage, side.stat);
    if (value !== null) candidates.push({ formula, value });
  }
  const parsed = tryParseHumanBytes(printed.text);
  if (parsed.ok && parsed.value.base === 1000) return { formula: 'raw-usage', value: dockerRawUsage(side.usage) };
  const exact = candidates.filter((c) => printsAs(c.value, printed.text));
  if (exact.length > 0) return decide(exact);
  const tolerance = printed.uncertaintyBytes + PAGE_TOLERANCE_BYTES;
  const near = candidates.filter((c) => Math.abs(c.value - printed.bytes) <= tolerance);
  return near.length === 1 ? near[0]! : { formula: 'unknown', value: null };
}

function decide(fits: { formula: DockerFormula; value: number }[]): Inference {
  if (fits.length === 1) return fits[0]!;
  const value = fits[0]!.value;
  return { formula: 'unknown', value: fits.every((f) => f.value === value) ? value : null };
}

/**
 * One CLI printed every row of a capture, so one formula made them all: when the figures that
 * decide (inferFormula) all name the same formula, it is the node's, also for the containers whose
 * own figure does not decide or that have no `docker stats` row. Figures naming different formulas
 * (sampled at different instants) decide nothing for the others.
 */
function formulaOfTheCli(entities: readonly Entity[], ctx: CaptureContext): DockerFormula {
  const decided = new Set<DockerFormula>();
  for (const e of entities) {
    const cli = e.level === 'container' ? e.bySource['docker-cli']?.reported : null;
    const side = cli ? dockerSide(e, ctx.capturedAt) : null;
    if (!cli || !side) continue;
    const { formula } = inferFormula(cli, side);
    if (formula !== 'unknown') decided.add(formula);
  }
  return decided.size === 1 ? [...decided][0]! : 'unknown';
}

/** Whether the CLI printing `value` could have shown `printed` (exactly, or within its rounding plus a page of fuzz). */
function fitsPrinted(printed: ReportedValue, value: number | null): boolean {
  return value !== null && (printsAs(value, printed.text) || Math.abs(value - printed.bytes) <= printed.uncertaintyBytes + PAGE_TOLERANCE_BYTES);
}

function analyzeContainer(e: Entity, ctx: CaptureContext, docker: boolean, versionFormula: DockerFormula, nodeFormula: DockerFormula): ContainerAnalysis {
  const id = e.identity;
  const flags = new Set<string>();
  const memory = mergedMemory(e);
  const side = docker ? dockerSide(e, ctx.capturedAt) : null;
  const cli = e.bySource['docker-cli']?.reported ?? null;

  let formula = versionFormula;
  let dockerFromStat = side ? dockerStatsFromStat(formula, side.usage, side.stat) : null;
  if (formula === 'unknown' && side) {
    const own = cli ? inferFormula(cli, side) : { formula: 'unknown' as const, value: null };
    const fromNode = nodeFormula === 'unknown' ? null : dockerStatsFromStat(nodeFormula, side.usage, side.stat);
    if (own.formula === 'unknown' && fromNode !== null && (!cli || fitsPrinted(cli, fromNode))) {
      formula = nodeFormula;
      dockerFromStat = fromNode;
    } else {
      formula = own.formula;
      dockerFromStat = own.value;
    }
    if (formula !== 'unknown') flags.add('formula-inferred');
  }

  // kubectl top never shows the pause container (metrics-server reads app containers only).
  const top = id.isPause ? null : kubectlTop(e);
  const dockerBytes = cli ? cli.bytes : docker ? dockerFromStat : null;
  if (cli) flags.add('cli-rounding');

  const gap = top !== null && dockerBytes !== null ? top.bytes - dockerBytes : null;
  let pageCache: number | null = null;
  let rounding: number | null = null;
  let skew: number | null = null;
  let shmemPart = 0;
  if (gap !== null) {
    const ws = side ? workingSetFromStat(side.usage, side.stat, side.version) : null;
    if (side && dockerFromStat !== null && ws !== null) {
      pageCache = ws - dockerFromStat;
      shmemPart = shmemShareOfPageCache(formula, side.shmem, pageCache);
    }
    if (cli) {
      const bound = cli.uncertaintyBytes;
      const raw = dockerFromStat !== null ? dockerFromStat - cli.bytes : gap - (pageCache ?? 0);
      rounding = Math.max(-bound, Math.min(bound, raw));
    } else rounding = 0;
    // A pasted `kubectl top` figure is the working set floored to whole MiB: up to 1 MiB below it.
    if (top?.floored) {
      flags.add('kubectl-rounding');
      if (ws !== null) rounding += Math.max(-(MiB - 1), Math.min(0, top.bytes - ws));
    }
    if (side && ws !== null && top?.at) {
      const apart = Math.abs(top.at.getTime() - side.at.getTime());
      if (apart >= SKEW_TOLERANCE_MS) {
        skew = top.bytes - ws;
        if (Math.abs(skew) > PAGE_TOLERANCE_BYTES) flags.add('time-skew');
      } else skew = 0;
    }
  }
  const residual = gap === null ? null : gap - (pageCache ?? 0) - (rounding ?? 0) - (skew ?? 0);

  if (id.isPause) flags.add('pause-container');
  if (e.ambiguousId) flags.add('ambiguous-id');
  if (side && inactiveExceedsUsage(side.usage, side.stat, side.version)) flags.add('inactive-exceeds-usage');
  limitFlags(flags, memory.limit);
  const pct = pctOfLimit(memory.workingSet, memory.limit);
  if (pct !== null && pct >= NEAR_LIMIT_PCT) flags.add('near-limit');
  if (!id.isPause && (top === null || dockerBytes === null)) flags.add('missing-source');

  let cause: Cause;
  if (id.isPause) cause = dockerBytes !== null ? 'container-mismatch' : 'missing-source';
  else if (gap === null) cause = 'missing-source';
  else cause = dominantCause(gap, { pageCache: (pageCache ?? 0) - shmemPart, shmem: shmemPart, rounding: rounding ?? 0, skew: skew ?? 0, residual: residual ?? 0 });

  const cgroupSample = e.bySource.cgroup;
  return {
    row: {
      captured_at: ctx.capturedAt,
      node: ctx.node,
      namespace: id.namespace,
      pod: id.pod,
      pod_uid: id.podUid,
      container: id.container,
      container_id: id.containerId,
      level: 'container',
      kubectl_top_bytes: top?.bytes ?? null,
      docker_stats_bytes: dockerBytes === null ? null : Math.round(dockerBytes),
      docker_formula: docker ? formula : 'unknown',
      ...byteColumns(memory),
      gap_bytes: roundOrNull(gap),
      gap_page_cache_bytes: roundOrNull(pageCache),
      gap_rounding_bytes: roundOrNull(rounding),
      gap_skew_bytes: roundOrNull(skew),
      gap_residual_bytes: roundOrNull(residual),
      cause,
      flags: [...flags].sort(),
      working_set_pct_of_limit: pct,
      oom_kill_count: cgroupSample?.oomKillCount ?? null,
    },
    hasDockerCli: cli !== null,
  };
}

/**
 * The tmpfs/shmem share of the page-cache term WS(S) − DOCKER(S): the legacy formula subtracts all
 * of `cache`, shmem included, which the working set keeps; the modern formula subtracts only
 * inactive file pages, so no shmem is in its term. Also splits the term in the report's charts.
 */
export function shmemShareOfPageCache(formula: DockerFormula, shmem: number | null, pageCache: number | null): number {
  return formula === 'legacy' && shmem !== null && pageCache !== null && pageCache > 0 ? Math.min(shmem, pageCache) : 0;
}

/**
 * "Unlimited" and "not captured" both leave limit_bytes NULL; the flags tell them apart:
 * `no-limit` only when a source said unlimited (v2 `max`, v1 ≥ 2^62, the kubelet omitting
 * availableBytes), `limit-unknown` when no source gave a limit at all. Pod rows take their own
 * cgroup's limit, never a container's, so a flag copied from the containers is replaced.
 */
function limitFlags(flags: Set<string>, limit: MemoryQuantities['limit']): void {
  flags.delete('no-limit');
  flags.delete('limit-unknown');
  if (limit === 'unlimited') flags.add('no-limit');
  else if (limit === null) flags.add('limit-unknown');
}

function dominantCause(gap: number, parts: { pageCache: number; shmem: number; rounding: number; skew: number; residual: number }): Cause {
  if (Math.abs(gap) <= PAGE_TOLERANCE_BYTES) return 'none';
  const ranked: [Cause, number][] = [
    ['page-cache', parts.pageCache],
    ['shmem', parts.shmem],
    ['rounding', parts.rounding],
    ['time-skew', parts.skew],
    ['unexplained', parts.residual],
  ];
  ranked.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  return ranked[0]![0];
}

function roundOrNull(v: number | null): number | null {
  return v === null ? null : Math.round(v);
}

/** The sum of the known values, in order (null when none is known); one pass, no filtered copy. */
function sumKnown(values: (number | null)[]): number | null {
  let sum = 0;
  let known = false;
  for (const v of values) {
    if (v === null) continue;
    sum += v;
    known = true;
  }
  return known ? sum : null;
}

/**
 * Pod rows: `kubectl top pod` sums the app containers' working sets (KUBECTL getPodMetrics);
 * docker_stats sums the app containers too (pause excluded); the byte columns are
 * the pod cgroup's own, which includes the pause container and pod overhead.
 */
function analyzePod(podEntity: Entity | null, members: ContainerAnalysis[], ctx: CaptureContext, docker: boolean): DiscrepancyRow {
  const apps = members.filter((m) => m.row.container !== 'POD');
  const pause = members.filter((m) => m.row.container === 'POD');
  const first = podEntity?.identity ?? null;
  const ref = members[0]?.row;
  const flags = new Set<string>();
  const memory = podEntity ? mergedMemory(podEntity) : emptyMemory();

  const topValues = apps.map((m) => m.row.kubectl_top_bytes);
  const dockerValues = apps.map((m) => m.row.docker_stats_bytes);
  // `kubectl top pod` without --containers, pasted: the pod's printed sum, when its containers have none.
  const printedPodTop = podEntity?.bySource['kubectl-top']?.memory.workingSet ?? null;
  const containerTops = topValues.every((v) => v !== null);
  const top = !containerTops && printedPodTop !== null ? printedPodTop : sumKnown(topValues);
  const dockerBytes = sumKnown(dockerValues);
  const complete = apps.length > 0 && (containerTops || printedPodTop !== null) && dockerValues.every((v) => v !== null);
  const gap = top !== null && dockerBytes !== null ? top - dockerBytes : null;

  const sumPart = (pick: (m: ContainerAnalysis) => number | null) => (gap === null ? null : sumKnown(apps.map(pick)));
  const pageCache = sumPart((m) => m.row.gap_page_cache_bytes);
  const rounding = sumPart((m) => m.row.gap_rounding_bytes);
  const skew = sumPart((m) => m.row.gap_skew_bytes);
  const residual = gap === null ? null : gap - (pageCache ?? 0) - (rounding ?? 0) - (skew ?? 0);

  for (const m of apps) for (const f of m.row.flags) if (f !== 'pause-container') flags.add(f);
  if (!containerTops && printedPodTop !== null) flags.add('kubectl-rounding');
  if (!complete) flags.add('missing-source');
  limitFlags(flags, memory.limit);
  const appWorkingSets = sumKnown(apps.map((m) => m.row.working_set_bytes));
  if (memory.workingSet !== null && appWorkingSets !== null && memory.workingSet > appWorkingSets) flags.add('pod-overhead');
  const pct = pctOfLimit(memory.workingSet, memory.limit);
  flags.delete('near-limit');
  if (pct !== null && pct >= NEAR_LIMIT_PCT) flags.add('near-limit');
  // The seed article's trap: the only `docker stats` row of the pod is its pause container.
  const cliApps = apps.some((m) => m.hasDockerCli);
  if (!cliApps && pause.some((m) => m.hasDockerCli)) flags.add('container-mismatch');

  let cause: Cause;
  if (gap === null || !complete) cause = 'missing-source';
  else {
    const shmem = sumKnown(apps.map((m) => (m.row.cause === 'shmem' ? m.row.gap_page_cache_bytes : 0))) ?? 0;
    cause = dominantCause(gap, { pageCache: (pageCache ?? 0) - shmem, shmem, rounding: rounding ?? 0, skew: skew ?? 0, residual: residual ?? 0 });
  }

  return {
    captured_at: ctx.capturedAt,
    node: ctx.node,
    namespace: first?.namespace ?? ref?.namespace ?? null,
    pod: first?.pod ?? ref?.pod ?? null,
    pod_uid: first?.podUid ?? ref?.pod_uid ?? null,
    container: null,
    container_id: null,
    level: 'pod',
    kubectl_top_bytes: top,
    docker_stats_bytes: dockerBytes,
    docker_formula: docker ? commonFormula(apps) : 'unknown',
    ...byteColumns(memory),
    gap_bytes: gap,
    gap_page_cache_bytes: pageCache,
    gap_rounding_bytes: rounding,
    gap_skew_bytes: skew,
    gap_residual_bytes: residual,
    cause,
    flags: [...flags].sort(),
    working_set_pct_of_limit: pct,
    oom_kill_count: podEntity?.bySource.cgroup?.oomKillCount ?? null,
  };
}

function commonFormula(apps: ContainerAnalysis[]): string {
  const formulas = new Set(apps.map((m) => m.row.docker_formula));
  return formulas.size === 1 ? [...formulas][0]! : 'unknown';
}
