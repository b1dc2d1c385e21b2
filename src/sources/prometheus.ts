/**
 * Parsers for the two Prometheus-text sources of a capture bundle:
 *   `kubeletResourceMetrics`: kubelet GET /metrics/resource, what metrics-server >= 0.6 reads;
 *   `kubeletCadvisorMetrics`: kubelet GET /metrics/cadvisor, memory lines.
 *
 * Tokenising is done by the `parse-prometheus-text-format` package, one line at a time so that every
 * rejection can name its line (the package reports neither line numbers nor, for the last family of
 * a text without a trailing newline, the last sample). Its output is checked with a zod schema, then
 * names, values and timestamps are checked here, because the package accepts any characters there.
 */
// @ts-expect-error -- CJS package without type declarations; its output is validated by `LibOutput` below.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import * as z from 'zod';
import { InvalidSnapshotError, type SnapshotSource } from '../errors.js';
import { interpretLimit } from '../analysis/formulas.js';
import { makeSample, type MemoryQuantities, type Sample } from '../model/sample.js';
import { parseCgroupPath, parseDockershimName } from './identity.js';
import { inertRecord } from './safe-json.js';
import type { ParseContext, SourceParser } from './types.js';

const libParse = parsePrometheusTextFormat as (text: string) => unknown;

/** What the package returns for one line (see its README: prom2json-compatible families). */
const LibSample = z.object({
  value: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  timestamp_ms: z.string().optional(),
});
const LibFamily = z.object({
  name: z.string(),
  help: z.string(),
  type: z.string(),
  metrics: z.array(LibSample),
});
const LibOutput = z.array(LibFamily);

