/**
 * The scaled-down fleet of `npm run scale`: N fake 110-pod nodes, each running the real agent loop
 * (`runAgent`: capture → spool → batches → upload) against the S3 endpoint it is given. One fake
 * kubelet (+ dockerd with `docker`) process serves every node (same pods); each node has its own
 * cgroup tree (containerd: v2, systemd; Docker: v1, cgroupfs) whose app containers' memory moves
 * every simulated minute, so consecutive captures differ as on a real node. Simulated time: each agent's clock advances one minute per
 * capture, and the agents run back to back, not at wall-clock pace.
 *
 * Incidents (what makes an agent flush at once) are scheduled, not random: `incidentsPerNodeDay`
 * (an input assumption, default 2) spread over the fleet, alternating a container driven to 95 %
 * of its limit for ten minutes (near-limit) and an OOM kill (its counter moves).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentLogger } from '../../src/agent/log.js';
import { runAgent } from '../../src/agent/run.js';
import type { ObjectStore } from '../../src/store/port.js';
import { cgroupFiles, containerCgroupPath, dockerStatsBody, selfSignedCert, startFakeServers, syntheticPods, writeCgroupTree, type CgroupFlavour, type FakeContainer, type FakePod } from '../../test/integration/agent/fake-host.js';
import { syntheticSummary } from '../agent-bench.js';

export interface FleetOptions {
  dir: string;
  nodes: number;
  clusters: number;
  minutes: number;
  pods: number;
  batchSize: number;
  incidentsPerNodeDay: number;
  /** Docker nodes (cgroup v1, cgroupfs, the Engine API) instead of containerd ones (cgroup v2, systemd, no Docker). */
  docker: boolean;
  start: Date;
  /** One store per node (each agent has its own S3 client, as on a real fleet), or a shared one. */
  store: (node: number) => ObjectStore;
}

export interface FleetResult {
  captures: number;
  failures: number;
  objects: number;
  /** Objects by flush reason (`full` for a batch sent because it was full), and the captures they held. */
  flushReasons: Record<string, number>;
  capturesByReason: Record<string, number>;
  incidents: { nearLimit: number; oomKill: number };
  /** Nodes per cluster (unequal on purpose: steps of different sizes let fixed and per-node costs be told apart). */
  clusterNodes: Record<string, number>;
  wallMs: number;
}

/** Cluster of node `n` of `nodes`: cluster i holds a share ∝ i + 1 of the nodes (1 : 2 with two clusters). */
export function clusterOf(n: number, nodes: number, clusters: number): number {
  const total = (clusters * (clusters + 1)) / 2;
  const at = ((n + 0.5) / nodes) * total;
  let acc = 0;
  for (let i = 0; i < clusters; i++) {
    acc += i + 1;
    if (at < acc) return i;
  }
  return clusters - 1;
}

const MiB = 1024 * 1024;
const DOCKER: CgroupFlavour = { version: 1, driver: 'cgroupfs' };
const CONTAINERD: CgroupFlavour = { version: 2, driver: 'systemd', runtime: 'cri-containerd' };

/** Deterministic [0, 1) from integers (xorshift-style hash): the same run gives the same fleet. */
export function unit(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h ^= Math.imul(x | 0, 0x85ebca6b) + 0x6b43a9b5 + (h << 6) + (h >>> 2);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return (h >>> 0) / 2 ** 32;
}

/** The app container's memory at minute m on node n: a slow wave, a faster wave and noise, under its limit. */
function appMemory(c: FakeContainer, pod: number, node: number, minute: number): void {
  const base = (40 + (pod % 60) * 4) * MiB;
  const wave = 0.25 * Math.sin((2 * Math.PI * minute) / (180 + (pod % 7) * 40) + node) + 0.1 * Math.sin((2 * Math.PI * minute) / 17 + pod);
  const noise = (unit(node, pod, minute) - 0.5) * 0.04;
  const usage = Math.round(base * (1 + wave + noise) / 4096) * 4096;
  const file = Math.round((usage * (0.2 + 0.1 * unit(pod, node))) / 4096) * 4096;
  c.usage = usage;
  c.activeFile = Math.round(file * 0.55 / 4096) * 4096;
  c.inactiveFile = file - c.activeFile;
  c.shmem = pod % 9 === 0 ? 2 * MiB : 0;
  c.anon = usage - file - 64 * 1024;
}

interface NodeState {
  index: number;
  flavour: CgroupFlavour;
  cluster: string;
  name: string;
  pods: FakePod[];
  root: string;
  minute: number;
  /** minute → incident starting then */
  incidents: Map<number, 'near-limit' | 'oom-kill'>;
  nearUntil: number;
  nearPod: number;
}

/** The files that move every minute (and on an OOM kill), by cgroup version. */
const MOVING = { 1: ['memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.stat'], 2: ['memory.current', 'memory.peak', 'memory.stat'] } as const;
const OOM_FILE = { 1: 'memory.oom_control', 2: 'memory.events' } as const;

function writeApp(state: NodeState, podIndex: number, files: readonly string[]): void {
  const pod = state.pods[podIndex]!;
  const c = pod.containers[1]!;
  const text = cgroupFiles(c, state.flavour.version);
  const memRoot = state.flavour.version === 1 ? path.join(state.root, 'memory') : state.root;
  const dir = path.join(memRoot, ...containerCgroupPath(pod, c, state.flavour).split('/').filter(Boolean));
  for (const f of files) writeFileSync(path.join(dir, f), text[f]!);
}

