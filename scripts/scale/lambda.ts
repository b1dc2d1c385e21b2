/**
 * Runs the deployed Lambda bundles (dist/functions/<name>.mjs from scripts/build.mjs) in child
 * processes, one warm sandbox per function, and records each invocation: CPU, wall time, peak
 * RSS, and the bytes the function logged (CloudWatch Logs ingestion).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Invocation {
  cpuMs: number;
  wallMs: number;
  /** The sandbox's peak RSS so far (Lambda's Max Memory Used), and this invocation's own (null if unknown). */
  maxRssMiB: number;
  peakRssMiB: number | null;
  /** Log bytes the sandbox had written when the invocation finished. */
  logBytesAfter: number;
  /** what the event held (records, captures…), for per-unit fits */
  units: number;
  error: string | null;
  result: unknown;
}

export interface LambdaSandbox {
  name: string;
  memorySize: number;
  timeout: number;
  invocations: Invocation[];
  /** Bytes written to stdout + stderr: the function's log lines. */
  logBytes(): number;
  /** The log lines, for splitting by message. */
  logText(): string;
  /** RSS once the bundle was loaded, before the first invocation. */
  initMaxRssMiB: number;
  /** `nowMs`: the simulated instant the invocation runs at (see lambda-runner.mjs). */
  invoke(event: unknown, units: number, nowMs?: number): Promise<Invocation>;
  close(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The runner script: beside this file in the repo, or in scripts/scale/ when this file is bundled elsewhere. */
function runnerPath(): string {
  for (const p of [path.join(here, 'lambda-runner.mjs'), path.join(here, 'scale', 'lambda-runner.mjs'), path.resolve('scripts/scale/lambda-runner.mjs')]) if (existsSync(p)) return p;
  throw new Error('scripts/scale/lambda-runner.mjs not found');
}

export async function startSandbox(options: { name: string; bundle: string; memorySize: number; timeout: number; env: NodeJS.ProcessEnv }): Promise<LambdaSandbox> {
  if (!existsSync(options.bundle)) throw new Error(`${options.bundle} is missing: run node scripts/build.mjs`);
  // Lambda's Node runtime: no NODE_OPTIONS of ours (the parent's --openssl-legacy-provider is for s3rver).
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TZ: 'UTC',
    AWS_LAMBDA_FUNCTION_NAME: options.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    NODE_NO_WARNINGS: '1',
    ...options.env,
  };
  const child: ChildProcess = fork(runnerPath(), [path.resolve(options.bundle), options.name, String(options.memorySize), String(options.timeout)], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: ['--expose-gc'] });
  let logBytes = 0;
  const logChunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => {
    logBytes += c.length;
    logChunks.push(c);
  });
  child.stderr!.on('data', (c: Buffer) => {
    logBytes += c.length;
    if (process.env.MEMGAP_SCALE_DEBUG) process.stderr.write(c);
  });
  const ready = await new Promise<{ maxRssMiB: number }>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${options.name} sandbox exited with ${code} while loading`));
    child.once('exit', onExit);
    child.once('message', (m: { type: string; maxRssMiB: number }) => {
      child.off('exit', onExit);
      resolve(m);
    });
  });
  let next = 0;
  const invocationsList: Invocation[] = [];
  return {
    name: options.name,
    memorySize: options.memorySize,
    timeout: options.timeout,
    invocations: invocationsList,
    initMaxRssMiB: ready.maxRssMiB,
    logBytes: () => logBytes,
    logText: () => Buffer.concat(logChunks).toString('utf8'),
    invoke(event, units, nowMs) {
      const id = next++;
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`${options.name} sandbox exited with ${code} during an invocation`));
        const onMessage = (m: { type: string; id: number; cpuMs: number; wallMs: number; maxRssMiB: number; peakRssMiB: number | null; error: string | null; result: unknown }) => {
          if (m.type !== 'done' || m.id !== id) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          const inv: Invocation = { cpuMs: m.cpuMs, wallMs: m.wallMs, maxRssMiB: m.maxRssMiB, peakRssMiB: m.peakRssMiB, logBytesAfter: logBytes, units, error: m.error, result: m.result };
          invocationsList.push(inv);
          resolve(inv);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ type: 'invoke', id, event, ...(nowMs !== undefined ? { nowMs } : {}) });
      });
    },
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
