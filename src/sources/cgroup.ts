/**
 * Parser for `sources.cgroups` of a capture bundle: raw cgroup memory files per cgroup
 * path, cgroup v1 or v2. Quantities are mapped by `cgroupQuantities` (analysis/formulas.ts);
 * this file only reads the kernel's text formats and decides which version they are.
 */
import * as z from 'zod';
import { InvalidSnapshotError } from '../errors.js';
import { cgroupQuantities, interpretLimit, type CgroupVersion } from '../analysis/formulas.js';
import { makeSample, type Level, type Sample } from '../model/sample.js';
import { parseCgroupPath } from './identity.js';
import { boundedMemo } from './memo.js';
import { inertRecord } from './safe-json.js';
import type { ParseContext, SourceParser } from './types.js';

const SOURCE = 'cgroups' as const;

/**
 * One entry of `sources.cgroups`. Kept local (same shape as model/bundle.ts `CgroupEntry`) so a
 * bad entry is reported with its own index; file names are read with `Object.hasOwn`, so a file
 * called `__proto__` or `constructor` is never looked up through the prototype.
 */
const CgroupEntryInput = z.compile(
  z.object({
    path: z.string().min(1).max(4096),
    files: z.record(z.string(), z.string()),
  }),
);

function fail(path: string, reason: string): never {
  throw new InvalidSnapshotError({ source: SOURCE, path, reason });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

const UNSIGNED = /^\d+$/;
const KEY_VALUE = /^\s*(\S+)[ \t]+(\S+)$/;
const TRAILING_SPACE = /[ \t\r]+$/;
const TWO_POW_62 = 2n ** 62n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Lines of a kernel file: `\n` separated, a trailing newline or `\r` tolerated, length-checked. */
function lines(text: string, where: string, ctx: ParseContext): Array<{ no: number; text: string }> {
  const out: Array<{ no: number; text: string }> = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    if (line.length > ctx.limits.maxLineLength) fail(`${where} line ${i + 1}`, `line is ${line.length} characters long, above the limit of ${ctx.limits.maxLineLength}`);
    const t = line.replace(TRAILING_SPACE, '');
    if (t.length === 0) continue;
    out.push({ no: i + 1, text: t });
  }
  return out;
}

