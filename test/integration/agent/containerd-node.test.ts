/**
 * A containerd node end to end, with the agent's real `crictl` path: the agent finds a `crictl`
 * executable, runs `crictl stats -o json` and `crictl version` as child processes, and the bundle
 * goes through the core's ingest.
 *
 * The fake node: the real k8s 1.35 containerd /stats/summary; a cgroup v2 tree under the systemd
 * driver with `cri-containerd-<id>.scope` leaves; a `crictl` shell script that prints CRI stats
 * built from the same numbers (protojson: 64-bit ints as strings, nanosecond timestamps, app
 * containers only: CRI never lists the sandbox); no Docker socket.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOnce } from '../../../src/agent/capture.js';
import { podsFromSummary, selfSignedCert, startFakeServers, writeCgroupTree, type FakeServers } from './fake-host.js';
import type { CaptureBundle } from '../../../src/model/bundle.js';
import { ingestAgentBundle, num, type Row } from '../helpers/agent-bundle.js';

const FIX = path.resolve(import.meta.dirname, '../../fixtures/real');
const summaryText = readFileSync(path.join(FIX, 'kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json'), 'utf8');
interface SummaryPod { podRef: { name: string; namespace: string; uid: string }; containers: { name: string; memory: { time: string; usageBytes: number; workingSetBytes: number; rssBytes: number } }[] }
const summary = JSON.parse(summaryText) as { pods: SummaryPod[] };
const pods = podsFromSummary(summary);
const appContainers = pods.flatMap((p) => p.containers.filter((c) => c.name !== 'POD'));

const CAPTURED_AT = new Date('2026-06-26T10:14:41Z');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-containerd-'));
let servers: FakeServers;
let bundle: CaptureBundle;
let report: Record<string, unknown>;
let discrepancy: Row[] = [];
let samples: Row[] = [];

/** CRI ContainerStats for the fake pods, as `crictl stats -o json` prints them, sampled at the kubelet's instant. */
function crictlStatsJson(): string {
  const stats = summary.pods.flatMap((sp) => {
    const pod = pods.find((p) => p.uid === sp.podRef.uid)!;
    return sp.containers.map((sc) => {
      const c = pod.containers.find((x) => x.name === sc.name)!;
      const ns = `${BigInt(Date.parse(sc.memory.time)) * 1_000_000n}`;
      return {
        attributes: {
          id: c.id,
          metadata: { name: c.name, attempt: 0 },
          labels: { 'io.kubernetes.container.name': c.name, 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.pod.namespace': pod.namespace, 'io.kubernetes.pod.uid': pod.uid },
          annotations: {},
        },
        cpu: { timestamp: ns, usageCoreNanoSeconds: { value: '1000' } },
        memory: {
          timestamp: ns,
          workingSetBytes: { value: String(sc.memory.workingSetBytes) },
          usageBytes: { value: String(sc.memory.usageBytes) },
          rssBytes: { value: String(sc.memory.rssBytes) },
          pageFaults: { value: '0' },
          majorPageFaults: { value: '0' },
        },
        writableLayer: null,
      };
    });
  });
  return JSON.stringify({ stats }, null, 2);
}

beforeAll(async () => {
  const tls = selfSignedCert(tmp);
  const tokenFile = path.join(tmp, 'token');
  writeFileSync(tokenFile, 'containerd-token');
  const cgroupRoot = writeCgroupTree(path.join(tmp, 'cgroup'), { version: 2, driver: 'systemd', runtime: 'cri-containerd' }, pods);
  writeFileSync(path.join(tmp, 'crictl-stats.json'), crictlStatsJson());
  const crictl = path.join(tmp, 'bin', 'crictl');
  mkdirSync(path.dirname(crictl), { recursive: true });
  // What crictl 1.3x prints for `version` (kubernetes-sigs/cri-tools cmd/crictl/version.go).
  writeFileSync(
    crictl,
    `#!/bin/sh
case "$1 $2 $3" in
  "stats -o json") cat '${path.join(tmp, 'crictl-stats.json')}' ;;
  "version  ") printf 'Version:  0.1.0\\nRuntimeName:  containerd\\nRuntimeVersion:  v2.2.1\\nRuntimeApiVersion:  v1\\n' ;;
  *) echo "unexpected crictl arguments: $*" >&2; exit 3 ;;
esac
`,
  );
  chmodSync(crictl, 0o755);
  servers = await startFakeServers({ token: 'containerd-token', tls, summary: summaryText });

  const captured = await captureOnce({
    cluster: 'kind-containerd', node: 'datagen-1-35', kubeletUrl: servers.kubeletUrl, tokenFile, caFile: tls.certFile,
    dockerSocket: path.join(tmp, 'no-docker-here.sock'), crictl, cgroupRoot, now: () => CAPTURED_AT,
  });
  bundle = captured.bundle;
  report = captured.report as unknown as Record<string, unknown>;
  ({ discrepancy, samples } = await ingestAgentBundle(bundle, tmp));
}, 60_000);

afterAll(async () => {
  await servers?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent on a containerd node (crictl, cgroup v2 + systemd, no Docker)', () => {
  it('runs crictl: its stats go in verbatim, its version names the runtime, Docker is reported absent', () => {
    expect((bundle.sources.crictlStats as { stats: unknown[] }).stats).toHaveLength(appContainers.length);
    expect(bundle.sources.dockerApiStats).toBeUndefined();
    expect(bundle.host).toMatchObject({ cgroupVersion: 2, cgroupDriver: 'systemd', containerRuntime: 'containerd://2.2.1' });
    expect(report.dockerApiStats).toBeDefined();
    expect(report.dockerApiStats).not.toMatchObject({ count: expect.any(Number) });
  });

  it('every crictl sample joins its cgroup (by container id) in one discrepancy row', () => {
    const cri = samples.filter((s) => s.source === 'crictl');
    expect(cri).toHaveLength(appContainers.length);
    for (const s of cri) {
      // The samples table keeps what each source itself said: the cgroup knows only the id.
      const cgroup = samples.find((x) => x.source === 'cgroup' && x.container_id === s.container_id)!;
      expect(cgroup.cgroup_path).toMatch(/^\/kubepods\.slice\/.*\/cri-containerd-[0-9a-f]{64}\.scope$/);
      expect(cgroup.container).toBeNull();
      // The discrepancy row is the joined container: crictl's names, the cgroup's numbers.
      const row = discrepancy.find((x) => x.level === 'container' && x.container_id === s.container_id)!;
      expect(row).toMatchObject({ pod_uid: s.pod_uid, container: s.container, pod: s.pod });
      expect(num(row.usage_bytes)).toBe(num(cgroup.usage_bytes));
      expect(num(row.working_set_bytes)).toBe(num(s.working_set_bytes));
    }
  });

  it('e2e-scraper: kubectl top is the working set; no docker stats, so the gap is a missing source', () => {
    // Summary: workingSetBytes 1454080, usageBytes 14712832 (cgroup memory.current = usage by construction).
    const r = discrepancy.find((x) => x.level === 'container' && x.pod === 'e2e-scraper-5f97dc94d8-vkcjl' && x.container === 'e2e-scraper')!;
    expect(r).toBeDefined();
    expect(num(r.kubectl_top_bytes)).toBe(1454080);
    expect(num(r.working_set_bytes)).toBe(1454080);
    expect(num(r.usage_bytes)).toBe(14712832);
    expect(num(r.docker_stats_bytes)).toBeNull();
    expect(num(r.gap_bytes)).toBeNull();
    expect(r.cause).toBe('missing-source');
  });

  it('the sandbox, which only the cgroup tree shows, is recognised as the pause container of each pod', () => {
    const pause = discrepancy.filter((x) => x.level === 'container' && x.container === 'POD');
    expect(pause).toHaveLength(pods.length);
    for (const p of pause) expect(p.flags).toContain('pause-container');
    expect(discrepancy.filter((x) => x.level === 'container' && x.container === null)).toHaveLength(0);
  });
});
