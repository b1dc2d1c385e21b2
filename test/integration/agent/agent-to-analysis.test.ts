/**
 * End to end: the bundle the agent builds from a fake node goes through the core's ingest
 * (ingestObject) and yields the discrepancy rows the fake node's numbers imply.
 *
 * The fake node: the real k8s 1.35 /stats/summary, a cgroup v1 cgroupfs tree and a Docker
 * Engine API whose numbers podsFromSummary derives from that summary (synthetic, see
 * test/integration/agent/fake-host.ts), Docker 19.03.15 (so `docker stats` uses the legacy usage − cache).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOnce } from '../../../src/agent/capture.js';
import { dockerStatsBody, podsFromSummary, selfSignedCert, startFakeServers, writeCgroupTree, type FakeServers } from './fake-host.js';
import { ingestAgentBundle, num, type Row } from '../helpers/agent-bundle.js';

const FIX = path.resolve(import.meta.dirname, '../../fixtures/real');
const summaryText = readFileSync(path.join(FIX, 'kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json'), 'utf8');
interface SummaryPod { podRef: { name: string; namespace: string; uid: string }; containers: { name: string; memory: { time: string; usageBytes: number; workingSetBytes: number; rssBytes: number } }[] }
const summary = JSON.parse(summaryText) as { pods: SummaryPod[] };
const pods = podsFromSummary(summary);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-e2e-'));
let servers: FakeServers;
let rows: Row[] = [];

beforeAll(async () => {
  const tls = selfSignedCert(tmp);
  const tokenFile = path.join(tmp, 'token');
  writeFileSync(tokenFile, 'e2e-token');
  const cgroupRoot = writeCgroupTree(path.join(tmp, 'cgroup'), { version: 1, driver: 'cgroupfs' }, pods);
  const docker = pods.flatMap((pod) => {
    const sp = summary.pods.find((p) => p.podRef.uid === pod.uid)!;
    // Docker reads at the kubelet's own sample instant, so no time skew enters the gap.
    const read = sp.containers[0]!.memory.time;
    return pod.containers.map((c) => ({ id: c.id, name: `/k8s_${c.name}_${pod.name}_${pod.namespace}_${pod.uid}_0`, stats: JSON.stringify(dockerStatsBody(pod, c, 1, read)) }));
  });
  servers = await startFakeServers({ token: 'e2e-token', tls, summary: summaryText, dockerSocket: path.join(tmp, 'docker.sock'), dockerVersion: '19.03.15', docker });

  const { bundle } = await captureOnce({
    cluster: 'kind-e2e', node: 'datagen-1-35', kubeletUrl: servers.kubeletUrl, tokenFile, caFile: tls.certFile,
    dockerSocket: servers.dockerSocket!, crictl: false, cgroupRoot, now: () => new Date('2026-06-26T10:14:41Z'),
  });
  ({ discrepancy: rows } = await ingestAgentBundle(bundle, tmp));
}, 60_000);

afterAll(async () => {
  await servers?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent bundle → ingest → discrepancy rows', () => {
  it('has a container row per app container and pause container, and a row per pod', () => {
    // 17 pods × (1 app + 1 pause) container rows + 17 pod rows.
    expect(rows.filter((r) => r.level === 'container')).toHaveLength(34);
    expect(rows.filter((r) => r.level === 'pod')).toHaveLength(17);
  });

  it('e2e-scraper: the page-cache gap the fake numbers imply', () => {
    // Summary: usageBytes 14712832, workingSetBytes 1454080, rssBytes 118784.
    // Fake cgroup: anon 118784, active_file 1454080 − 118784 = 1335296, inactive_file 14712832 − 1454080 = 13258752,
    // cache = 1335296 + 13258752 = 14594048. Legacy docker stats = usage − cache = 14712832 − 14594048 = 118784.
    // gap = kubectl top − docker = 1454080 − 118784 = 1335296, all of it active page cache.
    const r = rows.find((x) => x.level === 'container' && x.pod === 'e2e-scraper-5f97dc94d8-vkcjl' && x.container === 'e2e-scraper')!;
    expect(r).toBeDefined();
    expect(num(r.kubectl_top_bytes)).toBe(1454080);
    expect(num(r.docker_stats_bytes)).toBe(118784);
    expect(r.docker_formula).toBe('legacy');
    expect(num(r.usage_bytes)).toBe(14712832);
    expect(num(r.working_set_bytes)).toBe(1454080);
    expect(num(r.rss_bytes)).toBe(118784);
    expect(num(r.cache_bytes)).toBe(14594048);
    expect(num(r.active_file_bytes)).toBe(1335296);
    expect(num(r.inactive_file_bytes)).toBe(13258752);
    expect(num(r.gap_bytes)).toBe(1335296);
    expect(num(r.gap_page_cache_bytes)).toBe(1335296);
    expect(num(r.gap_skew_bytes)).toBe(0);
    expect(num(r.gap_residual_bytes)).toBe(0);
    expect(r.cause).toBe('page-cache');
    expect(num(r.limit_bytes)).toBeNull(); // the fake containers have no limit
    expect(num(r.oom_kill_count)).toBe(0); // memory.oom_control: oom_kill 0
  });

  it("kube-apiserver: working set equals usage (no inactive file) so the gap is its active file, 221794304 − rss", () => {
    const sp = summary.pods.find((p) => p.podRef.name === 'kube-apiserver-datagen-1-35')!;
    const m = sp.containers[0]!.memory;
    // usage 221794304 = workingSet 221794304 → inactive 0; active = ws − rss; legacy docker = usage − cache = rss.
    const r = rows.find((x) => x.level === 'container' && x.pod === 'kube-apiserver-datagen-1-35' && x.container === 'kube-apiserver')!;
    expect(num(r.kubectl_top_bytes)).toBe(221794304);
    expect(num(r.docker_stats_bytes)).toBe(m.rssBytes);
    expect(num(r.gap_bytes)).toBe(221794304 - m.rssBytes);
    expect(num(r.gap_page_cache_bytes)).toBe(221794304 - m.rssBytes);
  });

  it('the pause container gets its own row: not in kubectl top, container-mismatch', () => {
    const r = rows.find((x) => x.level === 'container' && x.pod === 'e2e-scraper-5f97dc94d8-vkcjl' && x.container === 'POD')!;
    expect(r.flags).toContain('pause-container');
    expect(r.cause).toBe('container-mismatch');
    expect(num(r.kubectl_top_bytes)).toBeNull();
    // Legacy on the pause cgroup: usage 700416 − cache 0.
    expect(num(r.docker_stats_bytes)).toBe(700416);
  });

  it("pod row: kubectl top sums the app containers, the cgroup columns are the pod cgroup's own", () => {
    const r = rows.find((x) => x.level === 'pod' && x.pod === 'e2e-scraper-5f97dc94d8-vkcjl')!;
    expect(num(r.kubectl_top_bytes)).toBe(1454080);
    expect(num(r.docker_stats_bytes)).toBe(118784); // pause excluded
    // Pod cgroup = pause 700416 + app 14712832.
    expect(num(r.usage_bytes)).toBe(700416 + 14712832);
  });
});
