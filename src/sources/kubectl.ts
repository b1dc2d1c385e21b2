/**
 * What `kubectl` shows, pasted by hand: `kubectl top pod [--containers] [-A]` / `kubectl top
 * node` tables, the metrics.k8s.io objects they are printed from (`kubectl get --raw
 * /apis/metrics.k8s.io/v1beta1/namespaces/<ns>/pods/<pod>`), and `kubectl version`.
 *
 * - `kubectl top` prints memory as `fmt.Fprintf(out, "%vMi", quantity.Value()/(1024*1024))`:
 *   whole MiB, **floored** (kubectl `pkg/metricsutil/metrics_printer.go`). A printed
 *   `101Mi` means a working set in [101 MiB, 102 MiB). Columns: pods `NAME CPU(cores)
 *   MEMORY(bytes)`, `--containers` adds `POD` first, `-A` adds `NAMESPACE` first, `--show-swap`
 *   adds `SWAP(bytes)`; nodes `NAME CPU(cores) CPU% MEMORY(bytes) MEMORY%` (newer kubectl:
 *   `CPU(%)`, `MEMORY(%)`); `--sum` ends with a `____` line and an unnamed totals row.
 * - metrics-server serves each container's last working set as a BinarySI quantity
 *   (`uint64Quantity(v, resource.BinarySI, 0)`): exact bytes, `22244Ki` when the
 *   value is a multiple of 1024, else plain digits. kubectl top pod sums a PodMetrics' containers,
 *   so container samples are all that is needed.
 */
import * as z from 'zod';
import { MiB } from '../analysis/formulas.js';
import { InvalidSnapshotError } from '../errors.js';
import { makeSample, type Level, type Sample } from '../model/sample.js';
import type { Parsed } from './docker-version.js';
import type { SourceParser } from './types.js';


// ---------------------------------------------------------------------------------------------
// kubectl top tables

type TopColumn = 'namespace' | 'pod' | 'name' | 'cpu' | 'cpuPct' | 'memory' | 'memoryPct' | 'swap' | 'swapPct';

const TOP_HEADERS: Readonly<Record<string, TopColumn>> = {
  NAMESPACE: 'namespace',
  POD: 'pod',
  NAME: 'name',
  'CPU(cores)': 'cpu',
  'CPU%': 'cpuPct',
  'CPU(%)': 'cpuPct',
  'MEMORY(bytes)': 'memory',
  'MEMORY%': 'memoryPct',
  'MEMORY(%)': 'memoryPct',
  'SWAP(bytes)': 'swap',
  'SWAP%': 'swapPct',
  'SWAP(%)': 'swapPct',
};

/** A header line of `kubectl top`: known column titles only, with NAME and MEMORY(bytes). */
export function kubectlTopHeader(line: string): TopColumn[] | null {
  const toks = line.trim().split(/\s+/);
  if (toks.length < 3 || toks.length > 9) return null;
  const cols: TopColumn[] = [];
  for (const t of toks) {
    const c = Object.hasOwn(TOP_HEADERS, t) ? TOP_HEADERS[t] : undefined;
    if (c === undefined || cols.includes(c)) return null;
    cols.push(c);
  }
  return cols.includes('name') && cols.includes('memory') ? cols : null;
}

/** True when some line of the text is a `kubectl top` header. */
export function looksLikeKubectlTop(text: string): boolean {
  return text.split('\n').some((l) => /MEMORY\(bytes\)/.test(l) && kubectlTopHeader(l) !== null);
}

/** `101Mi` → bytes, exactly as printed (the floor); `<unknown>` (a node without metrics) → null. */
function topMemory(cell: string): number | null | undefined {
  if (cell === '<unknown>') return null;
  const m = /^(\d{1,12})Mi$/.exec(cell);
  return m ? Number(m[1]) * MiB : undefined;
}

const KubectlTopPaste = z.object({
  text: z.string({ error: 'expected the pasted table as a string' }),
  /** The namespace the command ran in (`-n`), when the table has no NAMESPACE column. */
  namespace: z.string().min(1).max(253).nullish(),
});
export const KubectlTopInput = z.array(KubectlTopPaste, { error: 'expected a list of {text, namespace?} pastes' });
export type KubectlTopPaste = z.infer<typeof KubectlTopPaste>;

