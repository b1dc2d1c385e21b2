/**
 * `memgap pack`: turn files collected by hand during an incident (`curl …/stats/summary`,
 * `docker stats` pasted from a terminal, `docker version`, `cat memory.stat`) into a capture
 * bundle. Files are recognised by content, not name (src/sources/recognize.ts), terminal pastes
 * are cut at their prompt lines; cgroup files by their kernel names inside a folder whose
 * relative path is the cgroup path (or a `cgroup.path` file saying it), or by the path in a
 * pasted `cat /sys/fs/cgroup/…/memory.stat`. Each recognised source is checked by the parser
 * analyze will use, so a file analyze would refuse is skipped here, with the parser's reason.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { CAPTURE_SCHEMA_ID, CaptureBundle, ClusterName, HostFacts, NodeName, type CgroupEntry } from '../model/bundle.js';
import { compactInstant } from '../outputs/layout.js';
import { sameVersion } from '../sources/docker-version.js';
import { parseCaptureSources } from '../sources/index.js';
import { metricsApiTimes, parseKubectlTop, type KubectlTopPaste } from '../sources/kubectl.js';
import { CGROUP_FILE, OTHER_CGROUP_FILE, decodeText, recognizeFile, splitTerminalPaste, type FactClaim, type FactKey, type SourceKey } from '../sources/recognize.js';

type Sources = CaptureBundle['sources'];

export interface PackResult {
  bundle: CaptureBundle;
  used: { file: string; as: string; note?: string }[];
  skipped: { file: string; reason: string }[];
  /** The capture time and where it came from (`--at`, a source's own sample time, or file times). */
  time: { at: string; from: string; spread?: string };
  /** Things worth a second look that do not stop the pack (a summary from another node). */
  notes: string[];
  /** Each host fact and who stated it. */
  facts: { key: FactKey; value: string | number; from: string }[];
}

/** pack could not build a capture; carries what was skipped so the CLI can list it. */
export class PackError extends UsageError {
  constructor(message: string, readonly skipped: PackResult['skipped']) {
    super(message);
  }
}

export interface PackOptions {
  cluster: string;
  node: string;
  at?: string;
  dockerVersion?: string;
  cgroupDriver?: string;
  cgroupVersion?: string;
  kernel?: string;
  kubeletVersion?: string;
  containerRuntime?: string;
}

/** Flags that state host facts, and the fact each sets (same keys as host.json). */
const FACT_FLAGS: ReadonlyArray<readonly [keyof PackOptions, FactKey, string]> = [
  ['dockerVersion', 'dockerVersion', '--docker-version'],
  ['cgroupDriver', 'cgroupDriver', '--cgroup-driver'],
  ['cgroupVersion', 'cgroupVersion', '--cgroup-version'],
  ['kernel', 'kernel', '--kernel'],
  ['kubeletVersion', 'kubeletVersion', '--kubelet-version'],
  ['containerRuntime', 'containerRuntime', '--container-runtime'],
];
/** A kubelet summary of 110 pods is a few MiB; anything far larger is not something pasted by hand. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const VERSION_FACTS = new Set<FactKey>(['dockerVersion', 'kubeletVersion', 'kubectlVersion', 'apiServerVersion', 'containerRuntime']);

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

function flagClaims(opts: PackOptions): { claim: FactClaim; from: string }[] {
  const out: { claim: FactClaim; from: string }[] = [];
  for (const [opt, key, flag] of FACT_FLAGS) {
    const raw = opts[opt];
    if (raw === undefined) continue;
    const candidate = key === 'cgroupVersion' ? Number(raw) : raw;
    const parsed = HostFacts.shape[key].safeParse(candidate);
    if (!parsed.success) {
      const hint = key === 'cgroupVersion' ? '1 or 2' : key === 'cgroupDriver' ? 'cgroupfs or systemd' : 'at most 256 characters';
      throw new UsageError(`${flag}: expected ${hint}, got ${JSON.stringify(raw)}`);
    }
    out.push({ claim: { key, value: candidate }, from: flag });
  }
  return out;
}

function sameFact(key: FactKey, a: string | number, b: string | number): boolean {
  if (VERSION_FACTS.has(key) && typeof a === 'string' && typeof b === 'string') return sameVersion(a, b);
  return a === b;
}

/** Strong claims must agree; weak ones only fill gaps. The CRI's `docker://X` must name the Docker version too. */
function mergeFacts(claims: { claim: FactClaim; from: string }[]): PackResult['facts'] {
  const strong = new Map<FactKey, { value: string | number; from: string }>();
  const weak = new Map<FactKey, { value: string | number; from: string }>();
  for (const { claim, from } of claims) {
    if (claim.weak) {
      if (!weak.has(claim.key)) weak.set(claim.key, { value: claim.value, from });
      continue;
    }
    const prior = strong.get(claim.key);
    if (prior && !sameFact(claim.key, prior.value, claim.value)) {
      throw new UsageError(`host facts disagree: ${claim.key} is ${prior.value} (${prior.from}) but ${claim.value} (${from}); remove the wrong one`);
    }
    if (!prior) strong.set(claim.key, { value: claim.value, from });
  }
  for (const [k, v] of weak) if (!strong.has(k)) strong.set(k, v);
  const runtime = strong.get('containerRuntime');
  const docker = strong.get('dockerVersion');
  if (runtime && docker && typeof runtime.value === 'string' && runtime.value.startsWith('docker://') && !sameVersion(runtime.value, String(docker.value))) {
    throw new UsageError(`host facts disagree: containerRuntime is ${runtime.value} (${runtime.from}) but dockerVersion is ${docker.value} (${docker.from})`);
  }
  return [...strong].map(([key, v]) => ({ key, value: v.value, from: v.from }));
}