function short(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * An unsigned decimal counter. Above 2^53-1 a JS number would silently round, so it is rejected,
 * except where `allowSentinel` (limits): values ≥ 2^62 are the kernel's "unlimited" and are kept as
 * an approximate number (≥ 2^62 all the same to interpretLimit).
 */
function counter(text: string, where: string | (() => string), what: string, allowSentinel: boolean): number {
  if (!UNSIGNED.test(text)) fail(typeof where === 'string' ? where : where(), `${what} value ${short(text)} is not an unsigned decimal integer`);
  // Up to 15 digits is always below 2^53: the common case needs no BigInt.
  if (text.length <= 15) return Number(text);
  if (typeof where !== 'string') where = where();
  const big = BigInt(text);
  if (big > MAX_SAFE) {
    if (allowSentinel && big >= TWO_POW_62) return Number(big);
    fail(where, `${what} value ${text} is above 2^53-1: it cannot be held exactly`);
  }
  return Number(big);
}

/** What flatKeyed noticed on the way, so callers need not enumerate the map again. */
interface FlatKeyedSeen {
  /** some key starts `total_` (cgroup v1's hierarchical memory.stat keys) */
  totalKey: boolean;
}

const NO_WHITESPACE = /^\S+$/;

/**
 * The keys of the last file of one kind, line by line. The kernel prints the same keys in the
 * same order in every cgroup, so a line whose key is the remembered one takes that string
 * instead of a new slice: no allocation, and a key V8 has already hashed and interned for the
 * property write (about a tenth of flatKeyed's time on a 110-pod capture).
 */
interface KeyLines {
  last: string[];
}
const STAT_KEYS: KeyLines = { last: [] };
const EVENTS_KEYS: KeyLines = { last: [] };
const OOM_CONTROL_KEYS: KeyLines = { last: [] };

/**
 * Flat-keyed files (`memory.stat`, `memory.events`, `memory.oom_control`): `key value` per line.
 * This runs for every line of every cgroup of a capture (~16,000 lines for a 110-pod node), so
 * the kernel's own spelling is read with a character scan, and only other spellings go through
 * the regular expression.
 */
function flatKeyed(text: string, where: () => string, keys: KeyLines, ctx: ParseContext, seen?: FlatKeyedSeen): Record<string, number> {
  const map = inertRecord<number>();
  let predicted = true;
  let keyed = 0;
  const len = text.length;
  let start = 0;
  let lineNo = 0;
  let duplicate = false;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    lineNo++;
    if (end - start > ctx.limits.maxLineLength) fail(`${where()} line ${lineNo}`, `line is ${end - start} characters long, above the limit of ${ctx.limits.maxLineLength}`);
    let k: string | null = null;
    let n = -1;
    // Fast path, what the kernel prints: `key digits`, one space. Up to 15 digits is below 2^53;
    // longer values (v1's `hierarchical_memory_limit 9223372036854771712`) are checked by counter,
    // as the regular path would, when the key is one word as that path requires.
    const sp = text.indexOf(' ', start);
    const digits = end - sp - 1;
    if (sp > start && digits > 0 && digits <= 20) {
      n = 0;
      for (let i = sp + 1; i < end; i++) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) {
          n = -1;
          break;
        }
        n = n * 10 + c;
      }
      if (n >= 0) {
        const p = keys.last[keyed];
        if (p !== undefined && p.length === sp - start && text.startsWith(p, start)) k = p;
        else {
          k = text.slice(start, sp);
          predicted = false;
        }
        if (digits > 15) {
          if (NO_WHITESPACE.test(k)) {
            const no = lineNo;
            n = counter(text.slice(sp + 1, end), () => `${where()} line ${no}`, k, k.endsWith('_limit'));
          } else k = null;
        }
      }
    }
    if (k === null) {
      const t = text.slice(start, end).replace(TRAILING_SPACE, '');
      start = end + 1;
      if (t.length === 0) continue;
      const m = KEY_VALUE.exec(t);
      const no = lineNo;
      if (!m) fail(`${where()} line ${no}`, `expected "key value", got ${short(t)}`);
      k = m[1]!;
      predicted = false;
      // hierarchical_memory_limit / hierarchical_memsw_limit print the ≥ 2^62 "unlimited" sentinel.
      n = counter(m[2]!, () => `${where()} line ${no}`, k, k.endsWith('_limit'));
    } else start = end + 1;
    // A duplicate is reported after the whole file is read, so a malformed later line still wins (as it always has).
    if (map[k] !== undefined) duplicate = true;
    map[k] = n;
    keyed++;
    if (seen && !seen.totalKey && k.startsWith('total_')) seen.totalKey = true;
  }
  if (duplicate) failOnDuplicate(text, where());
  if (!predicted) keys.last = Object.keys(map);
  return map;
}

/** The slow path of flatKeyed's duplicate check: names the key and both lines. */
function failOnDuplicate(text: string, where: string): never {
  const firstLine = new Map<string, number>();
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const key = /^\s*(\S+)/.exec(raw[i]!)?.[1];
    if (key === undefined) continue;
    const first = firstLine.get(key);
    if (first !== undefined) fail(`${where} line ${i + 1}`, `duplicate key ${short(key)} (first at line ${first})`);
    firstLine.set(key, i + 1);
  }
  fail(where, 'duplicate key');
}

