/**
 * Agent capture benchmark for `npm run bench`: one 110-pod node (the kubelet's default
 * max-pods), each pod a pause + an app container, so 220 Docker containers, 330 cgroups and a
 * ~300 KB /stats/summary. The fake kubelet and Docker run in a child process; the numbers are
 * this process's: CPU (user + system) per capture — collect, validate, JSON, gzip, spool write —
 * and the RSS at each capture's high point, which includes Node itself (~40 MiB) and whatever the
 * caller loaded before: run it in a fresh process for the agent's own figure.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleKey, encodeBundle } from './bundle.js';
import { captureOnce } from './capture.js';
import { dockerStatsBody, selfSignedCert, startFakeServers, syntheticPods, writeCgroupTree, type FakePod } from './fake-host.js';
import { Spool } from './spool.js';

export interface AgentBenchResult {
  cpuMsPerCapture: number;
  /** Process RSS at the captures' high points (Node itself included). */
  peakRssMiB: number;
  /** RSS of this process when the benchmark started: peakRssMiB − this ≈ what capturing adds. */
  baselineRssMiB: number;
}

/** A /stats/summary for the fake pods, with the blocks a real kubelet sends per pod and container. */
function syntheticSummary(pods: FakePod[], at: string): string {
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

export async function benchAgentCapture(options: { pods?: number; captures?: number } = {}): Promise<AgentBenchResult> {
  const baselineRss = process.memoryUsage.rss();
  const podCount = options.pods ?? 110;
  const captures = options.captures ?? 20;
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
    const spool = new Spool(path.join(dir, 'spool'), 1024 ** 3);
    let minute = 0;
    const config = {
      cluster: 'bench',
      node: 'bench-node',
      kubeletUrl: servers.kubeletUrl,
      tokenFile,
      caFile: tls.certFile,
      dockerSocket: servers.dockerSocket!,
      crictl: false as const,
      cgroupRoot,
      now: () => new Date(Date.UTC(2026, 10, 27, 0, minute++)),
    };
    let peakRss = 0;
    const sample = (): void => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    };
    const one = async (): Promise<void> => {
      const { bundle } = await captureOnce(config);
      sample();
      if (bundle.sources.cgroups?.length !== podCount * 3 || bundle.sources.dockerApiStats?.length !== podCount * 2) {
        throw new Error('bench: the capture missed part of the fake node');
      }
      const body = encodeBundle(bundle);
      sample(); // bundle object, its JSON and the gzip all alive: the capture's high point
      spool.add(bundleKey(bundle), body);
    };
    for (let i = 0; i < 3; i++) await one(); // JIT and TLS session warm-up
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    peakRss = 0;
    const before = process.cpuUsage();
    for (let i = 0; i < captures; i++) await one();
    const used = process.cpuUsage(before);
    return {
      cpuMsPerCapture: Math.round(((used.user + used.system) / 1000 / captures) * 100) / 100,
      // Sampled at the capture's high points, after a GC: the fake node's setup (writing 330
      // cgroup folders, building 220 Docker bodies) would otherwise set the process's maxRSS.
      peakRssMiB: Math.round((peakRss / 1024 / 1024) * 10) / 10,
      baselineRssMiB: Math.round((baselineRss / 1024 / 1024) * 10) / 10,
    };
  } finally {
    await servers.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