/** Sources whose own sample times lie further apart than this get a note. */
const SPREAD_NOTE_MS = 60_000;

function apart(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h ${min % 60} min` : `${Math.round(h / 24)} days`;
}

/** Sample instants the sources carry themselves: kubelet `time`, Engine API `read`, metrics `timestamp`, crictl ns timestamps. */
function sourceTimes(key: SourceKey, value: unknown): Date[] {
  const out: Date[] = [];
  const iso = (v: unknown) => {
    if (typeof v !== 'string' || v.startsWith('0001-01-01')) return;
    const d = new Date(v);
    if (!Number.isNaN(d.getTime()) && /^\d{4}-\d\d-\d\dT/.test(v)) out.push(d);
  };
  const blocks = (o: unknown) => {
    if (typeof o !== 'object' || o === null) return;
    for (const k of ['memory', 'cpu']) iso((o as Record<string, Record<string, unknown> | undefined>)[k]?.time);
  };
  if (key === 'kubeletSummary' && typeof value === 'object' && value !== null) {
    const s = value as { node?: unknown; pods?: unknown };
    blocks(s.node);
    if (Array.isArray(s.pods)) {
      for (const p of s.pods) {
        blocks(p);
        const cs = (p as { containers?: unknown } | null)?.containers;
        if (Array.isArray(cs)) cs.forEach(blocks);
      }
    }
  } else if (key === 'dockerApiStats' && Array.isArray(value)) {
    for (const v of value) iso((v as { read?: unknown } | null)?.read);
  } else if (key === 'metricsApi' && Array.isArray(value)) out.push(...metricsApiTimes(value));
  else if (key === 'crictlStats' && typeof value === 'object' && value !== null) {
    const stats = (value as { stats?: unknown }).stats;
    if (Array.isArray(stats)) {
      for (const s of stats) {
        const ns = (s as { memory?: { timestamp?: unknown } } | null)?.memory?.timestamp;
        if ((typeof ns === 'string' || typeof ns === 'number') && /^\d{1,20}$/.test(String(ns))) {
          const ms = Number(BigInt(String(ns)) / 1_000_000n);
          if (ms > 0) out.push(new Date(ms));
        }
      }
    }
  }
  return out.filter((d) => !Number.isNaN(d.getTime()));
}

interface Found {
  file: string;
  key: SourceKey;
  value: unknown;
  what: string;
  note?: string;
}

/** Pod names of a `kubectl top` table without a namespace → the one namespace the kubelet summary gives them all. */
function namespaceFromSummary(paste: KubectlTopPaste, summary: unknown): string | null {
  const pods = (summary as { pods?: unknown } | undefined)?.pods;
  if (!Array.isArray(pods)) return null;
  const byName = new Map<string, Set<string>>();
  for (const p of pods) {
    const ref = (p as { podRef?: { name?: unknown; namespace?: unknown } } | null)?.podRef;
    if (typeof ref?.name === 'string' && typeof ref.namespace === 'string') byName.set(ref.name, (byName.get(ref.name) ?? new Set()).add(ref.namespace));
  }
  let rows;
  try {
    rows = parseKubectlTop([paste], { capturedAt: new Date(0), host: {}, limits: DEFAULT_LIMITS });
  } catch {
    return null;
  }
  const found = new Set<string>();
  for (const r of rows) {
    const ns = r.identity.pod ? byName.get(r.identity.pod) : undefined;
    if (!ns || ns.size !== 1) return null;
    found.add([...ns][0]!);
  }
  return found.size === 1 ? [...found][0]! : null;
}

/**
 * What kind of source a whole file's text is, or why it is none: the first thing
 * {@link recognizeFile} finds in it (kept for callers that want one answer per file).
 */
export function classify(text: string): { kind: SourceKey | 'host'; value: unknown } | { kind: null; reason: string } {
  const all = recognizeFile(text);
  for (const r of all) {
    if (r.result.kind === 'source') return { kind: r.result.key, value: r.result.key === 'kubectlTop' ? [r.result.value] : r.result.value };
    if (r.result.kind === 'facts') return { kind: 'host', value: Object.fromEntries(r.result.facts.map((f) => [f.key, f.value])) };
  }
  const first = all.find((r) => r.result.kind === 'skip')?.result;
  return { kind: null, reason: first?.kind === 'skip' ? first.reason : 'a cgroup file: name it after the kernel file (memory.stat …)' };
}

/**
 * Claims about listed nodes (`kubectl get nodes -o wide`) → those of the node being packed: its
 * row by name (a short name matches its FQDN), or the only row; otherwise why none applies.
 */
function factsForNode(facts: FactClaim[], node: string): { facts: FactClaim[]; note?: string } | string {
  const names = [...new Set(facts.map((f) => f.node).filter((n): n is string => n !== undefined))];
  if (names.length === 0) return { facts };
  const same = (a: string) => a === node || a.startsWith(`${node}.`) || node.startsWith(`${a}.`);
  const match = names.filter(same);
  if (match.length === 1) return { facts: facts.filter((f) => f.node === match[0]), ...(names.length > 1 ? { note: `row of ${match[0]}` } : {}) };
  return `no row for node ${node} (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`;
}

export async function packFolder(folder: string, opts: PackOptions): Promise<PackResult> {
  const cluster = ClusterName.safeParse(opts.cluster);
  if (!cluster.success) throw new UsageError(`--cluster: ${cluster.error.issues[0]!.message}`);
  const node = NodeName.safeParse(opts.node);
  if (!node.success) throw new UsageError(`--node: ${node.error.issues[0]!.message}`);
  let at: Date | null = null;
  if (opts.at !== undefined) {
    at = new Date(opts.at);
    if (Number.isNaN(at.getTime()) || !/^\d{4}-\d\d-\d\d/.test(opts.at)) throw new UsageError(`--at: not an RFC 3339 time: ${opts.at}`);
  }
  const flags = flagClaims(opts);
  const claims: { claim: FactClaim; from: string }[] = [];
  const info = await stat(folder).catch(() => null);
  if (!info) throw new UsageError(`${folder}: no such file or folder`);
  if (!info.isDirectory() && !info.isFile()) throw new UsageError(`not a folder or a file: ${folder}`);
  // One file (a whole pasted session) packs as a folder holding only it.
  const root = info.isDirectory() ? folder : path.dirname(folder);
  const files = info.isDirectory() ? await walk(folder) : [path.basename(folder)];

  const used: PackResult['used'] = [];
  const skipped: PackResult['skipped'] = [];
  const found: Found[] = [];
  const cgroups = new Map<string, CgroupEntry & { files_from: string[] }>();
  let newestMtime = 0;
  const addCgroupFile = (key: string, file: string, text: string, from: string) => {
    const entry = cgroups.get(key) ?? { path: key, files: {}, files_from: [] };
    entry.files[file] = text;
    entry.files_from.push(from);
    cgroups.set(key, entry);
  };

  for (const rel of files) {
    const full = path.join(root, rel);
    const base = path.posix.basename(rel);
    const dir = path.posix.dirname(rel);
    const folderKey = dir === '.' ? '/' : `/${dir}`;
    let bytes: Buffer;
    try {
      const st = await stat(full);
      if (st.size > MAX_FILE_BYTES) {
        skipped.push({ file: rel, reason: `${Math.round(st.size / 1048576)} MiB, larger than any hand-collected source (limit ${MAX_FILE_BYTES / 1048576} MiB)` });
        continue;
      }
      bytes = await readFile(full);
      newestMtime = Math.max(newestMtime, st.mtimeMs);
    } catch (err) {
      skipped.push({ file: rel, reason: `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      skipped.push({ file: rel, reason: 'gzip-compressed (a capture bundle? give it to memgap analyze; else gunzip it first)' });
      continue;
    }
    const text = decodeText(bytes);
    if (base === 'cgroup.path') {
      const entry = cgroups.get(folderKey) ?? { path: folderKey, files: {}, files_from: [] };
      entry.path = text.trim();
      cgroups.set(folderKey, entry);
      used.push({ file: rel, as: 'cgroups' });
      continue;
    }
    if (CGROUP_FILE.test(base)) {
      // A kernel file as copied, or a terminal paste of `cat` with the prompt line still in it.
      const segments = splitTerminalPaste(text);
      const body = segments.length === 1 && segments[0]!.command ? segments[0]!.body : text;
      addCgroupFile(folderKey, base, body, rel);
      used.push({ file: rel, as: 'cgroups' });
      continue;
    }
    if (OTHER_CGROUP_FILE.test(base)) {
      skipped.push({ file: rel, reason: 'a cgroup file memgap does not read' });
      continue;
    }
    for (const r of recognizeFile(text)) {
      const name = r.at ? `${rel} (${r.at})` : rel;
      const res = r.result;
      if (res.kind === 'skip') skipped.push({ file: name, reason: res.reason });
      else if (res.kind === 'facts') {
        const picked = factsForNode(res.facts, node.data);
        if (typeof picked === 'string') {
          skipped.push({ file: name, reason: `${res.what}: ${picked}` });
          continue;
        }
        for (const claim of picked.facts) claims.push({ claim, from: name });
        const note = [res.note, picked.note].filter(Boolean).join('; ');
        used.push({ file: name, as: res.what, ...(note ? { note } : {}) });
      } else if (res.kind === 'cgroupFile') {
        addCgroupFile(res.path ?? folderKey, res.file, res.text, name);
        used.push({ file: name, as: 'cgroups', ...(res.path ? { note: `cgroup ${res.path}` } : {}) });
      } else found.push({ file: name, key: res.key, value: res.value, what: res.what, ...(res.note ? { note: res.note } : {}) });
    }
  }

  // Files first, flags last: a disagreement reads "is X (file) but Y (--flag)".
  const facts = mergeFacts([...claims, ...flags]);
  const host: Record<string, string | number> = {};
  for (const f of facts) host[f.key] = f.value;

  // Capture time: --at, else the newest sample time the sources carry, else the newest file time.
  let time: PackResult['time'];
  let best: { d: Date; file: string } | null = null;
  let first: { d: Date; file: string } | null = null;
  for (const f of found) {
    for (const d of sourceTimes(f.key, f.value)) {
      if (!best || d > best.d) best = { d, file: f.file };
      if (!first || d < first.d) first = { d, file: f.file };
    }
  }
  // Sources sampled minutes apart describe different moments: the gap then mixes them (time-skew).
  const spread = best && first && best.d.getTime() - first.d.getTime() > SPREAD_NOTE_MS ? `sources sampled ${apart(best.d.getTime() - first.d.getTime())} apart (${first.d.toISOString()} in ${first.file}, ${best.d.toISOString()} in ${best.file}): their figures describe different moments` : undefined;
  if (at) time = { at: at.toISOString(), from: '--at' };
  else {
    if (best) time = { at: best.d.toISOString(), from: `newest sample time in ${best.file}` };
    else time = { at: new Date(newestMtime || Date.now()).toISOString(), from: 'newest file modification time (no source carries its own time; pass --at to set it)' };
  }
  if (spread) time.spread = spread;
  const ctx = { capturedAt: new Date(time.at), host: host as HostFacts, limits: DEFAULT_LIMITS };

  // Each source checked by analyze's own parser: what analyze would refuse is skipped here, with its reason.
  const sources: Sources = {};
  const summary = found.find((f) => f.key === 'kubeletSummary')?.value;
  for (const f of found) {
    if (f.key === 'kubectlTop') {
      const paste = f.value as KubectlTopPaste;
      if (!paste.namespace && !/\bNAMESPACE\b/.test(paste.text)) {
        const ns = namespaceFromSummary(paste, summary);
        if (ns) {
          paste.namespace = ns;
          f.note = `namespace ${ns}, the kubelet summary's for these pods`;
        } else f.note = 'no namespace (no NAMESPACE column, no -n, no kubelet summary naming these pods): rows join only by a pod name no two namespaces share';
      }
    }
    const value = f.key === 'kubectlTop' ? [f.value] : f.value;
    const check = parseCaptureSources({ schema: CAPTURE_SCHEMA_ID, cluster: cluster.data, node: node.data, capturedAt: time.at, sources: { [f.key]: value } }, ctx);
    if (check.errors.length > 0) {
      const e = check.errors[0]!;
      skipped.push({ file: f.file, reason: `${f.what}, but ${e.path ? `${e.path}: ` : ''}${e.reason}` });
      continue;
    }
    const bag = sources as Record<string, unknown>;
    if (f.key === 'dockerStats' || f.key === 'dockerApiStats' || f.key === 'kubectlTop' || f.key === 'metricsApi') {
      bag[f.key] = [...((bag[f.key] as unknown[] | undefined) ?? []), ...(value as unknown[])];
    } else if (bag[f.key] !== undefined) {
      skipped.push({ file: f.file, reason: `a second ${f.what}; one per capture` });
      continue;
    } else bag[f.key] = f.value;
    used.push({ file: f.file, as: f.what, ...(f.note ? { note: f.note } : {}) });
  }
  for (const entry of cgroups.values()) {
    const { files_from, ...plain } = entry;
    if (Object.keys(plain.files).length === 0) continue;
    const check = parseCaptureSources({ schema: CAPTURE_SCHEMA_ID, cluster: cluster.data, node: node.data, capturedAt: time.at, sources: { cgroups: [plain] } }, ctx);
    if (check.errors.length > 0) {
      const e = check.errors[0]!;
      for (const file of files_from) {
        const i = used.findIndex((u) => u.file === file);
        if (i >= 0) used.splice(i, 1);
        skipped.push({ file, reason: `cgroup files of ${plain.path}, but ${e.path ? `${e.path}: ` : ''}${e.reason}` });
      }
      continue;
    }
    (sources.cgroups ??= []).push(plain);
  }

  const candidate = { schema: CAPTURE_SCHEMA_ID, cluster: cluster.data, node: node.data, capturedAt: time.at, ...(facts.length > 0 ? { host } : {}), sources };
  const parsed = CaptureBundle.safeParse(candidate);
  if (!parsed.success) {
    const why = Object.keys(sources).length === 0 ? 'no file holds a source memgap reads' : parsed.error.issues[0]!.message;
    throw new PackError(`no capture could be built from ${folder}: ${why}${skipped.length > 0 ? ` (${skipped.length} skipped, listed above)` : ''}`, skipped);
  }
  const notes: string[] = [];
  const summaryFile = found.find((f) => f.key === 'kubeletSummary');
  const summaryNode = (summaryFile?.value as { node?: { nodeName?: unknown } } | undefined)?.node?.nodeName;
  if (typeof summaryNode === 'string' && summaryNode !== node.data && !summaryNode.startsWith(`${node.data}.`)) {
    notes.push(`${summaryFile!.file} is the kubelet summary of node ${summaryNode}, packed as --node ${node.data}`);
  }
  return { bundle: parsed.data, used, skipped, time, facts, notes };
}

