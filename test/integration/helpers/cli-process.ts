/**
 * The CLI as a user runs it: bundled by the project's esbuild settings into a private folder
 * under .tmp/ (inside the repository, so `sql/` and node_modules resolve as from dist/), then run
 * as a child process. Exit codes, stderr lines and broken pipes are the real ones.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliBuild {
  /** The bundled entry (what bin/memgap.mjs imports). */
  file: string;
  run(args: readonly string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CliRun>;
  dispose(): void;
}

export async function buildCli(): Promise<CliBuild> {
  const dir = path.resolve('.tmp', `cli-test-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'cli.mjs');
  // The ingest worker sits beside the CLI bundle, as in dist/ (analyze runs it on worker threads).
  const entryPoints: Record<string, string> = { cli: 'src/cli/main.ts' };
  if (existsSync('src/pipeline/ingest-worker.ts')) entryPoints['ingest-worker'] = 'src/pipeline/ingest-worker.ts';
  await build({
    entryPoints,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return {
    file,
    run: (args, opts = {}) => runNode([file, ...args], opts),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function runNode(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0', MEMGAP_DEBUG: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Runs the CLI with stdout into a reader that takes the first line and closes the pipe, as
 * `memgap … | head -1` does.
 */
export function runUntilFirstLine(file: string, args: readonly string[]): Promise<CliRun & { firstLine: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, NODE_OPTIONS: '', MEMGAP_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstLine: string | undefined;
    let buffered = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (firstLine !== undefined) return;
      buffered += d;
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        firstLine = buffered.slice(0, nl);
        child.stdout.destroy();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: buffered, stderr, firstLine: firstLine ?? '' }));
  });
}