/** One sample line of the exposition, with its 1-based line number. */
export interface PromLine {
  line: number;
  name: string;
  /** Null-prototype map: a label named `constructor` stays data. Shared between lines: read only. */
  labels: Readonly<Record<string, string>>;
  value: number;
  /** The optional sample timestamp (ms since the epoch). */
  timestampMs: number | null;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Go strconv.ParseFloat as the Prometheus text format allows it, minus hex floats (never emitted by client_golang).
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^(?:[+-]?inf(?:inity)?|nan)$/i;
const TIMESTAMP = /^-?\d{1,16}$/;
// ECMAScript Date range: ±8.64e15 ms.
const MAX_DATE_MS = 8.64e15;

function fail(source: SnapshotSource, path: string, reason: string): never {
  throw new InvalidSnapshotError({ source, path, reason });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function parseFloatValue(text: string): number | null {
  if (FLOAT.test(text)) return Number(text);
  if (SPECIAL_FLOAT.test(text)) {
    const lower = text.toLowerCase();
    if (lower === 'nan') return Number.NaN;
    return lower.startsWith('-') ? -Infinity : Infinity;
  }
  return null;
}

function shortLine(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/**
 * Splits and tokenises an exposition. `wanted` selects the metric names the caller reads: only
 * their sample and HELP/TYPE lines are tokenised and validated; other lines are checked only for
 * length and a metric name, so an odd unrelated series cannot quarantine the memory data.
 */
export function readExposition(input: unknown, source: SnapshotSource, ctx: ParseContext, wanted: (name: string) => boolean): PromLine[] {
  if (typeof input !== 'string') fail(source, '', `expected Prometheus text exposition (a string), got ${describe(input)}`);
  const lines = input.split('\n');
  const out: PromLine[] = [];
  // cAdvisor repeats one container's label block on each of its metrics: parse each block once.
  const labelBlocks: LabelBlockCache = new Map();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    if (raw.length > ctx.limits.maxLineLength) fail(source, `line ${lineNo}`, `line is ${raw.length} characters long, above the limit of ${ctx.limits.maxLineLength}`);
    const text = raw.trim();
    if (text.length === 0) continue;
    // Plain comments are skipped here: the package would read `#foo` as a sample named `#foo`.
    const isComment = text.charCodeAt(0) === 0x23;
    const meta = isComment ? /^# (?:HELP|TYPE) (\S*)/.exec(text) : null;
    if (isComment && !meta) continue;
    const name0 = meta ? meta[1]! : leadingName(text);
    if (!meta && name0 === '') fail(source, `line ${lineNo}`, `sample line without a metric name: ${shortLine(text)}`);
    // Only the caller's metrics are tokenised (a full /metrics/cadvisor is ~10k lines, most not memory).
    if (!wanted(name0)) continue;
    const plain = meta ? null : plainSampleLine(text, labelBlocks);
    if (plain) {
      const value = parseFloatValue(plain.value);
      if (value === null) fail(source, `line ${lineNo}`, `sample value ${JSON.stringify(shortLine(plain.value))} of ${plain.name} is not a number`);
      let timestampMs: number | null = null;
      if (plain.timestamp !== null) {
        if (!TIMESTAMP.test(plain.timestamp) || Math.abs(Number(plain.timestamp)) > MAX_DATE_MS) fail(source, `line ${lineNo}`, `timestamp ${JSON.stringify(shortLine(plain.timestamp))} is not an integer number of milliseconds in the Date range`);
        timestampMs = Number(plain.timestamp);
      }
      out.push({ line: lineNo, name: plain.name, labels: plain.labels, value, timestampMs });
      continue;
    }
    let parsed: unknown;
    try {
      // The trailing newline makes the package flush the line's family (it drops the last one otherwise).
      parsed = libParse(`${text}\n`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      fail(source, `line ${lineNo}`, `malformed Prometheus text line (${message.startsWith('Encountered invalid line') ? 'invalid label syntax' : message}): ${shortLine(text)}`);
    }
    const families = LibOutput.safeParse(parsed);
    if (!families.success) fail(source, `line ${lineNo}`, `unexpected tokeniser output for line: ${shortLine(text)}`);
    if (text.startsWith('#')) continue; // HELP/TYPE: validated by the package, nothing to keep
    const family = families.data[0];
    const metric = family?.metrics[0];
    if (!family || !metric || families.data.length !== 1 || family.metrics.length !== 1) {
      fail(source, `line ${lineNo}`, `not a sample line: ${shortLine(text)}`);
    }
    const name = family.name;
    if (!METRIC_NAME.test(name) || name !== name0) fail(source, `line ${lineNo}`, `invalid metric name ${JSON.stringify(shortLine(name))}`);
    if (metric.value === undefined || metric.value === '') fail(source, `line ${lineNo}`, `sample of ${name} has no value`);
    // The package concatenates every token after the value into the timestamp (`1 2 3` → ts `23`).
    const toks = text.split(/[ \t]+/);
    const valueTok = metric.timestamp_ms === undefined ? toks[toks.length - 1] : toks[toks.length - 2];
    const tsOk = metric.timestamp_ms === undefined || toks[toks.length - 1] === metric.timestamp_ms;
    if (!tsOk || valueTok === undefined || (valueTok !== metric.value && !valueTok.endsWith(`}${metric.value}`))) {
      fail(source, `line ${lineNo}`, `expected "<name>{labels} <value> [<timestamp>]", got extra tokens: ${shortLine(text)}`);
    }
    const value = parseFloatValue(metric.value);
    if (value === null) fail(source, `line ${lineNo}`, `sample value ${JSON.stringify(shortLine(metric.value))} of ${name} is not a number`);
    const labels = inertRecord<string>();
    const libLabels = metric.labels ?? {};
    for (const k in libLabels) {
      if (!Object.hasOwn(libLabels, k)) continue;
      if (!LABEL_NAME.test(k)) fail(source, `line ${lineNo}`, `invalid label name ${JSON.stringify(shortLine(k))}`);
      labels[k] = libLabels[k]!;
    }
    let timestampMs: number | null = null;
    if (metric.timestamp_ms !== undefined) {
      const ts = metric.timestamp_ms;
      if (!TIMESTAMP.test(ts) || Math.abs(Number(ts)) > MAX_DATE_MS) fail(source, `line ${lineNo}`, `timestamp ${JSON.stringify(shortLine(ts))} is not an integer number of milliseconds in the Date range`);
      timestampMs = Number(ts);
    }
    out.push({ line: lineNo, name, labels, value, timestampMs });
  }
  return out;
}

/** The metric name at the start of a sample line: everything before the first white space or `{`. */
function leadingName(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x7b || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c) return text.slice(0, i);
    // Beyond ASCII, Unicode white space (NBSP, U+2028…) ends the name too: the regex knows them all.
    if (c > 0x7f) return /^[^\s{]*/.exec(text)![0];
  }
  return text;
}

/** Label block text → its labels (null: not the plain shape). Shared objects: callers only read them. */
export type LabelBlockCache = Map<string, Readonly<Record<string, string>> | null>;

const PLAIN_SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^{}]*)\})?[ \t]+([^ \t]+)(?:[ \t]+([^ \t]+))?$/;
const PLAIN_LABEL = /[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"([^"]*)"[ \t]*(,|$)/y;

