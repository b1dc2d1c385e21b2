import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidSnapshotError } from '../../../src/errors.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { Sample } from '../../../src/model/sample.js';
import { parseKubeletCadvisorMetrics, parseKubeletResourceMetrics } from '../../../src/sources/prometheus.js';
import type { ParseContext } from '../../../src/sources/types.js';
import { rejectionOf } from './helpers.js';

const real = (f: string): string => readFileSync(new URL(`../../fixtures/real/${f}`, import.meta.url), 'utf8');
const synthetic = (f: string): string => readFileSync(new URL(`../../fixtures/synthetic/b/${f}`, import.meta.url), 'utf8');

const ctx: ParseContext = { capturedAt: new Date('2026-06-26T10:15:00Z'), host: {}, limits: DEFAULT_LIMITS };

const rejection = (fn: () => unknown): InvalidSnapshotError => rejectionOf(fn);

describe('parseKubeletResourceMetrics (synthetic /metrics/resource modelled on the 1.35 capture)', () => {
  const samples = parseKubeletResourceMetrics(synthetic('kubelet-metrics-resource_synthetic_k8s-1.35.prom'), ctx);

  it('emits valid canonical samples, one per container, pod and node', () => {
    for (const s of samples) expect(Sample.safeParse(s).success).toBe(true);
    // 3 container_memory_working_set_bytes + 3 pod_memory_working_set_bytes + 1 node line
    expect(samples.map((s) => s.identity.level).sort()).toEqual(['container', 'container', 'container', 'node', 'pod', 'pod', 'pod']);
    expect(samples.every((s) => s.source === 'kubelet-resource')).toBe(true);
  });

  it('maps container working sets with their labels and timestamps', () => {
    const c = samples.find((s) => s.identity.container === 'compute-pi-digits');
    expect(c?.identity).toMatchObject({ level: 'container', namespace: 'scraper', pod: 'e2e-deployment-79967c5968-8bnn8', isPause: false });
    // 1.0469376e+07 = 10469376 bytes, the summary's container workingSetBytes
    expect(c?.memory.workingSet).toBe(10_469_376);
    // 1782468869000 ms = 2026-06-26T10:14:29Z, the summary's container memory time
    expect(c?.sampledAt?.toISOString()).toBe('2026-06-26T10:14:29.000Z');
    expect(c?.memory.usage).toBeNull();
  });

  it('maps the pod working set (pod cgroup: pause + overhead included)', () => {
    const p = samples.find((s) => s.identity.level === 'pod' && s.identity.pod === 'e2e-deployment-79967c5968-8bnn8');
    expect(p?.memory.workingSet).toBe(10_727_424);
    expect(p?.identity.container).toBeNull();
    // 10727424 − 10469376 = 258048 bytes of pod overhead that kubectl top (container sum) does not show
    expect(p!.memory.workingSet! - 10_469_376).toBe(258_048);
  });

  it('maps the node working set, without labels', () => {
    const n = samples.find((s) => s.identity.level === 'node');
    expect(n?.memory.workingSet).toBe(917_110_784);
    expect(n?.sampledAt?.toISOString()).toBe('2026-06-26T10:14:35.000Z');
    expect(n?.identity.pod).toBeNull();
  });

  it('leaves sampledAt null when a line has no timestamp and joins swap series to the same identity', () => {
    const text = [
      'container_memory_working_set_bytes{container="a",namespace="ns",pod="p"} 4096',
      'container_swap_usage_bytes{container="a",namespace="ns",pod="p"} 8192 1700000000000',
    ].join('\n');
    const [s, ...rest] = parseKubeletResourceMetrics(text, ctx);
    expect(rest).toHaveLength(0);
    expect(s?.memory.workingSet).toBe(4096);
    expect(s?.memory.swap).toBe(8192);
    // only the swap line had a timestamp: it is used since the working-set line had none
    expect(s?.sampledAt?.getTime()).toBe(1_700_000_000_000);
    const [t] = parseKubeletResourceMetrics('node_memory_working_set_bytes 1024', ctx);
    expect(t?.sampledAt).toBeNull();
  });

  it('rejects bad values with the line number', () => {
    const text = '# TYPE node_memory_working_set_bytes gauge\nnode_memory_working_set_bytes NaN 1\n';
    const err = rejection(() => parseKubeletResourceMetrics(text, ctx));
    expect(err.source).toBe('kubeletResourceMetrics');
    expect(err.path).toBe('line 2');
    expect(err.reason).toMatch(/NaN/);
    expect(rejection(() => parseKubeletResourceMetrics('node_memory_working_set_bytes -5', ctx)).reason).toMatch(/negative/);
    expect(rejection(() => parseKubeletResourceMetrics('node_memory_working_set_bytes 1.5', ctx)).reason).toMatch(/whole number/);
    expect(rejection(() => parseKubeletResourceMetrics('node_memory_working_set_bytes 12abc', ctx)).reason).toMatch(/not a number/);
    expect(rejection(() => parseKubeletResourceMetrics('node_memory_working_set_bytes 1e300', ctx)).reason).toMatch(/2\^53/);
    expect(rejection(() => parseKubeletResourceMetrics('node_memory_working_set_bytes 5 12x', ctx)).reason).toMatch(/timestamp/);
    expect(rejection(() => parseKubeletResourceMetrics('node_memory_working_set_bytes 1 2 3', ctx)).reason).toMatch(/extra tokens/);
    // A non-ASCII blank after a wanted name (a copy-paste artefact) is rejected, not skipped as an unknown metric.
    expect(rejection(() => parseKubeletResourceMetrics('node_memory_working_set_bytes\u00a05', ctx)).path).toBe('line 1');
    // spaces and braces inside a label value are not tokens
    const [ok] = parseKubeletResourceMetrics('container_memory_working_set_bytes{container="a 1",pod="p} 2",namespace="n"}3 4', ctx);
    expect(ok?.memory.workingSet).toBe(3);
    expect(ok?.sampledAt?.getTime()).toBe(4);
    expect(ok?.identity.pod).toBe('p} 2');
  });

  it('rejects malformed label syntax, missing labels and duplicate series with the line', () => {
    const bad = rejection(() => parseKubeletResourceMetrics('\n\ncontainer_memory_working_set_bytes{pod x} 1\n', ctx));
    expect(bad.path).toBe('line 3');
    expect(bad.reason).toMatch(/malformed/);
    const missing = rejection(() => parseKubeletResourceMetrics('container_memory_working_set_bytes{container="a",pod="p"} 1', ctx));
    expect(missing.reason).toBe('container_memory_working_set_bytes has no namespace label');
    const dup = rejection(() =>
      parseKubeletResourceMetrics('pod_memory_working_set_bytes{pod="p",namespace="n"} 1\npod_memory_working_set_bytes{namespace="n",pod="p"} 2', ctx),
    );
    expect(dup.path).toBe('line 2');
    expect(dup.reason).toMatch(/first at line 1/);
  });

  it('enforces maxLineLength before parsing, and rejects non-strings', () => {
    const limits = { ...DEFAULT_LIMITS, maxLineLength: 40 };
    const err = rejection(() => parseKubeletResourceMetrics(`# ok\n${'x'.repeat(41)}\n`, { ...ctx, limits }));
    expect(err.path).toBe('line 2');
    expect(err.reason).toMatch(/above the limit of 40/);
    expect(rejection(() => parseKubeletResourceMetrics({ not: 'text' }, ctx)).reason).toMatch(/got object/);
  });

  it('enforces maxContainers', () => {
    const text = ['a', 'b', 'c'].map((c) => `container_memory_working_set_bytes{container="${c}",namespace="n",pod="p"} 1`).join('\n');
    expect(parseKubeletResourceMetrics(text, ctx)).toHaveLength(3);
    const err = rejection(() => parseKubeletResourceMetrics(text, { ...ctx, limits: { ...DEFAULT_LIMITS, maxContainers: 2 } }));
    expect(err.reason).toMatch(/more than 2/);
  });

  it('keeps labels named constructor/__proto__ inert', () => {
    const text = 'container_memory_working_set_bytes{constructor="x",__proto__="y",container="toString",namespace="n",pod="p"} 7';
    const [s] = parseKubeletResourceMetrics(text, ctx);
    expect(s?.identity.container).toBe('toString');
    expect(s?.memory.workingSet).toBe(7);
    expect(({} as Record<string, unknown>)['y']).toBeUndefined();
  });
});

