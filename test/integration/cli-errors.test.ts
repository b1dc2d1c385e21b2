/**
 * The CLI as a child process, the way a user meets it: exit codes, the one stderr line a mistake
 * earns (never a stack trace), broken pipes, wrong `--out` folders, refused SQL, progress lines.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleCaptures, gzipBundle } from '../../src/demo/generator.js';
import { buildCli, runUntilFirstLine, type CliBuild, type CliRun } from './helpers/cli-process.js';

const REAL = path.resolve('test/fixtures/real');
let cli: CliBuild;
let dir: string;
/** The seed article's two captures, in its own cluster and again as cluster `staging`. */
let out: string;
let inputs: string;
let analyzeRun: CliRun;

/** A user mistake: exit 2, one line on stderr naming the problem, no stack frame. */
function expectUsageError(r: CliRun, pattern: RegExp): void {
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.code).toBe(2);
}

beforeAll(async () => {
  cli = await buildCli();
  dir = await mkdtemp(path.join(tmpdir(), 'memgap-cli-errors-'));
  inputs = path.join(dir, 'captures');
  out = path.join(dir, 'out');
  await mkdir(inputs, { recursive: true });
  for (const b of articleCaptures()) {
    await writeFile(path.join(inputs, `a-${b.capturedAt}.json.gz`), gzipBundle(b));
    await writeFile(path.join(inputs, `b-${b.capturedAt}.json.gz`), gzipBundle({ ...b, cluster: 'staging' }));
  }
  analyzeRun = await cli.run(['analyze', inputs, '--out', out]);
});

