/**
 * Entry point of the agent image: `memgap agent` alone, bundled into one file by esbuild so the
 * image carries neither DuckDB nor the pipeline's other heavy dependencies.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { registerAgentCommand } from '../cli/agent.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('memgap').exitOverride();
  registerAgentCommand(program);
  try {
    await program.parseAsync(['agent', ...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      process.stderr.write(`${JSON.stringify({ level: 'error', service: 'memgap-agent', message: err.message })}\n`);
      return 2;
    }
    process.stderr.write(`${JSON.stringify({ level: 'error', service: 'memgap-agent', message: err instanceof Error ? err.message : String(err) })}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
