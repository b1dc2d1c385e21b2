import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKubeletSummary } from '../../../src/sources/kubelet-summary.js';
import { InvalidSnapshotError } from '../../../src/errors.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { kubectlTopDisplay } from '../../../src/analysis/formulas.js';
import type { ParseContext } from '../../../src/sources/types.js';
import type { Sample } from '../../../src/model/sample.js';
import { rejectionOf } from './helpers.js';

const ctx: ParseContext = { capturedAt: new Date('2026-06-26T10:15:00Z'), host: {}, limits: DEFAULT_LIMITS };
const real = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/real/${name}`, import.meta.url), 'utf8'));
const synthetic = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/synthetic/a/${name}`, import.meta.url), 'utf8'));

function find(samples: Sample[], level: string, pod?: string, container?: string): Sample {
  const s = samples.find((x) => x.identity.level === level && (pod === undefined || x.identity.pod === pod) && (container === undefined || x.identity.container === container));
  if (!s) throw new Error(`no ${level} sample ${pod}/${container}`);
  return s;
}

const rejection = (input: unknown, c: ParseContext = ctx): InvalidSnapshotError => rejectionOf(() => parseKubeletSummary(input, c));

describe('parseKubeletSummary: k8s 1.35 / containerd 2.2.1 (real)', () => {
  const samples = parseKubeletSummary(real('kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json'), ctx);

  it('emits the node, each pod cgroup and each app container: 1 + 17 pods + 17 containers', () => {
    expect(samples).toHaveLength(35);
    expect(samples.filter((s) => s.identity.level === 'node')).toHaveLength(1);
    expect(samples.filter((s) => s.identity.level === 'pod')).toHaveLength(17);
    expect(samples.filter((s) => s.identity.level === 'container')).toHaveLength(17);
    expect(samples.every((s) => s.source === 'kubelet')).toBe(true);
  });

  it('node: limit = availableBytes + workingSetBytes = MemTotal', () => {
    const node = find(samples, 'node');
    expect(node.memory.usage).toBe(3080323072);
    expect(node.memory.workingSet).toBe(917110784);
    expect(node.memory.rss).toBe(710361088);
    // 7299776512 + 917110784
    expect(node.memory.limit).toBe(8216887296);
    expect(node.memory.swap).toBe(0);
    expect(node.sampledAt).toEqual(new Date('2026-06-26T10:14:35Z'));
    expect(node.identity.namespace).toBeNull();
  });

  it('pod cgroup of e2e-deployment-79967c5968-8bnn8: its own numbers, limit 31215616 + 10727424 = 40 MiB', () => {
    const pod = find(samples, 'pod', 'e2e-deployment-79967c5968-8bnn8');
    expect(pod.identity).toMatchObject({ namespace: 'scraper', podUid: 'da59f36e-a7a8-46ed-8d9d-36392eb967d4', container: null });
    expect(pod.memory.workingSet).toBe(10727424);
    expect(pod.memory.usage).toBe(10756096);
    expect(pod.memory.limit).toBe(40 * 1024 * 1024);
    expect(pod.sampledAt).toEqual(new Date('2026-06-26T10:14:28Z'));
  });

  it('container compute-pi-digits: limit 20987904 + 10469376 = 30 MiB, sampled at its own time', () => {
    const c = find(samples, 'container', 'e2e-deployment-79967c5968-8bnn8', 'compute-pi-digits');
    expect(c.memory).toMatchObject({ usage: 10498048, workingSet: 10469376, rss: 10129408, swap: 0, limit: 30 * 1024 * 1024 });
    expect(c.sampledAt).toEqual(new Date('2026-06-26T10:14:29Z'));
    expect(c.identity.isPause).toBe(false);
  });

  it('a container without availableBytes has no limit (the kubelet omits it when unlimited)', () => {
    const c = find(samples, 'container', 'kube-proxy-8k9zt', 'kube-proxy');
    expect(c.memory.limit).toBe('unlimited');
    expect(c.memory.workingSet).toBe(18755584);
  });

  it('leaves the quantities the summary never has as null, not 0', () => {
    const c = find(samples, 'container', 'kube-proxy-8k9zt', 'kube-proxy');
    expect(c.memory).toMatchObject({ cache: null, activeFile: null, inactiveFile: null, shmem: null, mappedFile: null, kernel: null });
    expect(c.stat).toBeNull();
    expect(c.cgroupVersion).toBeNull();
  });
});