/** Single-value files (`memory.current`, `memory.max`, …): one value, optional trailing newline. */
function singleValue(text: string, whereOf: () => string, ctx: ParseContext, allowMax: boolean, allowSentinel: boolean): number | 'max' {
  // What the kernel prints: 1–15 digits and a newline. Anything else takes the checked path.
  const digits = text.endsWith('\n') ? text.length - 1 : text.length;
  if (digits > 0 && digits <= 15) {
    let n = 0;
    for (let i = 0; i < digits; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) {
        n = -1;
        break;
      }
      n = n * 10 + c;
    }
    if (n >= 0) return n;
  }
  const where = whereOf();
  const ls = lines(text, where, ctx);
  const only = ls[0];
  if (!only) fail(where, 'file is empty');
  if (ls.length > 1) fail(`${where} line ${ls[1]!.no}`, 'expected a single value, found more lines');
  const v = only.text.trim();
  if (allowMax && v === 'max') return 'max';
  return counter(v, where, 'file', allowSentinel);
}

function file(files: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(files, name) ? files[name] : undefined;
}

/** cgroup version from the files present (v2 has memory.current, v1 memory.usage_in_bytes); conflicting evidence is rejected rather than guessed. */
function detectVersion(files: Record<string, string>, stat: Record<string, number> | null, statSeen: FlatKeyedSeen, where: string, ctx: ParseContext): CgroupVersion {
  const v2 = file(files, 'memory.current') !== undefined || (stat !== null && (Object.hasOwn(stat, 'anon') || Object.hasOwn(stat, 'file')));
  const v1 = file(files, 'memory.usage_in_bytes') !== undefined || (stat !== null && (Object.hasOwn(stat, 'cache') || statSeen.totalKey));
  if (v1 && v2) fail(`${where}.files`, 'files mix cgroup v1 (memory.usage_in_bytes / total_* or cache keys) and cgroup v2 (memory.current / anon or file keys)');
  if (v2) return 2;
  if (v1) return 1;
  const host = ctx.host.cgroupVersion;
  if (host === 1 || host === 2) return host;
  fail(
    `${where}.files`,
    'cannot tell the cgroup version: no memory.current or memory.usage_in_bytes, no anon/file or cache/total_* keys in memory.stat, and host.cgroupVersion is not set',
  );
}

const HEX_ID = /^[0-9a-f]{12,64}$/;
const SCOPE_ID = /^(?:[a-z][a-z0-9-]*-)?([0-9a-f]{12,64})(?:\.scope)?$/;
const MOUNT_PREFIX = /^\/sys\/fs\/cgroup(?:\/memory)?(?=\/|$)/;

/**
 * Identity of a cgroup path. Pod and container cgroups come from `parseCgroupPath`. Other paths
 * are still reported, with what the path tells (nothing else is guessed):
 *   the root cgroup (`/`, `/sys/fs/cgroup`, `/sys/fs/cgroup/memory`) → level 'node';
 *   a leaf that looks like a container (`<64-hex>`, `docker-<id>.scope`, `/docker/<id>`) → level
 *   'container' with that containerId, no pod;
 *   anything else (QoS parents, system.slice services) → level 'pod' with every name null: an
 *   aggregate of processes, like a pod cgroup, but attributed to no pod.
 */
export function cgroupIdentity(path: string): CgroupIdentity {
  return memoIdentity(path);
}

type CgroupIdentity = { level: Level; podUid: string | null; containerId: string | null };
/** Paths repeat in every capture of a node: parsed once each (memo.ts). */
const memoIdentity = boundedMemo(identityOfPath);

function identityOfPath(path: string): CgroupIdentity {
  const parsed = parseCgroupPath(path);
  if (parsed) return { level: parsed.containerId === null ? 'pod' : 'container', podUid: parsed.podUid, containerId: parsed.containerId };
  const rel = path.replace(MOUNT_PREFIX, '');
  const parts = rel.split('/').filter((p) => p.length > 0);
  if (parts.length === 0) return { level: 'node', podUid: null, containerId: null };
  const leaf = parts[parts.length - 1]!;
  const m = SCOPE_ID.exec(leaf);
  if (m && !leaf.includes('conmon') && (HEX_ID.test(leaf) || leaf.endsWith('.scope') || parts[parts.length - 2] === 'docker')) {
    return { level: 'container', podUid: null, containerId: m[1]! };
  }
  return { level: 'pod', podUid: null, containerId: null };
}

