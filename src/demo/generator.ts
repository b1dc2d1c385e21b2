/**
 * Demo data: verbatim-format capture bundles (what an agent would upload), generated from a
 * small model of memory over time. Two datasets:
 *  1. the seed article (Qiita, 2020-02-03): busybox reads a 100 MB file on EKS 1.14 with Docker
 *     18.06; kubectl top says 101Mi, `docker stats` (of the k8s_POD_ pause row!) says 620KiB;
 *  2. a day of a 3-node cluster at 5-minute intervals: cgroup v1 + Docker 18.06 (legacy
 *     formula), cgroup v2 + Docker 24 (modern), cgroup v2 + containerd; with a tmpfs-heavy pod,
 *     a leaking pod, a pod near its limit and one OOM kill.
 * Every number in a bundle derives from the model below; the analysis must rediscover it.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { CaptureBundle, HostFacts } from '../model/bundle.js';
import { CAPTURE_SCHEMA_ID } from '../model/bundle.js';
import { formatHumanBytes } from '../sources/human-units.js';

const MiB = 1024 * 1024;
const HOST_MEMORY = 8_261_029_888; // 7.69GiB as `docker stats` prints it
const PAUSE_ANON = 634_880; // 620KiB: the article's k8s_POD_busybox row

/** Memory of one container at an instant, in bytes; shmem is part of the page cache. */
export interface MemoryState {
  anon: number;
  activeFile: number;
  inactiveFile: number;
  shmem: number;
  kernel: number;
}
export type MemoryCurve = (hour: number) => MemoryState;

export interface ContainerModel {
  name: string;
  limit: number | null;
  curve: MemoryCurve;
  /** Hours (of the day) at which the kernel OOM-killed this container. */
  oomKillsAt?: number[];
}
export interface PodModel {
  namespace: string;
  name: string;
  qos: 'guaranteed' | 'burstable' | 'besteffort';
  containers: ContainerModel[];
}
export interface NodeModel {
  name: string;
  cgroupVersion: 1 | 2;
  driver: 'cgroupfs' | 'systemd';
  runtime: 'docker' | 'containerd';
  host: HostFacts;
  pods: PodModel[];
  /** Which sources this node's agent captures. */
  sources: ('kubeletSummary' | 'dockerStats' | 'dockerStatsTable' | 'dockerApiStats' | 'crictlStats' | 'kubeletResourceMetrics' | 'kubeletCadvisorMetrics' | 'cgroups')[];
}

export function hexId(seed: string, length = 64): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${seed}:${i}`).digest('hex');
  return out.slice(0, length);
}
export function podUid(seed: string): string {
  const h = hexId(`uid:${seed}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Small deterministic wobble so series look measured, not drawn. */
function wobble(seed: string, hour: number, amplitude: number): number {
  const x = Math.sin(hour * 2.3 + (parseInt(hexId(seed, 6), 16) % 1000)) * 0.5 + Math.sin(hour * 0.37 + 1.1) * 0.5;
  return Math.round(x * amplitude);
}
const page = (n: number) => Math.max(0, Math.round(n / 4096) * 4096);

export function steady(seed: string, anonMiB: number, activeMiB: number, inactiveMiB: number, shmemMiB = 0): MemoryCurve {
  return (h) => ({
    anon: page(anonMiB * MiB + wobble(seed, h, 2 * MiB)),
    activeFile: page(activeMiB * MiB + wobble(seed + 'a', h, MiB)),
    inactiveFile: page(inactiveMiB * MiB + wobble(seed + 'i', h, MiB)),
    shmem: page(shmemMiB * MiB),
    kernel: page(1.5 * MiB),
  });
}

// ---------------------------------------------------------------------------------------------
// Rendering one container's state in each source's own format

interface Rendered {
  pod: PodModel;
  container: ContainerModel | null; // null = pause
  id: string;
  uid: string;
  attempt: number;
  state: MemoryState;
  /** the kubelet's view, sampled a few seconds earlier than the capture */
  kubeletState: MemoryState;
  oomKills: number;
}