afterAll(async () => {
  cli?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('exit codes and one-line errors', () => {
  it('analyze of good captures exits 0', () => {
    expect(analyzeRun.stderr).not.toMatch(/^\s+at /m);
    expect(analyzeRun.code).toBe(0);
    expect(analyzeRun.stdout).toMatch(/4 captures from 4 of 4 objects ingested/);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const r = await cli.run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('an unknown option or missing argument is exit 2 (commander prints the help)', async () => {
    expect((await cli.run(['analyze', inputs])).code).toBe(2);
    expect((await cli.run(['query', '--bogus'])).code).toBe(2);
  });

  it('analyze --out pointing at a file', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    expectUsageError(await cli.run(['analyze', inputs, '--out', file]), /--out .*a-file is a file/);
  });

  it('demo --out never replaces a file or a folder that is not a memgap output', async () => {
    const mine = path.join(dir, 'my-notes');
    await mkdir(mine, { recursive: true });
    await writeFile(path.join(mine, 'incident.md'), 'keep me');
    expectUsageError(await cli.run(['demo', '--out', mine]), /--out .*my-notes holds other files \(incident\.md\); the demo replaces its folder/);
    expect(await readFile(path.join(mine, 'incident.md'), 'utf8')).toBe('keep me');
    const file = path.join(dir, 'a-file-demo');
    await writeFile(file, 'keep me too');
    expectUsageError(await cli.run(['demo', '--out', file]), /is a file/);
    expect(await readFile(file, 'utf8')).toBe('keep me too');
  });

  it('pack -o into a missing folder, and onto a folder', async () => {
    const loose = path.join(dir, 'loose-pack');
    await mkdir(loose, { recursive: true });
    await copyFile(path.join(REAL, 'kubelet-stats-summary_k8s-1.18_docker-20.10.8_systemd.json'), path.join(loose, 'summary.json'));
    const base = ['pack', loose, '--cluster', 'c1', '--node', 'n1', '--at', '2026-11-27T05:30:57Z'];
    expectUsageError(await cli.run([...base, '-o', path.join(dir, 'no-such-folder', 'b.json.gz')]), /no-such-folder.*no such file or folder/);
    expectUsageError(await cli.run([...base, '-o', dir]), /is a folder, not a file/);
  });

  it('query with no SQL, or with SQL and --named', async () => {
    expectUsageError(await cli.run(['query', '--out', out]), /give the SQL to run .* or --named <name> \(memgap query --list shows them\)/);
    expectUsageError(await cli.run(['query', 'select 1', '--named', 'top-gaps', '--out', out]), /not both/);
  });

  it('an SQL syntax error', async () => {
    expectUsageError(await cli.run(['query', 'selec * from discrepancy', '--out', out]), /the SQL was refused: Parser Error: syntax error at or near "selec"/);
  });

  it('an unknown column or table', async () => {
    expectUsageError(await cli.run(['query', 'select nope from discrepancy', '--out', out]), /Binder Error/);
    expectUsageError(await cli.run(['query', 'select * from nope', '--out', out]), /Catalog Error/);
  });

  it('agent --once with no source', async () => {
    const empty = path.join(dir, 'no-cgroups');
    await mkdir(empty, { recursive: true });
    const r = await cli.run(['agent', '--once', '--cluster', 'c1', '--node', 'n1', '--no-kubelet', '--no-docker', '--no-crictl', '--cgroup-root', empty, '--log-level', 'error'], {
      env: { KUBERNETES_SERVICE_HOST: '' },
    });
    expectUsageError(r, /no source answered \(cgroups: [^)]+\); run the agent on a node/);
  });

  it('`memgap query … | head -1` ends quietly with 0 (EPIPE)', async () => {
    const r = await runUntilFirstLine(cli.file, ['query', 'select range as n, repeat(\'x\', 60) as pad from range(300000)', '--out', out]);
    expect(r.firstLine).toMatch(/^\s*n\s+pad/);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
  });

  it('the same through a real shell pipeline with pipefail', () => {
    const script = `set -o pipefail; node ${JSON.stringify(cli.file)} query "select range from range(300000)" --out ${JSON.stringify(out)} --csv | head -1`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(r.stdout).toBe('range\r\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a failure that is not the user\'s: exit 3, one line, the stack only with MEMGAP_DEBUG=1', async () => {
    // An input folder that cannot be listed (chmod 000) is an environment problem (EACCES is a path
    // mistake, exit 2); an s3 location with no reachable endpoint is not the command line's fault.
    const env = { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' };
    const r = await cli.run(['query', 'select 1', '--out', 's3://bucket/prefix'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).toMatch(/set MEMGAP_DEBUG=1 for the stack trace/);
    const debug = await cli.run(['query', 'select 1', '--out', 's3://bucket/prefix'], { env: { ...env, MEMGAP_DEBUG: '1' } });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });
});

describe('an --out without memgap tables, inputs without captures', () => {
  it('query, explain on a missing folder, an empty folder, a file, a folder of raw captures', async () => {
    const empty = path.join(dir, 'empty-out');
    await mkdir(empty, { recursive: true });
    const file = path.join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    for (const where of [path.join(dir, 'missing-out'), empty, file, inputs]) {
      expectUsageError(await cli.run(['query', 'select count(*) from discrepancy', '--out', where]), new RegExp(`no memgap tables under ${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*run memgap analyze`));
      expectUsageError(await cli.run(['explain', 'default/busybox', '--out', where]), /no memgap tables under .*run memgap analyze/);
      expectUsageError(await cli.run(['query', '--named', 'top-gaps', '--param', 'day=2020-02-03', '--param', 'cluster=staging', '--out', where]), /no memgap tables under/);
    }
  });

  it('an --out holding only raw captures names the analyze command that builds its tables', async () => {
    const withRaw = path.join(dir, 'raw-only');
    await mkdir(path.join(withRaw, 'raw/cluster=c/node=n/dt=2020-02-03'), { recursive: true });
    await copyFile(path.join(inputs, (await import('node:fs')).readdirSync(inputs)[0]!), path.join(withRaw, 'raw/cluster=c/node=n/dt=2020-02-03/x.json.gz'));
    expectUsageError(await cli.run(['query', 'select 1', '--out', withRaw]), /it holds captures in raw\/: memgap analyze .*raw-only\/raw --out/);
  });

  it('analyze on a folder with no capture at all', async () => {
    const nothing = path.join(dir, 'nothing');
    await mkdir(nothing, { recursive: true });
    await writeFile(path.join(nothing, 'notes.md'), '# what we saw\n');
    const r = await cli.run(['analyze', nothing, '--out', path.join(dir, 'nothing-out')]);
    expectUsageError(r, /no capture bundle under .*nothing \(memgap analyze reads/);
    expect(existsSync(path.join(dir, 'nothing-out'))).toBe(false);
  });

  it('analyze on hand-collected files says "run memgap pack first", and writes nothing', async () => {
    const loose = path.join(dir, 'incident');
    await mkdir(path.join(loose, 'cgroup'), { recursive: true });
    await copyFile(path.join(REAL, 'docker-stats-table_docs-example.txt'), path.join(loose, 'stats.txt'));
    await writeFile(path.join(loose, 'cgroup', 'memory.stat'), 'cache 105865216\nrss 106496\n');
    // summary JSON is picked up as a *.json input: still not a capture
    await copyFile(path.join(REAL, 'kubelet-stats-summary_k8s-1.18_docker-20.10.8_systemd.json'), path.join(loose, 'summary.json'));
    const r = await cli.run(['analyze', loose, '--out', path.join(dir, 'incident-out')]);
    expectUsageError(r, /no capture bundle under .*incident \(the file is another tool's output\); memgap pack reads hand-collected output like .*: run memgap pack .*incident --cluster <name> --node <name> first/);
    for (const f of ['cgroup/memory.stat', 'stats.txt', 'summary.json']) expect(r.stderr).toContain(f);
    expect(existsSync(path.join(dir, 'incident-out'))).toBe(false);

    // a pasted file named on the command line
    expectUsageError(await cli.run(['analyze', path.join(loose, 'stats.txt'), '--out', path.join(dir, 'incident-out')]), /no capture bundle under .*stats\.txt \(the file is another tool's output\); memgap pack reads hand-collected output like .*stats\.txt: run memgap pack .*stats\.txt --cluster/);

    // only loose text files and a memory.stat: no *.json input at all
    await rm(path.join(loose, 'summary.json'));
    expectUsageError(await cli.run(['analyze', loose, '--out', path.join(dir, 'incident-out')]), /no capture bundle under .*incident; memgap pack reads hand-collected output like .*stats\.txt: run memgap pack/);
  });
});

describe('analyze with no gap to rank', () => {
  it('says which figure was missing, pod by pod counts', async () => {
    const only = path.join(dir, 'summary-only');
    await mkdir(only, { recursive: true });
    const summary = JSON.parse(await readFile(path.join(REAL, 'kubelet-stats-summary_k8s-1.18_docker-20.10.8_systemd.json'), 'utf8')) as { pods: unknown[] };
    await writeFile(path.join(only, 'capture.json'), JSON.stringify({ schema: 'memgap.capture/v1', cluster: 'c', node: 'minikube', capturedAt: '2026-11-27T00:00:00Z', sources: { kubeletSummary: summary } }));
    const r = await cli.run(['analyze', only, '--out', path.join(dir, 'summary-only-out')]);
    expect(r.code).toBe(0);
    // the summary's 15 pods all have a working set (kubectl top's figure); nothing from Docker
    expect(summary.pods).toHaveLength(15);
    expect(r.stdout).toContain('No pod had both a kubectl top and a docker stats figure, so there is no gap to rank: of 15 pods, 15 had a kubectl top figure (kubelet /stats/summary or /metrics/resource, a pasted kubectl top) and 0 a docker stats figure (docker stats output, Docker Engine API stats).');
  });
});

describe('query is read-only', () => {
  it.each([
    ['COPY into the output itself', `copy (select 1) to '${'OUT'}/evil.csv'`],
    ['COPY outside', `copy (select * from discrepancy) to '/tmp/memgap-evil.csv'`],
    ['ATTACH', `attach '/tmp/memgap-evil.db'`],
    ['INSTALL', 'install httpfs'],
    ['LOAD', 'load httpfs'],
    ['read_text of an arbitrary path', `select * from read_text('/etc/passwd')`],
    ['read_csv of an arbitrary path', `select * from read_csv('/etc/hostname')`],
    ['SET', 'set threads = 1'],
    ['PRAGMA that changes a setting', 'pragma threads = 1'],
    ['two statements', 'select 1; select 2'],
    ['CREATE', 'create table t as select 1'],
  ])('refuses %s', async (_label, sql) => {
    const r = await cli.run(['query', sql.replace('OUT', out), '--out', out]);
    expectUsageError(r, /memgap: (memgap query (is read-only|runs exactly one)|the SQL was refused: Permission Error)/);
    expect(existsSync(path.join(out, 'evil.csv'))).toBe(false);
  });

  it('a SELECT and a WITH … SELECT run', async () => {
    const r = await cli.run(['query', "with p as (select * from discrepancy where level = 'pod') select cluster, count(*) as n from p group by cluster order by cluster", '--out', out, '--csv']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // 2 captures of one pod in each cluster
    expect(r.stdout).toBe('cluster,n\r\nseed-article,2\r\nstaging,2\r\n');
  });

  it('--param values are checked against their type', async () => {
    const base = ['query', '--named', 'top-gaps', '--out', out];
    expectUsageError(await cli.run([...base, '--param', 'day=2020-02-31', '--param', 'cluster=staging']), /--param day="2020-02-31": expected a UTC date, YYYY-MM-DD/);
    expectUsageError(await cli.run([...base, '--param', 'day=yesterday', '--param', 'cluster=staging']), /--param day="yesterday"/);
    expectUsageError(await cli.run([...base, '--param', 'day=2020-02-03', '--param', 'cluster=a b']), /--param cluster="a b": expected a cluster name/);
    const ok = await cli.run([...base, '--param', 'day=2020-02-03', '--param', 'cluster=staging', '--json']);
    expect(ok.code).toBe(0);
    const rows = JSON.parse(ok.stdout) as { cluster: string; pod: string; gap_bytes: number }[];
    expect(new Set(rows.map((r) => r.cluster))).toEqual(new Set(['staging']));
    // after `less file100`: kubectl top 105963520 B, docker stats (≤ 19.03: usage − cache) 106496 B
    expect(rows[0]).toMatchObject({ pod: 'busybox', gap_bytes: 105_963_520 - 106_496 });
  });
});

describe('explain', () => {
  it('a pod in several clusters: says so and lists them, exit 2', async () => {
    expectUsageError(await cli.run(['explain', 'default/busybox', '--out', out]), /default\/busybox exists in 2 clusters \(seed-article, staging\); pick one with --cluster <name>/);
  });

  it('a pod whose name is in another cluster on another day: listed too, not the latest day silently', async () => {
    const days = path.join(dir, 'two-days');
    await mkdir(days, { recursive: true });
    for (const b of articleCaptures()) {
      await writeFile(path.join(days, `a-${b.capturedAt}.json.gz`), gzipBundle(b));
      const later = new Date(Date.parse(b.capturedAt) + 3 * 86_400_000).toISOString();
      await writeFile(path.join(days, `b-${later}.json.gz`), gzipBundle({ ...b, cluster: 'later', capturedAt: later }));
    }
    const o = path.join(dir, 'two-days-out');
    expect((await cli.run(['analyze', days, '--out', o])).code).toBe(0);
    expectUsageError(await cli.run(['explain', 'default/busybox', '--out', o]), /default\/busybox exists in 2 clusters \(later, seed-article\); pick one with --cluster <name>/);
    const seed = await cli.run(['explain', 'default/busybox', '--out', o, '--cluster', 'seed-article', '--json']);
    expect(JSON.parse(seed.stdout)).toMatchObject({ clusters: ['seed-article'], captures: 2, from: '2020-02-03T00:00:00.000Z' });
    // a window that holds one cluster only needs no --cluster
    const windowed = await cli.run(['explain', 'default/busybox', '--out', o, '--from', '2020-02-03', '--json']);
    expect(JSON.parse(windowed.stdout)).toMatchObject({ clusters: ['seed-article'], captures: 2 });
  });

  it('--cluster picks one; the page-cache column is filled where the cause is page cache', async () => {
    const r = await cli.run(['explain', 'default/busybox', '--out', out, '--cluster', 'staging', '--json']);
    expect(r.code).toBe(0);
    const story = JSON.parse(r.stdout) as { clusters: string[]; timeline: { cause: string; cache: number | null; at: string }[] };
    expect(story.clusters).toEqual(['staging']);
    expect(story.timeline.map((t) => t.cause)).toEqual(['page-cache', 'page-cache']);
    // the busybox container's memory.stat `cache` in the article: 696320 B before `less file100`
    // (the 680 KiB gap), 105865216 B after; the pause container has none.
    expect(story.timeline.map((t) => t.cache)).toEqual([696_320, 105_865_216]);
    const table = await cli.run(['explain', 'default/busybox', '--out', out, '--cluster', 'staging']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/page-cache/);
    for (const line of table.stdout.split('\n').filter((l) => l.endsWith('page-cache'))) expect(line).not.toMatch(/\bn\/a\b/);
  });

  it('--cluster that is not a cluster name is a usage error', async () => {
    expectUsageError(await cli.run(['explain', 'default/busybox', '--out', out, '--cluster', '../x']), /--cluster/);
  });
});

describe('progress', () => {
  it('off a terminal: one line per phase on stderr, with counts and seconds', () => {
    const lines = analyzeRun.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^memgap: ingest 4\/4 captures in \d+\.\d s$/),
      expect.stringMatching(/^memgap: compaction (\d+)\/\1 table partitions in \d+\.\d s$/),
      // 2 clusters × 1 day
      expect.stringMatching(/^memgap: trends 2\/2 cluster-days in \d+\.\d s$/),
      expect.stringMatching(/^memgap: reports 2\/2 cluster-days in \d+\.\d s$/),
    ]);
  });

  it('on a terminal: a bar per phase', () => {
    // util-linux `script` gives the child a real pseudo-terminal.
    const o = path.join(dir, 'tty-out');
    const cmd = `node ${JSON.stringify(cli.file)} analyze ${JSON.stringify(inputs)} --out ${JSON.stringify(o)} --json >/dev/null`;
    const typescript = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', TERM: 'xterm' } });
    for (const phase of ['ingest', 'compaction', 'trends', 'reports']) expect(typescript).toMatch(new RegExp(`${phase}\\s+\\[[█░]+\\] \\d+/\\d+`));
    expect(typescript).toMatch(/ingest\s+\[█+\] 4\/4 captures/);
    expect(typescript).not.toMatch(/^memgap: ingest/m);
  });
});