/**
 * The kubelet's sample lines almost always have the plain shape `name{k="v",…} value [ts]` with no
 * escapes. The package tokenises character by character (≈ 40 µs per /metrics/cadvisor line here);
 * this reads that one shape with two regexes and returns null for anything else — escapes,
 * braces or quotes inside values, duplicate labels — which then goes to the package.
 * test/unit/sources/prometheus-fast-path.test.ts checks it agrees with the package on every line it accepts.
 */
export function plainSampleLine(text: string, cache?: LabelBlockCache): { name: string; labels: Readonly<Record<string, string>>; value: string; timestamp: string | null } | null {
  if (text.includes('\\')) return null;
  const m = PLAIN_SAMPLE.exec(text);
  if (!m) return null;
  const body = m[2] ?? '';
  let labels = cache?.get(body);
  if (labels === undefined) {
    labels = plainLabels(body);
    cache?.set(body, labels);
  }
  if (labels === null) return null;
  return { name: m[1]!, labels, value: m[3]!, timestamp: m[4] ?? null };
}

function plainLabels(body: string): Readonly<Record<string, string>> | null {
  const labels = inertRecord<string>();
  if (body.trim() === '') return labels;
  PLAIN_LABEL.lastIndex = 0;
  let end = 0;
  while (end < body.length) {
    const l = PLAIN_LABEL.exec(body);
    if (!l || l.index !== end) return null;
    if (Object.hasOwn(labels, l[1]!) || l[1] === '__proto__') return null;
    labels[l[1]!] = l[2]!;
    end = PLAIN_LABEL.lastIndex;
    if (l[3] === '') break;
  }
  return end === body.length ? labels : null;
}

/** A byte count as a Prometheus float: finite, whole, not negative, exact as a JS number. */
function bytesValue(source: SnapshotSource, l: PromLine): number {
  const v = l.value;
  if (!Number.isFinite(v)) fail(source, `line ${l.line}`, `${l.name} is ${v}, not a byte count`);
  if (v < 0) fail(source, `line ${l.line}`, `${l.name} is negative (${v})`);
  if (!Number.isInteger(v)) fail(source, `line ${l.line}`, `${l.name} is ${v}, not a whole number of bytes`);
  if (v > Number.MAX_SAFE_INTEGER) fail(source, `line ${l.line}`, `${l.name} is ${v}, above 2^53-1: precision lost`);
  return v;
}

function label(l: PromLine, name: string): string | null {
  const v = l.labels[name];
  return v === undefined || v === '' ? null : v;
}

function checkCount(source: SnapshotSource, count: number, ctx: ParseContext, what: string): void {
  if (count > ctx.limits.maxContainers) fail(source, '', `more than ${ctx.limits.maxContainers} ${what} (limit maxContainers)`);
}

// ---------------------------------------------------------------------------------------------
// /metrics/resource

const RESOURCE = 'kubeletResourceMetrics' as const;
/** kubelet resource_metrics.go: metric → which field of which level. */
const RESOURCE_METRICS: Readonly<Record<string, { level: 'container' | 'pod' | 'node'; field: 'workingSet' | 'swap' }>> = {
  container_memory_working_set_bytes: { level: 'container', field: 'workingSet' },
  pod_memory_working_set_bytes: { level: 'pod', field: 'workingSet' },
  node_memory_working_set_bytes: { level: 'node', field: 'workingSet' },
  // Alpha since 1.30: same identities, so they join the working-set sample.
  container_swap_usage_bytes: { level: 'container', field: 'swap' },
  pod_swap_usage_bytes: { level: 'pod', field: 'swap' },
  node_swap_usage_bytes: { level: 'node', field: 'swap' },
};