const cache = (s: MemoryState) => s.activeFile + s.inactiveFile + s.shmem;
const usageOf = (s: MemoryState, v: 1 | 2) => s.anon + cache(s) + (v === 2 ? s.kernel : 0);
const workingSetOf = (s: MemoryState, v: 1 | 2) => Math.max(0, usageOf(s, v) - s.inactiveFile);

function v1Stat(s: MemoryState, limit: number | null): string {
  const c = cache(s);
  const local: [string, number][] = [
    ['cache', c], ['rss', s.anon], ['rss_huge', 0], ['shmem', s.shmem], ['mapped_file', page(Math.min(c, 4 * MiB) + s.shmem)],
    ['dirty', 0], ['writeback', 0], ['swap', 0], ['pgpgin', 1_000_000], ['pgpgout', 900_000], ['pgfault', 250_000], ['pgmajfault', 12],
    ['inactive_anon', page(s.shmem / 2)], ['active_anon', s.anon + s.shmem - page(s.shmem / 2)], ['inactive_file', s.inactiveFile], ['active_file', s.activeFile], ['unevictable', 0],
  ];
  const lim = limit ?? 9223372036854771712;
  const lines = local.map(([k, v]) => `${k} ${v}`);
  lines.push(`hierarchical_memory_limit ${lim}`, `hierarchical_memsw_limit ${lim}`);
  for (const [k, v] of local) lines.push(`total_${k} ${v}`);
  return lines.join('\n') + '\n';
}

function v2Stat(s: MemoryState): string {
  const c = cache(s);
  const pairs: [string, number][] = [
    ['anon', s.anon], ['file', c], ['kernel', s.kernel], ['kernel_stack', 98304], ['pagetables', 278528], ['sec_pagetables', 0], ['percpu', 1200],
    ['sock', 0], ['vmalloc', 0], ['shmem', s.shmem], ['zswap', 0], ['zswapped', 0], ['file_mapped', page(Math.min(c, 4 * MiB) + s.shmem)], ['file_dirty', 0], ['file_writeback', 0],
    ['swapcached', 0], ['anon_thp', 0], ['file_thp', 0], ['shmem_thp', 0], ['inactive_anon', page(s.shmem / 2)], ['active_anon', s.anon + s.shmem - page(s.shmem / 2)],
    ['inactive_file', s.inactiveFile], ['active_file', s.activeFile], ['unevictable', 0], ['slab_reclaimable', 400_000], ['slab_unreclaimable', 300_000], ['slab', 700_000],
    ['workingset_refault_anon', 0], ['workingset_refault_file', 10], ['pgscan', 0], ['pgsteal', 0], ['pgfault', 250_000], ['pgmajfault', 12],
  ];
  return pairs.map(([k, v]) => `${k} ${v}`).join('\n') + '\n';
}

function cgroupPathOf(node: NodeModel, r: Rendered | { pod: PodModel; uid: string; id: null }): string {
  const { qos } = r.pod;
  if (node.driver === 'cgroupfs') {
    const parent = qos === 'guaranteed' ? '/kubepods' : `/kubepods/${qos}`;
    return `${parent}/pod${r.uid}${r.id ? `/${r.id}` : ''}`;
  }
  const uid = r.uid.replace(/-/g, '_');
  const parent = qos === 'guaranteed' ? '/kubepods.slice' : `/kubepods.slice/kubepods-${qos}.slice`;
  const podSlice = qos === 'guaranteed' ? `kubepods-pod${uid}.slice` : `kubepods-${qos}-pod${uid}.slice`;
  const scope = node.runtime === 'docker' ? 'docker' : 'cri-containerd';
  return `${parent}/${podSlice}${r.id ? `/${scope}-${r.id}.scope` : ''}`;
}

