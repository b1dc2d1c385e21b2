/**
 * The `memgap` command line: a thin adapter translating arguments into core calls.
 * Exit codes (SPEC §3.4): 0 ok, 1 some inputs quarantined, 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { InvalidSnapshotError, UsageError } from '../errors.js';
import { registerAgentCommand } from './agent.js';
import { registerAnalyzeCommand } from './analyze.js';
import { registerDemoCommand } from './demo.js';
import { registerExplainCommand } from './explain.js';
import { registerPackCommand } from './pack.js';
import { registerQueryCommand } from './query.js';

export function buildProgram(): Command {
  const program = new Command('memgap')
    .description('Why kubectl top, docker stats and the cgroup disagree about pod memory')
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

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      process.stderr.write(`memgap: ${err.message}\n`);
      return 2;
    }
    if (err instanceof InvalidSnapshotError) {
      process.stderr.write(`memgap: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`memgap: ${(err as Error).stack ?? String(err)}\n`);
    return 3;
  }
}

const invokedDirectly = process.argv[1] && /(?:cli\.mjs|memgap(?:\.mjs)?|main\.ts)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
