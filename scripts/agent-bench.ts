/**
 * Agent capture benchmark for `npm run bench`: one 110-pod node (the kubelet's default
 * max-pods), each pod a pause + an app container, so 220 Docker containers, 330 cgroups and a
 * ~300 KB /stats/summary.
 *
 * Three processes, so each number belongs to the agent alone: this one builds the fake node
 * (cgroup tree, certificate, payloads), a child serves the fake kubelet and Docker, and another
 * child is the agent — started like the image starts it (AGENT_NODE_FLAGS, AGENT_ENV, no NODE_OPTIONS), it
 * loads the agent code, captures, validates, gzips and spools, and reports its own CPU (user +
 * system) per capture and its own peak RSS (the kernel's high-water mark for the whole process
 * life: Node itself, the code it loaded, warm-up and every capture).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleKey, encodeBundle } from '../src/agent/bundle.js';
import { captureOnce, type CaptureConfig } from '../src/agent/capture.js';
import { dockerStatsBody, selfSignedCert, startFakeServers, syntheticPods, writeCgroupTree, type FakePod } from '../test/integration/agent/fake-host.js';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '../src/agent/runtime.js';
import { Spool, Uploader } from '../src/agent/spool.js';
import { FlushWatch } from '../src/agent/signals.js';
import { DEFAULT_BATCH_SIZE } from '../src/agent/batch.js';
import type { ObjectStore } from '../src/store/port.js';

export interface AgentBenchResult {
  cpuMsPerCapture: number;
  /**
   * The agent process's peak RSS from start to the last capture: VmHWM of /proc/self/status, the
   * high-water mark of its own address space. Not getrusage's maxRSS: Linux carries into a spawned
   * child the RSS its parent had at fork time, so maxRSS reads at least the bench process's RSS.
   */
  peakRssMiB: number;
  /** RSS of the agent process once its code is loaded, before the first capture. */
  baselineRssMiB: number;
  /** Gzip bundle size of one capture. */
  bundleBytes: number;
  /** Size of the last batch object built (brotli), and the captures in it. */
  batchBytes: number;
  batchCaptures: number;
}

/** Set in the agent child's environment: the path of its JSON config. */
export const BENCH_AGENT_ENV = 'MEMGAP_BENCH_AGENT_CONFIG';

interface AgentRoleConfig {
  capture: CaptureConfig & { now?: never };
  spoolDir: string;
  captures: number;
  expectCgroups: number;
  expectDocker: number;
}

/** A /stats/summary for the fake pods, with the blocks a real kubelet sends per pod and container. */
export function syntheticSummary(pods: FakePod[], at: string): string {
  const psi = { full: { total: 0, avg10: 0, avg60: 0, avg300: 0 }, some: { total: 0, avg10: 0, avg60: 0, avg300: 0 } };
  const mem = (usage: number, ws: number, rss: number) => ({ time: at, usageBytes: usage, workingSetBytes: ws, rssBytes: rss, pageFaults: 31074, majorPageFaults: 0, psi });
  const cpu = { time: at, usageNanoCores: 1234567, usageCoreNanoSeconds: 987654321, psi };
  const fsStats = { time: at, availableBytes: 50_000_000_000, capacityBytes: 100_000_000_000, usedBytes: 12288, inodesFree: 6_000_000, inodes: 6_500_000, inodesUsed: 3 };
  return JSON.stringify({
    node: { nodeName: 'bench-node', startTime: at, cpu, memory: mem(4e9, 3e9, 2e9), systemContainers: [] },
    pods: pods.map((p) => {
      const app = p.containers[1]!;
      const ws = app.usage - app.inactiveFile;
      return {
        podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
        startTime: at,
        containers: [{ name: app.name, startTime: at, cpu, memory: mem(app.usage, ws, app.anon), rootfs: fsStats, logs: fsStats, swap: { time: at, swapUsageBytes: 0 } }],
        cpu,
        memory: mem(app.usage + 700_416, ws + 700_416, app.anon + 331_776),
        network: { time: at, name: 'eth0', rxBytes: 123456, rxErrors: 0, txBytes: 654321, txErrors: 0, interfaces: [{ name: 'eth0', rxBytes: 123456, rxErrors: 0, txBytes: 654321, txErrors: 0 }] },
        volume: [{ ...fsStats, name: 'kube-api-access' }],
        'ephemeral-storage': fsStats,
        process_stats: { process_count: 3 },
        swap: { time: at, swapUsageBytes: 0 },
      };
    }),
  });
}

/**
 * The orchestrator. `agentEntry` is a script that calls `runBenchAgentRole()` when BENCH_AGENT_ENV
 * is set (scripts/bench-agent.ts, bundled, is: it passes its own path).
 */