function cgroupFiles(node: NodeModel, s: MemoryState, limit: number | null, oomKills: number): Record<string, string> {
  const v = node.cgroupVersion;
  if (v === 1) {
    return {
      'memory.stat': v1Stat(s, limit),
      'memory.usage_in_bytes': `${usageOf(s, 1)}\n`,
      'memory.limit_in_bytes': `${limit ?? 9223372036854771712}\n`,
      'memory.kmem.usage_in_bytes': `${s.kernel}\n`,
      'memory.oom_control': `oom_kill_disable 0\nunder_oom 0\noom_kill ${oomKills}\n`,
      'memory.failcnt': `${oomKills * 37}\n`,
    };
  }
  return {
    'memory.stat': v2Stat(s),
    'memory.current': `${usageOf(s, 2)}\n`,
    'memory.max': limit === null ? 'max\n' : `${limit}\n`,
    'memory.swap.current': '0\n',
    'memory.events': `low 0\nhigh 0\nmax ${oomKills * 37}\noom ${oomKills}\noom_kill ${oomKills}\n`,
  };
}

function sumStates(states: MemoryState[]): MemoryState {
  return states.reduce((a, s) => ({ anon: a.anon + s.anon, activeFile: a.activeFile + s.activeFile, inactiveFile: a.inactiveFile + s.inactiveFile, shmem: a.shmem + s.shmem, kernel: a.kernel + s.kernel }), { anon: 0, activeFile: 0, inactiveFile: 0, shmem: 0, kernel: 0 });
}

const POD_OVERHEAD: MemoryState = { anon: 0, activeFile: 0, inactiveFile: 0, shmem: 0, kernel: page(0.25 * MiB) };
const pauseState = (): MemoryState => ({ anon: PAUSE_ANON, activeFile: 0, inactiveFile: 0, shmem: 0, kernel: 0 });

function dockerName(r: Rendered): string {
  return `k8s_${r.container?.name ?? 'POD'}_${r.pod.name}_${r.pod.namespace}_${r.uid}_${r.attempt}`;
}

function memoryJson(s: MemoryState, v: 1 | 2, at: Date, limit: number | null) {
  const ws = workingSetOf(s, v);
  return {
    time: at.toISOString().replace('.000Z', 'Z'),
    ...(limit !== null ? { availableBytes: limit - ws } : {}),
    usageBytes: usageOf(s, v),
    workingSetBytes: ws,
    rssBytes: s.anon,
    pageFaults: 250_000,
    majorPageFaults: 12,
  };
}

function dockerCliLine(r: Rendered, v: 1 | 2, formula: 'legacy' | 'modern', limitShown: number): string {
  const usage = usageOf(r.state, v);
  const used = formula === 'legacy' ? usage - cache(r.state) : usage - r.state.inactiveFile;
  const pct = ((used / limitShown) * 100).toFixed(2);
  return JSON.stringify({
    BlockIO: '0B / 0B', CPUPerc: '0.10%', Container: r.id, ID: r.id, MemPerc: `${pct}%`,
    MemUsage: `${formatHumanBytes(used)} / ${formatHumanBytes(limitShown)}`, Name: dockerName(r), NetIO: '0B / 0B', PIDs: '3',
  });
}

function dockerApiStats(r: Rendered, v: 1 | 2, at: Date, limit: number | null) {
  const stats = Object.fromEntries(
    (v === 1 ? v1Stat(r.state, limit) : v2Stat(r.state))
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([k]) => !k!.startsWith('hierarchical_memsw'))
      .map(([k, val]) => [k, Number(val)]),
  );
  return {
    read: at.toISOString(), preread: new Date(at.getTime() - 1000).toISOString(), id: r.id, name: `/${dockerName(r)}`,
    pids_stats: { current: 3 }, num_procs: 0, storage_stats: {}, cpu_stats: {}, precpu_stats: {}, blkio_stats: {}, networks: {},
    memory_stats: { usage: usageOf(r.state, v), ...(v === 1 ? { max_usage: usageOf(r.state, v), failcnt: 0 } : {}), stats, limit: Math.min(limit ?? HOST_MEMORY, HOST_MEMORY) },
  };
}