function topFail(path: string, reason: string): never {
  throw new InvalidSnapshotError({ source: 'kubectlTop', path, reason });
}

/**
 * `sources.kubectlTop` → samples carrying what kubectl printed: `memory.workingSet` is the
 * printed (floored) value and `reported` says so, with one MiB of uncertainty (the true working
 * set lies in [printed, printed + 1 MiB)). kubectl prints no sample time.
 */
export const parseKubectlTop: SourceParser = (input, ctx) => {
  const parsed = KubectlTopInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    topFail(issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.'), issue.message);
  }
  const samples: Sample[] = [];
  parsed.data.forEach((paste, i) => {
    const where = (n: number) => `[${i}] line ${n}`;
    let columns: TopColumn[] | null = null;
    let afterRule = false;
    const lines = paste.text.split('\n');
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k]!.replace(/\r$/, '');
      if (line.length > ctx.limits.maxLineLength) topFail(where(k + 1), `longer than the limit of ${ctx.limits.maxLineLength} characters`);
      const toks = line.trim().split(/\s+/).filter((t) => t.length > 0);
      if (toks.length === 0) continue;
      const header = kubectlTopHeader(line);
      if (header) {
        columns = header;
        afterRule = false;
        continue;
      }
      if (columns === null) continue; // warnings, the command line: before the table
      if (toks.every((t) => /^_+$/.test(t))) {
        afterRule = true; // `--sum`: the totals row follows
        continue;
      }
      if (afterRule) continue;
      if (toks.length !== columns.length) topFail(where(k + 1), `${toks.length} cells, the header has ${columns.length} columns`);
      if (samples.length >= ctx.limits.maxContainers) topFail(where(k + 1), `more than ${ctx.limits.maxContainers} rows, the limit per capture`);
      const cell = (c: TopColumn) => {
        const at = columns!.indexOf(c);
        return at < 0 ? null : toks[at]!;
      };
      const memText = cell('memory')!;
      const bytes = topMemory(memText);
      if (bytes === undefined) topFail(where(k + 1), `MEMORY(bytes) ${JSON.stringify(memText.slice(0, 40))}: kubectl top prints whole MiB such as 101Mi`);
      const isNode = columns.includes('cpuPct') || columns.includes('memoryPct');
      const level: Level = isNode ? 'node' : columns.includes('pod') ? 'container' : 'pod';
      const namespace = cell('namespace') ?? paste.namespace ?? null;
      const name = cell('name')!;
      const identity =
        level === 'node' ? { level } : level === 'container' ? { level, namespace, pod: cell('pod'), container: name } : { level, namespace, pod: name };
      samples.push(
        makeSample('kubectl-top', {
          identity,
          memory: { workingSet: bytes },
          reported: bytes === null ? null : { bytes, uncertaintyBytes: MiB, text: memText },
        }),
      );
    }
    if (columns === null) topFail(`[${i}]`, 'no kubectl top header (NAME  CPU(cores)  MEMORY(bytes)) found');
  });
  return samples;
};

// ---------------------------------------------------------------------------------------------
// metrics.k8s.io objects

const BINARY: Readonly<Record<string, bigint>> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Readonly<Record<string, bigint>> = { k: 10n ** 3n, M: 10n ** 6n, G: 10n ** 9n, T: 10n ** 12n, P: 10n ** 15n, E: 10n ** 18n };
const QUANTITY = /^(\d{1,30})(?:\.(\d{1,30}))?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|[eE][+-]?\d{1,2})?$/;

/** A Kubernetes resource.Quantity of bytes (`22244Ki`, `128974848`, `129e6`, `1.5Gi`) → whole bytes. */
export function parseByteQuantity(text: string): Parsed<number> {
  const m = QUANTITY.exec(text);
  if (!m) return { ok: false, reason: `${JSON.stringify(text.slice(0, 40))} is not a Kubernetes quantity of bytes` };
  const frac = m[2] ?? '';
  let num = BigInt(m[1]! + frac);
  let den = 10n ** BigInt(frac.length);
  const suffix = m[3] ?? '';
  if (suffix === 'm') den *= 1000n;
  else if (Object.hasOwn(BINARY, suffix)) num *= BINARY[suffix]!;
  else if (Object.hasOwn(DECIMAL, suffix)) num *= DECIMAL[suffix]!;
  else if (suffix !== '') {
    const exp = Number(suffix.slice(1));
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  if (num % den !== 0n) return { ok: false, reason: `${text} is not a whole number of bytes` };
  const bytes = num / den;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: `${text} is above 2^53 bytes` };
  return { ok: true, value: Number(bytes) };
}

