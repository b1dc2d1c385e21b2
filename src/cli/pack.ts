/**
 * `memgap pack`: turn files collected by hand during an incident (`curl …/stats/summary`,
 * `docker stats` pasted from a terminal, `cat memory.stat`) into a capture bundle. Files are
 * recognised by content, not name; cgroup files by their kernel names inside a folder whose
 * relative path is the cgroup path (or a `cgroup.path` file saying it).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { CAPTURE_SCHEMA_ID, CaptureBundle, ClusterName, HostFacts, NodeName, type CgroupEntry } from '../model/bundle.js';
import { compactInstant } from '../outputs/layout.js';

type Sources = CaptureBundle['sources'];

export interface PackResult {
  bundle: CaptureBundle;
  used: { file: string; as: string }[];
  skipped: { file: string; reason: string }[];
}

const CGROUP_FILE = /^memory\.(stat|current|max|usage_in_bytes|limit_in_bytes|swap\.current|kmem\.usage_in_bytes|events|oom_control|peak|failcnt|max_usage_in_bytes)$/;

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

/** What kind of source a file's text is, or why it is none. */
export function classify(text: string): { kind: keyof Sources | 'host'; value: unknown } | { kind: null; reason: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      const lines = trimmed.split('\n').filter((l) => l.trim());
      if (lines.every((l) => l.trim().startsWith('{') && l.includes('"MemUsage"'))) return { kind: 'dockerStats', value: lines.map((l) => l.trim()) };
      if (lines.every((l) => l.trim().startsWith('{') && l.includes('"memory_stats"'))) return { kind: 'dockerApiStats', value: lines.map((l) => JSON.parse(l) as unknown) };
      return { kind: null, reason: 'looks like JSON but does not parse' };
    }
    if (Array.isArray(json) && json.every((x) => x && typeof x === 'object' && 'memory_stats' in x)) return { kind: 'dockerApiStats', value: json };
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      const o = json as Record<string, unknown>;
      if ((o.kind === 'PodMetrics' || o.kind === 'NodeMetrics' || o.kind === 'PodMetricsList') && String(o.apiVersion).startsWith('metrics.k8s.io')) {
        return { kind: null, reason: `a metrics.k8s.io ${String(o.kind)} (metrics-server's already-summed output, memory rounded to Ki): collect the kubelet's /metrics/resource or /stats/summary instead` };
      }
      if ('pods' in o || ('node' in o && typeof o.node === 'object')) return { kind: 'kubeletSummary', value: o };
      if (Array.isArray(o.stats)) return { kind: 'crictlStats', value: o };
      if ('memory_stats' in o) return { kind: 'dockerApiStats', value: [o] };
      if ('MemUsage' in o) return { kind: 'dockerStats', value: [trimmed] };
      if ('cgroupVersion' in o || 'dockerVersion' in o || 'containerRuntime' in o || 'kernel' in o) return { kind: 'host', value: o };
    }
    return { kind: null, reason: 'JSON of no known source (kubelet summary, crictl stats, Docker API stats, docker stats --format json)' };
  }
  if (/CONTAINER(\s+ID)?\s+.*MEM USAGE/.test(text)) return { kind: 'dockerStatsTable', value: text };
  if (/^container_memory_(usage_bytes|rss|cache)\b/m.test(text)) return { kind: 'kubeletCadvisorMetrics', value: text };
  if (/^(container|pod|node)_memory_working_set_bytes\b/m.test(text)) return { kind: 'kubeletResourceMetrics', value: text };
  return { kind: null, reason: 'not a recognised source' };
}

