import os from 'node:os';
import type { CaptureBundle, CaptureSources, HostFacts } from '../model/bundle.js';
import { CgroupFileHandles, collectCgroups } from './cgroups.js';
import { collectCrictl, findCrictl } from './crictl.js';
import { collectDocker } from './docker.js';
import { fetchKubeletSummary, fetchNodeInfo, type NodeInfoFacts } from './kubelet.js';
import { buildBundle } from './bundle.js';
import { errorFields, silentLogger, type AgentLogger } from './log.js';
import type { HttpLimits } from './http.js';
import type { CgroupReading } from './signals.js';

export interface CaptureConfig {
  cluster: string;
  node: string;
  /** `https://<ip>:10250` or, opted in, `http://<ip>:10255`; absent = no kubelet source. */
  kubeletUrl?: string;
  tokenFile?: string;
  caFile?: string;
  /** API server for the Node object's versions; absent = versions from runtimes only. */
  apiServerUrl?: string;
  dockerSocket?: string;
  /** Explicit crictl path, `false` to disable, undefined to look on PATH. */
  crictl?: string | false;
  cgroupRoot?: string;
  limits?: Partial<HttpLimits>;
  maxContainers?: number;
  /** Keep cgroup files open between captures (CgroupFileHandles); default true. */
  keepCgroupFilesOpen?: boolean;
  /** Overrides the clock (tests, replays). */
  now?: () => Date;
}

export interface CaptureResult {
  bundle: CaptureBundle;
  /** Per-source outcome for the log line: counts or the error message, never payloads. */
  report: Record<string, unknown>;
  /** Per-cgroup usage, limit and OOM counter (empty without a cgroup tree): what FlushWatch compares. */
  readings: CgroupReading[];
}

export class NoSourceError extends Error {
  override readonly name = 'NoSourceError';
}

const DEFAULT_LIMITS: HttpLimits = { timeoutMs: 10_000, maxBytes: 64 * 1024 * 1024 };

// One set of open cgroup files per cgroup root, for the life of the process (see CgroupFileHandles).
const cgroupHandles = new Map<string, CgroupFileHandles>();

// Versions change only on upgrades; the Node object is fetched once per process.
const nodeInfoCache = new Map<string, Promise<NodeInfoFacts>>();

/**
 * One capture. Every remote source is started first and the cgroup tree is read while they are
 * in flight, so the sources' instants sit as close together as the node allows; a failing
 * source is reported and left out, the capture fails only when no source answered.
 */
export async function captureOnce(config: CaptureConfig, log: AgentLogger = silentLogger): Promise<CaptureResult> {
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
  const capturedAt = (config.now ?? (() => new Date()))();
  const report: Record<string, unknown> = {};

  const kubelet = config.kubeletUrl
    ? fetchKubeletSummary({ baseUrl: config.kubeletUrl, limits, ...(config.tokenFile ? { tokenFile: config.tokenFile } : {}), ...(config.caFile ? { caFile: config.caFile } : {}) })
    : null;
  const docker = config.dockerSocket ? collectDocker({ socketPath: config.dockerSocket, limits, ...(config.maxContainers ? { maxContainers: config.maxContainers } : {}) }) : null;
  const crictl =
    config.crictl === false
      ? null
      : findCrictl(config.crictl).then((bin) => (bin ? collectCrictl(bin, { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes }) : null));
  let nodeInfo: Promise<NodeInfoFacts> | null = null;
  if (config.apiServerUrl) {
    const cacheKey = `${config.apiServerUrl}|${config.node}`;
    nodeInfo = nodeInfoCache.get(cacheKey) ?? null;
    if (!nodeInfo) {
      nodeInfo = fetchNodeInfo({ apiServerUrl: config.apiServerUrl, nodeName: config.node, limits, ...(config.tokenFile ? { tokenFile: config.tokenFile } : {}), ...(config.caFile ? { caFile: config.caFile } : {}) });
      nodeInfoCache.set(cacheKey, nodeInfo);
      nodeInfo.catch(() => nodeInfoCache.delete(cacheKey));
    }
  }

  const sources: CaptureSources = {};
  const host: HostFacts = { kernel: os.release() };
  let readings: CgroupReading[] = [];

  if (config.cgroupRoot) {
    try {
      let handles: CgroupFileHandles | undefined;
      if (config.keepCgroupFilesOpen !== false) {
        handles = cgroupHandles.get(config.cgroupRoot);
        if (!handles) cgroupHandles.set(config.cgroupRoot, (handles = new CgroupFileHandles()));
      }
      const scan = collectCgroups(config.cgroupRoot, { ...(config.maxContainers ? { maxCgroups: config.maxContainers } : {}), ...(handles ? { handles } : {}) });
      if (scan.layout) {
        host.cgroupVersion = scan.layout.version;
        if (scan.layout.driver) host.cgroupDriver = scan.layout.driver;
      }
      if (scan.entries.length > 0) sources.cgroups = scan.entries;
      readings = scan.readings;
      report.cgroups = scan.layout ? { count: scan.entries.length, skipped: scan.skipped } : { error: 'no cgroup hierarchy found' };
      if (scan.skipped > 0) log.warn('cgroups over the limit were not read', { skipped: scan.skipped });
    } catch (err) {
      report.cgroups = errorFields(err);
    }
  }

  const settled = await Promise.allSettled([kubelet, docker, crictl, nodeInfo]);
  const [k, d, c, n] = settled;
  if (kubelet) {
    if (k!.status === 'fulfilled') {
      sources.kubeletSummary = k!.value;
      report.kubeletSummary = 'ok';
    } else report.kubeletSummary = errorFields(k!.reason);
  }
  if (docker) {
    if (d!.status === 'fulfilled' && d!.value) {
      sources.dockerApiStats = d!.value.stats;
      if (d!.value.version) host.dockerVersion = d!.value.version;
      report.dockerApiStats = { count: d!.value.stats.length, failed: d!.value.failed };
    } else if (d!.status === 'rejected') report.dockerApiStats = errorFields(d!.reason);
  }
  if (c!.status === 'fulfilled' && c!.value) {
    sources.crictlStats = c!.value.stats;
    if (c!.value.runtimeVersion) host.containerRuntime = c!.value.runtimeVersion;
    report.crictlStats = 'ok';
  } else if (c!.status === 'rejected') report.crictlStats = errorFields(c!.reason);
  if (nodeInfo) {
    if (n!.status === 'fulfilled' && n!.value) {
      // The Node object names the runtime the kubelet actually talks to; it wins over crictl's guess.
      Object.assign(host, n!.value);
    } else if (n!.status === 'rejected') report.nodeInfo = errorFields(n!.reason);
  }
  if (!host.containerRuntime && host.dockerVersion) host.containerRuntime = `docker://${host.dockerVersion}`;

  if (Object.keys(sources).length === 0) throw new NoSourceError(`no source answered: ${JSON.stringify(report)}`);
  const bundle = buildBundle({ cluster: config.cluster, node: config.node, capturedAt, host, sources });
  return { bundle, report, readings };
}
