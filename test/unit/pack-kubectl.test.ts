import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discrepancyRows } from '../../src/analysis/discrepancy.js';
import { InvalidSnapshotError } from '../../src/errors.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import type { CaptureBundle } from '../../src/model/bundle.js';
import { parseCaptureSources } from '../../src/sources/index.js';
import { parseByteQuantity, parseKubectlTop, parseMetricsApi } from '../../src/sources/kubectl.js';
import { recognizeFile } from '../../src/sources/recognize.js';

const PASTED = path.resolve('test/fixtures/pasted');
const read = (f: string) => readFileSync(path.join(PASTED, f), 'utf8');
const ctx = { capturedAt: new Date('2026-11-27T09:14:00Z'), host: {}, limits: DEFAULT_LIMITS };
const MiB = 1048576;

function recognizedValue(file: string): unknown {
  const r = recognizeFile(read(file))[0]!.result;
  if (r.kind !== 'source') throw new Error(`${file}: ${JSON.stringify(r)}`);
  return r.value;
}

describe('kubectl top tables', () => {
  it('--containers with -n: one container sample per row, the printed MiB as bytes, ±1 MiB', () => {
    const samples = parseKubectlTop([recognizedValue('kubectl-top-pod_containers_n-harbor.txt')], ctx);
    expect(samples.map((s) => [s.identity.level, s.identity.namespace, s.identity.pod, s.identity.container, s.memory.workingSet])).toEqual([
      ['container', 'harbor', 'harbor-core-7d8f9c6b5-x2x9q', 'core', 43 * MiB],
      ['container', 'harbor', 'harbor-jobservice-5b6c7d8e9-q4w5e', 'jobservice', 27 * MiB],
      ['container', 'harbor', 'harbor-registry-6f7a8b9c0-r5t6y', 'registry', 18 * MiB],
      ['container', 'harbor', 'harbor-registry-6f7a8b9c0-r5t6y', 'registryctl', 9 * MiB],
    ]);
    expect(samples[0]!.source).toBe('kubectl-top');
    expect(samples[0]!.reported).toEqual({ bytes: 43 * MiB, uncertaintyBytes: MiB, text: '43Mi' });
    expect(samples[0]!.sampledAt).toBeNull();
  });

  it('-A --sum: the NAMESPACE column names the namespace, the totals row is not a pod', () => {
    const text = [
      'NAMESPACE     NAME                               CPU(cores)   MEMORY(bytes)   ',
      'default       busybox                            0m           101Mi           ',
      'kube-system   aws-node-7xk2p                     3m           38Mi            ',
      '                                                 ________     ________        ',
      '                                                 3m           139Mi           ',
    ].join('\n');
    const samples = parseKubectlTop([{ text }], ctx);
    expect(samples.map((s) => [s.identity.level, s.identity.namespace, s.identity.pod, s.memory.workingSet])).toEqual([
      ['pod', 'default', 'busybox', 101 * MiB],
      ['pod', 'kube-system', 'aws-node-7xk2p', 38 * MiB],
    ]);
  });

  it('kubectl top node: node samples; <unknown> is no figure', () => {
    const text = 'NAME                                              CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%   \nip-192-168-12-34.ap-northeast-1.compute.internal   61m          3%     1111Mi          15%       \nip-192-168-40-2.ap-northeast-1.compute.internal    <unknown>    <unknown>   <unknown>   <unknown>\n';
    const samples = parseKubectlTop([{ text }], ctx);
    expect(samples.map((s) => [s.identity.level, s.memory.workingSet])).toEqual([
      ['node', 1111 * MiB],
      ['node', null],
    ]);
  });

  it('a row that does not fit the header is refused with its line', () => {
    const text = '$ kubectl top pod\nNAME      CPU(cores)   MEMORY(bytes)\nbusybox   0m           101M\n';
    expect(() => parseKubectlTop([{ text }], ctx)).toThrow(InvalidSnapshotError);
    try {
      parseKubectlTop([{ text }], ctx);
    } catch (err) {
      expect((err as InvalidSnapshotError).toJSON()).toMatchObject({ source: 'kubectlTop', path: '[0] line 3', reason: expect.stringMatching(/whole MiB/) });
    }
    expect(() => parseKubectlTop([{ text: 'NAME  CPU(cores)  MEMORY(bytes)\nbusybox  0m\n' }], ctx)).toThrow(/2 cells, the header has 3 columns/);
  });
});