function crictlEntry(r: Rendered, v: 1 | 2, at: Date, limit: number | null) {
  const ws = workingSetOf(r.state, v);
  const ns = `${BigInt(at.getTime()) * 1_000_000n}`;
  const u = (n: number) => ({ value: String(n) });
  return {
    attributes: {
      id: r.id,
      metadata: { name: r.container!.name, attempt: r.attempt },
      labels: { 'io.kubernetes.container.name': r.container!.name, 'io.kubernetes.pod.name': r.pod.name, 'io.kubernetes.pod.namespace': r.pod.namespace, 'io.kubernetes.pod.uid': r.uid },
      annotations: {},
    },
    cpu: { timestamp: ns, usageCoreNanoSeconds: u(1_000_000_000), usageNanoCores: u(1_000_000) },
    memory: { timestamp: ns, workingSetBytes: u(ws), availableBytes: u(limit === null ? 0 : limit - ws), usageBytes: u(usageOf(r.state, v)), rssBytes: u(r.state.anon), pageFaults: u(250_000), majorPageFaults: u(12) },
    swap: { timestamp: ns, swapAvailableBytes: u(0), swapUsageBytes: u(0) },
    writableLayer: { timestamp: ns, fsId: { mountpoint: '/var/lib/containerd' }, usedBytes: u(40960), inodesUsed: u(12) },
  };
}

function resourceMetrics(rendered: Rendered[], v: 1 | 2, at: Date): string {
  const ms = at.getTime();
  const lines = [
    '# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes',
    '# TYPE container_memory_working_set_bytes gauge',
  ];
  for (const r of rendered) if (r.container) lines.push(`container_memory_working_set_bytes{container="${r.container.name}",namespace="${r.pod.namespace}",pod="${r.pod.name}"} ${workingSetOf(r.kubeletState, v)} ${ms}`);
  return lines.join('\n') + '\n';
}

/** `/metrics/cadvisor` memory lines as the kubelet prints them: one series per cgroup (pod and containers). */
function cadvisorMetrics(node: NodeModel, rendered: Rendered[], at: Date): string {
  const v = node.cgroupVersion;
  const ms = at.getTime();
  const series: [string, (s: MemoryState) => number][] = [
    ['container_memory_cache', (s) => cache(s)],
    ['container_memory_rss', (s) => s.anon],
    ['container_memory_usage_bytes', (s) => usageOf(s, v)],
    ['container_memory_working_set_bytes', (s) => workingSetOf(s, v)],
  ];
  const lines: string[] = [];
  for (const [name, value] of series) {
    lines.push(`# HELP ${name} memory figure of the container`, `# TYPE ${name} gauge`);
    for (const r of rendered) {
      const container = r.container?.name ?? (node.runtime === 'docker' ? 'POD' : '');
      const labels = `container="${container}",id="${cgroupPathOf(node, r)}",image="",name="${node.runtime === 'docker' ? dockerName(r) : r.id}",namespace="${r.pod.namespace}",pod="${r.pod.name}"`;
      lines.push(`${name}{${labels}} ${value(r.state)} ${ms}`);
    }
  }
  lines.push('# HELP container_spec_memory_limit_bytes Memory limit for the container.', '# TYPE container_spec_memory_limit_bytes gauge');
  for (const r of rendered) {
    const container = r.container?.name ?? (node.runtime === 'docker' ? 'POD' : '');
    lines.push(`container_spec_memory_limit_bytes{container="${container}",id="${cgroupPathOf(node, r)}",image="",name="${r.id}",namespace="${r.pod.namespace}",pod="${r.pod.name}"} ${r.container?.limit ?? 0} ${ms}`);
  }
  return lines.join('\n') + '\n';
}

/** The default `docker stats --no-stream` table, as pasted from a terminal. */
function dockerStatsTable(rendered: Rendered[], v: 1 | 2, formula: 'legacy' | 'modern'): string {
  const rows = rendered.map((r) => {
    const j = JSON.parse(dockerCliLine(r, v, formula, Math.min(r.container?.limit ?? HOST_MEMORY, HOST_MEMORY))) as Record<string, string>;
    return [r.id.slice(0, 12), j.Name!, j.CPUPerc!, j.MemUsage!, j.MemPerc!, j.NetIO!, j.BlockIO!, j.PIDs!];
  });
  const header = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)) + 3);
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('').trimEnd()).join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

