/**
 * Docker Engine API `GET /containers/{id}/stats?stream=false`, one response per
 * container. Unlike the CLI this carries the raw `memory_stats.stats` map, so the tools' formulas
 * can be applied to it exactly; the map is kept on the sample (`stat`).
 */
import * as z from 'zod';
import { InvalidSnapshotError, parseOrThrow } from '../errors.js';
import { cgroupQuantities, hierarchicalLimit, interpretLimit, UNLIMITED_THRESHOLD, type CgroupVersion } from '../analysis/formulas.js';
import { makeSample, type MemoryQuantities, type Sample } from '../model/sample.js';
import { parseDockershimName } from './identity.js';
import { boundedMemo } from './memo.js';
import { inertRecord } from './safe-json.js';
import type { ParseContext, SourceParser } from './types.js';

const SOURCE = 'dockerApiStats';

const Bytes = z
  .number({ error: 'expected a number of bytes' })
  .nonnegative('must not be negative')
  .refine(Number.isSafeInteger, 'must be a whole number of bytes below 2^53');

/** `limit` may be a kernel "unlimited" sentinel on old daemons; newer ones clamp it to host memory. */
const LimitBytes = z
  .number({ error: 'expected a number of bytes' })
  .nonnegative('must not be negative')
  .refine((v) => Number.isSafeInteger(v) || v >= UNLIMITED_THRESHOLD, 'must be a whole number of bytes below 2^53 (or an unlimited sentinel ≥ 2^62)');

export const DockerApiStatsResponse = z.object({
  id: z.string().max(128, 'longer than a container id').nullish(),
  name: z.string().max(512, 'longer than a container name').nullish(),
  read: z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp' }).nullish(),
  memory_stats: z
    .object({
      usage: Bytes.nullish(),
      limit: LimitBytes.nullish(),
      // map[string]uint64; validated by hand into a null-prototype record (see readStatMap).
      stats: z.unknown().optional(),
    })
    .nullish(),
});
export type DockerApiStatsResponse = z.infer<typeof DockerApiStatsResponse>;
/** Compiled once: zod's generated fast path, the runtime parser (same errors) for what it rejects. */
const compiledResponse = z.compile(DockerApiStatsResponse);

function fail(path: string, reason: string): never {
  throw new InvalidSnapshotError({ source: SOURCE, path, reason });
}

/**
 * The stats map comes from memory.stat keys chosen by the daemon, i.e. untrusted keys: a key named
 * `__proto__` must stay data, so the map is built on a null-prototype object (safe-json.ts) rather
 * than through a schema that assigns into `{}`.
 */
function readStatMap(raw: unknown, path: string): Record<string, number> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) fail(path, 'expected an object of memory.stat counters');
  const out = inertRecord<number>();
  for (const key of Object.keys(raw)) {
    const v = (raw as Record<string, unknown>)[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      fail(`${path}.${key}`, `expected a non-negative whole number (memory.stat counters are uint64), got ${typeof v === 'number' ? v : typeof v}`);
    }
    // Only the hierarchical limits legitimately hold the huge unlimited sentinel (9223372036854771712).
    if (!Number.isSafeInteger(v) && !key.endsWith('_limit')) fail(`${path}.${key}`, `${v} is beyond 2^53 and beyond any real memory size`);
    out[key] = v;
  }
  return out;
}

/**
 * dockerd fills the map from cgroup v1 (`cache`, `rss`, `total_*`) or v2 (`anon`, `file`) keys
 * (daemon/stats_unix.go statsV1/statsV2); the key set says which.
 */
export function detectCgroupVersion(stat: Readonly<Record<string, number>>): CgroupVersion | null {
  const has = (k: string) => Object.hasOwn(stat, k);
  const v1 = ['cache', 'rss', 'total_cache', 'total_rss', 'total_inactive_file'].some(has);
  const v2 = ['anon', 'file'].some(has);
  if (v1 === v2) return null;
  return v1 ? 1 : 2;
}

/**
 * The API clamps "no limit" to the host's memory, so a number here is kept as a
 * number, unless the v1 stats map's `hierarchical_memory_limit` is the kernel's unlimited sentinel:
 * then neither the container nor any ancestor has a limit, and the number was the host's memory.
 * An unlimited sentinel from an old daemon is read as unlimited. 0 is omitempty's "not set": the
 * limit is then not known here (cgroupQuantities may still read hierarchical_memory_limit).
 */
function readLimit(raw: number | null | undefined, stat: Readonly<Record<string, number>> | null): MemoryQuantities['limit'] {
  if (stat && hierarchicalLimit(stat) === 'unlimited') return 'unlimited';
  if (raw === null || raw === undefined || raw === 0) return null;
  return interpretLimit(raw);
}

/** A container's name comes back in every capture of its node: parsed once (memo.ts). */
const dockershimNameOf = boundedMemo(parseDockershimName);

/** Go's zero time: what the daemon sends for a container it could not read. */
const GO_ZERO_TIME = /^0001-01-01T00:00:00(?:\.0+)?Z$/;

function sampleOf(r: DockerApiStatsResponse, index: number, ctx: ParseContext): Sample {
  const mem = r.memory_stats;
  const stat = readStatMap(mem?.stats, `[${index}].memory_stats.stats`);
  const cgroupVersion = (stat && detectCgroupVersion(stat)) ?? ctx.host.cgroupVersion ?? null;
  const usage = mem?.usage ?? null;
  const limit = readLimit(mem?.limit, stat);
  const memory = stat && cgroupVersion ? cgroupQuantities(stat, cgroupVersion, { usage, limit }) : { usage, limit };
  const runtimeName = r.name ? (r.name.startsWith('/') ? r.name.slice(1) : r.name) : null;
  const shim = runtimeName ? dockershimNameOf(runtimeName) : null;
  return makeSample('docker-api', {
    sampledAt: r.read && !GO_ZERO_TIME.test(r.read) ? new Date(r.read) : null,
    identity: {
      level: 'container',
      containerId: r.id || null,
      runtimeName: runtimeName || null,
      ...(shim ? { namespace: shim.namespace, pod: shim.pod, podUid: shim.podUid, container: shim.container, isPause: shim.isPause } : {}),
    },
    memory,
    stat,
    cgroupVersion,
  });
}

export const parseDockerApiStats: SourceParser = (input, ctx) => {
  if (!Array.isArray(input)) fail('', 'expected an array of GET /containers/{id}/stats?stream=false responses, one per container');
  if (input.length > ctx.limits.maxContainers) fail('', `${input.length} containers exceed the limit of ${ctx.limits.maxContainers} per capture`);
  const samples: Sample[] = [];
  for (let i = 0; i < input.length; i++) {
    samples.push(sampleOf(parseOrThrow(compiledResponse, input[i], SOURCE, [i]), i, ctx));
  }
  return samples;
};
