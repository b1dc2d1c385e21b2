/**
 * `memgap pack` as a user runs it (child process): required options marked in --help, host facts
 * from flags, host.json and pasted files (and one clear line when they disagree), the capture
 * time from the sources' own timestamps, and every skipped file listed with its reason — also
 * when nothing could be packed.
 */
import { readFileSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureBundle } from '../../src/model/bundle.js';
import { buildCli, type CliBuild } from './helpers/cli-process.js';

const PASTED = path.resolve('test/fixtures/pasted');
const REAL = path.resolve('test/fixtures/real');
let cli: CliBuild;
let dir: string;
let n = 0;

beforeAll(async () => {
  cli = await buildCli();
  dir = await mkdtemp(path.join(tmpdir(), 'memgap-pack-'));
});
afterAll(async () => {
  cli.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function folderWith(files: Record<string, string>): Promise<string> {
  const folder = path.join(dir, `f${n++}`);
  await mkdir(folder, { recursive: true });
  for (const [name, from] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    if (from.startsWith('@')) await copyFile(from.slice(1), path.join(folder, name));
    else await writeFile(path.join(folder, name), from);
  }
  return folder;
}

async function bundleOf(file: string): Promise<CaptureBundle> {
  return CaptureBundle.parse(JSON.parse(gunzipSync(await readFile(file)).toString('utf8')));
}

const pack = (folder: string, ...extra: string[]) => cli.run(['pack', folder, '--cluster', 'incident-7', '--node', 'node02', '-o', path.join(folder, '..', `${path.basename(folder)}.json.gz`), ...extra]);
const out = (folder: string) => path.join(folder, '..', `${path.basename(folder)}.json.gz`);

describe('memgap pack', () => {
  it('--help marks the required options', async () => {
    const r = await cli.run(['pack', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--cluster <name>\s+\(required\)/);
    expect(r.stdout).toMatch(/--node <name>\s+\(required\)/);
    expect(r.stdout).not.toMatch(/--at <time>\s+\(required\)/);
  });

  it('host facts from flags land in the bundle, the same keys host.json has', async () => {
    const folder = await folderWith({ 'stats.txt': `@${path.join(PASTED, 'docker-stats_grep-no-header.txt')}` });
    const r = await pack(folder, '--docker-version', '18.06.1-ce', '--cgroup-driver', 'cgroupfs', '--cgroup-version', '1', '--kernel', '4.14.165-133.209.amzn2.x86_64', '--kubelet-version', 'v1.14.9-eks-1f0ca9', '--container-runtime', 'docker://18.6.1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dockerVersion 18.06.1-ce (--docker-version)');
    expect((await bundleOf(out(folder))).host).toEqual({
      dockerVersion: '18.06.1-ce',
      cgroupDriver: 'cgroupfs',
      cgroupVersion: 1,
      kernel: '4.14.165-133.209.amzn2.x86_64',
      kubeletVersion: 'v1.14.9-eks-1f0ca9',
      containerRuntime: 'docker://18.6.1',
    });

    const viaJson = await folderWith({
      'stats.txt': `@${path.join(PASTED, 'docker-stats_grep-no-header.txt')}`,
      'host.json': JSON.stringify({ dockerVersion: '18.06.1-ce', cgroupDriver: 'cgroupfs', cgroupVersion: 1, kernel: '4.14.165-133.209.amzn2.x86_64', kubeletVersion: 'v1.14.9-eks-1f0ca9', containerRuntime: 'docker://18.6.1' }),
      'docker-version.txt': `@${path.join(PASTED, 'docker-version_18.06_amzn2.txt')}`,
    });
    const j = await pack(viaJson, '--json');
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout) as { host: unknown; hostFrom: { key: string; from: string }[] };
    expect(report.host).toEqual((await bundleOf(out(folder))).host);
    // host.json is read first (file order); docker version agrees (18.06.1-ce is docker://18.6.1).
    expect(report.hostFrom.find((f) => f.key === 'dockerVersion')?.from).toBe('docker-version.txt');
  });

  it('facts from pasted files fill the host; a flag that contradicts them is one clear line, exit 2', async () => {
    const folder = await folderWith({
      'stats.txt': `@${path.join(PASTED, 'docker-stats_grep-no-header.txt')}`,
      'version.txt': `@${path.join(PASTED, 'docker-version_24.0_community.txt')}`,
      'info.txt': `@${path.join(PASTED, 'docker-info_24.0_ubuntu.txt')}`,
      'kubectl.txt': `@${path.join(PASTED, 'kubectl-version_1.17-client_1.14-eks.txt')}`,
    });
    const ok = await pack(folder);
    expect(ok.code).toBe(0);
    expect((await bundleOf(out(folder))).host).toEqual({
      dockerVersion: '24.0.7',
      cgroupDriver: 'systemd',
      cgroupVersion: 2,
      kernel: '5.15.0-91-generic',
      kubectlVersion: 'v1.17.0',
      apiServerVersion: 'v1.14.9-eks-c0eccc',
    });

    const bad = await pack(folder, '--docker-version', '18.06.1-ce');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    // info.txt comes first (file order) and its Client: block names the CLI version.
    expect(bad.stderr).toBe('memgap: host facts disagree: dockerVersion is 24.0.7 (info.txt) but 18.06.1-ce (--docker-version); remove the wrong one\n');

    const driver = await pack(folder, '--cgroup-driver', 'cgroupfs');
    expect(driver.code).toBe(2);
    expect(driver.stderr).toBe('memgap: host facts disagree: cgroupDriver is systemd (info.txt) but cgroupfs (--cgroup-driver); remove the wrong one\n');

    const value = await pack(folder, '--cgroup-version', '3');
    expect(value.code).toBe(2);
    expect(value.stderr).toBe('memgap: --cgroup-version: expected 1 or 2, got "3"\n');
  });

  it('the capture time comes from the Engine API `read` when no --at is given, else from the file times, and says which', async () => {
    const api = await folderWith({ 'container-stats.json': `@${path.join(REAL, 'docker-engine-api-v1.24-container-stats_docs-example_cgroupv1.json')}` });
    const a = await pack(api);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('capture time 2015-01-08T22:57:31.547Z (newest sample time in container-stats.json)');
    expect((await bundleOf(out(api))).capturedAt).toBe('2015-01-08T22:57:31.547Z');

    const table = await folderWith({ 'stats.txt': `@${path.join(PASTED, 'docker-stats_grep-no-header.txt')}` });
    const when = new Date('2026-11-27T09:14:05Z');
    await utimes(path.join(table, 'stats.txt'), when, when);
    const t = await pack(table);
    expect(t.stdout).toContain('capture time 2026-11-27T09:14:05.000Z (newest file modification time (no source carries its own time; pass --at to set it))');
    expect(t.stdout).toContain('Docker version unknown');

    const at = await pack(table, '--at', '2026-11-27T09:15:00+09:00');
    expect(at.stdout).toContain('capture time 2026-11-27T00:15:00.000Z (--at)');
    // The seed summary's container memory at 05:30:57Z, its pod block at 05:30:55Z: close enough, no note.
    const same = await folderWith({ 'summary.json': `@${path.join(PASTED, 'seed-article/summary.json')}`, 'pm.json': `@${path.join(PASTED, 'metrics-api-podmetrics_busybox.json')}` });
    const s1 = await pack(same);
    expect(s1.stdout).toContain('capture time 2020-02-03T05:30:57.000Z (newest sample time in');
    expect(s1.stdout).not.toContain('sampled');
    expect(s1.stdout).toContain('note: summary.json is the kubelet summary of node ip-192-168-12-34.ap-northeast-1.compute.internal, packed as --node node02');
    const apart = await folderWith({ 'summary.json': `@${path.join(PASTED, 'seed-article/summary.json')}`, 'top.json': JSON.stringify({ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'busybox', namespace: 'default' }, timestamp: '2020-02-03T08:45:57Z', window: '30s', containers: [{ name: 'busybox', usage: { cpu: '0', memory: '1024Ki' } }] }) });
    const s2 = await pack(apart);
    expect(s2.stdout).toContain('capture time 2020-02-03T08:45:57.000Z (newest sample time in top.json)');
    expect(s2.stdout).toContain('note: sources sampled 3 h 15 min apart (2020-02-03T05:30:55.000Z in summary.json, 2020-02-03T08:45:57.000Z in top.json): their figures describe different moments');

    const badAt = await pack(table, '--at', 'yesterday');
    expect(badAt.code).toBe(2);
    expect(badAt.stderr).toBe('memgap: --at: not an RFC 3339 time: yesterday\n');
  });

  it('a terminal session with several commands: each output used or skipped, located by line', async () => {
    const folder = await folderWith({
      'node02.txt': `@${path.join(PASTED, 'node02-session.txt')}`,
      'top.txt': `@${path.join(PASTED, 'kubectl-top-pod_containers_n-harbor.txt')}`,
      'metrics.txt': `@${path.join(PASTED, 'metrics-api-podmetricslist_harbor.txt')}`,
      'stat.txt': `@${path.join(PASTED, 'cat-memory.stat_cgroupv2-systemd.txt')}`,
    });
    const r = await pack(folder);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('node02.txt (line 1) → docker version');
    expect(r.stdout).toContain('node02.txt (line 20) → docker info');
    expect(r.stdout).toContain('node02.txt (line 22) → docker stats table (no header in the paste (filtered through a pipe)');
    expect(r.stdout).toContain('skipped node02.txt (line 24): output of `uptime`, which memgap does not read');
    expect(r.stdout).toContain('top.txt → kubectl top table');
    expect(r.stdout).toContain('metrics.txt → metrics.k8s.io PodMetricsList');
    expect(r.stdout).toContain('capture time 2026-11-27T09:13:55.000Z (newest sample time in metrics.txt)');
    const b = await bundleOf(out(folder));
    expect(b.host).toEqual({ dockerVersion: '19.03.6-ce', cgroupDriver: 'cgroupfs' });
    expect(b.sources.kubectlTop).toEqual([expect.objectContaining({ namespace: 'harbor' })]);
    expect((b.sources.metricsApi as unknown[]).length).toBe(1);
    expect(r.stdout).toMatch(/stat\.txt → cgroups \(cgroup \/sys\/fs\/cgroup\/kubepods\.slice\/.*\/cri-containerd-6c1f0a3b\w+\.scope\)/);
    expect(b.sources.cgroups).toEqual([
      {
        path: '/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8a9b_0c1d2e3f4a5b.slice/cri-containerd-6c1f0a3b2e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978869a0b.scope',
        files: { 'memory.stat': expect.stringMatching(/^anon 48234496\n[\s\S]*thp_collapse_alloc 0\n?$/) },
      },
    ]);

    // One pasted session file packs on its own; a path that is not there is one line, exit 2.
    const single = await cli.run(['pack', path.join(folder, 'node02.txt'), '--cluster', 'c', '--node', 'node02', '-o', path.join(dir, 'single.json.gz')]);
    expect(single.code).toBe(0);
    expect((await bundleOf(path.join(dir, 'single.json.gz'))).sources.dockerStatsTable).toContain('41.91MiB / 15.51GiB');
    const missing = await cli.run(['pack', path.join(dir, 'nope'), '--cluster', 'c', '--node', 'node02']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`memgap: ${path.join(dir, 'nope')}: no such file or folder\n`);
  });

  it("node facts from kubectl get nodes -o wide: the packed node's row (short name or FQDN), or a reason; a UTF-16 paste reads as text", async () => {
    const top = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(path.join(PASTED, 'kubectl-top-pod_seed-article.txt'), 'utf8').replace(/\n/g, '\r\n'), 'utf16le')]);
    const folder = await folderWith({ 'nodes.txt': `@${path.join(PASTED, 'kubectl-get-nodes-wide_eks-1.14.txt')}`, 'version.txt': `@${path.join(PASTED, 'docker-version_18.06_amzn2.txt')}` });
    await writeFile(path.join(folder, 'top.txt'), top);
    const r = await cli.run(['pack', folder, '--cluster', 'c', '--node', 'ip-192-168-12-34', '-o', out(folder)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nodes.txt → kubectl get nodes -o wide (row of ip-192-168-12-34.ap-northeast-1.compute.internal)');
    expect(r.stdout).toContain('top.txt → kubectl top table');
    expect((await bundleOf(out(folder))).host).toEqual({ kubeletVersion: 'v1.14.9-eks-1f0ca9', containerRuntime: 'docker://18.6.1', kernel: '4.14.165-133.209.amzn2.x86_64', dockerVersion: '18.06.1-ce' });

    const other = await cli.run(['pack', folder, '--cluster', 'c', '--node', 'node02', '-o', out(folder)]);
    expect(other.code).toBe(0);
    expect(other.stdout).toContain('skipped nodes.txt: kubectl get nodes -o wide: no row for node node02 (ip-192-168-12-34.ap-northeast-1.compute.internal, ip-192-168-40-2.ap-northeast-1.compute.internal)');
  });

  it('a RHEL 7 node with Docker 1.13, grepped without a header in decimal units, packs and analyzes as raw usage', async () => {
    const folder = path.join(dir, 'rhel7');
    await cp(path.join(PASTED, 'rhel7-docker-1.13'), folder, { recursive: true });
    await copyFile(path.join(PASTED, 'docker-version_1.13_rhel.txt'), path.join(folder, 'docker-version.txt'));
    const p = await cli.run(['pack', folder, '--cluster', 'old', '--node', 'rhel7-node', '-o', out(folder)]);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('dockerVersion 1.13.1 (docker-version.txt)');
    expect(p.stdout).toContain('docker-stats.txt → docker stats table (no header in the paste (filtered through a pipe)');
    const o = path.join(dir, 'rhel7-out');
    expect((await cli.run(['analyze', out(folder), '--out', o])).code).toBe(0);
    const q = await cli.run(['query', "select kubectl_top_bytes, docker_stats_bytes, docker_formula, gap_bytes, gap_page_cache_bytes, gap_rounding_bytes, gap_residual_bytes, cause from discrepancy where level = 'container'", '--out', o, '--json']);
    // printed 495.2 MB = 495200000; S: usage 495206400 (the CLI showed it whole), working set = usage − 104857600 inactive file
    expect(JSON.parse(q.stdout)).toEqual([
      {
        kubectl_top_bytes: 390348800,
        docker_stats_bytes: 495200000,
        docker_formula: 'raw-usage',
        gap_bytes: 390348800 - 495200000,
        gap_page_cache_bytes: 390348800 - 495206400,
        gap_rounding_bytes: 495206400 - 495200000,
        gap_residual_bytes: 0,
        cause: 'page-cache',
      },
    ]);
  });

  it('when nothing can be packed, every skipped file is listed with its reason, then one error line, exit 2', async () => {
    const folder = await folderWith({
      'notes.txt': 'kubectl top said 101Mi, docker stats 620KiB\n',
      'summary.json': '{\n  "node": {\n   "nodeName": "ip-192-168-12-34"\n<省略>\n',
      'uptime.txt': '[root@node02 ~]# uptime\n 09:14:05 up 41 days,  3:02,  1 user,  load average: 0.52, 0.58, 0.59\n',
      'stats.txt': '$ docker stats --no-stream\nCONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS\n4f3a2b1c0d9e   app   0.12%   41.91MiB / 15.51GiB\n',
    });
    await writeFile(path.join(folder, 'capture_node02.json.gz'), gzipSync('{}'));
    const r = await pack(folder);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    for (const want of [
      /^ {2}skipped notes\.txt: not a recognised source$/,
      /^ {2}skipped capture_node02\.json\.gz: gzip-compressed \(a capture bundle\? give it to memgap analyze; else gunzip it first\)$/,
      /^ {2}skipped summary\.json: looks like JSON but does not parse: /,
      /^ {2}skipped uptime\.txt: output of `uptime`, which memgap does not read$/,
      /^ {2}skipped stats\.txt: docker stats table, but line 2: row ends before the memPerc column/,
    ]) {
      expect(lines.slice(0, -1).filter((l) => want.test(l))).toHaveLength(1);
    }
    expect(lines.at(-1)).toBe(`memgap: no capture could be built from ${folder}: no file holds a source memgap reads (5 skipped, listed above)`);
    expect(r.stderr).not.toMatch(/\bat .*\.mjs:\d+/);
  });
});
