import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { DuckDBInstance } from '@duckdb/node-api';
import { articleCaptures, demoCluster, demoDayCaptures, gzipBundle } from '../demo/generator.js';
import type { HostFacts } from '../model/bundle.js';
import type { DiscrepancyRow } from '../outputs/tables.js';
import { explainRow, mib } from '../reports/explain.js';
import { rawKey } from '../outputs/layout.js';
import { FsObjectStore } from '../store/fs-store.js';
import { table } from './format.js';
import { printAnalyzeSummary, runAnalyze } from './analyze.js';
import { progressBar } from './progress.js';

/** Host facts of the demo's nodes, so explanations can name the Docker version. */
function demoHosts(): Map<string, HostFacts> {
  const hosts = new Map<string, HostFacts>();
  for (const n of demoCluster()) hosts.set(n.name, n.host);
  for (const b of articleCaptures()) if (b.host) hosts.set(b.node, b.host);
  return hosts;
}

export async function runDemo(outDir: string, opts: { json: boolean }): Promise<number> {
  const out = path.resolve(outDir);
  await rm(out, { recursive: true, force: true });
  const store = new FsObjectStore(out);
  const bundles = [...articleCaptures(), ...demoDayCaptures()];
  const bar = progressBar('generate', !opts.json);
  let done = 0;
  for (const b of bundles) {
    await store.put(rawKey(b.cluster, b.node, new Date(b.capturedAt)), gzipBundle(b));
    bar.update(++done, bundles.length);
  }
  bar.stop();
  const result = await runAnalyze([path.join(out, 'raw')], out, { json: opts.json });
  const top = await topGaps(out);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ out, ingested: result.summary.ingested, quarantined: result.summary.quarantined, finish: result.finish, topGaps: top }, null, 2) + '\n');
    return result.exitCode;
  }
  printAnalyzeSummary(result, out, false);
  process.stdout.write('\nLargest kubectl top − docker stats gaps (pod rows, worst capture of each pod):\n\n');
  process.stdout.write(
    table([
      ['CLUSTER', 'POD', 'KUBECTL TOP', 'DOCKER STATS', 'GAP', 'CAUSE'],
      ...top.map((r) => [r.cluster, `${r.namespace}/${r.pod}`, mib(r.kubectl_top_bytes), mib(r.docker_stats_bytes), mib(r.gap_bytes), r.cause]),
    ]) + '\n\n',
  );
  const hosts = demoHosts();
  for (const r of top) process.stdout.write(`• ${explainRow(r, hosts.get(r.node))}\n`);
  process.stdout.write(`\nTables (Parquet, hive-partitioned): ${out}/discrepancy, ${out}/samples${result.finish.trendRows > 0 ? `, ${out}/trends_daily` : ''}\n`);
  for (const report of result.finish.reports.filter((r) => r.endsWith('index.html'))) process.stdout.write(`Report: ${path.join(out, report)}\n`);
  process.stdout.write(`Query them:  npx memgap query "select * from discrepancy limit 10" --out ${outDir}\n`);
  return result.exitCode;
}

type TopGap = DiscrepancyRow & { cluster: string; dt: string };

/** The worst capture of each pod by gap, read back from the Parquet the run wrote. */
async function topGaps(out: string, limit = 8): Promise<TopGap[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const glob = path.join(out, 'discrepancy', '*', '*', '*.parquet').replace(/'/g, "''");
  const reader = await con.runAndReadAll(`
    select * replace (cast(dt as varchar) as dt)
    from read_parquet('${glob}', hive_partitioning = true)
    where level = 'pod' and gap_bytes is not null
    qualify row_number() over (partition by cluster, namespace, pod order by gap_bytes desc, captured_at) = 1
    order by gap_bytes desc limit ${limit}`);
  const rows = reader.getRowObjectsJS() as Record<string, unknown>[];
  con.closeSync();
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])) as TopGap);
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
