import path from 'node:path';
import { readdir, rm, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { articleCaptures, demoCluster, demoDayCaptures, gzipBundle } from '../demo/generator.js';
import type { HostFacts } from '../model/bundle.js';
import { rawKey } from '../outputs/layout.js';
import { FsObjectStore } from '../store/fs-store.js';
import { printTopGaps, printWhereThingsAre, topGaps } from './top-gaps.js';
import { printAnalyzeSummary, runAnalyze } from './analyze.js';
import { UsageError } from '../errors.js';
import { phaseProgress } from './progress.js';

/** Host facts of the demo's nodes, so explanations can name the Docker version. */
function demoHosts(): Map<string, HostFacts> {
  const hosts = new Map<string, HostFacts>();
  for (const n of demoCluster()) hosts.set(n.name, n.host);
  for (const b of articleCaptures()) if (b.host) hosts.set(b.node, b.host);
  return hosts;
}

/** What a memgap output folder holds at its top: a folder of only these may be replaced. */
const OUTPUT_ENTRIES = new Set(['raw', 'staging', 'samples', 'discrepancy', 'trends_daily', 'reports', 'quarantine']);

/** `--out` is replaced: only when it is missing, empty, or an earlier memgap output, never someone's folder. */
async function assertReplaceable(out: string): Promise<void> {
  const info = await stat(out).catch(() => null);
  if (!info) return;
  if (!info.isDirectory()) throw new UsageError(`--out ${out} is a file; the demo writes a folder there`);
  const foreign = (await readdir(out)).filter((e) => !OUTPUT_ENTRIES.has(e) && !e.startsWith('.'));
  if (foreign.length > 0) throw new UsageError(`--out ${out} holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); the demo replaces its folder, so give a new or empty one`);
}

export async function runDemo(outDir: string, opts: { json: boolean }): Promise<number> {
  const out = path.resolve(outDir);
  await assertReplaceable(out);
  await rm(out, { recursive: true, force: true });
  const store = new FsObjectStore(out);
  const bundles = [...articleCaptures(), ...demoDayCaptures()];
  const progress = phaseProgress();
  let done = 0;
  for (const b of bundles) {
    await store.put(rawKey(b.cluster, b.node, new Date(b.capturedAt)), gzipBundle(b));
    progress.onPhase('generate', ++done, bundles.length);
  }
  const result = await runAnalyze([path.join(out, 'raw')], out, { json: opts.json, progress });
  const top = await topGaps(out);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ out, ingested: result.summary.ingested, quarantined: result.summary.quarantined, finish: result.finish, topGaps: top }, null, 2) + '\n');
    return result.exitCode;
  }
  printAnalyzeSummary(result, out, false);
  const hosts = demoHosts();
  printTopGaps(top, (node) => hosts.get(node));
  printWhereThingsAre(outDir, result.finish);
  return result.exitCode;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description("generate the seed article's captures and a day of a 3-node cluster, analyze them, and print what memgap found")
    .option('--out <dir>', 'output folder (replaced)', './memgap-demo')
    .option('--json', 'machine-readable summary on stdout')
    .action(async (opts: { out: string; json?: boolean }) => {
      process.exitCode = await runDemo(opts.out, { json: opts.json ?? false });
    });
}