describe('parseKubeletCadvisorMetrics on the real 1.35 containerd capture', () => {
  const samples = parseKubeletCadvisorMetrics(real('kubelet-metrics-cadvisor_k8s-1.35_memory-lines.prom'), ctx);
  const podUid = 'da59f36e-a7a8-46ed-8d9d-36392eb967d4';
  const ofPod = samples.filter((s) => s.identity.podUid === podUid);

  it('emits one valid sample per pod/container cgroup plus the root, skipping QoS parents and system.slice', () => {
    for (const s of samples) expect(Sample.safeParse(s).success).toBe(true);
    // distinct ids in the file: "/" + 18 pod cgroups (4 besteffort, 12 burstable, 2 guaranteed)
    // + 35 container cgroups (8 + 24 + 3); skipped: /kubepods, /kubepods/burstable,
    // /kubepods/besteffort, /system.slice/kubelet.service
    expect(samples).toHaveLength(1 + 18 + 35);
    expect(samples.filter((s) => s.identity.level === 'pod')).toHaveLength(18);
    expect(samples.filter((s) => s.identity.level === 'node')).toHaveLength(1);
    expect(samples.some((s) => s.identity.cgroupPath === '/kubepods/burstable')).toBe(false);
  });

  it('matches the kubelet figures: pod cgroup 10727424, pause 200704, app 10469376', () => {
    const pod = ofPod.find((s) => s.identity.level === 'pod');
    const pause = ofPod.find((s) => s.identity.isPause);
    const app = ofPod.find((s) => s.identity.container === 'compute-pi-digits');
    expect(ofPod).toHaveLength(3);
    expect(pod?.memory).toMatchObject({ workingSet: 10_727_424, usage: 10_756_096, rss: 10_170_368, cache: 28_672, swap: 0, mappedFile: 0, limit: 41_943_040 });
    expect(pod?.identity).toMatchObject({ namespace: 'scraper', pod: 'e2e-deployment-79967c5968-8bnn8', container: null, containerId: null });
    // pause: container="" on a container cgroup, image registry.k8s.io/pause:3.10.1, limit 0 = none
    expect(pause?.identity).toMatchObject({
      level: 'container',
      container: 'POD',
      containerId: '206cece264549f7f9067575f3c85fab878aef0ca7533024245d7c060d8b42616',
      runtimeName: null,
    });
    expect(pause?.memory).toMatchObject({ workingSet: 200_704, usage: 200_704, rss: 40_960, cache: 0, limit: 'unlimited' });
    expect(app?.memory).toMatchObject({ workingSet: 10_469_376, usage: 10_498_048, rss: 10_129_408, cache: 28_672, limit: 31_457_280 });
    expect(app?.identity.isPause).toBe(false);
    // 1782468869183 ms, the working-set line's timestamp
    expect(app?.sampledAt?.getTime()).toBe(1_782_468_869_183);
    // 200704 + 10469376 = 10670080 ≤ 10727424: the pod cgroup also holds 57344 bytes of its own
    expect(pod!.memory.workingSet! - (200_704 + 10_469_376)).toBe(57_344);
  });

  it('the root cgroup is the node: 917110784 working set, limit = MemTotal 8216887296', () => {
    const node = samples.find((s) => s.identity.level === 'node');
    expect(node?.memory).toMatchObject({ usage: 3_080_323_072, workingSet: 917_110_784, rss: 710_361_088, cache: 2_174_259_200, limit: 8_216_887_296 });
    expect(node?.identity.cgroupPath).toBe('/');
  });
});