export interface GeneratedCapture {
  bundle: CaptureBundle;
  /** gzip JSON, as the agent uploads it */
  bytes: Buffer;
}

/** Renders one capture of a node at `at`; the kubelet sampled `kubeletLagMs` earlier. */
export function renderCapture(cluster: string, node: NodeModel, at: Date, dayStart: Date, kubeletLagMs: number): CaptureBundle {
  const hour = (at.getTime() - dayStart.getTime()) / 3_600_000;
  const kubeletHour = hour - kubeletLagMs / 3_600_000;
  const kubeletAt = new Date(at.getTime() - kubeletLagMs);
  const v = node.cgroupVersion;
  const rendered: Rendered[] = [];
  for (const pod of node.pods) {
    const uid = podUid(`${cluster}/${pod.namespace}/${pod.name}`);
    rendered.push({ pod, container: null, id: hexId(`${uid}/POD`), uid, attempt: 0, state: pauseState(), kubeletState: pauseState(), oomKills: 0 });
    for (const c of pod.containers) {
      const kills = (c.oomKillsAt ?? []).filter((h) => h <= hour).length;
      rendered.push({ pod, container: c, id: hexId(`${uid}/${c.name}`), uid, attempt: kills, state: c.curve(hour), kubeletState: c.curve(kubeletHour), oomKills: kills });
    }
  }
  const podsOf = (pod: PodModel) => rendered.filter((r) => r.pod === pod);
  const sources: CaptureBundle['sources'] = {};
  const formula = node.host.dockerVersion?.startsWith('18.') ? 'legacy' : 'modern';

  if (node.sources.includes('kubeletSummary')) {
    sources.kubeletSummary = {
      node: {
        nodeName: node.name,
        startTime: '2026-11-01T00:00:00Z',
        memory: memoryJson(sumStates(rendered.map((r) => r.kubeletState)), v, kubeletAt, null),
      },
      pods: node.pods.map((pod) => {
        const members = podsOf(pod);
        const apps = members.filter((r) => r.container);
        const podState = sumStates([...members.map((r) => r.kubeletState), POD_OVERHEAD]);
        const podLimit = apps.every((r) => r.container!.limit !== null) ? apps.reduce((a, r) => a + r.container!.limit!, 0) : null;
        return {
          podRef: { name: pod.name, namespace: pod.namespace, uid: members[0]!.uid },
          startTime: '2026-11-01T00:00:00Z',
          containers: apps.map((r) => ({ name: r.container!.name, startTime: '2026-11-01T00:00:00Z', memory: memoryJson(r.kubeletState, v, kubeletAt, r.container!.limit) })),
          memory: memoryJson(podState, v, kubeletAt, podLimit),
        };
      }),
    };
  }
  if (node.sources.includes('kubeletResourceMetrics')) sources.kubeletResourceMetrics = resourceMetrics(rendered, v, kubeletAt);
  if (node.sources.includes('kubeletCadvisorMetrics')) sources.kubeletCadvisorMetrics = cadvisorMetrics(node, rendered, kubeletAt);
  if (node.sources.includes('dockerStatsTable')) sources.dockerStatsTable = dockerStatsTable(rendered, v, formula);
  if (node.sources.includes('dockerStats')) sources.dockerStats = rendered.map((r) => dockerCliLine(r, v, formula, Math.min(r.container?.limit ?? HOST_MEMORY, HOST_MEMORY)));
  if (node.sources.includes('dockerApiStats')) sources.dockerApiStats = rendered.map((r) => dockerApiStats(r, v, at, r.container?.limit ?? null));
  if (node.sources.includes('crictlStats')) sources.crictlStats = { stats: rendered.filter((r) => r.container).map((r) => crictlEntry(r, v, at, r.container!.limit)) };
  if (node.sources.includes('cgroups')) {
    sources.cgroups = [];
    for (const pod of node.pods) {
      const members = podsOf(pod);
      const apps = members.filter((r) => r.container);
      const podLimit = apps.every((r) => r.container!.limit !== null) ? apps.reduce((a, r) => a + r.container!.limit!, 0) : null;
      const podState = sumStates([...members.map((r) => r.state), POD_OVERHEAD]);
      const podKills = apps.reduce((a, r) => a + r.oomKills, 0);
      sources.cgroups.push({ path: cgroupPathOf(node, { pod, uid: members[0]!.uid, id: null }), files: cgroupFiles(node, podState, podLimit, podKills) });
      for (const r of members) sources.cgroups.push({ path: cgroupPathOf(node, r), files: cgroupFiles(node, r.state, r.container?.limit ?? null, r.oomKills) });
    }
  }
  return { schema: CAPTURE_SCHEMA_ID, cluster, node: node.name, capturedAt: at.toISOString().replace('.000Z', 'Z'), host: node.host, sources };
}