/** Moves a node to minute `state.minute`: every app container's memory files, and any incident due. */
function advance(state: NodeState): void {
  const m = state.minute;
  const incident = state.incidents.get(m);
  if (incident === 'near-limit') {
    state.nearUntil = m + 10;
    state.nearPod = state.pods.findIndex((p) => p.containers[1]!.limit !== null);
  } else if (incident === 'oom-kill') {
    const i = Math.floor(unit(state.index, m, 7) * state.pods.length);
    const c = state.pods[i]!.containers[1]!;
    c.oomKills = (c.oomKills ?? 0) + 1;
    writeApp(state, i, [OOM_FILE[state.flavour.version]]);
  }
  for (let i = 0; i < state.pods.length; i++) {
    const c = state.pods[i]!.containers[1]!;
    appMemory(c, i, state.index, m);
    if (i === state.nearPod && m < state.nearUntil && c.limit !== null) {
      c.usage = Math.round((c.limit * 0.95) / 4096) * 4096;
      c.inactiveFile = 0;
      c.anon = c.usage - c.activeFile - 64 * 1024;
    }
    writeApp(state, i, MOVING[state.flavour.version]);
  }
}

export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  mkdirSync(options.dir, { recursive: true });
  const template = syntheticPods(options.pods);
  const at = options.start.toISOString().replace(/\.\d+Z$/, 'Z');
  const tls = selfSignedCert(options.dir);
  const tokenFile = path.join(options.dir, 'token');
  writeFileSync(tokenFile, 'scale-token');
  const flavour = options.docker ? DOCKER : CONTAINERD;
  const servers = await startFakeServers({
    token: 'scale-token',
    tls,
    summary: syntheticSummary(template, at),
    ...(options.docker
      ? {
          dockerSocket: path.join(options.dir, 'docker.sock'),
          docker: template.flatMap((p) => p.containers.map((c) => ({ id: c.id, name: `/k8s_${c.name}_${p.name}_${p.namespace}_${p.uid}_0`, stats: JSON.stringify(dockerStatsBody(p, c, 1, at)) }))),
        }
      : {}),
  });

  // Incidents: round(nodes × days × rate), at deterministic (node, minute) spots, alternating kinds.
  const total = Math.round((options.nodes * options.minutes * options.incidentsPerNodeDay) / 1440);
  const states: NodeState[] = [];
  for (let n = 0; n < options.nodes; n++) {
    const cluster = `scale-${clusterOf(n, options.nodes, options.clusters)}`;
    const pods = structuredClone(template);
    const root = writeCgroupTree(path.join(options.dir, `node-${n}`, 'cgroup'), flavour, pods);
    states.push({ index: n, flavour, cluster, name: `ip-10-${Math.floor(n / 250)}-${n % 250}-1.ec2.internal`, pods, root, minute: 0, incidents: new Map(), nearUntil: -1, nearPod: -1 });
  }
  for (let k = 0; k < total; k++) {
    const node = states[Math.floor(unit(k, 1) * options.nodes)]!;
    // Never in the first minutes (the start flush) nor the last ten (the shutdown flush would hide it).
    const minute = 5 + Math.floor(unit(k, 2) * Math.max(1, options.minutes - 15));
    node.incidents.set(minute, k % 2 === 0 ? 'near-limit' : 'oom-kill');
  }
  const incidents = { nearLimit: 0, oomKill: 0 };
  const clusterNodes: Record<string, number> = {};
  for (const s of states) clusterNodes[s.cluster] = (clusterNodes[s.cluster] ?? 0) + 1;
  for (const s of states) for (const kind of s.incidents.values()) incidents[kind === 'near-limit' ? 'nearLimit' : 'oomKill']++;

  const flushReasons: Record<string, number> = {};
  const capturesByReason: Record<string, number> = {};
  let objects = 0;
  const log: AgentLogger = {
    debug: (m, f) => {
      if (m !== 'uploaded batch') return;
      objects++;
      const reason = (f?.flushReason as string | undefined) ?? 'full';
      flushReasons[reason] = (flushReasons[reason] ?? 0) + 1;
      capturesByReason[reason] = (capturesByReason[reason] ?? 0) + ((f?.captures as number | undefined) ?? 0);
    },
    info() {},
    warn() {},
    error: (m, f) => process.stderr.write(`agent: ${m} ${JSON.stringify(f)}\n`),
  };
  const t0 = Date.now();
  try {
    const results = await Promise.all(
      states.map((s) =>
        runAgent({
          capture: {
            cluster: s.cluster,
            node: s.name,
            kubeletUrl: servers.kubeletUrl,
            tokenFile,
            caFile: tls.certFile,
            ...(servers.dockerSocket ? { dockerSocket: servers.dockerSocket } : {}),
            crictl: false,
            cgroupRoot: s.root,
            // 20+ trees of 2,310 files each: kept handles would exhaust the descriptor limit.
            keepCgroupFilesOpen: false,
            now: () => {
              advance(s);
              return new Date(options.start.getTime() + s.minute++ * 60_000);
            },
          },
          store: options.store(s.index),
          spoolDir: path.join(options.dir, `node-${s.index}`, 'spool'),
          spoolMaxBytes: 256 * MiB,
          intervalMs: 0,
          jitter: 0,
          batchSize: options.batchSize,
          maxCaptures: options.minutes,
          log,
          random: () => 0.5,
        }),
      ),
    );
    return {
      captures: results.reduce((a, r) => a + r.captures, 0),
      failures: results.reduce((a, r) => a + r.failures, 0),
      objects,
      flushReasons,
      capturesByReason,
      incidents,
      clusterNodes,
      wallMs: Date.now() - t0,
    };
  } finally {
    await servers.close();
  }
}