export async function benchAgentCapture(options: { agentEntry: string; pods?: number; captures?: number; /** Experiments only: flags on top of AGENT_NODE_FLAGS. */ extraNodeFlags?: string[] }): Promise<AgentBenchResult> {
  const podCount = options.pods ?? 110;
  // One full batch inside the measured captures: its brotli encoding is part of the cost per capture.
  const captures = options.captures ?? DEFAULT_BATCH_SIZE;
  // tmpfs when there is one: the real cgroup tree is an in-memory filesystem too.
  const parent = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = mkdtempSync(path.join(parent, 'memgap-agent-bench-'));
  const pods = syntheticPods(podCount);
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const tls = selfSignedCert(dir);
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, 'bench-token');
  const cgroupRoot = writeCgroupTree(path.join(dir, 'cgroup'), { version: 1, driver: 'cgroupfs' }, pods);
  const servers = await startFakeServers({
    token: 'bench-token',
    tls,
    summary: syntheticSummary(pods, at),
    dockerSocket: path.join(dir, 'docker.sock'),
    docker: pods.flatMap((p) => p.containers.map((c) => ({ id: c.id, name: `/k8s_${c.name}_${p.name}_${p.namespace}_${p.uid}_0`, stats: JSON.stringify(dockerStatsBody(p, c, 1, at)) }))),
  });
  try {
    const role: AgentRoleConfig = {
      capture: { cluster: 'bench', node: 'bench-node', kubeletUrl: servers.kubeletUrl, tokenFile, caFile: tls.certFile, dockerSocket: servers.dockerSocket!, crictl: false, cgroupRoot },
      spoolDir: path.join(dir, 'spool'),
      captures,
      expectCgroups: podCount * 3,
      expectDocker: podCount * 2,
    };
    const configFile = path.join(dir, 'agent.json');
    writeFileSync(configFile, JSON.stringify(role));
    // The image sets no NODE_OPTIONS; `npm run bench` does (--openssl-legacy-provider, for s3rver).
    const env: NodeJS.ProcessEnv = { ...process.env, ...AGENT_ENV, [BENCH_AGENT_ENV]: configFile };
    delete env.NODE_OPTIONS;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, ...(options.extraNodeFlags ?? []), options.agentEntry], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (text += t));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`bench agent exited with ${code}`))));
    });
    return JSON.parse(out.trim().split('\n').at(-1)!) as AgentBenchResult;
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** VmHWM (kB) of /proc/self/status; getrusage's maxRSS where /proc is not there. */
export function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** The last object PUT to discardStore: its size and, from its key, its captures. */
const lastPut = { bytes: 0, captures: 0 };
/** A store that takes every PUT and keeps nothing: the batch is built, its upload costs nothing here. */
const discardStore: ObjectStore = {
  location: 'discard',
  async *list() {},
  get: () => Promise.reject(new Error('discard store')),
  getBytes: () => Promise.reject(new Error('discard store')),
  put: (key, body) => {
    lastPut.bytes = body.length;
    lastPut.captures = Number(/_(\d+)\.json\.br$/.exec(key)?.[1] ?? 1);
    return Promise.resolve();
  },
  delete: () => Promise.resolve(),
  exists: () => Promise.resolve(false),
};

/**
 * The agent process's side: capture as `runAgent` does (capture → gzip → spool → flush check →
 * a batch object built from the spool every DEFAULT_BATCH_SIZE captures), measure, print JSON.
 */
export async function runBenchAgentRole(configFile: string): Promise<AgentBenchResult> {
  const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const baselineRss = process.memoryUsage.rss();
  const role = JSON.parse(readFileSync(configFile, 'utf8')) as AgentRoleConfig;
  const spool = new Spool(role.spoolDir, 1024 ** 3);
  const uploader = new Uploader(spool, discardStore, { batchSize: DEFAULT_BATCH_SIZE });
  const watch = new FlushWatch();
  let minute = 0;
  const config: CaptureConfig = { ...role.capture, now: () => new Date(Date.UTC(2026, 10, 27, 0, minute++)) };
  let bundleBytes = 0;
  const one = async (): Promise<void> => {
    const { bundle, readings } = await captureOnce(config);
    if (bundle.sources.cgroups?.length !== role.expectCgroups || bundle.sources.dockerApiStats?.length !== role.expectDocker || bundle.sources.kubeletSummary === undefined) {
      throw new Error('bench: the capture missed part of the fake node');
    }
    const body = await encodeBundle(bundle);
    bundleBytes = body.length;
    spool.add(bundleKey(bundle), body);
    if (watch.check(readings)) throw new Error('bench: the fake node does not change, nothing may flush early');
    await uploader.drainOnce();
  };
  for (let i = 0; i < 3; i++) await one(); // JIT and TLS warm-up
  const before = process.cpuUsage();
  for (let i = 0; i < role.captures; i++) await one();
  const used = process.cpuUsage(before);
  return {
    cpuMsPerCapture: Math.round(((used.user + used.system) / 1000 / role.captures) * 100) / 100,
    peakRssMiB: mib(peakRssBytes()),
    baselineRssMiB: mib(baselineRss),
    bundleBytes,
    batchBytes: lastPut.bytes,
    batchCaptures: lastPut.captures,
  };
}