const Name = z.string().min(1).max(253);
const Usage = z.object({ memory: z.string().max(64).nullish() }).loose();
const Meta = z.object({ name: Name, namespace: Name.nullish() }).loose();
const Time = z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp' });
const PodMetrics = z.object({
  kind: z.literal('PodMetrics').optional(),
  metadata: Meta,
  timestamp: Time.nullish(),
  containers: z.array(z.object({ name: Name, usage: Usage }).loose()).nullish(),
});
const NodeMetrics = z.object({ kind: z.literal('NodeMetrics').optional(), metadata: Meta, timestamp: Time.nullish(), usage: Usage });

/** metrics.k8s.io `kind`s memgap reads; `looksLikeMetricsApi` is what pack recognises. */
const METRICS_KINDS = new Set(['PodMetrics', 'PodMetricsList', 'NodeMetrics', 'NodeMetricsList']);

export function looksLikeMetricsApi(o: unknown): boolean {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const r = o as Record<string, unknown>;
  return typeof r.kind === 'string' && METRICS_KINDS.has(r.kind) && typeof r.apiVersion === 'string' && r.apiVersion.startsWith('metrics.k8s.io/');
}

function metricsFail(path: string, reason: string): never {
  throw new InvalidSnapshotError({ source: 'metricsApi', path, reason });
}

function issuePath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

function memoryOf(text: string | null | undefined, path: string): number | null {
  if (text === null || text === undefined) return null;
  const q = parseByteQuantity(text);
  if (!q.ok) metricsFail(path, q.reason);
  return q.value;
}

/**
 * `sources.metricsApi`: a list of metrics.k8s.io objects (PodMetrics, NodeMetrics or their
 * Lists) → one sample per container (and per node), exact bytes, sampled at `timestamp`.
 */
export const parseMetricsApi: SourceParser = (input, ctx) => {
  if (!Array.isArray(input)) metricsFail('', 'expected a list of metrics.k8s.io objects');
  const samples: Sample[] = [];
  const push = (s: Sample, path: string) => {
    if (samples.length >= ctx.limits.maxContainers) metricsFail(path, `more than ${ctx.limits.maxContainers} containers, the limit per capture`);
    samples.push(s);
  };
  const pod = (value: unknown, path: string) => {
    const p = PodMetrics.safeParse(value);
    if (!p.success) metricsFail(issuePath(path, p.error.issues[0]!.path), p.error.issues[0]!.message);
    const sampledAt = p.data.timestamp ? new Date(p.data.timestamp) : null;
    (p.data.containers ?? []).forEach((c, k) => {
      const where = `${path}.containers[${k}].usage.memory`;
      push(makeSample('metrics-api', { sampledAt, identity: { level: 'container', namespace: p.data.metadata.namespace ?? null, pod: p.data.metadata.name, container: c.name }, memory: { workingSet: memoryOf(c.usage.memory, where) } }), where);
    });
  };
  const node = (value: unknown, path: string) => {
    const n = NodeMetrics.safeParse(value);
    if (!n.success) metricsFail(issuePath(path, n.error.issues[0]!.path), n.error.issues[0]!.message);
    push(makeSample('metrics-api', { sampledAt: n.data.timestamp ? new Date(n.data.timestamp) : null, identity: { level: 'node' }, memory: { workingSet: memoryOf(n.data.usage.memory, `${path}.usage.memory`) } }), path);
  };
  input.forEach((obj: unknown, i) => {
    const path = `[${i}]`;
    if (!looksLikeMetricsApi(obj)) metricsFail(path, 'expected a metrics.k8s.io PodMetrics, NodeMetrics or a List of them (kind and apiVersion)');
    const o = obj as Record<string, unknown>;
    if (o.kind === 'PodMetrics') pod(o, path);
    else if (o.kind === 'NodeMetrics') node(o, path);
    else {
      const items = o.items;
      if (!Array.isArray(items)) metricsFail(`${path}.items`, `a ${String(o.kind)} has an items array`);
      if (items.length > ctx.limits.maxContainers) metricsFail(`${path}.items`, `${items.length} items exceed the limit of ${ctx.limits.maxContainers}`);
      items.forEach((it: unknown, k) => (o.kind === 'PodMetricsList' ? pod(it, `${path}.items[${k}]`) : node(it, `${path}.items[${k}]`)));
    }
  });
  return samples;
};

