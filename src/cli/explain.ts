import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { podStory, renderStoryHtml, renderStoryMarkdown, renderStoryTable, type PodStory } from '../reports/pod-story.js';
import { ClusterName } from '../model/bundle.js';
import type { QueryEngine } from '../query/engine.js';
import { withReportEngine } from '../reports/local-engine.js';
import { requireTables } from './out-location.js';

const FORMATS = ['table', 'md', 'html'] as const;
type Format = (typeof FORMATS)[number];

function parseTime(name: string, v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`${name} must be an RFC 3339 time or a YYYY-MM-DD date, got ${JSON.stringify(v)}`);
  return d;
}

/** A Kubernetes namespace (DNS label) and pod name (DNS subdomain; upper case tolerated in typed names). */
export const NAMESPACE_PATTERN = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
export const POD_PATTERN = /^[A-Za-z0-9](?:[-.A-Za-z0-9]{0,251}[A-Za-z0-9])?$/;

export function parsePodRef(ref: string): { namespace: string; pod: string } {
  const slash = ref.indexOf('/');
  const namespace = ref.slice(0, slash);
  const pod = ref.slice(slash + 1);
  if (slash < 0 || !NAMESPACE_PATTERN.test(namespace) || !POD_PATTERN.test(pod)) throw new UsageError(`expected <namespace>/<pod>, got ${JSON.stringify(ref)}`);
  return { namespace, pod };
}

export interface ExplainOptions {
  out: string;
  cluster?: string;
  from?: string;
  to?: string;
  format?: string;
  json?: boolean;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Every cluster whose discrepancy table holds the pod, on any day. */
async function clustersHolding(engine: QueryEngine, namespace: string, pod: string): Promise<string[]> {
  const { rows } = await engine.query(`SELECT DISTINCT cluster FROM discrepancy WHERE namespace = ${literal(namespace)} AND pod = ${literal(pod)} ORDER BY cluster`);
  return rows.map((r) => String(r.cluster));
}

/** Two pods that share a name in two clusters are two pods: never one merged story, never a silent pick. */
function assertOneCluster(namespace: string, pod: string, clusters: readonly string[]): void {
  if (clusters.length > 1) throw new UsageError(`${namespace}/${pod} exists in ${clusters.length} clusters (${clusters.join(', ')}); pick one with --cluster <name>`);
}

export async function runExplain(ref: string, opts: ExplainOptions): Promise<{ story: PodStory; text: string }> {
  const { namespace, pod } = parsePodRef(ref);
  const format = (opts.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(opts.format)}`);
  if (opts.cluster !== undefined && !ClusterName.safeParse(opts.cluster).success) throw new UsageError(`--cluster ${JSON.stringify(opts.cluster)} must match [A-Za-z0-9._-]{1,63}`);
  const from = parseTime('--from', opts.from);
  const to = parseTime('--to', opts.to);
  if (from && to && from > to) throw new UsageError('--from is after --to');
  await requireTables(opts.out);
  const story = await withReportEngine(opts.out, async (engine) => {
    // Without a window the story is the pod's latest day: say so when other clusters hold the same name on other days.
    if (opts.cluster === undefined && !from && !to) assertOneCluster(namespace, pod, await clustersHolding(engine, namespace, pod));
    return podStory(engine, namespace, pod, { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(opts.cluster !== undefined ? { cluster: opts.cluster } : {}) });
  });
  assertOneCluster(namespace, pod, story.clusters);
  const text = opts.json ? JSON.stringify(story, null, 2) + '\n' : format === 'md' ? renderStoryMarkdown(story) : format === 'html' ? renderStoryHtml(story) : renderStoryTable(story);
  return { story, text };
}

/** `memgap explain <namespace>/<pod> --out <dir|s3://…> [--cluster C] [--from T] [--to T] [--format table|md|html] [--json]` */
export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description("post-incident: one pod's timeline over a window — what each tool said when, why they differed, peak vs limit, OOM kills")
    .argument('<pod>', '<namespace>/<pod>')
    .requiredOption('--out <location>', 'the analyzed output: a folder or s3://bucket/prefix')
    .option('--cluster <name>', 'the cluster the pod ran in (required when the name exists in several)')
    .option('--from <time>', 'window start (RFC 3339 or YYYY-MM-DD); default: the latest day holding the pod')
    .option('--to <time>', 'window end (RFC 3339 or YYYY-MM-DD); default: 24 h after --from')
    .option('--format <format>', 'table | md | html (written to stdout)', 'table')
    .option('--json', 'machine-readable story')
    .action(async (ref: string, opts: ExplainOptions) => {
      const { story, text } = await runExplain(ref, opts);
      process.stdout.write(text);
      if (story.captures === 0) process.exitCode = 1;
    });
}
