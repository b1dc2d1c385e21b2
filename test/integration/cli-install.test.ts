/**
 * `memgap` outside the repository, installed the two ways the README gives: a packed tarball
 * (`npm pack` + `npm install -g`) and a linked clone (`npm link`). Both into a temporary npm
 * prefix, run from a folder outside the clone.
 *
 * The clone is copied (without dist/) so `prepare` builds it there, as on a fresh clone; its
 * node_modules is the repository's (the dev dependencies that build dist/). Installing the
 * tarball fetches the runtime dependencies through npm (cache first); with no registry reachable
 * that one step is skipped, saying so.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const REPO = path.resolve('.');
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
/** What the build needs from a clone: the sources, the build script, the package's own files. */
const CLONE_ENTRIES = ['package.json', 'README.md', 'bin', 'sql', 'src', 'scripts'];

let tmp: string;
let clone: string;
/** An analyzed output with one discrepancy file: enough for `memgap query` to load DuckDB. */
let out: string;
const npmEnv = (prefix: string) => ({ ...process.env, NODE_OPTIONS: '', NPM_CONFIG_PREFIX: prefix, NPM_CONFIG_UPDATE_NOTIFIER: 'false', NPM_CONFIG_FUND: 'false', NPM_CONFIG_AUDIT: 'false' });

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'memgap-install-'));
  clone = path.join(tmp, 'clone');
  mkdirSync(clone);
  for (const entry of CLONE_ENTRIES) cpSync(path.join(REPO, entry), path.join(clone, entry), { recursive: true });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
  out = path.join(tmp, 'out');
  mkdirSync(path.join(out, 'discrepancy/dt=2026-11-26/cluster=c1'), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT 'default' AS namespace, 'busybox' AS pod, 105857024::BIGINT AS gap_bytes) TO '${path.join(out, 'discrepancy/dt=2026-11-26/cluster=c1/data.parquet')}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function memgap(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  // cwd outside the clone: nothing may resolve through the repository.
  return exec(bin, args, { cwd: tmp, env: { ...process.env, NODE_OPTIONS: '' } });
}

describe('installing memgap outside the repository', () => {
  let tarball: string;
  let packed: string[];

  beforeAll(async () => {
    const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: clone, env: npmEnv(path.join(tmp, 'unused')) });
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(tmp, info!.filename);
    packed = info!.files.map((f) => f.path).sort();
  }, 120_000);

  it('npm pack: prepare built dist/, and the tarball holds the command, its bundles and the SQL it reads', () => {
    expect(existsSync(tarball)).toBe(true);
    for (const f of ['bin/memgap.mjs', 'dist/cli.mjs', 'dist/ingest-worker.mjs', 'sql/top-gaps.sql', 'package.json', 'README.md']) expect(packed).toContain(f);
    // sql/pipeline/*.sql is read at run time by the trends and compaction steps
    const pipelineSql = readdirRel(path.join(REPO, 'sql', 'pipeline')).map((f) => `sql/pipeline/${f}`);
    for (const f of pipelineSql) expect(packed).toContain(f);
    // no sources, tests, benches or Lambda bundles
    expect(packed.filter((f) => /^(src|test|scripts|functions)\/|^dist\/(functions|bench)/.test(f))).toEqual([]);
  });

  it('npm install -g <tarball> into a fresh prefix: `memgap --version`, named queries and DuckDB work', async (ctx) => {
    const prefix = path.join(tmp, 'prefix-tarball');
    try {
      await exec('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: tmp, env: npmEnv(prefix), timeout: 240_000 });
    } catch (err) {
      const text = String((err as { stderr?: string }).stderr ?? err);
      if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENOTCACHED|ENETUNREACH/.test(text)) {
        ctx.skip(`no npm registry reachable to fetch the runtime dependencies: ${text.split('\n').find((l) => /npm error/.test(l)) ?? text.slice(0, 200)}`);
      }
      throw err;
    }
    const bin = path.join(prefix, 'bin', 'memgap');
    expect((await memgap(bin, ['--version'])).stdout.trim()).toBe(VERSION);
    expect((await memgap(bin, ['query', '--list'])).stdout).toMatch(/^top-gaps {2}--param day=… --param cluster=…/m);
    const q = await memgap(bin, ['query', 'select pod, gap_bytes from discrepancy', '--out', out, '--csv']);
    expect(q.stdout).toBe('pod,gap_bytes\r\nbusybox,105857024\r\n');
  }, 300_000);

  it('npm link in a fresh clone builds dist/ and puts memgap on the PATH', async () => {
    rmSync(path.join(clone, 'dist'), { recursive: true, force: true });
    const prefix = path.join(tmp, 'prefix-link');
    await exec('npm', ['link', '--no-audit', '--no-fund'], { cwd: clone, env: npmEnv(prefix), timeout: 120_000 });
    expect(existsSync(path.join(clone, 'dist', 'cli.mjs'))).toBe(true);
    const bin = path.join(prefix, 'bin', 'memgap');
    expect((await memgap(bin, ['--version'])).stdout.trim()).toBe(VERSION);
    const q = await memgap(bin, ['query', 'select count(*) as n from discrepancy', '--out', out, '--json']);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 1 }]);
  }, 180_000);

  it('a clone without dist/ says how to build it instead of a module-not-found trace', async () => {
    rmSync(path.join(clone, 'dist'), { recursive: true, force: true });
    const err = await exec(process.execPath, [path.join(clone, 'bin', 'memgap.mjs'), '--version'], { cwd: tmp, env: { ...process.env, NODE_OPTIONS: '' } }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 3 });
    expect((err as { stderr: string }).stderr).toMatch(/dist\/cli\.mjs is missing: run `npm install` \(or `npm run build`\)/);
    expect((err as { stderr: string }).stderr).not.toMatch(/^\s+at /m);
  });
});

function readdirRel(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sql')) : [];
}