// ---------------------------------------------------------------------------------------------
// The datasets

/** The seed article, captured by hand: before and after `less file100` in busybox. */
export function articleCaptures(): CaptureBundle[] {
  const uid = podUid('seed-article/default/busybox');
  const appId = hexId('article/busybox');
  const pauseId = 'db369d0c34bd' + hexId('article/pause', 52);
  const host: HostFacts = { cgroupVersion: 1, cgroupDriver: 'cgroupfs', kernel: '4.14.165-133.209.amzn2.x86_64', containerRuntime: 'docker://18.6.1', dockerVersion: '18.06.1-ce', kubeletVersion: 'v1.14.9' };
  // The article's kubelet numbers; cache = usage − rss and inactive_file = usage − workingSet.
  const moments = [
    { at: '2020-02-03T05:12:23Z', usage: 798_720, ws: 798_720, rss: 102_400, faults: 1459 },
    { at: '2020-02-03T05:30:57Z', usage: 105_971_712, ws: 105_963_520, rss: 106_496, faults: 32905 },
  ];
  return moments.map((m) => {
    const cacheBytes = m.usage - m.rss;
    const inactive = m.usage - m.ws;
    const stat: MemoryState = { anon: m.rss, activeFile: cacheBytes - inactive, inactiveFile: inactive, shmem: 0, kernel: 0 };
    const memory = { time: m.at, usageBytes: m.usage, workingSetBytes: m.ws, rssBytes: m.rss, pageFaults: m.faults, majorPageFaults: 0 };
    const table = [
      'CONTAINER ID        NAME                                                                 CPU %               MEM USAGE / LIMIT   MEM %               NET I/O             BLOCK I/O           PIDS',
      `db369d0c34bd        k8s_POD_busybox_default_${uid}_0   0.00%               620KiB / 7.69GiB    0.01%               0B / 0B             0B / 0B             1`,
    ].join('\n');
    const node: NodeModel = { name: 'ip-192-168-12-34.ap-northeast-1.compute.internal', cgroupVersion: 1, driver: 'cgroupfs', runtime: 'docker', host, pods: [], sources: [] };
    const pod: PodModel = { namespace: 'default', name: 'busybox', qos: 'besteffort', containers: [] };
    return {
      schema: CAPTURE_SCHEMA_ID,
      cluster: 'seed-article',
      node: node.name,
      capturedAt: m.at,
      host,
      sources: {
        kubeletSummary: { node: { nodeName: node.name, memory }, pods: [{ podRef: { name: 'busybox', namespace: 'default', uid }, containers: [{ name: 'busybox', memory }], memory }] },
        dockerStatsTable: `$ docker stats --no-stream db369d0c34bd\n${table}\n`,
        cgroups: [
          { path: cgroupPathOf(node, { pod, uid, id: appId } as Rendered), files: cgroupFiles(node, stat, null, 0) },
          { path: cgroupPathOf(node, { pod, uid, id: pauseId } as Rendered), files: cgroupFiles(node, pauseState(), null, 0) },
        ],
      },
    };
  });
}

export const DEMO_DAY = '2026-11-26';

