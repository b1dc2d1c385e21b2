import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureBundle } from '../../src/model/bundle.js';
import { articleCaptures, gzipBundle } from '../../src/demo/generator.js';
import { buildCli, type CliBuild } from './helpers/cli-process.js';

const REAL = path.resolve('test/fixtures/real');
let dir: string;
let cli: CliBuild;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'memgap-cli-'));
  cli = await buildCli();
});
afterAll(async () => {
  cli?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI as a child process: its exit code and stdout. */
async function run(...argv: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await cli.run(argv);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('memgap CLI', () => {
  it('exit 2 on a usage error (missing --out, unknown input)', async () => {
    expect((await run('analyze', 'x')).code).toBe(2);
    expect((await run('analyze', path.join(dir, 'nope'), '--out', dir)).code).toBe(2);
    expect((await run('pack', dir, '--cluster', '../x', '--node', 'n')).code).toBe(2);
  });

  it('pack: hand-collected files become a bundle that analyze ingests', async () => {
    const loose = path.join(dir, 'incident');
    await mkdir(path.join(loose, 'cgroup/kubepods/burstable/pod-x'), { recursive: true });
    await copyFile(path.join(REAL, 'kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json'), path.join(loose, 'summary.json'));
    await copyFile(path.join(REAL, 'docker-stats-table_docs-example.txt'), path.join(loose, 'stats.txt'));
    await copyFile(path.join(REAL, 'cadvisor-prometheus-metrics_testdata.prom'), path.join(loose, 'cadvisor.prom'));
    await writeFile(path.join(loose, 'notes.txt'), 'kubectl top said 101Mi\n');
    const cg = path.join(loose, 'cgroup/kubepods/burstable/pod-x');
    await writeFile(path.join(cg, 'cgroup.path'), '/kubepods/burstable/pod0f1e2d3c-aaaa-bbbb-cccc-000000000001/' + 'c'.repeat(64));
    await writeFile(path.join(cg, 'memory.stat'), 'anon 1048576\nfile 2097152\nactive_file 1048576\ninactive_file 1048576\nshmem 0\n');
    await writeFile(path.join(cg, 'memory.current'), '3145728\n');
    await writeFile(path.join(cg, 'memory.max'), 'max\n');
    const bundleFile = path.join(dir, 'bundle.json.gz');
    const packed = await run('pack', loose, '--cluster', 'incident-1', '--node', 'node-a', '--at', '2026-11-27T05:30:57Z', '-o', bundleFile, '--json');
    expect(packed.code).toBe(0);
    const report = JSON.parse(packed.out);
    expect(report.used.map((u: { as: string }) => u.as).sort()).toEqual(['cgroups', 'cgroups', 'cgroups', 'cgroups', 'docker stats table', 'kubelet /metrics/cadvisor', 'kubelet /stats/summary']);
    expect(report.skipped).toEqual([{ file: 'notes.txt', reason: 'not a recognised source' }]);
    const bundle = CaptureBundle.parse(JSON.parse(gunzipSync(await readFile(bundleFile)).toString()));
    expect(bundle.sources.cgroups?.[0]?.path).toMatch(/^\/kubepods\/burstable\/pod0f1e2d3c/);

    const out = path.join(dir, 'out');
    const analyzed = await run('analyze', bundleFile, '--out', out, '--json');
    const summary = JSON.parse(analyzed.out);
    // The cAdvisor golden file is synthetic (no kubelet cgroup ids): parsed or rejected, the CLI says which.
    expect([0, 1]).toContain(analyzed.code);
    expect(summary.inputs).toBe(1);
    expect(summary.ingested + summary.quarantined).toBe(1);
  });

  it('analyze names the worst gap per pod, explained', async () => {
    const inputs = path.join(dir, 'article');
    await mkdir(inputs, { recursive: true });
    for (const b of articleCaptures()) await writeFile(path.join(inputs, `${b.capturedAt}.json.gz`), gzipBundle(b));
    const r = await run('analyze', inputs, '--out', path.join(dir, 'article-out'), '--json');
    expect(r.code).toBe(0);
    const top = JSON.parse(r.out).topGaps;
    // before `less file100` the gap is 696320 B; after, 105857024 B: the worst capture is the second.
    expect(top).toHaveLength(1);
    expect(top[0]).toMatchObject({ namespace: 'default', pod: 'busybox', gap_bytes: 105_963_520 - 106_496, cause: 'page-cache' });
  });

  it('analyze (text) says which cluster a pod is in when two clusters share its name', async () => {
    const inputs = path.join(dir, 'two-clusters');
    await mkdir(inputs, { recursive: true });
    for (const b of articleCaptures()) {
      await writeFile(path.join(inputs, `a-${b.capturedAt}.json.gz`), gzipBundle(b));
      await writeFile(path.join(inputs, `b-${b.capturedAt}.json.gz`), gzipBundle({ ...b, cluster: 'staging' }));
    }
    const r = await run('analyze', inputs, '--out', path.join(dir, 'two-clusters-out'));
    expect(r.code).toBe(0);
    const bullets = r.out.split('\n').filter((l) => l.startsWith('• '));
    expect(bullets.map((l) => /^• \[([^\]]+)\] pod default\/busybox:/.exec(l)?.[1]).sort()).toEqual([articleCaptures()[0]!.cluster, 'staging'].sort());
  });

  it('exit 1 when some inputs are quarantined, and the rest is done', async () => {
    const inputs = path.join(dir, 'mixed');
    await mkdir(inputs, { recursive: true });
    await writeFile(path.join(inputs, 'bad.json'), '{"schema":"memgap.capture/v1"');
    await writeFile(
      path.join(inputs, 'good.json'),
      JSON.stringify({ schema: 'memgap.capture/v1', cluster: 'c', node: 'n', capturedAt: '2026-11-27T00:00:00Z', sources: { kubeletSummary: JSON.parse(await readFile(path.join(REAL, 'kubelet-stats-summary_k8s-1.18_docker-20.10.8_systemd.json'), 'utf8')) } }),
    );
    const r = await run('analyze', inputs, '--out', path.join(dir, 'mixed-out'), '--json');
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ inputs: 2, ingested: 1, quarantined: 1 });
    expect(s.quarantine[0].errors[0]).toMatchObject({ source: 'bundle' });
  });
});

describe('memgap demo (what `npm start` runs)', () => {
  it('generates, analyzes and names the top gaps with their causes', async () => {
    const out = path.join(dir, 'demo');
    const r = await run('demo', '--out', out, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    // 2 article captures + 3 nodes × 288 five-minute captures
    expect(s.ingested).toBe(2 + 3 * 288);
    expect(s.quarantined).toBe(0);
    const top = s.topGaps as { cluster: string; namespace: string; pod: string; cause: string; gap_bytes: number; gap_page_cache_bytes: number }[];
    // report-builder peaks at 380 MiB of /dev/shm + 15 MiB active cache, all subtracted by Docker 18.06.
    expect(top[0]).toMatchObject({ namespace: 'reports', cause: 'shmem' });
    expect(top[0]!.gap_page_cache_bytes).toBeGreaterThanOrEqual(380 * 1024 * 1024);
    const article = top.find((t) => t.cluster === 'seed-article')!;
    expect(article).toMatchObject({ pod: 'busybox', cause: 'page-cache', gap_page_cache_bytes: 105_857_024 });
    // shop/* runs on the Docker 24 node (modern formula: usage − inactive_file) or on containerd (no docker
    // stats at all): none of them can show a page-cache gap.
    const shop = top.filter((t) => t.namespace === 'shop');
    for (const t of shop) expect(t.cause).not.toBe('page-cache');
  });
});
