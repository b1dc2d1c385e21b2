/**
 * The `memgap` command line: a thin adapter translating arguments into core calls.
 * Exit codes (README "Use"): 0 ok; 1 partial (some inputs quarantined, or no capture of the pod
 * asked about); 2 usage error (the command line, a path or the SQL is wrong: one line, no stack
 * trace); 3 failure not caused by the command line (S3 unreachable, a bug: one line, the stack
 * trace with MEMGAP_DEBUG=1).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { NoSourceError } from '../agent/capture.js';
import { InvalidSnapshotError, UsageError } from '../errors.js';
import { registerAgentCommand } from './agent.js';
import { registerAnalyzeCommand } from './analyze.js';
import { registerDemoCommand } from './demo.js';
import { registerExplainCommand } from './explain.js';
import { registerPackCommand } from './pack.js';
import { registerQueryCommand } from './query.js';

export const EXIT = { ok: 0, partial: 1, usage: 2, failed: 3 } as const;

/** The installed package's version, from the package.json above this module (src/cli or dist). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'memgap' && pkg.version) return pkg.version;
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('memgap')
    .description('Why kubectl top, docker stats and the cgroup disagree about pod memory')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .showHelpAfterError();
  registerDemoCommand(program);
  registerAnalyzeCommand(program);
  registerPackCommand(program);
  registerExplainCommand(program);
  registerQueryCommand(program);
  registerAgentCommand(program);
  return program;
}

/** File-system failures caused by a path the user typed (`-o` into a missing folder, `--out` on a file). */
const PATH_MISTAKES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
};

/** S3 answers that mean the location or the credentials given are wrong, not that memgap failed. */
const S3_MISTAKES: Readonly<Record<string, string>> = {
  NoSuchBucket: 'the bucket of the s3:// location does not exist',
  AccessDenied: 'access denied to the s3:// location (check the AWS credentials and the bucket policy)',
  InvalidAccessKeyId: 'the AWS access key is not valid',
  SignatureDoesNotMatch: 'the AWS secret key does not match the access key',
  ExpiredToken: 'the AWS session token has expired',
  CredentialsProviderError: 'no AWS credentials found (environment, profile or instance role)',
  PermanentRedirect: 'the bucket is in another region: set AWS_REGION to its region',
};

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
}

/** The exit code and the one line a user sees for an error that ended a command. */
export function describeError(err: unknown): { code: number; message: string; stack?: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, message: err.message };
  if (err instanceof InvalidSnapshotError) return { code: EXIT.partial, message: err.message };
  if (err instanceof NoSourceError) return { code: EXIT.usage, message: noSourceMessage(err.message) };
  const e = err as SystemError;
  if (e && typeof e === 'object' && typeof e.code === 'string' && e.code in PATH_MISTAKES && typeof e.path === 'string') {
    return { code: EXIT.usage, message: `cannot ${e.syscall ?? 'use'} ${e.path}: ${PATH_MISTAKES[e.code]}` };
  }
  if (e instanceof Error && e.name in S3_MISTAKES) return { code: EXIT.usage, message: `${S3_MISTAKES[e.name]} (${e.name})` };
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { code: EXIT.failed, message, ...(err instanceof Error && err.stack ? { stack: err.stack } : {}) };
}

/**
 * `agent --once` off a node (or with every source switched off): which source said what, and the
 * flags that point the agent at them.
 */
function noSourceMessage(message: string): string {
  let detail = '';
  const json = message.slice(message.indexOf('{'));
  try {
    const report = JSON.parse(json) as Record<string, { error?: string }>;
    detail = Object.entries(report)
      .map(([source, r]) => `${source}: ${r.error ?? 'no answer'}`)
      .join('; ');
  } catch {
    detail = message;
  }
  return `no source answered${detail ? ` (${detail})` : ''}; run the agent on a node, or point --kubelet-url, --docker-socket, --crictl or --cgroup-root at the sources`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    // Commander has already printed its message (and the help) to stderr.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const d = describeError(err);
    process.stderr.write(`memgap: ${d.message}\n`);
    if (d.code === EXIT.failed) {
      if (process.env.MEMGAP_DEBUG && d.stack) process.stderr.write(`${d.stack}\n`);
      else process.stderr.write('memgap: not a usage error; set MEMGAP_DEBUG=1 for the stack trace\n');
    }
    return d.code;
  }
}

/**
 * The process entry (bin/memgap.mjs, `node dist/cli.mjs`). A reader that stops early
 * (`memgap query … | head -1`) closes the pipe: that is the reader's choice, not a failure, so the
 * command ends quietly with 0.
 */
export function runCli(argv: string[] = process.argv.slice(2)): void {
  // The AWS SDK is pinned (package.json): its notice about versions published after January 2027
  // needing Node 22 is about a future upgrade, not this run, and would precede every s3:// answer.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const onPipeError = (err: SystemError) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  };
  process.stdout.on('error', onPipeError);
  process.stderr.on('error', onPipeError);
  void main(argv).then((code) => {
    process.exitCode = code;
  });
}

function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntry()) runCli();