export function registerPackCommand(program: Command): void {
  program
    .command('pack')
    .description('turn loose hand-collected files (kubelet summary, docker stats / version / info, kubectl top / version, memory.stat …) into a capture bundle')
    .argument('<folder>', 'folder of collected files, or one file (terminal pastes with their prompt lines are fine)')
    .requiredOption('--cluster <name>', '(required) cluster name')
    .requiredOption('--node <name>', '(required) node name')
    .option('--at <time>', 'capture time, RFC 3339 (default: the newest sample time the files carry, else the newest file time)')
    .option('-o, --output <file>', 'bundle file to write (default: capture_<node>_<time>.json.gz)')
    .option('--docker-version <v>', 'Docker version on the node (decides the docker stats formula); same as host.json dockerVersion')
    .option('--cgroup-driver <d>', 'cgroupfs or systemd; same as host.json cgroupDriver')
    .option('--cgroup-version <n>', '1 or 2; same as host.json cgroupVersion')
    .option('--kernel <v>', 'kernel release (uname -r); same as host.json kernel')
    .option('--kubelet-version <v>', 'kubelet version; same as host.json kubeletVersion')
    .option('--container-runtime <r>', 'runtime as the node reports it (docker://18.6.1, containerd://1.7.2); same as host.json containerRuntime')
    .option('--json', 'machine-readable summary on stdout')
    .action(async (folder: string, opts: PackOptions & { output?: string; json?: boolean }) => {
      let result: PackResult;
      try {
        result = await packFolder(folder, opts);
      } catch (err) {
        if (err instanceof PackError) for (const s of err.skipped) process.stderr.write(`  skipped ${s.file}: ${s.reason}\n`);
        throw err;
      }
      const file = opts.output ?? `capture_${result.bundle.node}_${compactInstant(new Date(result.bundle.capturedAt))}.json.gz`;
      await writeFile(file, gzipSync(JSON.stringify(result.bundle)));
      if (opts.json) {
        process.stdout.write(JSON.stringify({ file, capturedAt: result.time.at, capturedAtFrom: result.time.from, notes: [...(result.time.spread ? [result.time.spread] : []), ...result.notes], host: result.bundle.host ?? {}, hostFrom: result.facts, used: result.used, skipped: result.skipped }, null, 2) + '\n');
        return;
      }
      const out: string[] = [`wrote ${file}`, `  capture time ${result.time.at} (${result.time.from})`];
      if (result.time.spread) out.push(`  note: ${result.time.spread}`);
      for (const note of result.notes) out.push(`  note: ${note}`);
      for (const f of result.facts) out.push(`  ${f.key} ${f.value} (${f.from})`);
      const src = result.bundle.sources;
      const dockerFigures = src.dockerStats !== undefined || src.dockerStatsTable !== undefined || src.dockerApiStats !== undefined;
      if (dockerFigures && result.bundle.host?.dockerVersion === undefined && !result.bundle.host?.containerRuntime?.startsWith('docker://')) {
        out.push('  Docker version unknown: add `docker version` output or --docker-version, or docker stats figures are matched to a formula by their digits only');
      }
      // A copied cgroup folder: one line per folder, its files listed, rather than one per file.
      const cgroupDirs = new Map<string, string[]>();
      for (const u of result.used) {
        if (u.as === 'cgroups' && !u.note && CGROUP_FILE.test(path.posix.basename(u.file))) {
          const d = path.posix.dirname(u.file);
          if (!cgroupDirs.has(d)) out.push(`\0${d}`);
          cgroupDirs.set(d, [...(cgroupDirs.get(d) ?? []), path.posix.basename(u.file)]);
        } else out.push(`  ${u.file} → ${u.as}${u.note ? ` (${u.note})` : ''}`);
      }
      for (let i = 0; i < out.length; i++) {
        const d = out[i]!.startsWith('\0') ? out[i]!.slice(1) : null;
        if (d !== null) out[i] = `  ${d === '.' ? '' : `${d}/`}{${cgroupDirs.get(d)!.join(', ')}} → cgroups`;
      }
      for (const s of result.skipped) out.push(`  skipped ${s.file}: ${s.reason}`);
      process.stdout.write(out.join('\n') + '\n');
    });
}