/** The 3-node demo cluster; see the file comment for what each pod shows. */
export function demoCluster(): NodeModel[] {
  const kubeSystem = (node: string): PodModel[] => [
    { namespace: 'kube-system', name: `kube-proxy-${node}`, qos: 'besteffort', containers: [{ name: 'kube-proxy', limit: null, curve: steady(`${node}/kp`, 18, 4, 6) }] },
    { namespace: 'kube-system', name: `fluent-bit-${node}`, qos: 'burstable', containers: [{ name: 'fluent-bit', limit: 200 * MiB, curve: steady(`${node}/fb`, 35, 20, 40) }] },
  ];
  const leak: MemoryCurve = (h) => ({ anon: page(300 * MiB + h * 25 * MiB + wobble('leak', h, 3 * MiB)), activeFile: page(30 * MiB), inactiveFile: page(60 * MiB + wobble('leak-i', h, 4 * MiB)), shmem: 0, kernel: page(2 * MiB) });
  const cacheGrowth: MemoryCurve = (h) => ({ anon: page(120 * MiB + wobble('cg', h, 2 * MiB)), activeFile: page(40 * MiB + h * 12 * MiB), inactiveFile: page(80 * MiB + h * 10 * MiB), shmem: 0, kernel: page(2 * MiB) });
  const nearLimit: MemoryCurve = (h) => ({ anon: page(455 * MiB + wobble('nl', h, 6 * MiB)), activeFile: page(12 * MiB), inactiveFile: page(20 * MiB), shmem: 0, kernel: page(1 * MiB) });
  const tmpfs: MemoryCurve = (h) => ({ anon: page(60 * MiB + wobble('tmpfs', h, 2 * MiB)), activeFile: page(15 * MiB), inactiveFile: page(25 * MiB), shmem: page(Math.min(380, 80 + h * 20) * MiB), kernel: page(1 * MiB) });
  const ETL_LIMIT = 1024 * MiB;
  const etl: MemoryCurve = (h) => {
    const sinceStart = h < 14 ? h : h - 14; // OOM-killed at 14:00, restarted
    const anon = Math.min(ETL_LIMIT - 60 * MiB, 200 * MiB + sinceStart * 60 * MiB);
    return { anon: page(anon), activeFile: page(30 * MiB), inactiveFile: page(20 * MiB), shmem: 0, kernel: page(2 * MiB) };
  };
  const articleLike: MemoryCurve = (h) => ({ anon: 106_496, activeFile: h >= 5.5 ? 105_857_024 : 0, inactiveFile: h >= 5.5 ? 8192 : 0, shmem: 0, kernel: 0 });

  return [
    {
      name: 'ip-10-0-1-11.ec2.internal', cgroupVersion: 1, driver: 'cgroupfs', runtime: 'docker',
      host: { cgroupVersion: 1, cgroupDriver: 'cgroupfs', kernel: '4.14.165-133.209.amzn2.x86_64', containerRuntime: 'docker://18.6.1', dockerVersion: '18.06.1-ce', kubeletVersion: 'v1.14.9' },
      sources: ['kubeletSummary', 'dockerStats', 'cgroups'],
      pods: [
        { namespace: 'default', name: 'busybox', qos: 'besteffort', containers: [{ name: 'busybox', limit: null, curve: articleLike }] },
        { namespace: 'reports', name: 'report-builder-7d9f8', qos: 'burstable', containers: [{ name: 'builder', limit: 512 * MiB, curve: tmpfs }] },
        { namespace: 'web', name: 'frontend-5c6b7-x2x9q', qos: 'burstable', containers: [{ name: 'nginx', limit: 256 * MiB, curve: steady('fe-nginx', 22, 48, 30) }, { name: 'exporter', limit: 64 * MiB, curve: steady('fe-exp', 12, 2, 2) }] },
        { namespace: 'search', name: 'indexer-0', qos: 'burstable', containers: [{ name: 'indexer', limit: 2048 * MiB, curve: cacheGrowth }] },
        ...kubeSystem('a'),
      ],
    },
    {
      name: 'ip-10-0-2-22.ec2.internal', cgroupVersion: 2, driver: 'systemd', runtime: 'docker',
      host: { cgroupVersion: 2, cgroupDriver: 'systemd', kernel: '5.15.0-1051-aws', containerRuntime: 'docker://24.0.7', dockerVersion: '24.0.7', kubeletVersion: 'v1.27.4' },
      sources: ['kubeletSummary', 'dockerStats', 'dockerApiStats', 'cgroups'],
      pods: [
        { namespace: 'shop', name: 'orders-api-6f5d4-k8j2m', qos: 'burstable', containers: [{ name: 'orders-api', limit: 1536 * MiB, curve: leak }] },
        { namespace: 'shop', name: 'session-cache-0', qos: 'guaranteed', containers: [{ name: 'redis', limit: 512 * MiB, curve: nearLimit }] },
        { namespace: 'shop', name: 'catalog-api-7b8c9-p4l5n', qos: 'burstable', containers: [{ name: 'catalog-api', limit: 768 * MiB, curve: steady('catalog', 210, 60, 90) }, { name: 'envoy', limit: 128 * MiB, curve: steady('envoy', 28, 3, 4) }] },
        { namespace: 'web', name: 'frontend-5c6b7-m3n4p', qos: 'burstable', containers: [{ name: 'nginx', limit: 256 * MiB, curve: steady('fe2-nginx', 22, 50, 28) }, { name: 'exporter', limit: 64 * MiB, curve: steady('fe2-exp', 12, 2, 2) }] },
        ...kubeSystem('b'),
      ],
    },
    {
      name: 'ip-10-0-3-33.ec2.internal', cgroupVersion: 2, driver: 'systemd', runtime: 'containerd',
      host: { cgroupVersion: 2, cgroupDriver: 'systemd', kernel: '6.1.66-91.160.amzn2023.x86_64', containerRuntime: 'containerd://1.7.11', kubeletVersion: 'v1.29.1' },
      sources: ['kubeletSummary', 'crictlStats', 'kubeletResourceMetrics', 'cgroups'],
      pods: [
        { namespace: 'batch', name: 'etl-nightly-28f7x', qos: 'burstable', containers: [{ name: 'etl', limit: ETL_LIMIT, curve: etl, oomKillsAt: [14] }] },
        { namespace: 'shop', name: 'payments-api-5d6e7-q9r8s', qos: 'burstable', containers: [{ name: 'payments-api', limit: 1024 * MiB, curve: steady('payments', 340, 45, 70) }] },
        { namespace: 'web', name: 'frontend-5c6b7-z7y6x', qos: 'burstable', containers: [{ name: 'nginx', limit: 256 * MiB, curve: steady('fe3-nginx', 21, 47, 31) }] },
        { namespace: 'monitoring', name: 'prometheus-0', qos: 'burstable', containers: [{ name: 'prometheus', limit: 4096 * MiB, curve: steady('prom', 1400, 600, 900) }, { name: 'config-reloader', limit: 50 * MiB, curve: steady('reloader', 9, 1, 1) }] },
        ...kubeSystem('c'),
      ],
    },
  ];
}

/** Every capture of the demo day: 288 per node (5-minute interval), kubelet lagging 0–14 s. */
export function* demoDayCaptures(cluster = 'demo', day = DEMO_DAY, intervalMinutes = 5): Generator<CaptureBundle> {
  const dayStart = new Date(`${day}T00:00:00Z`);
  const nodes = demoCluster();
  for (let i = 0; i < (24 * 60) / intervalMinutes; i++) {
    for (const [n, node] of nodes.entries()) {
      const at = new Date(dayStart.getTime() + i * intervalMinutes * 60_000 + n * 7_000);
      const lagMs = ((i * 7 + n * 3) % 15) * 1000;
      yield renderCapture(cluster, node, at, dayStart, lagMs);
    }
  }
}

export function gzipBundle(bundle: CaptureBundle): Buffer {
  return gzipSync(JSON.stringify(bundle));
}