describe('parseKubeletCadvisorMetrics on the real 1.18 dockershim/systemd capture', () => {
  const samples = parseKubeletCadvisorMetrics(real('kubelet-metrics-cadvisor_k8s-1.18_memory-lines.prom'), ctx);

  it('counts: "/" + 16 pod slices + 30 docker scopes', () => {
    // ids: 9 besteffort + 6 burstable + 1 guaranteed pod slices; 18 + 12 docker-*.scope
    expect(samples).toHaveLength(1 + 16 + 30);
    expect(samples.filter((s) => s.identity.isPause)).toHaveLength(
      new Set(real('kubelet-metrics-cadvisor_k8s-1.18_memory-lines.prom').match(/container="POD",id="[^"]+"/g)).size,
    );
  });

  it('e2e-statefulset-0: pod 1425408 vs busybox 724992 and pause 700416; dockershim names parsed', () => {
    const ofPod = samples.filter((s) => s.identity.pod === 'e2e-statefulset-0');
    const pod = ofPod.find((s) => s.identity.level === 'pod');
    const pause = ofPod.find((s) => s.identity.isPause);
    const app = ofPod.find((s) => s.identity.container === 'busybox');
    expect(pod?.memory.workingSet).toBe(1_425_408);
    // systemd slice uid b9232e2b_7e34_… becomes the dashed uid
    expect(pod?.identity.podUid).toBe('b9232e2b-7e34-4ee5-85a2-a684ff8b0e85');
    expect(app?.memory.workingSet).toBe(724_992);
    expect(app?.identity).toMatchObject({
      containerId: '9a225950a1ae5b37e78470a18c21850a4bfa4ec74b1ddbe50f8a2cfa0a4da0cf',
      runtimeName: 'k8s_busybox_e2e-statefulset-0_scraper_b9232e2b-7e34-4ee5-85a2-a684ff8b0e85_0',
      namespace: 'scraper',
    });
    expect(pause?.identity).toMatchObject({ container: 'POD', runtimeName: 'k8s_POD_e2e-statefulset-0_scraper_b9232e2b-7e34-4ee5-85a2-a684ff8b0e85_0' });
    expect(pause?.memory.workingSet).toBe(700_416);
    // limit 0 on all three: no limit in cAdvisor's encoding
    expect(ofPod.map((s) => s.memory.limit)).toEqual(['unlimited', 'unlimited', 'unlimited']);
  });
});

describe('parseKubeletCadvisorMetrics on cAdvisor’s own golden exposition (synthetic, not kubelet paths)', () => {
  const text = real('cadvisor-prometheus-metrics_testdata.prom');

  it('reads the full exposition (histograms, counters, extra labels) and keeps no sample: id "testcontainer" is no pod cgroup', () => {
    expect(parseKubeletCadvisorMetrics(text, ctx)).toEqual([]);
  });

  it('maps cAdvisor’s metric names to the right fields once the id is a pod container cgroup', () => {
    const id = '/kubepods/burstable/pod11111111-2222-3333-4444-555555555555/' + 'ab'.repeat(32);
    const [s, ...rest] = parseKubeletCadvisorMetrics(text.replaceAll('id="testcontainer"', `id="${id}"`), ctx);
    expect(rest).toHaveLength(0);
    // values of the golden file: cache 14, mapped_file 16, and the series below as printed there
    const value = (metric: string): number => {
      const m = new RegExp(`^${metric}\\{[^}]*\\} (\\S+)`, 'm').exec(text);
      return Number(m![1]);
    };
    expect(s?.memory).toMatchObject({
      cache: 14,
      mappedFile: 16,
      usage: value('container_memory_usage_bytes'),
      workingSet: value('container_memory_working_set_bytes'),
      rss: value('container_memory_rss'),
      swap: value('container_memory_swap'),
    });
    // the golden labels have no `container` label: a container cgroup without one is treated as the sandbox
    expect(s?.identity).toMatchObject({ level: 'container', container: 'POD', isPause: true, runtimeName: 'testcontaineralias' });
  });
});

describe('parseKubeletCadvisorMetrics errors and limits', () => {
  const id = '/kubepods/pod0f0f0f0f-0000-4000-8000-000000000000';
  it('rejects a memory series without id', () => {
    const err = rejection(() => parseKubeletCadvisorMetrics('# HELP x y\ncontainer_memory_rss{pod="p"} 1', ctx));
    expect(err).toMatchObject({ source: 'kubeletCadvisorMetrics', path: 'line 2' });
    expect(err.reason).toMatch(/no id label/);
  });
  it('rejects duplicate series per id', () => {
    const err = rejection(() => parseKubeletCadvisorMetrics(`container_memory_rss{id="${id}"} 1\ncontainer_memory_rss{id="${id}"} 2`, ctx));
    expect(err.path).toBe('line 2');
  });
  it('reads limits: 0 and ≥ 2^62 are unlimited, other values bytes', () => {
    const lim = (v: string) => parseKubeletCadvisorMetrics(`container_spec_memory_limit_bytes{id="${id}"} ${v}`, ctx)[0]?.memory.limit;
    expect(lim('0')).toBe('unlimited');
    expect(lim('9.223372036854772e+18')).toBe('unlimited');
    expect(lim('4.194304e+07')).toBe(41_943_040);
    expect(rejection(() => lim('+Inf')).reason).toMatch(/Infinity/);
  });
  it('enforces maxContainers over distinct cgroups', () => {
    const text = ['a', 'b', 'c'].map((c) => `container_memory_rss{id="/x/${c}"} 1`).join('\n');
    const err = rejection(() => parseKubeletCadvisorMetrics(text, { ...ctx, limits: { ...DEFAULT_LIMITS, maxContainers: 2 } }));
    expect(err.reason).toMatch(/more than 2 cgroups/);
  });
  it('validates only the memory series: an odd unrelated line does not reject the capture', () => {
    const text = 'container_cpu_usage_seconds_total{id="/" 12\ncontainer_memory_rss{id="/"} 4096\n';
    expect(parseKubeletCadvisorMetrics(text, ctx)[0]?.memory.rss).toBe(4096);
    expect(rejection(() => parseKubeletCadvisorMetrics('{id="/"} 1', ctx)).reason).toMatch(/without a metric name/);
  });
  it('rejects a malformed TYPE line with its line number', () => {
    const err = rejection(() => parseKubeletCadvisorMetrics('container_memory_rss{id="/"} 1\n# TYPE container_memory_rss\n', ctx));
    expect(err.path).toBe('line 2');
  });
});