/** The newest `timestamp` of metrics.k8s.io objects (pack's capture time when no --at is given). */
export function metricsApiTimes(objects: readonly unknown[]): Date[] {
  const out: Date[] = [];
  const take = (o: unknown) => {
    if (typeof o !== 'object' || o === null) return;
    const t = (o as Record<string, unknown>).timestamp;
    if (typeof t === 'string' && Time.safeParse(t).success) out.push(new Date(t));
    const items = (o as Record<string, unknown>).items;
    if (Array.isArray(items)) items.forEach(take);
  };
  objects.forEach(take);
  return out;
}

// ---------------------------------------------------------------------------------------------
// kubectl version

export interface KubectlVersionFacts {
  client: string | null;
  server: string | null;
}

const GIT_VERSION = /^v\d{1,3}\.\d{1,4}\.\d{1,4}[0-9A-Za-z.+_-]{0,64}$/;

function gitVersion(v: unknown): string | null {
  return typeof v === 'string' && GIT_VERSION.test(v.trim()) ? v.trim() : null;
}

/**
 * `kubectl version` in its three shapes: text (`Client Version: v1.28.2`, or before 1.28
 * `Client Version: version.Info{…GitVersion:"v1.17.0"…}`), `-o yaml` (`clientVersion:` /
 * `  gitVersion: v1.28.2`) and `-o json` (pass the parsed object).
 */
export function parseKubectlVersion(input: unknown): Parsed<KubectlVersionFacts> {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    const pick = (k: string) => {
      const v = Object.hasOwn(o, k) ? o[k] : undefined;
      return typeof v === 'object' && v !== null ? gitVersion((v as Record<string, unknown>).gitVersion) : null;
    };
    const value = { client: pick('clientVersion'), server: pick('serverVersion') };
    if (value.client === null && value.server === null) return { ok: false, reason: 'no clientVersion.gitVersion or serverVersion.gitVersion' };
    return { ok: true, value };
  }
  if (typeof input !== 'string') return { ok: false, reason: 'expected kubectl version output' };
  if (input.length > 1 << 20) return { ok: false, reason: 'too long for kubectl version output' };
  let client: string | null = null;
  let server: string | null = null;
  let block: 'client' | 'server' | null = null;
  for (const raw of input.split('\n')) {
    const line = raw.replace(/[ \t\r]+$/, '');
    const text = /^(Client|Server) Version:\s*(.*)$/.exec(line);
    if (text) {
      const info = /GitVersion:"([^"]*)"/.exec(text[2]!);
      const v = gitVersion(info ? info[1] : text[2]);
      if (text[1] === 'Client') client ??= v;
      else server ??= v;
      block = null;
      continue;
    }
    const yamlBlock = /^(client|server)Version:$/.exec(line);
    if (yamlBlock) {
      block = yamlBlock[1] as 'client' | 'server';
      continue;
    }
    if (/^\S/.test(line)) block = null;
    const field = /^ {2}gitVersion: "?([^"]*)"?$/.exec(line);
    if (field && block === 'client') client ??= gitVersion(field[1]);
    if (field && block === 'server') server ??= gitVersion(field[1]);
  }
  if (client === null && server === null) return { ok: false, reason: 'no Client Version: or Server Version: line' };
  return { ok: true, value: { client, server } };
}

