import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { InputLimits } from '../limits.js';
import { analyze, resolveInputs, type AnalyzeSummary, type Phase } from '../pipeline/analyze.js';
import { finishPartitions, type FinishSummary } from '../pipeline/finish.js';
import { openStore } from '../store/open-store.js';
import { assertSomeBundles, assertWritableOut } from './out-location.js';
import { phaseProgress, type PhaseProgress } from './progress.js';
import { gapCoverage, printTopGaps, printWhereThingsAre, topGaps, type TopGap } from './top-gaps.js';

export interface AnalyzeCommandResult {
  summary: AnalyzeSummary;
  finish: FinishSummary;
  exitCode: 0 | 1;
}

export function limitsFromOptions(opts: { maxBytes?: string; maxContainers?: string }): Partial<InputLimits> {
  const out: Partial<InputLimits> = {};
  if (opts.maxBytes !== undefined) {
    const n = Number(opts.maxBytes);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--max-bytes must be a positive integer, got ${opts.maxBytes}`);
    out.maxDecompressedBytes = n;
  }
  if (opts.maxContainers !== undefined) {
    const n = Number(opts.maxContainers);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--max-containers must be a positive integer, got ${opts.maxContainers}`);
    out.maxContainers = n;
  }
  return out;
}

/** Ingest, then compact and build trends/reports for the touched days: the whole job. */
export async function runAnalyze(inputs: string[], outLocation: string, opts: { json?: boolean; limits?: Partial<InputLimits>; progress?: PhaseProgress }): Promise<AnalyzeCommandResult> {
  await assertWritableOut(outLocation);
  const out = openStore(outLocation);
  const refs = await resolveInputs(inputs);
  await assertSomeBundles(inputs, refs);
  const progress = opts.progress ?? phaseProgress();
  const onPhase = (phase: Phase, done: number, total: number) => progress.onPhase(phase, done, total);
  try {
    const summary = await analyze(refs, out, { limits: opts.limits ?? {}, onPhase });
    // analyze() compacted every staging file there was (leftovers of a killed run included).
    // An s3:// output without Athena: finish builds trends and reports on a local mirror and uploads them.
    const finish = await finishPartitions(out, summary.partitions, { onPhase, compact: false });
    return { summary, finish, exitCode: summary.quarantined > 0 ? 1 : 0 };
  } finally {
    progress.end();
  }
}

export function printAnalyzeSummary(result: AnalyzeCommandResult, outLocation: string, json: boolean, top: readonly TopGap[] = []): void {
  const { summary, finish } = result;
  if (json) {
    const quarantined = summary.outcomes.filter((o) => o.status === 'quarantined');
    process.stdout.write(
      JSON.stringify({ out: outLocation, inputs: summary.inputs, ingested: summary.ingested, captures: summary.captures, quarantined: summary.quarantined, missing: summary.missing, containers: summary.containers, partitions: summary.partitions, finish, quarantine: quarantined, topGaps: top }, null, 2) + '\n',
    );
    return;
  }
  process.stdout.write(`${summary.captures} captures from ${summary.ingested} of ${summary.inputs} objects ingested into ${outLocation} (${summary.containers} container rows)\n`);
  for (const o of summary.outcomes) {
    if (o.status === 'quarantined') process.stdout.write(`  quarantined ${o.key}: ${o.errors.map((e) => `${e.source} ${e.path}: ${e.reason}`).join('; ')}\n`);
  }
}

export function registerAnalyzeCommand(program: Command): void {
  program
    .command('analyze')
    .description('ingest capture bundles (files, folders, s3://bucket/prefix), then compact and build daily trends and reports for the touched days')
    .argument('<input...>', 'capture bundles: files, folders or s3://bucket/prefix')
    .requiredOption('--out <dir|s3://bucket/prefix>', 'where the tables and reports go')
    .option('--json', 'machine-readable summary on stdout')
    .option('--max-bytes <n>', 'largest decompressed capture accepted, bytes (default 268435456)')
    .option('--max-containers <n>', 'most containers per source per capture (default 10000)')
    .action(async (inputs: string[], opts: { out: string; json?: boolean; maxBytes?: string; maxContainers?: string }) => {
      const json = opts.json ?? false;
      const result = await runAnalyze(inputs, opts.out, { json, limits: limitsFromOptions(opts) });
      const top = result.summary.ingested > 0 ? await topGaps(opts.out) : [];
      printAnalyzeSummary(result, opts.out, json, top);
      if (!json) {
        // Bundles carry the Docker version, the tables do not: explanations name the formula era instead.
        printTopGaps(top, () => undefined, top.length === 0 && result.summary.ingested > 0 ? await gapCoverage(opts.out) : undefined);
        printWhereThingsAre(opts.out, result.finish);
      }
      process.exitCode = result.exitCode;
    });
}