/**
 * `sources.cgroups` → one sample per cgroup, source 'cgroup', sampledAt = the capture time (the
 * files carry none). memory.stat is parsed into `stat` (null-prototype map, values exact), usage,
 * limit, swap, kernel and OOM counters from the side files of the detected version. Without
 * memory.stat the working set is null (not usage: nothing says how much of it is inactive cache).
 */
export const parseCgroups: SourceParser = (input, ctx) => {
  if (!Array.isArray(input)) fail('cgroups', `expected an array of {path, files}, got ${describe(input)}`);
  if (input.length > ctx.limits.maxContainers) fail('cgroups', `${input.length} cgroups, above the limit of ${ctx.limits.maxContainers} (maxContainers)`);
  const out: Sample[] = [];
  for (let i = 0; i < input.length; i++) {
    out.push(parseEntry(input[i], `cgroups[${i}]`, ctx));
  }
  return out;
};

function parseEntry(raw: unknown, where: string, ctx: ParseContext): Sample {
  const entry = CgroupEntryInput.safeParse(raw);
  if (!entry.success) {
    const issue = entry.error.issues[0];
    const sub = issue
      ? issue.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : k === 0 ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('')
      : '';
    fail(`${where}${sub}`, issue ? issue.message : 'invalid cgroup entry');
  }
  const { path, files } = entry.data;
  // Paths are spelled out only when a message needs one.
  const at = (name: string) => (): string => `${where}.files[${JSON.stringify(name)}]`;

  const statText = file(files, 'memory.stat');
  const statSeen: FlatKeyedSeen = { totalKey: false };
  const stat = statText === undefined ? null : flatKeyed(statText, at('memory.stat'), STAT_KEYS, ctx, statSeen);
  const version = detectVersion(files, stat, statSeen, where, ctx);

  const usageName = version === 1 ? 'memory.usage_in_bytes' : 'memory.current';
  const limitName = version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
  const usageText = file(files, usageName);
  const limitText = file(files, limitName);
  const usage = usageText === undefined ? null : (singleValue(usageText, at(usageName), ctx, false, false) as number);
  const limit = limitText === undefined ? null : interpretLimit(singleValue(limitText, at(limitName), ctx, version === 2, version === 1));

  let swapCurrent: number | null = null;
  let kmemUsage: number | null = null;
  let oomKillCount: number | null = null;
  if (version === 2) {
    const swapText = file(files, 'memory.swap.current');
    if (swapText !== undefined) swapCurrent = singleValue(swapText, at('memory.swap.current'), ctx, false, false) as number;
    const eventsText = file(files, 'memory.events');
    if (eventsText !== undefined) oomKillCount = flatKeyed(eventsText, at('memory.events'), EVENTS_KEYS, ctx)['oom_kill'] ?? null;
  } else {
    const kmemText = file(files, 'memory.kmem.usage_in_bytes');
    if (kmemText !== undefined) kmemUsage = singleValue(kmemText, at('memory.kmem.usage_in_bytes'), ctx, false, false) as number;
    const oomText = file(files, 'memory.oom_control');
    if (oomText !== undefined) {
      // `under_oom` is validated with the rest but has no column; `oom_kill` exists on kernels ≥ 4.13.
      oomKillCount = flatKeyed(oomText, at('memory.oom_control'), OOM_CONTROL_KEYS, ctx)['oom_kill'] ?? null;
    }
  }
  if (stat === null && usage === null && limit === null && oomKillCount === null) {
    fail(`${where}.files`, `no memory file to read: expected memory.stat, ${usageName} or ${limitName}`);
  }

  const memory = cgroupQuantities(stat ?? inertRecord<number>(), version, { usage, limit, swapCurrent, kmemUsage });
  if (stat === null) memory.workingSet = null;
  const id = cgroupIdentity(path);
  return makeSample('cgroup', {
    sampledAt: ctx.capturedAt,
    identity: { level: id.level, podUid: id.podUid, containerId: id.containerId, cgroupPath: path },
    memory,
    stat,
    cgroupVersion: version,
    oomKillCount,
  });
}
