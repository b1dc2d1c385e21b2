import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { DuckDBInstance } from '@duckdb/node-api';
import { articleCaptures, demoDayCaptures, gzipBundle } from '../demo/generator.js';
import { rawKey } from '../outputs/layout.js';
import { FsObjectStore } from '../store/fs-store.js';
import { mib, table } from './format.js';
import { printAnalyzeSummary, runAnalyze } from './analyze.js';
import { progressBar } from './progress.js';

interface TopGap {
  cluster: string;
  namespace: string;
  pod: string;
  kubectl_top_bytes: number;
  docker_stats_bytes: number;
  gap_bytes: number;
  gap_page_cache_bytes: number | null;
  cause: string;
  docker_formula: string;
  flags: string[];
}

/** Plain words for a cause: what an SRE should take away from the row. */
export function causeInWords(r: Pick<TopGap, 'cause' | 'docker_formula' | 'gap_page_cache_bytes' | 'flags'>): string {
  const cached = mib(r.gap_page_cache_bytes);
  const mismatch = r.flags.includes('container-mismatch') ? " Careful: the only `docker stats` row printed for this pod is its k8s_POD_ pause container, a different container from the one kubectl top measures." : '';
  switch (r.cause) {
    case 'page-cache':
      return `kubectl top counts ${cached} of active page cache that Docker's ${r.docker_formula} formula (usage − cache) subtracts; the kernel can reclaim it under pressure, yet kubelet eviction counts it.${mismatch}`;
    case 'shmem':
      return `${cached} is tmpfs/shared memory (/dev/shm): Docker's ${r.docker_formula} formula subtracts it as "cache", but it cannot be dropped and counts toward the OOM limit.${mismatch}`;
    case 'rounding':
      return 'The gap is the Docker CLI rounding to 4 significant digits.';
    case 'time-skew':
      return 'The tools sampled at different instants; memory moved in between.';
    case 'container-mismatch':
      return 'Different containers were compared (the pause container is not in kubectl top).';
    case 'missing-source':
      return 'One of the tools had no number for this pod in the capture.';
    case 'unexplained':
      return 'Part of the gap is not explained by page cache, shmem, rounding or sample skew: look closer.';
    default:
      return 'The tools agree within their tolerance.';
  }
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
  for (const r of top) process.stdout.write(`• ${r.namespace}/${r.pod}: ${causeInWords(r)}\n`);
  process.stdout.write(`\nTables (Parquet, hive-partitioned): ${out}/discrepancy, ${out}/samples${result.finish.trendRows > 0 ? `, ${out}/trends_daily` : ''}\n`);
  for (const report of result.finish.reports) process.stdout.write(`Report: ${path.join(out, report)}\n`);
  process.stdout.write(`Query them:  npx memgap query "select * from discrepancy limit 10" --out ${outDir}\n`);
  return result.exitCode;
}

async function topGaps(out: string, limit = 8): Promise<TopGap[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const glob = path.join(out, 'discrepancy', '*', '*', '*.parquet').replace(/'/g, "''");
  const reader = await con.runAndReadAll(`
    select cluster, namespace, pod, kubectl_top_bytes, docker_stats_bytes, gap_bytes, gap_page_cache_bytes, cause, docker_formula, flags
    from read_parquet('${glob}', hive_partitioning = true)
    where level = 'pod' and gap_bytes is not null
    qualify row_number() over (partition by cluster, namespace, pod order by gap_bytes desc, captured_at) = 1
    order by gap_bytes desc limit ${limit}`);
  const rows = reader.getRowObjectsJS() as Record<string, unknown>[];
  con.closeSync();
  return rows.map((r) => ({
    cluster: String(r.cluster),
    namespace: String(r.namespace),
    pod: String(r.pod),
    kubectl_top_bytes: Number(r.kubectl_top_bytes),
    docker_stats_bytes: Number(r.docker_stats_bytes),
    gap_bytes: Number(r.gap_bytes),
    gap_page_cache_bytes: r.gap_page_cache_bytes === null ? null : Number(r.gap_page_cache_bytes),
    cause: String(r.cause),
    docker_formula: String(r.docker_formula),
    flags: (r.flags as string[] | null) ?? [],
  }));
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