export async function packFolder(folder: string, opts: { cluster: string; node: string; at?: string }): Promise<PackResult> {
  const cluster = ClusterName.safeParse(opts.cluster);
  if (!cluster.success) throw new UsageError(`--cluster: ${cluster.error.issues[0]!.message}`);
  const node = NodeName.safeParse(opts.node);
  if (!node.success) throw new UsageError(`--node: ${node.error.issues[0]!.message}`);
  const info = await stat(folder).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`not a folder: ${folder}`);

  const sources: Sources = {};
  const used: PackResult['used'] = [];
  const skipped: PackResult['skipped'] = [];
  const cgroups = new Map<string, CgroupEntry>();
  let host: HostFacts | undefined;
  let newest = 0;
  for (const rel of await walk(folder)) {
    const full = path.join(folder, rel);
    newest = Math.max(newest, (await stat(full)).mtimeMs);
    const base = path.posix.basename(rel);
    const dir = path.posix.dirname(rel);
    if (CGROUP_FILE.test(base) || base === 'cgroup.path') {
      const key = dir === '.' ? '/' : `/${dir}`;
      const entry = cgroups.get(key) ?? { path: key, files: {} };
      const text = await readFile(full, 'utf8');
      if (base === 'cgroup.path') entry.path = text.trim();
      else entry.files[base] = text;
      cgroups.set(key, entry);
      used.push({ file: rel, as: 'cgroups' });
      continue;
    }
    const c = classify(await readFile(full, 'utf8'));
    if (c.kind === null) {
      skipped.push({ file: rel, reason: c.reason });
      continue;
    }
    if (c.kind === 'host') host = HostFacts.parse(c.value);
    else if (c.kind === 'dockerStats' || c.kind === 'dockerApiStats') (sources[c.kind] as unknown[]) = [...((sources[c.kind] as unknown[] | undefined) ?? []), ...(c.value as unknown[])];
    else if (sources[c.kind] !== undefined) {
      skipped.push({ file: rel, reason: `a second ${c.kind}; one per capture` });
      continue;
    } else (sources as Record<string, unknown>)[c.kind] = c.value;
    used.push({ file: rel, as: c.kind });
  }
  if (cgroups.size > 0) sources.cgroups = [...cgroups.values()];
  const at = opts.at ? new Date(opts.at) : new Date(newest || Date.now());
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at: not a time: ${opts.at}`);
  const candidate = { schema: CAPTURE_SCHEMA_ID, cluster: cluster.data, node: node.data, capturedAt: at.toISOString(), ...(host ? { host } : {}), sources };
  const parsed = CaptureBundle.safeParse(candidate);
  if (!parsed.success) throw new UsageError(`no capture could be built from ${folder}: ${parsed.error.issues[0]!.message} (skipped: ${skipped.map((s) => s.file).join(', ') || 'none'})`);
  return { bundle: parsed.data, used, skipped };
}

export function registerPackCommand(program: Command): void {
  program
    .command('pack')
    .description('turn loose hand-collected files (kubelet summary, docker stats output, memory.stat …) into a capture bundle')
    .argument('<folder>', 'folder of collected files')
    .requiredOption('--cluster <name>', 'cluster name')
    .requiredOption('--node <name>', 'node name')
    .option('--at <time>', 'capture time, RFC 3339 (default: newest file time)')
    .option('-o, --output <file>', 'bundle file to write (default: capture_<node>_<time>.json.gz)')
    .option('--json', 'machine-readable summary on stdout')
    .action(async (folder: string, opts: { cluster: string; node: string; at?: string; output?: string; json?: boolean }) => {
      const result = await packFolder(folder, opts);
      const file = opts.output ?? `capture_${result.bundle.node}_${compactInstant(new Date(result.bundle.capturedAt))}.json.gz`;
      await writeFile(file, gzipSync(JSON.stringify(result.bundle)));
      if (opts.json) process.stdout.write(JSON.stringify({ file, used: result.used, skipped: result.skipped }, null, 2) + '\n');
      else {
        process.stdout.write(`wrote ${file}\n`);
        for (const u of result.used) process.stdout.write(`  ${u.file} → ${u.as}\n`);
        for (const s of result.skipped) process.stdout.write(`  skipped ${s.file}: ${s.reason}\n`);
      }
    });
}
