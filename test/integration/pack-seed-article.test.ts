/**
 * Acceptance: the seed article's case collected by hand as the README's incident section says —
 * kubelet summary JSON, the `docker stats` table as pasted (prompt line, trailing spaces, bare
 * prompt after), `docker version` text, a memory.stat tree, and NO host.json — packs and
 * analyzes to the 101 MiB page-cache gap and the pause-container warning. The CLI runs as a
 * child process, as a user runs it.
 *
 * Expected numbers, from the fixture (test/fixtures/pasted/README.md) and the formulas:
 *   kubectl top (kubelet working set of busybox)      105963520
 *   docker stats, Docker 18.06 (usage − cache)         105971712 − 105865216 = 106496 (104.0 KiB)
 *   gap                                                105963520 − 106496 = 105857024 (100.95 MiB)
 *   page cache = WS(S) − DOCKER(S)                     (105971712 − 8192) − 106496 = 105857024
 */
import { copyFile, cp, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type CliBuild } from './helpers/cli-process.js';

const SEED = path.resolve('test/fixtures/pasted/seed-article');
let cli: CliBuild;
let dir: string;

beforeAll(async () => {
  cli = await buildCli();
  dir = await mkdtemp(path.join(tmpdir(), 'memgap-seed-'));
});
afterAll(async () => {
  cli.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('the seed article, collected by hand', () => {
  it('packs without host.json or --at, and analyzes to the 101 MiB page-cache gap and the pause-container warning', async () => {
    const folder = path.join(dir, 'incident');
    await cp(SEED, folder, { recursive: true });
    // Copied files get today's mtime: the capture time must come from the summary, not from them.
    await utimes(path.join(folder, 'summary.json'), new Date(), new Date());
    const bundle = path.join(dir, 'busybox.json.gz');

    const packed = await cli.run(['pack', folder, '--cluster', 'seed-article', '--node', 'ip-192-168-12-34', '-o', bundle]);
    expect(packed.stderr).toBe('');
    expect(packed.code).toBe(0);
    const out = packed.stdout;
    expect(out).toContain(`wrote ${bundle}`);
    expect(out).toContain('capture time 2020-02-03T05:30:57.000Z (newest sample time in summary.json)');
    expect(out).toContain('dockerVersion 18.06.1-ce (docker-version.txt)');
    expect(out).toContain('docker-stats.txt → docker stats table');
    expect(out).toContain('docker-version.txt → docker version');
    expect(out).toContain('summary.json → kubelet /stats/summary');
    expect(out).toMatch(/skipped cgroup\/memory\/kubepods\/besteffort\/pod5c7a3b1e-46d0-11ea-9f5c-0a1b2c3d4e5f\/3f0c9e2d\w+\/cgroup\.procs: a cgroup file memgap does not read/);
    expect(out).toMatch(/\/3f0c9e2d\w+\/\{memory\.limit_in_bytes, memory\.oom_control, memory\.stat, memory\.usage_in_bytes\} → cgroups/);
    expect(out).toMatch(/\/db369d0c34bd\w+\/\{memory\.limit_in_bytes, memory\.stat, memory\.usage_in_bytes\} → cgroups/);

    const outDir = path.join(dir, 'out');
    const analyzed = await cli.run(['analyze', bundle, '--out', outDir]);
    expect(analyzed.code).toBe(0);
    const lines = analyzed.stdout.split('\n');
    expect(lines.find((l) => l.includes('default/busybox'))).toMatch(/^seed-article\s+default\/busybox\s+101\.1 MiB\s+104\.0 KiB\s+101\.0 MiB\s+page-cache$/);
    expect(analyzed.stdout).toContain('kubectl top counts 101.0 MiB of active page cache');
    expect(analyzed.stdout).toContain('Careful: the only docker stats row captured for this pod is its k8s_POD_ pause container, not the app container kubectl top measures.');

    const q = await cli.run([
      'query',
      "select level, container, kubectl_top_bytes, docker_stats_bytes, docker_formula, gap_bytes, gap_page_cache_bytes, gap_rounding_bytes, gap_skew_bytes, gap_residual_bytes, cause, flags from discrepancy where pod = 'busybox' order by level desc, container",
      '--out',
      outDir,
      '--json',
    ]);
    expect(q.code).toBe(0);
    const rows = JSON.parse(q.stdout) as Record<string, unknown>[];
    const pod = rows.find((r) => r.level === 'pod')!;
    expect(pod).toMatchObject({
      kubectl_top_bytes: 105963520,
      docker_stats_bytes: 106496,
      docker_formula: 'legacy',
      gap_bytes: 105857024,
      gap_page_cache_bytes: 105857024,
      gap_rounding_bytes: 0,
      gap_residual_bytes: 0,
      cause: 'page-cache',
    });
    expect(pod.flags).toEqual(expect.arrayContaining(['container-mismatch']));
    const pause = rows.find((r) => r.container === 'POD')!;
    expect(pause).toMatchObject({ kubectl_top_bytes: null, cause: 'container-mismatch' });
    expect(pause.flags).toEqual(expect.arrayContaining(['pause-container', 'cli-rounding']));
  });

  it("with the article's own docker stats paste (name elided as k8s_POD_busybox_<省略>), the id still finds the pause container", async () => {
    const folder = path.join(dir, 'verbatim');
    await cp(SEED, folder, { recursive: true });
    await copyFile(path.resolve('test/fixtures/synthetic/a/docker-stats-table_seed-article_after-read.txt'), path.join(folder, 'docker-stats.txt'));
    const bundle = path.join(dir, 'verbatim.json.gz');
    const packed = await cli.run(['pack', folder, '--cluster', 'seed-article', '--node', 'ip-192-168-12-34', '-o', bundle]);
    expect(packed.code).toBe(0);
    expect(packed.stdout).toContain('docker-stats.txt → docker stats table');
    const analyzed = await cli.run(['analyze', bundle, '--out', path.join(dir, 'verbatim-out')]);
    expect(analyzed.code).toBe(0);
    expect(analyzed.stdout.split('\n').find((l) => l.includes('default/busybox'))).toMatch(/101\.1 MiB\s+104\.0 KiB\s+101\.0 MiB\s+page-cache$/);
    expect(analyzed.stdout).toContain('Careful: the only docker stats row captured for this pod is its k8s_POD_ pause container');
  });
});