describe('parseKubeletSummary: k8s 1.18 / docker 20.10.8 (real)', () => {
  const samples = parseKubeletSummary(real('kubelet-stats-summary_k8s-1.18_docker-20.10.8_systemd.json'), ctx);

  it('1 node + 15 pods + 15 containers; no swap block in 1.18, so swap is null', () => {
    expect(samples).toHaveLength(31);
    expect(find(samples, 'node').memory.swap).toBeNull();
  });

  it('node limit 2591383552 + 1438248960 = 4029632512', () => {
    expect(find(samples, 'node').memory.limit).toBe(4029632512);
  });

  it('coredns container limit 171884544 + 6373376 = 170 MiB', () => {
    expect(find(samples, 'container', 'coredns-66bff467f8-hm847', 'coredns').memory.limit).toBe(170 * 1024 * 1024);
  });

  it('a reported 0 stays 0 (rssBytes 0 of busybox in e2e-statefulset-0)', () => {
    const c = find(samples, 'container', 'e2e-statefulset-0', 'busybox');
    expect(c.memory.rss).toBe(0);
    // pod cgroup 1425408 > container 724992: the pod includes the pause container
    expect(find(samples, 'pod', 'e2e-statefulset-0').memory.workingSet).toBe(1425408);
    expect(c.memory.workingSet).toBe(724992);
  });
});

describe('parseKubeletSummary: seed article busybox (synthetic around the article numbers)', () => {
  const samples = parseKubeletSummary(synthetic('kubelet-stats-summary_seed-article-busybox_synthetic.json'), ctx);

  it('reads the article numbers, and kubectl top would show floor(105963520 / 1048576) = 101Mi as the article says', () => {
    const c = find(samples, 'container', 'busybox', 'busybox');
    expect(c.memory).toMatchObject({ usage: 105971712, workingSet: 105963520, rss: 106496, limit: 'unlimited' });
    expect(c.sampledAt).toEqual(new Date('2020-02-03T05:30:57Z'));
    expect(c.identity.namespace).toBe('default');
    expect(kubectlTopDisplay(c.memory.workingSet!)).toBe('101Mi');
  });

  it('a missing memory block gives null numbers and no limit, never invented zeros', () => {
    for (const s of [find(samples, 'node'), find(samples, 'pod', 'busybox')]) {
      expect(s.memory).toMatchObject({ usage: null, workingSet: null, rss: null, swap: null, limit: null });
      expect(s.sampledAt).toBeNull();
    }
  });
});

describe('parseKubeletSummary: rejections', () => {
  it('rejects the metrics-server KNOWN_ISSUES `.node` excerpt ({cpu, memory}) as not a full summary', () => {
    const e = rejection(real('kubelet-stats-summary-node-cpu-memory_zero-usage_metrics-server-known-issues.json'));
    expect(e.source).toBe('kubeletSummary');
    expect(e.path).toBe('node');
    expect(e.reason).toContain('excerpt');
  });

  it('names the exact field path of a bad value', () => {
    const doc = real('kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json') as { pods: Array<{ containers: Array<{ memory: Record<string, unknown> }> }> };
    doc.pods[3]!.containers[0]!.memory['usageBytes'] = '10498048';
    const e = rejection(doc);
    expect(e.path).toBe('pods[3].containers[0].memory.usageBytes');
    expect(e.reason).toContain('expected a number of bytes');
  });

  it.each([
    [-1, 'must not be negative'],
    [1.5, 'whole number'],
    [2 ** 60, 'below 2^53'],
  ])('rejects workingSetBytes %d (%s)', (value, reason) => {
    const e = rejection({ node: { memory: { workingSetBytes: value } }, pods: [] });
    expect(e.path).toBe('node.memory.workingSetBytes');
    expect(e.reason).toContain(reason);
  });

  it('rejects a bad timestamp, a pod without podRef, and a non-object', () => {
    expect(rejection({ node: { memory: { time: 'yesterday' } } }).path).toBe('node.memory.time');
    expect(rejection({ node: {}, pods: [{ containers: [] }] }).path).toBe('pods[0].podRef');
    expect(rejection([]).reason).toContain('an array');
    expect(rejection({ pods: [] }).reason).toContain('always has a node');
  });

  it('enforces limits.maxContainers over all pods', () => {
    const pod = (i: number) => ({ podRef: { name: `p${i}`, namespace: 'n', uid: `u${i}` }, containers: [{ name: 'a' }, { name: 'b' }] });
    const doc = { node: {}, pods: [pod(1), pod(2)] };
    expect(parseKubeletSummary(doc, { ...ctx, limits: { ...DEFAULT_LIMITS, maxContainers: 4 } })).toHaveLength(7);
    const e = rejection(doc, { ...ctx, limits: { ...DEFAULT_LIMITS, maxContainers: 3 } });
    expect(e.reason).toBe('4 containers exceed the limit of 3 per capture');
  });

  it('accepts a node without pods (Go marshals a nil slice as null)', () => {
    expect(parseKubeletSummary({ node: { nodeName: 'n' }, pods: null }, ctx)).toHaveLength(1);
  });
});