/** Text that is `kubectl version` output (text or yaml form). */
export function looksLikeKubectlVersion(text: string): boolean {
  return /^(Client|Server) Version: (v\d|version\.Info\{)/m.test(text) || /^(client|server)Version:\s*$/m.test(text);
}

// ---------------------------------------------------------------------------------------------
// kubectl get node -o wide / describe node / get node -o json

export interface NodeInfoFacts {
  name: string;
  kubeletVersion: string | null;
  containerRuntime: string | null;
  kernel: string | null;
}

const RUNTIME = /^[a-z][a-z0-9.-]{0,30}:\/\/[0-9A-Za-z.+~_-]{1,64}$/;
const KERNEL_RELEASE = /^\d[0-9A-Za-z.+~_-]{0,127}$/;

function nodeFacts(name: string, kubelet: unknown, runtime: unknown, kernel: unknown): NodeInfoFacts {
  const str = (v: unknown, re: RegExp) => (typeof v === 'string' && re.test(v.trim()) ? v.trim() : null);
  return { name, kubeletVersion: str(kubelet, GIT_VERSION), containerRuntime: str(runtime, RUNTIME), kernel: str(kernel, KERNEL_RELEASE) };
}

/**
 * `kubectl get nodes -o wide`: columns are found by the header's offsets (kubectl aligns them
 * with a tabwriter), because OS-IMAGE holds spaces (`Amazon Linux 2`). VERSION is the kubelet's,
 * CONTAINER-RUNTIME and KERNEL-VERSION the node's (`status.nodeInfo`).
 */
function nodesWide(text: string): NodeInfoFacts[] | null {
  const lines = text.split('\n').map((l) => l.replace(/[ \t\r]+$/, ''));
  const h = lines.findIndex((l) => /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\b/.test(l) && l.includes('CONTAINER-RUNTIME'));
  if (h < 0) return null;
  const header = lines[h]!;
  const cols = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index! }));
  const cell = (row: string, col: string) => {
    const i = cols.findIndex((c) => c.name === col);
    if (i < 0) return null;
    const end = i + 1 < cols.length ? cols[i + 1]!.at : row.length;
    return row.slice(cols[i]!.at, end).trim() || null;
  };
  const out: NodeInfoFacts[] = [];
  for (const row of lines.slice(h + 1)) {
    if (row.trim() === '' || row.length < cols[cols.length - 1]!.at) continue;
    const name = cell(row, 'NAME');
    if (name) out.push(nodeFacts(name, cell(row, 'VERSION'), cell(row, 'CONTAINER-RUNTIME'), cell(row, 'KERNEL-VERSION')));
  }
  return out;
}

/** `kubectl describe node`: `Name:` then the `System Info:` block. */
function describeNode(text: string): NodeInfoFacts[] | null {
  const field = (label: string) => new RegExp(`^\\s*${label}:[ \\t]+(\\S.*)$`, 'm').exec(text)?.[1]?.trim();
  const name = /^Name:[ \t]+(\S+)$/m.exec(text)?.[1];
  if (!name || !/^\s+Kubelet Version:/m.test(text)) return null;
  return [nodeFacts(name, field('Kubelet Version'), field('Container Runtime Version'), field('Kernel Version'))];
}

/** `kubectl get node(s) -o json`: a Node or a List/NodeList of them, `status.nodeInfo`. */
function nodesJson(o: Record<string, unknown>): NodeInfoFacts[] | null {
  const one = (n: unknown): NodeInfoFacts | null => {
    if (typeof n !== 'object' || n === null) return null;
    const r = n as { kind?: unknown; metadata?: { name?: unknown }; status?: { nodeInfo?: Record<string, unknown> } };
    const info = r.status?.nodeInfo;
    if (typeof r.metadata?.name !== 'string' || typeof info !== 'object' || info === null) return null;
    return nodeFacts(r.metadata.name, info.kubeletVersion, info.containerRuntimeVersion, info.kernelVersion);
  };
  if (o.kind === 'Node') {
    const n = one(o);
    return n ? [n] : null;
  }
  if ((o.kind === 'NodeList' || o.kind === 'List') && Array.isArray(o.items)) {
    const all = o.items.map(one);
    return all.length > 0 && all.every((n) => n !== null) ? (all as NodeInfoFacts[]) : null;
  }
  return null;
}

/** Node facts from `kubectl get nodes -o wide`, `kubectl describe node` or `-o json`; null when the input is none of them. */
export function parseKubectlNodes(input: unknown): NodeInfoFacts[] | null {
  if (typeof input === 'string') return input.length > 1 << 22 ? null : (nodesWide(input) ?? describeNode(input));
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return nodesJson(input as Record<string, unknown>);
  return null;
}
