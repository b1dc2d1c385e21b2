/**
 * Recognising hand-collected files by their content (`memgap pack`). People paste what their
 * terminal showed: a shell prompt and the command, then its output, sometimes several commands
 * in one file, with trailing spaces. A paste is cut at each prompt line into segments; the
 * command helps recognise its output (a `docker stats | grep` has no header, a `kubectl top -n`
 * table no namespace column, `cat /sys/fs/cgroup/…/memory.stat` says which cgroup the text is).
 *
 * Nothing here throws for any input: every segment is recognised or given a reason.
 */
import type { SnapshotSource } from '../errors.js';
import { HostFacts } from '../model/bundle.js';
import { looksLikeDockerInfoJson, looksLikeDockerVersionJson, parseDockerInfoJson, parseDockerInfoText, parseDockerVersionJson, parseDockerVersionText } from './docker-version.js';
import { kubectlTopHeader, looksLikeKubectlTop, looksLikeKubectlVersion, looksLikeMetricsApi, parseKubectlNodes, parseKubectlVersion, type NodeInfoFacts } from './kubectl.js';

// ---------------------------------------------------------------------------------------------
// Bytes of a loose file

/**
 * A collected file's text. Windows PowerShell 5 writes `kubectl top pod > top.txt` as UTF-16LE
 * with a byte-order mark, Notepad may add a UTF-8 one: both are decoded, the mark dropped.
 */
export function decodeText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b[0] === 0xfe && b[1] === 0xff) {
    const swapped = Buffer.from(b.subarray(2, 2 + ((b.length - 2) & ~1)));
    return swapped.swap16().toString('utf16le');
  }
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString('utf8');
  return b.toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Terminal pastes

export interface Segment {
  /** The prompt as printed (`[root@node02 ~]#`), null for text before any prompt. */
  prompt: string | null;
  /** The command line after the prompt, trailing spaces removed; null when there was none. */
  command: string | null;
  body: string;
  /** 1-based line number of the segment's first body line in the file. */
  firstLine: number;
}

/** Programs whose name after a bare `#` prompt makes it a prompt rather than a `# HELP` comment. */
const KNOWN_PROGRAMS = /^(?:sudo|docker|kubectl|kubetl|k|cat|curl|wget|crictl|ctr|nerdctl|podman|grep|egrep|jq|head|tail|less|more|tee|find|ls|systemctl|journalctl|free|top|ps|uname|env|time|watch)\b/;

