import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOnce, type CaptureConfig } from '../../../src/agent/capture.js';
import { bundleJson, bundleKey, encodeBundle } from '../../../src/agent/bundle.js';
import { RawJson } from '../../../src/agent/raw-json.js';
import { dockerStatsBody, podsFromSummary, selfSignedCert, startFakeServers, writeCgroupTree, type FakeServers } from './fake-host.js';
import { CaptureBundle } from '../../../src/model/bundle.js';
import { parseCgroupPath } from '../../../src/sources/identity.js';

const FIX = path.resolve(import.meta.dirname, '../../fixtures');
const summaryText = readFileSync(path.join(FIX, 'real/kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json'), 'utf8');
const summary = JSON.parse(summaryText) as { pods: { podRef: { uid: string; name: string } }[] };
const realDockerStats = readFileSync(path.join(FIX, 'real/docker-engine-api-v1.24-container-stats_docs-example_cgroupv1.json'), 'utf8');
const dockerList = JSON.parse(readFileSync(path.join(FIX, 'agent/docker-containers-json_synthetic.json'), 'utf8')) as { Id: string; Names: string[] }[];
const nodeObject = readFileSync(path.join(FIX, 'agent/node-object_synthetic_datagen-1-35.json'), 'utf8');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-it-'));
const TOKEN = 'test-token-' + 'x'.repeat(20);
let servers: FakeServers;
let base: CaptureConfig;
const pods = podsFromSummary(summary as never);

beforeAll(async () => {
  const tls = selfSignedCert(tmp);
  const tokenFile = path.join(tmp, 'token');
  writeFileSync(tokenFile, TOKEN + '\n');
  const cgroupRoot = writeCgroupTree(path.join(tmp, 'cgroup'), { version: 2, driver: 'cgroupfs' }, pods);
  const app = pods[0]!;
  servers = await startFakeServers({
    token: TOKEN,
    tls,
    summary: summaryText,
    nodeObject,
    dockerSocket: path.join(tmp, 'docker.sock'),
    docker: [
      // The recorded Engine API body, served verbatim for the first listed container…
      { id: dockerList[0]!.Id, name: dockerList[0]!.Names[0]!, stats: realDockerStats },
      // …and a generated one (same shape, this fake pod's numbers) for a second.
      { id: app.containers[1]!.id, name: `/k8s_${app.containers[1]!.name}_${app.name}_${app.namespace}_${app.uid}_0`, stats: JSON.stringify(dockerStatsBody(app, app.containers[1]!, 2, '2026-06-26T10:14:37Z')) },
    ],
  });
  base = {
    cluster: 'kind-test',
    node: 'datagen-1-35',
    kubeletUrl: servers.kubeletUrl,
    apiServerUrl: servers.kubeletUrl,
    tokenFile,
    caFile: tls.certFile,
    dockerSocket: servers.dockerSocket!,
    crictl: false,
    cgroupRoot,
    now: () => new Date('2026-06-26T10:14:40.250Z'),
  };
}, 30_000);

afterAll(async () => {
  await servers?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('captureOnce against a fake node', () => {
  it('collects every source into a schema-valid bundle, payloads verbatim', async () => {
    const { bundle, report } = await captureOnce(base);
    expect(CaptureBundle.safeParse(bundle).success).toBe(true);
    expect(bundle.capturedAt).toBe('2026-06-26T10:14:40Z'); // whole seconds
    // Verbatim: the very bytes the kubelet and dockerd sent, spliced as is.
    expect((bundle.sources.kubeletSummary as RawJson).text).toBe(summaryText);
    expect(bundle.sources.dockerApiStats).toHaveLength(2);
    expect((bundle.sources.dockerApiStats![0] as RawJson).text).toBe(realDockerStats);
    // 17 pods in the summary, 17 app containers, plus 17 pause containers.
    expect(bundle.sources.cgroups).toHaveLength(17 + 17 + 17);
    expect(report).toMatchObject({ kubeletSummary: 'ok', dockerApiStats: { count: 2, failed: 0 }, cgroups: { count: 51, skipped: 0 } });
    expect(bundle.host).toMatchObject({ cgroupVersion: 2, cgroupDriver: 'cgroupfs', kubeletVersion: 'v1.35.0', containerRuntime: 'containerd://2.2.1', kernel: '6.12.54-linuxkit', dockerVersion: '20.10.8' });
  });

  it('the cgroup files carry the summary numbers back: e2e-scraper usage 14712832, inactive_file 14712832 − 1454080 = 13258752', async () => {
    const { bundle } = await captureOnce(base);
    const scraper = pods.find((p) => p.name === 'e2e-scraper-5f97dc94d8-vkcjl')!;
    const entry = bundle.sources.cgroups!.find((e) => parseCgroupPath(e.path)?.containerId === scraper.containers[1]!.id)!;
    expect(entry.path).toBe(`/kubepods/burstable/pod${scraper.uid}/${scraper.containers[1]!.id}`);
    expect(entry.files['memory.current']).toBe('14712832\n');
    expect(entry.files['memory.stat']).toContain('inactive_file 13258752\n');
  });

  it('sends the bearer token: with the wrong one the kubelet source fails and the rest still arrives', async () => {
    const bad = path.join(tmp, 'bad-token');
    writeFileSync(bad, 'wrong');
    const { bundle, report } = await captureOnce({ ...base, tokenFile: bad, apiServerUrl: undefined as never });
    expect(bundle.sources.kubeletSummary).toBeUndefined();
    expect(String((report.kubeletSummary as { error: string }).error)).toContain('HTTP 401');
    expect(bundle.sources.cgroups).toHaveLength(51);
    const log = await servers.log();
    expect(log).toContain('kubelet 401 /stats/summary');
    expect(log).toContain('kubelet 200 /stats/summary');
  });

  it('refuses a kubelet whose certificate the CA file does not vouch for', async () => {
    const otherDir = mkdtempSync(path.join(tmp, 'other-ca-'));
    const other = selfSignedCert(otherDir);
    const { report } = await captureOnce({ ...base, caFile: other.certFile, apiServerUrl: undefined as never });
    expect(JSON.stringify(report.kubeletSummary)).toMatch(/certificate|self.signed/i);
  });

  it('fails loudly when no source answers', async () => {
    await expect(captureOnce({ cluster: 'c', node: 'n', crictl: false, cgroupRoot: path.join(tmp, 'nothing-here') })).rejects.toThrow(/no source answered/);
  });

  it('gzip bundle round-trips and lands under its raw/ key', async () => {
    const { bundle } = await captureOnce(base);
    expect(bundleKey(bundle)).toBe('raw/cluster=kind-test/node=datagen-1-35/dt=2026-06-26/2026-06-26T10:14:40Z.json.gz');
    const decoded: unknown = JSON.parse(gunzipSync(await encodeBundle(bundle)).toString('utf8'));
    // What the pipeline reads equals the bundle as JSON.stringify renders it (RawJson → parsed payload)…
    expect(decoded).toEqual(JSON.parse(JSON.stringify(bundle)));
    expect(CaptureBundle.safeParse(decoded).success).toBe(true);
    expect((decoded as { sources: { kubeletSummary: unknown } }).sources.kubeletSummary).toEqual(JSON.parse(summaryText));
    // …and the gzip holds the payload text itself, not a re-serialisation.
    const text = gunzipSync(await encodeBundle(bundle)).toString('utf8');
    expect(text).toBe(bundleJson(bundle));
    expect(text).toContain(`"kubeletSummary":${summaryText}`);
  });
});