describe('metrics.k8s.io objects', () => {
  it('PodMetricsList: one sample per container, exact bytes, sampled at the item timestamp', () => {
    const samples = parseMetricsApi(recognizedValue('metrics-api-podmetricslist_harbor.txt'), ctx);
    expect(samples.map((s) => [s.identity.pod, s.identity.container, s.memory.workingSet, s.sampledAt?.toISOString()])).toEqual([
      ['harbor-core-7d8f9c6b5-x2x9q', 'core', 44916 * 1024, '2026-11-27T09:13:51.000Z'],
      ['harbor-jobservice-5b6c7d8e9-q4w5e', 'jobservice', 28052 * 1024, '2026-11-27T09:13:49.000Z'],
      ['harbor-registry-6f7a8b9c0-r5t6y', 'registry', 19240 * 1024, '2026-11-27T09:13:55.000Z'],
      ['harbor-registry-6f7a8b9c0-r5t6y', 'registryctl', 9876 * 1024, '2026-11-27T09:13:55.000Z'],
    ]);
    expect(samples.every((s) => s.source === 'metrics-api' && s.reported === null)).toBe(true);
  });

  it('byte quantities as resource.Quantity prints them', () => {
    expect(parseByteQuantity('103480Ki')).toEqual({ ok: true, value: 105963520 });
    expect(parseByteQuantity('128974848')).toEqual({ ok: true, value: 128974848 });
    expect(parseByteQuantity('129e6')).toEqual({ ok: true, value: 129_000_000 });
    expect(parseByteQuantity('1.5Gi')).toEqual({ ok: true, value: 1610612736 });
    expect(parseByteQuantity('123M')).toEqual({ ok: true, value: 123_000_000 });
    expect(parseByteQuantity('1500m')).toMatchObject({ ok: false, reason: expect.stringMatching(/whole number/) });
    expect(parseByteQuantity('-1Ki')).toMatchObject({ ok: false });
    expect(parseByteQuantity('16Ei')).toMatchObject({ ok: false, reason: expect.stringMatching(/2\^53/) });
  });

  it('a bad memory quantity is refused with its JSON path', () => {
    const bad = [{ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'p', namespace: 'n' }, timestamp: '2026-11-27T09:13:51Z', containers: [{ name: 'c', usage: { memory: '12 MiB' } }] }];
    expect(() => parseMetricsApi(bad, ctx)).toThrow(/\[0\]\.containers\[0\]\.usage\.memory/);
  });
});

/**
 * The seed article's numbers (kubelet summary after reading the 100 MB file: working set
 * 105963520; memory.stat: usage 105971712, cache 105865216, rss 106496, total_inactive_file 8192;
 * Docker 18.06 ⇒ docker stats = usage − cache = 106496), with the kubelet summary replaced by
 * what the article printed from kubectl: `101Mi`.
 */
describe('a pasted kubectl top figure in the discrepancy', () => {
  const seedDir = path.join(PASTED, 'seed-article/cgroup/memory/kubepods/besteffort/pod5c7a3b1e-46d0-11ea-9f5c-0a1b2c3d4e5f');
  const cgroups = readdirSync(seedDir).map((id) => ({
    path: `/kubepods/besteffort/pod5c7a3b1e-46d0-11ea-9f5c-0a1b2c3d4e5f/${id}`,
    files: Object.fromEntries(['memory.stat', 'memory.usage_in_bytes', 'memory.limit_in_bytes'].map((f) => [f, readFileSync(path.join(seedDir, id, f), 'utf8')])),
  }));
  const bundle = (kubectlTop: unknown): CaptureBundle => ({
    schema: 'memgap.capture/v1',
    cluster: 'seed',
    node: 'ip-192-168-12-34',
    capturedAt: '2020-02-03T05:30:57Z',
    host: { dockerVersion: '18.06.1-ce' },
    sources: { kubectlTop, dockerStatsTable: recognizedValue('seed-article/docker-stats.txt') as string, cgroups },
  });

  it('kubectl top pod (no --containers) on a one-container pod: the container row decomposes it, floor in rounding', () => {
    const paste = recognizedValue('kubectl-top-pod_seed-article.txt') as { text: string };
    const b = bundle([{ ...paste, namespace: 'default' }]);
    const { samples, errors } = parseCaptureSources(b, { capturedAt: new Date(b.capturedAt), host: b.host!, limits: DEFAULT_LIMITS });
    expect(errors).toEqual([]);
    const rows = discrepancyRows(samples, { capturedAt: new Date(b.capturedAt), node: b.node, host: b.host! });
    const app = rows.find((r) => r.level === 'container' && r.container !== 'POD')!;
    const pod = rows.find((r) => r.level === 'pod')!;
    const printed = 101 * MiB; // 105906176
    const ws = 105971712 - 8192; // usage − total_inactive_file = 105963520
    const docker = 105971712 - 105865216; // usage − cache = 106496
    expect(app).toMatchObject({
      kubectl_top_bytes: printed,
      docker_stats_bytes: docker,
      docker_formula: 'legacy',
      gap_bytes: printed - docker, // 105799680
      gap_page_cache_bytes: ws - docker, // 105857024
      gap_rounding_bytes: printed - ws, // −57344: kubectl floored 101.05 MiB to 101 MiB
      gap_residual_bytes: 0,
      cause: 'page-cache',
    });
    expect(app.flags).toContain('kubectl-rounding');
    expect(pod).toMatchObject({ namespace: 'default', pod: 'busybox', kubectl_top_bytes: printed, docker_stats_bytes: docker, gap_bytes: printed - docker, gap_page_cache_bytes: ws - docker, cause: 'page-cache' });
    expect(pod.flags).toEqual(expect.arrayContaining(['kubectl-rounding', 'container-mismatch']));
  });

  it('without a namespace the printed figure still joins by a pod name no two namespaces share', () => {
    const paste = recognizedValue('kubectl-top-pod_seed-article.txt');
    const b = bundle([paste]);
    const { samples } = parseCaptureSources(b, { capturedAt: new Date(b.capturedAt), host: b.host!, limits: DEFAULT_LIMITS });
    const rows = discrepancyRows(samples, { capturedAt: new Date(b.capturedAt), node: b.node, host: b.host! });
    const pod = rows.find((r) => r.level === 'pod' && r.pod_uid === '5c7a3b1e-46d0-11ea-9f5c-0a1b2c3d4e5f')!;
    expect(pod).toMatchObject({ namespace: 'default', pod: 'busybox', kubectl_top_bytes: 101 * MiB, cause: 'page-cache' });
  });
});