const PROMPTS: readonly RegExp[] = [
  /^\[[^\]\n]{1,200}\][#$]\s?(.*)$/, // [root@node02 ~]# cmd      (RHEL, Amazon Linux, CentOS)
  /^[\w.-]{1,64}@[\w.-]{1,253}(?::\S{0,4096})?\s?[#$%]\s?(.*)$/, // root@host:~# cmd, me@host:/x$ cmd
  /^(?:bash|sh|ash|zsh)-\d+(?:\.\d+)*[#$]\s?(.*)$/, // bash-4.2# cmd
  /^[/~]\S{0,4096}\s[#$]\s(.*)$/, // / # cmd                   (busybox, kubectl exec)
  /^[$%]\s(.+)$/, // $ cmd
  /^#\s(.+)$/, // # cmd, only for a known program (see below)
];

/** A prompt line → the prompt text and the command (possibly empty), or null. */
export function matchPrompt(line: string): { prompt: string; command: string } | null {
  for (let i = 0; i < PROMPTS.length; i++) {
    const m = PROMPTS[i]!.exec(line);
    if (!m) continue;
    const command = m[1]!.trim();
    if (i === PROMPTS.length - 1 && !KNOWN_PROGRAMS.test(command)) return null;
    return { prompt: line.slice(0, line.length - m[1]!.length).trimEnd(), command };
  }
  return null;
}

export function splitTerminalPaste(text: string): Segment[] {
  const lines = text.split('\n');
  const out: Segment[] = [];
  let current: { prompt: string | null; command: string | null; lines: string[]; firstLine: number } = { prompt: null, command: null, lines: [], firstLine: 1 };
  const flush = () => {
    const body = current.lines.join('\n');
    if (current.command || body.trim() !== '') out.push({ prompt: current.prompt, command: current.command || null, body, firstLine: current.firstLine });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').replace(/[ \t]+$/, '');
    const p = line.length <= 8192 ? matchPrompt(line) : null;
    if (p) {
      flush();
      current = { prompt: p.prompt, command: p.command, lines: [], firstLine: i + 2 };
    } else current.lines.push(lines[i]!.replace(/\r$/, ''));
  }
  flush();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Command lines

export interface CommandLine {
  /** Program basename, `sudo`/`env`/variable assignments skipped (`/usr/bin/docker` → `docker`). */
  program: string;
  args: string[];
  /** Later stages of a pipeline (`| grep harbor` → [['grep', 'harbor']]). */
  pipes: string[][];
}

/** Shell words with simple quoting; enough for the commands people paste. */
function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let any = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += ch;
      any = true;
    }
  }
  if (cur || any) out.push(cur);
  return out;
}

function splitPipes(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '|' && text[i + 1] !== '|' && text[i - 1] !== '|') {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseCommandLine(raw: string): CommandLine | null {
  if (raw.length > 8192) return null;
  const stages = splitPipes(raw.replace(/\s+[12]?>>?\s*\S+/g, ' ')).map(words);
  const first = stages[0] ?? [];
  let i = 0;
  while (i < first.length) {
    const w = first[i]!;
    if (w === 'sudo' || w === 'env' || w === 'time' || w === 'command' || w === 'exec') {
      i++;
      while (i < first.length && first[i]!.startsWith('-')) i++;
    } else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++;
    else break;
  }
  if (i >= first.length) return null;
  const program = first[i]!.split('/').pop()!;
  return { program, args: first.slice(i + 1), pipes: stages.slice(1).filter((s) => s.length > 0) };
}

/** Positional words after the program, flags (and the value of known value-taking flags) removed. */
function positionals(args: readonly string[], valueFlags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (!a.includes('=') && valueFlags.has(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function flagValue(args: readonly string[], names: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const n of names) {
      if (a === n && i + 1 < args.length) return args[i + 1]!;
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return null;
}

const DOCKER_VALUE_FLAGS = new Set(['-H', '--host', '-c', '--context', '--config', '-l', '--log-level', '-f', '--format']);
const KUBECTL_VALUE_FLAGS = new Set(['-n', '--namespace', '--context', '--kubeconfig', '-l', '--selector', '-o', '--output', '--cluster', '--user', '-s', '--server', '--sort-by', '--raw']);

/** What the command says its output is, as far as recognition cares. */
export type CommandKind =
  | { kind: 'docker-version' }
  | { kind: 'docker-info' }
  | { kind: 'docker-stats'; format: string | null; filtered: boolean }
  | { kind: 'kubectl-version' }
  | { kind: 'kubectl-top'; what: 'pod' | 'node'; namespace: string | null; allNamespaces: boolean; containers: boolean; noHeaders: boolean }
  | { kind: 'kubectl-raw'; path: string }
  | { kind: 'cat'; files: string[] }
  | { kind: 'other'; program: string; text: string };

export function commandKind(raw: string): CommandKind | null {
  const cmd = parseCommandLine(raw);
  if (!cmd) return null;
  const { program, args } = cmd;
  const filtered = cmd.pipes.some((p) => /^(e?grep|awk|sed|head|tail)$/.test(p[0] ?? ''));
  if (program === 'docker' || program === 'docker.exe') {
    const pos = positionals(args, DOCKER_VALUE_FLAGS);
    const sub = pos[0] === 'container' || pos[0] === 'system' ? pos[1] : pos[0];
    if (sub === 'version') return { kind: 'docker-version' };
    if (sub === 'info') return { kind: 'docker-info' };
    if (sub === 'stats') return { kind: 'docker-stats', format: flagValue(args, ['--format', '-f']), filtered };
  }
  if (program === 'kubectl' || program === 'k' || program === 'kubetl' || program === 'oc') {
    const pos = positionals(args, KUBECTL_VALUE_FLAGS);
    if (pos[0] === 'version') return { kind: 'kubectl-version' };
    if (pos[0] === 'top') {
      const what = /^(no|node|nodes)$/.test(pos[1] ?? '') ? 'node' : 'pod';
      return {
        kind: 'kubectl-top',
        what,
        namespace: flagValue(args, ['-n', '--namespace']),
        allNamespaces: args.includes('-A') || args.includes('--all-namespaces'),
        containers: args.includes('--containers') || args.includes('--containers=true'),
        noHeaders: args.includes('--no-headers') || args.includes('--no-headers=true'),
      };
    }
    const rawPath = flagValue(args, ['--raw']);
    if (pos[0] === 'get' && rawPath) return { kind: 'kubectl-raw', path: rawPath };
  }
  if (program === 'cat' || program === 'less' || program === 'more' || program === 'head' || program === 'tail') {
    const files = positionals(args, new Set(['-n', '-c']));
    if (files.length > 0) return { kind: 'cat', files };
  }
  return { kind: 'other', program, text: raw.slice(0, 120) };
}

// ---------------------------------------------------------------------------------------------
// Recognition

/** Capture-bundle source keys pack fills from loose files (cgroup files are gathered per folder). */
export type SourceKey = Exclude<SnapshotSource, 'bundle' | 'cgroups'>;

export type FactKey = 'cgroupVersion' | 'cgroupDriver' | 'kernel' | 'containerRuntime' | 'dockerVersion' | 'kubeletVersion' | 'kubectlVersion' | 'apiServerVersion';
export interface FactClaim {
  key: FactKey;
  value: string | number;
  /** A weak claim only fills a fact nobody else states and never conflicts (docker info's daemon version). */
  weak?: boolean;
  /** The node the claim is about, when the output lists nodes (`kubectl get nodes -o wide`). */
  node?: string;
}

export type Recognition =
  | { kind: 'source'; key: SourceKey; value: unknown; what: string; note?: string }
  | { kind: 'facts'; facts: FactClaim[]; what: string; note?: string }
  | { kind: 'cgroupFile'; file: string; path: string | null; text: string; what: string }
  | { kind: 'skip'; reason: string };

export const CGROUP_FILE = /^memory\.(stat|current|max|usage_in_bytes|limit_in_bytes|swap\.current|kmem\.usage_in_bytes|events|oom_control|peak|failcnt|max_usage_in_bytes)$/;
/** Other kernel cgroup files a recursive copy of a cgroup folder brings along. */
export const OTHER_CGROUP_FILE = /^(?:(?:memory|cgroup|cpu|cpuacct|cpuset|pids|io|blkio|hugetlb|rdma|misc|net_cls|net_prio|freezer|devices|perf_event)\.[\w.]+|tasks|notify_on_release|release_agent)$/;

const DOCKER_STATS_HEADER = /CONTAINER(\s+ID)?\s+.*MEM USAGE/;
/** `docker stats` template fields → the default table's header words (docker/cli formatter_stats.go). */
const STATS_FIELDS: Readonly<Record<string, string>> = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};
const DEFAULT_STATS_HEADER = 'CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS';
const PRE_113_STATS_HEADER = 'CONTAINER   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const HOST_KEYS = Object.keys(HostFacts.shape) as FactKey[];

function hostJson(o: Record<string, unknown>): Recognition {
  const parsed = HostFacts.safeParse(o);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'skip', reason: `host facts: ${issue.path.join('.')}: ${issue.message}` };
  }
  const facts: FactClaim[] = [];
  for (const k of HOST_KEYS) {
    const v = parsed.data[k];
    if (v !== undefined) facts.push({ key: k, value: v });
  }
  const unknown = Object.keys(o).filter((k) => !(HOST_KEYS as string[]).includes(k));
  return { kind: 'facts', facts, what: 'host facts', ...(unknown.length > 0 ? { note: `ignored unknown keys: ${unknown.slice(0, 5).join(', ')}` } : {}) };
}

function dockerVersionFacts(v: { client: string | null; server: string | null; kernel: string | null }): Recognition {
  const facts: FactClaim[] = [];
  // The CLI computes `docker stats`' number, so the client's version names the formula.
  const version = v.client ?? v.server;
  if (version) facts.push({ key: 'dockerVersion', value: version });
  if (v.kernel) facts.push({ key: 'kernel', value: v.kernel });
  const note = v.client && v.server && v.client !== v.server ? `client ${v.client}, daemon ${v.server}: docker stats uses the client's formula` : undefined;
  return { kind: 'facts', facts, what: 'docker version', ...(note ? { note } : {}) };
}

function dockerInfoFacts(v: { clientVersion: string | null; serverVersion: string | null; cgroupDriver: string | null; cgroupVersion: 1 | 2 | null; kernel: string | null }): Recognition {
  const facts: FactClaim[] = [];
  // The Client: block (docker info ≥ 20.10) names the CLI, whose formula docker stats uses; the daemon's version only fills.
  if (v.clientVersion) facts.push({ key: 'dockerVersion', value: v.clientVersion });
  else if (v.serverVersion) facts.push({ key: 'dockerVersion', value: v.serverVersion, weak: true });
  if (v.cgroupDriver) facts.push({ key: 'cgroupDriver', value: v.cgroupDriver });
  if (v.cgroupVersion) facts.push({ key: 'cgroupVersion', value: v.cgroupVersion });
  if (v.kernel) facts.push({ key: 'kernel', value: v.kernel });
  return { kind: 'facts', facts, what: 'docker info' };
}

function nodeInfoFacts(nodes: NodeInfoFacts[], what: string): Recognition {
  const facts: FactClaim[] = [];
  for (const n of nodes) {
    if (n.kubeletVersion) facts.push({ key: 'kubeletVersion', value: n.kubeletVersion, node: n.name });
    if (n.containerRuntime) facts.push({ key: 'containerRuntime', value: n.containerRuntime, node: n.name });
    if (n.kernel) facts.push({ key: 'kernel', value: n.kernel, node: n.name });
  }
  return facts.length > 0 ? { kind: 'facts', facts, what } : { kind: 'skip', reason: `${what} without kubelet version, runtime or kernel` };
}

function kubectlVersionFacts(v: { client: string | null; server: string | null }): Recognition {
  const facts: FactClaim[] = [];
  if (v.client) facts.push({ key: 'kubectlVersion', value: v.client });
  if (v.server) facts.push({ key: 'apiServerVersion', value: v.server });
  return { kind: 'facts', facts, what: 'kubectl version' };
}

/** A parsed JSON value → what it is. */
export function recognizeJson(json: unknown): Recognition {
  if (Array.isArray(json)) {
    if (json.length > 0 && json.every((x) => isRecord(x) && 'memory_stats' in x)) return { kind: 'source', key: 'dockerApiStats', value: json, what: 'Docker Engine API stats' };
    if (json.length > 0 && json.every(looksLikeMetricsApi)) return { kind: 'source', key: 'metricsApi', value: json, what: 'metrics.k8s.io objects' };
    if (json.length > 0 && json.every((x) => isRecord(x) && typeof x.Id === 'string' && isRecord(x.State))) return { kind: 'skip', reason: 'docker inspect output: it has no memory figures (collect docker stats or the Engine API stats)' };
    return { kind: 'skip', reason: 'a JSON array of no known source (Docker Engine API stats, metrics.k8s.io objects)' };
  }
  if (!isRecord(json)) return { kind: 'skip', reason: 'a JSON value of no known source' };

  const o = json;
  if (looksLikeMetricsApi(o)) return { kind: 'source', key: 'metricsApi', value: [o], what: `metrics.k8s.io ${String(o.kind)}` };
  if (typeof o.kind === 'string' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('metrics.k8s.io')) {
    return { kind: 'skip', reason: `a metrics.k8s.io ${o.kind}: memgap reads PodMetrics, NodeMetrics and their Lists` };
  }
  const nodes = o.kind === 'Node' || o.kind === 'NodeList' || o.kind === 'List' ? parseKubectlNodes(o) : null;
  if (nodes) return nodeInfoFacts(nodes, 'kubectl get node -o json');
  if ('pods' in o || ('node' in o && isRecord(o.node))) return { kind: 'source', key: 'kubeletSummary', value: o, what: 'kubelet /stats/summary' };
  if (Array.isArray(o.stats)) return { kind: 'source', key: 'crictlStats', value: o, what: 'crictl stats -o json' };
  if ('memory_stats' in o) return { kind: 'source', key: 'dockerApiStats', value: [o], what: 'Docker Engine API stats' };
  // Re-serialised on one line: `| jq .` spreads an object over many, the bundle keeps one per line.
  if ('MemUsage' in o) return { kind: 'source', key: 'dockerStats', value: [JSON.stringify(o)], what: "docker stats --format '{{json .}}'" };
  if (looksLikeDockerVersionJson(o)) {
    const v = parseDockerVersionJson(o);
    return v.ok ? dockerVersionFacts(v.value) : { kind: 'skip', reason: `docker version JSON: ${v.reason}` };
  }
  if (looksLikeDockerInfoJson(o)) {
    const v = parseDockerInfoJson(o);
    return v.ok ? dockerInfoFacts(v.value) : { kind: 'skip', reason: `docker info JSON: ${v.reason}` };
  }
  if ('clientVersion' in o || 'serverVersion' in o) {
    const v = parseKubectlVersion(o);
    return v.ok ? kubectlVersionFacts(v.value) : { kind: 'skip', reason: `kubectl version JSON: ${v.reason}` };
  }
  if (HOST_KEYS.some((k) => k in o)) return hostJson(o);
  return { kind: 'skip', reason: 'JSON of no known source (kubelet summary, crictl stats, Docker API stats, docker stats/version/info, kubectl version, metrics.k8s.io, host facts)' };
}

/**
 * Several JSON values in one text: one per line (`docker stats --format '{{json .}}'`, `curl`
 * of the Engine API in a loop), or as `jq .` prints a stream (each value closed by `}` or `]`
 * at the start of a line). Null when the text is not that.
 */
export function jsonValues(text: string): unknown[] | null {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  try {
    if (nonEmpty.length > 1 && nonEmpty.every((l) => /^\s*[{[]/.test(l) && /[}\]]\s*$/.test(l))) return nonEmpty.map((l) => JSON.parse(l) as unknown);
  } catch {
    /* not JSON lines; try a jq stream */
  }
  const out: unknown[] = [];
  let chunk: string[] = [];
  for (const l of lines) {
    if (chunk.length === 0 && l.trim() === '') continue;
    chunk.push(l);
    if (l === '}' || l === ']') {
      try {
        out.push(JSON.parse(chunk.join('\n')) as unknown);
      } catch {
        return null;
      }
      chunk = [];
    }
  }
  return chunk.length === 0 && out.length > 1 ? out : null;
}

/** Lines of `docker stats` rows without a header (`docker stats --no-stream | grep app`): the header they lost. */
function statsHeaderFor(body: string, format: string | null): string | null {
  if (format !== null) {
    const tpl = format.replace(/\\t/g, '\t').trim();
    if (/^table\b/.test(tpl) || /\{\{\s*json\s+\.\s*\}\}/.test(tpl)) return null;
    const parts = tpl.split(/\s+/);
    const header: string[] = [];
    for (const p of parts) {
      const m = /^\{\{\s*\.(\w+)\s*\}\}$/.exec(p);
      if (!m || !Object.hasOwn(STATS_FIELDS, m[1]!)) return null;
      header.push(STATS_FIELDS[m[1]!]!);
    }
    return header.join('   ');
  }
  const rows = body.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (rows.length === 0) return null;
  // Old go-units printed `796 KiB` / `495.2 MB` with a space: one cell, as the table parser reads it.
  const counts = new Set(rows.map((r) => r.replace(/(\d)\s+((?:[KMGTPEZY]i)?B|[kKMGTPEZY]B)(?=\s|$)/g, '$1$2').split(/\s+/).length));
  if (counts.size !== 1) return null;
  const n = [...counts][0]!;
  if (n === 14) return DEFAULT_STATS_HEADER;
  if (n === 13) return PRE_113_STATS_HEADER;
  return null;
}

const V1_STAT = /^(?:cache|rss|total_cache|total_rss|total_inactive_file) \d+$/m;
const V2_STAT = /^(?:anon|file|inactive_file|file_mapped) \d+$/m;

/** Text that reads like a memory.stat: every line `key number`, with a v1 or v2 memory key. */
function looksLikeMemoryStat(text: string): boolean {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.length >= 3 && lines.every((l) => /^[a-z_]+ \d+$/.test(l)) && (V1_STAT.test(text) || V2_STAT.test(text));
}

function skipReasonForCommand(kind: CommandKind): string | null {
  if (kind.kind === 'other') return `output of \`${kind.text}\`, which memgap does not read`;
  return null;
}

/**
 * One segment → what it is. `command` (from the prompt line) is a hint: it decides when the
 * text alone cannot (headerless rows, a bare number), and names the reason when nothing fits.
 */
export function recognizeSegment(text: string, command: string | null): Recognition {
  let body = text;
  const kind = command ? commandKind(command) : null;
  const trimmed = body.trim();
  if (trimmed === '') return { kind: 'skip', reason: command ? `\`${command.slice(0, 80)}\` printed nothing` : 'empty' };

  // A command that failed prints a line or two of error: say that, rather than "not recognised".
  const failure = /^(?:Unauthorized$|Forbidden \(user=|error:|Error(?: response from daemon)?:|Got permission denied|Cannot connect to the Docker daemon|Unable to connect to the server|The connection to the server|-?\w*sh: .*(?:command not found|No such file or directory)|cat: .*No such file or directory|curl: \(\d+\)).*$/m.exec(trimmed);
  if (failure && trimmed.split('\n').length <= 5) return { kind: 'skip', reason: `the command failed: ${failure[0].trim().slice(0, 160)}` };
  if (kind?.kind === 'cat' && kind.files.length === 1 && CGROUP_FILE.test(kind.files[0]!.split('/').pop()!)) return cgroupFileOf(kind.files[0]!, body);

  let jsonError: string | null = null;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return recognizeJson(JSON.parse(trimmed) as unknown);
    } catch (err) {
      jsonError = (err as Error).message;
      const values = jsonValues(trimmed);
      if (values !== null && values.every((v) => isRecord(v) && 'MemUsage' in v)) {
        return { kind: 'source', key: 'dockerStats', value: values.map((v) => JSON.stringify(v)), what: "docker stats --format '{{json .}}'" };
      }
      if (values !== null) {
        const r = recognizeJson(values);
        if (r.kind !== 'skip') return r;
      }
    }
  }

  if (DOCKER_STATS_HEADER.test(body)) return { kind: 'source', key: 'dockerStatsTable', value: body, what: 'docker stats table' };
  if (kind?.kind === 'docker-stats') {
    const header = statsHeaderFor(body, kind.format);
    if (header) return { kind: 'source', key: 'dockerStatsTable', value: `${header}\n${body.replace(/^\n+/, '')}`, what: 'docker stats table', note: `no header in the paste${kind.filtered ? ' (filtered through a pipe)' : ''}: read as ${JSON.stringify(header.replace(/\s+/g, ' '))}` };
  }
  if (kind?.kind === 'kubectl-top' && kind.noHeaders && !looksLikeKubectlTop(body)) {
    // `kubectl top … --no-headers`: the columns its flags imply (kubectl metrics_printer.go).
    const cols = [...(kind.allNamespaces ? ['NAMESPACE'] : []), ...(kind.containers ? ['POD'] : []), 'NAME', 'CPU(cores)', ...(kind.what === 'node' ? ['CPU%'] : []), 'MEMORY(bytes)', ...(kind.what === 'node' ? ['MEMORY%'] : [])];
    body = `${cols.join('   ')}\n${body.replace(/^\n+/, '')}`;
  }
  if (looksLikeKubectlTop(body)) {
    const top = kind?.kind === 'kubectl-top' ? kind : null;
    const hasNamespaceColumn = body.split('\n').some((l) => (kubectlTopHeader(l) ?? []).includes('namespace'));
    const namespace = hasNamespaceColumn ? null : top?.namespace ?? null;
    return { kind: 'source', key: 'kubectlTop', value: { text: body, ...(namespace ? { namespace } : {}) }, what: 'kubectl top table' };
  }
  const nodes = parseKubectlNodes(body);
  if (nodes) return nodeInfoFacts(nodes, /^Name:/m.test(body) && !/^NAME\s/m.test(body) ? 'kubectl describe node' : 'kubectl get nodes -o wide');
  if (looksLikeKubectlVersion(body)) {
    const v = parseKubectlVersion(body);
    return v.ok ? kubectlVersionFacts(v.value) : { kind: 'skip', reason: `kubectl version: ${v.reason}` };
  }
  if (/^ {0,2}(Server Version|Cgroup Driver):/m.test(body)) {
    const v = parseDockerInfoText(body);
    return v.ok ? dockerInfoFacts(v.value) : { kind: 'skip', reason: `docker info: ${v.reason}` };
  }
  if (/^Client\b[^:\n]*:|^Server\b[^:\n]*:/m.test(body) && /^\s+Version:/m.test(body)) {
    const v = parseDockerVersionText(body);
    return v.ok ? dockerVersionFacts(v.value) : { kind: 'skip', reason: `docker version: ${v.reason}` };
  }
  if (/^container_memory_(usage_bytes|rss|cache)\b/m.test(body)) return { kind: 'source', key: 'kubeletCadvisorMetrics', value: body, what: 'kubelet /metrics/cadvisor' };
  if (/^(container|pod|node)_memory_working_set_bytes\b/m.test(body)) return { kind: 'source', key: 'kubeletResourceMetrics', value: body, what: 'kubelet /metrics/resource' };
  if (looksLikeMemoryStat(body)) return { kind: 'cgroupFile', file: 'memory.stat', path: null, text: body.replace(/^\n+/, ''), what: 'cgroup memory.stat' };

  if (/^CONTAINER\s+(?:NAME\s+)?CPU %\s+MEM\s+DISK\s+INODES/m.test(body)) return { kind: 'skip', reason: 'a crictl stats table (decimal units, 4 digits): collect `crictl stats -o json` instead' };
  if (jsonError !== null) return { kind: 'skip', reason: `looks like JSON but does not parse: ${jsonError}` };
  if (kind) {
    const r = skipReasonForCommand(kind);
    if (r) return { kind: 'skip', reason: r };
    return { kind: 'skip', reason: `output of \`${command!.slice(0, 80)}\` in a form memgap does not recognise` };
  }
  return { kind: 'skip', reason: 'not a recognised source' };
}

export interface FileRecognition {
  /** Where in the file (`line 3`), when the file held several commands. */
  at: string | null;
  command: string | null;
  result: Recognition;
}

/**
 * Several files printed by one command: `tail -n +1 memory.*` / `head memory.*` (`==> name <==`
 * before each) or `grep . memory.*` / `grep -r . <dir>` (`name:line`). Null when the body is not that.
 */
export function splitMultiFile(body: string): { file: string; text: string; offset: number }[] | null {
  const lines = body.split('\n');
  if (lines.some((l) => /^==> .+ <==$/.test(l))) {
    const out: { file: string; lines: string[]; offset: number }[] = [];
    lines.forEach((l, i) => {
      const m = /^==> (.+) <==$/.exec(l);
      if (m) out.push({ file: m[1]!, lines: [], offset: i + 1 });
      else if (out.length > 0) out[out.length - 1]!.lines.push(l);
    });
    return out.map((f) => ({ file: f.file, text: f.lines.join('\n').replace(/\n+$/, '\n'), offset: f.offset }));
  }
  const filled = lines.map((l, i) => ({ l: l.replace(/\r$/, ''), i })).filter((x) => x.l.trim() !== '');
  const grep = filled.map((x) => ({ m: /^([^\s:]+):(.*)$/.exec(x.l), i: x.i }));
  if (filled.length === 0 || grep.some((g) => !g.m) || !grep.some((g) => CGROUP_FILE.test(g.m![1]!.split('/').pop()!))) return null;
  const byFile = new Map<string, { lines: string[]; offset: number }>();
  for (const g of grep) {
    const f = byFile.get(g.m![1]!) ?? { lines: [], offset: g.i };
    f.lines.push(g.m![2]!);
    byFile.set(g.m![1]!, f);
  }
  return [...byFile].map(([file, f]) => ({ file, text: `${f.lines.join('\n')}\n`, offset: f.offset }));
}

function cgroupFileOf(file: string, text: string): Recognition {
  const base = file.split('/').pop()!;
  if (!CGROUP_FILE.test(base)) return { kind: 'skip', reason: OTHER_CGROUP_FILE.test(base) ? 'a cgroup file memgap does not read' : 'not a cgroup memory file' };
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) || '/' : null;
  return { kind: 'cgroupFile', file: base, path: dir && dir.startsWith('/') ? dir : null, text: text.replace(/^\n+/, ''), what: `cgroup ${base}` };
}

/** A whole loose file: split at prompt lines, each segment recognised on its own. */
export function recognizeFile(text: string): FileRecognition[] {
  if (text.includes('\u0000')) return [{ at: null, command: null, result: { kind: 'skip', reason: 'binary file' } }];
  const segments = splitTerminalPaste(text);
  if (segments.length === 0) return [{ at: null, command: null, result: { kind: 'skip', reason: 'empty' } }];
  const several = segments.length > 1;
  const out: FileRecognition[] = [];
  for (const s of segments) {
    const at = several ? `line ${Math.max(1, s.firstLine - (s.command ? 1 : 0))}` : null;
    const files = splitMultiFile(s.body);
    if (files && files.length > 0) {
      for (const f of files) out.push({ at: `line ${s.firstLine + f.offset - 1}: ${f.file}`, command: s.command, result: cgroupFileOf(f.file, f.text) });
    } else out.push({ at, command: s.command, result: recognizeSegment(s.body, s.command) });
  }
  return out;
}