interface ResourceEntry {
  level: 'container' | 'pod' | 'node';
  namespace: string | null;
  pod: string | null;
  container: string | null;
  workingSet: number | null;
  swap: number | null;
  /** The working-set line's timestamp (the one metrics-server uses); else any other line's. */
  sampledAt: number | null;
  firstLine: Record<string, number>;
}

/**
 * kubelet `/metrics/resource` → one sample per container, per pod and for the node, source
 * 'kubelet-resource'. Container series need `container`, `pod` and `namespace` labels, pod series
 * `pod` and `namespace` (kubelet always sets them); CPU and start-time series are ignored.
 */
export const parseKubeletResourceMetrics: SourceParser = (input, ctx) => {
  const lines = readExposition(input, RESOURCE, ctx, (n) => Object.hasOwn(RESOURCE_METRICS, n));
  const entries = new Map<string, ResourceEntry>();
  for (const l of lines) {
    const spec = RESOURCE_METRICS[l.name]!;
    const need = spec.level === 'container' ? ['container', 'pod', 'namespace'] : spec.level === 'pod' ? ['pod', 'namespace'] : [];
    for (const n of need) if (label(l, n) === null) fail(RESOURCE, `line ${l.line}`, `${l.name} has no ${n} label`);
    const namespace = spec.level === 'node' ? null : label(l, 'namespace');
    const pod = spec.level === 'node' ? null : label(l, 'pod');
    const container = spec.level === 'container' ? label(l, 'container') : null;
    const key = JSON.stringify([spec.level, namespace, pod, container]);
    let entry = entries.get(key);
    if (!entry) {
      checkCount(RESOURCE, entries.size + 1, ctx, 'series identities');
      entry = { level: spec.level, namespace, pod, container, workingSet: null, swap: null, sampledAt: null, firstLine: inertRecord<number>() };
      entries.set(key, entry);
    }
    const previous = entry.firstLine[l.name];
    if (previous !== undefined) fail(RESOURCE, `line ${l.line}`, `duplicate series ${l.name} for the same ${spec.level} (first at line ${previous})`);
    entry.firstLine[l.name] = l.line;
    entry[spec.field] = bytesValue(RESOURCE, l);
    if (l.timestampMs !== null && (spec.field === 'workingSet' || entry.sampledAt === null)) entry.sampledAt = l.timestampMs;
  }
  const out: Sample[] = [];
  for (const e of entries.values()) {
    out.push(
      makeSample('kubelet-resource', {
        sampledAt: e.sampledAt === null ? null : new Date(e.sampledAt),
        identity: {
          level: e.level,
          namespace: e.namespace,
          pod: e.pod,
          container: e.container,
          // The kubelet lists pod.Containers, which never holds the sandbox.
          isPause: e.container === 'POD',
        },
        memory: { workingSet: e.workingSet, swap: e.swap },
        cgroupVersion: ctx.host.cgroupVersion ?? null,
      }),
    );
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// /metrics/cadvisor

const CADVISOR = 'kubeletCadvisorMetrics' as const;
/** cAdvisor metrics/prometheus.go names → MemoryQuantities field. */
const CADVISOR_METRICS: Readonly<Record<string, keyof MemoryQuantities>> = {
  container_memory_usage_bytes: 'usage',
  container_memory_working_set_bytes: 'workingSet',
  container_memory_rss: 'rss',
  container_memory_cache: 'cache',
  container_memory_swap: 'swap',
  container_memory_mapped_file: 'mappedFile',
  container_spec_memory_limit_bytes: 'limit',
};

interface CgroupGroup {
  id: string;
  labels: Readonly<Record<string, string>>;
  values: Partial<MemoryQuantities>;
  lines: Record<string, number>;
  timestamps: Partial<Record<keyof MemoryQuantities, number>>;
}

/**
 * kubelet `/metrics/cadvisor` → one sample per pod cgroup, per container cgroup and for the root
 * cgroup "/" (level node: the node memory the kubelet reports is the root cgroup's),
 * source 'cadvisor'. Series are grouped by their `id` label (the cgroup path).
 *
 * Cgroups that are neither "/" nor a pod or container cgroup (QoS parents `/kubepods[.slice]/…`,
 * `/system.slice/…`, and the non-kubelet ids of a standalone cAdvisor such as its golden test
 * file's `testcontainer`) are skipped: they belong to no pod, and summing them into anything
 * would double-count.
 *
 * The pause container is `container="POD"` under dockershim (1.18) and `container=""` on a
 * container-level cgroup under CRI runtimes (1.35 containerd, image `registry.k8s.io/pause`);
 * both become `container: 'POD', isPause: true`. `container_spec_memory_limit_bytes` 0 means no
 * limit (cAdvisor reports unlimited as 0); values ≥ 2^62 are unlimited too.
 */
export const parseKubeletCadvisorMetrics: SourceParser = (input, ctx) => {
  const lines = readExposition(input, CADVISOR, ctx, (n) => Object.hasOwn(CADVISOR_METRICS, n));
  const groups = new Map<string, CgroupGroup>();
  for (const l of lines) {
    const id = l.labels['id'];
    if (id === undefined || id === '') fail(CADVISOR, `line ${l.line}`, `${l.name} has no id label (the cgroup path)`);
    let g = groups.get(id);
    if (!g) {
      checkCount(CADVISOR, groups.size + 1, ctx, 'cgroups');
      g = { id, labels: l.labels, values: {}, lines: inertRecord<number>(), timestamps: {} };
      groups.set(id, g);
    }
    const previous = g.lines[l.name];
    if (previous !== undefined) fail(CADVISOR, `line ${l.line}`, `duplicate series ${l.name} for id ${JSON.stringify(shortLine(id))} (first at line ${previous})`);
    g.lines[l.name] = l.line;
    const field = CADVISOR_METRICS[l.name]!;
    if (field === 'limit') {
      // interpretLimit's ≥ 2^62 rule is applied before the precision check: 9.223372036854772e+18 is a sentinel, not a size.
      const v = l.value;
      if (Number.isFinite(v) && v >= 2 ** 62) g.values.limit = 'unlimited';
      else {
        const bytes = bytesValue(CADVISOR, l);
        g.values.limit = bytes === 0 ? 'unlimited' : interpretLimit(bytes);
      }
    } else {
      g.values[field] = bytesValue(CADVISOR, l);
    }
    if (l.timestampMs !== null) g.timestamps[field] = l.timestampMs;
  }
  const out: Sample[] = [];
  for (const g of groups.values()) {
    const sample = cadvisorSample(g, ctx);
    if (sample) out.push(sample);
  }
  return out;
};

function cadvisorSample(g: CgroupGroup, ctx: ParseContext): Sample | null {
  const t = g.timestamps;
  const ts = t.workingSet ?? t.usage ?? t.rss ?? t.cache ?? t.swap ?? t.mappedFile ?? null;
  const common = {
    sampledAt: ts === null ? null : new Date(ts),
    memory: g.values,
    cgroupVersion: ctx.host.cgroupVersion ?? null,
  };
  if (g.id === '/') {
    return makeSample('cadvisor', { ...common, identity: { level: 'node', cgroupPath: '/' } });
  }
  const parsed = parseCgroupPath(g.id);
  if (!parsed) return null;
  const lb = (n: string): string | null => {
    const v = g.labels[n];
    return v === undefined || v === '' ? null : v;
  };
  const runtimeName = lb('name');
  const docker = runtimeName === null ? null : parseDockershimName(runtimeName);
  const namespace = lb('namespace') ?? docker?.namespace ?? null;
  const pod = lb('pod') ?? docker?.pod ?? null;
  if (parsed.containerId === null) {
    return makeSample('cadvisor', {
      ...common,
      identity: { level: 'pod', namespace, pod, podUid: parsed.podUid, cgroupPath: g.id },
    });
  }
  const containerLabel = lb('container') ?? docker?.container ?? null;
  const isPause = containerLabel === null || containerLabel === 'POD';
  return makeSample('cadvisor', {
    ...common,
    identity: {
      level: 'container',
      namespace,
      pod,
      podUid: parsed.podUid,
      container: isPause ? 'POD' : containerLabel,
      containerId: parsed.containerId,
      // Under containerd `name` is the container id itself: not a runtime name worth keeping.
      runtimeName: runtimeName !== null && runtimeName !== parsed.containerId ? runtimeName : null,
      cgroupPath: g.id,
      isPause,
    },
  });
}
