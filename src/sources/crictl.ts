/**
 * `crictl stats -o json`: the CRI ListContainerStatsResponse printed with protojson,
 * so 64-bit integers are decimal strings (`"timestamp": "1764224000123456789"`, `{"value": "10469376"}`).
 * Older crictl releases marshalled the same messages with encoding/json and printed numbers, so
 * both spellings are accepted.
 */
import * as z from 'zod';
import { InvalidSnapshotError, parseOrThrow } from '../errors.js';
import { limitFromAvailable } from '../analysis/formulas.js';
import { makeSample, type MemoryQuantities, type Sample } from '../model/sample.js';
import type { ParseContext, SourceParser } from './types.js';

const SOURCE = 'crictlStats';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A uint64 byte count as protojson (string) or encoding/json (number) prints it. */
const Bytes = z
  .union([z.string(), z.number()], { error: 'expected a uint64 as a decimal string or a number' })
  .transform((v, ctx) => {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && v >= 0) return v;
      ctx.addIssue({ code: 'custom', message: `expected a whole, non-negative number of bytes below 2^53, got ${v}` });
      return z.NEVER;
    }
    if (!/^\d{1,20}$/.test(v)) {
      ctx.addIssue({ code: 'custom', message: `expected a decimal uint64 string, got ${JSON.stringify(v.slice(0, 40))}` });
      return z.NEVER;
    }
    const big = BigInt(v);
    if (big > MAX_SAFE) {
      ctx.addIssue({ code: 'custom', message: `${v} bytes is beyond 2^53 and beyond any real memory size` });
      return z.NEVER;
    }
    return Number(big);
  });

/**
 * CRI's own UInt64Value message (not google.protobuf's wrapper, so protojson keeps the object).
 * Inside a present wrapper a missing `value` is the proto3 default 0; a missing wrapper is "not set".
 */
const UInt64Value = z.object({ value: Bytes.nullish() }).transform((w) => w.value ?? 0);

/** int64 nanoseconds since the epoch → Date (ms). 0 is proto3's "unset". */
const Timestamp = z
  .union([z.string(), z.number()], { error: 'expected int64 nanoseconds as a decimal string or a number' })
  .transform((v, ctx) => {
    let ns: bigint;
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0) {
        ctx.addIssue({ code: 'custom', message: `expected non-negative whole nanoseconds, got ${v}` });
        return z.NEVER;
      }
      ns = BigInt(v);
    } else if (/^\d{1,19}$/.test(v)) {
      ns = BigInt(v);
    } else {
      ctx.addIssue({ code: 'custom', message: `expected decimal int64 nanoseconds, got ${JSON.stringify(v.slice(0, 40))}` });
      return z.NEVER;
    }
    if (ns === 0n) return null;
    const ms = Number(ns / 1_000_000n);
    // Above JavaScript's Date range (year 275760) the value is not a capture time.
    if (ms > 8.64e15) {
      ctx.addIssue({ code: 'custom', message: 'timestamp is beyond any representable date' });
      return z.NEVER;
    }
    return new Date(ms);
  });

const MemoryUsage = z.object({
  timestamp: Timestamp.nullish(),
  workingSetBytes: UInt64Value.nullish(),
  availableBytes: UInt64Value.nullish(),
  usageBytes: UInt64Value.nullish(),
  rssBytes: UInt64Value.nullish(),
});

const SwapUsage = z.object({ swapUsageBytes: UInt64Value.nullish() });

const LabelValue = z.string().max(253, 'longer than a Kubernetes name can be').nullish();

/** Only the kubelet's identity labels are read; other labels and annotations are never copied. */
const Labels = z.object({
  'io.kubernetes.pod.name': LabelValue,
  'io.kubernetes.pod.namespace': LabelValue,
  'io.kubernetes.pod.uid': LabelValue,
  'io.kubernetes.container.name': LabelValue,
});

const ContainerStats = z.object({
  attributes: z.object({
    id: z.string().min(1, 'must not be empty').max(128, 'longer than a container id'),
    metadata: z.object({ name: z.string().max(253).nullish() }).nullish(),
    labels: Labels.nullish(),
  }),
  memory: MemoryUsage.nullish(),
  swap: SwapUsage.nullish(),
});

export const CrictlStats = z.object({
  // EmitDefaultValues prints an empty list as []; an old encoding/json nil slice is null.
  stats: z.array(ContainerStats).nullish(),
});
export type CrictlStats = z.infer<typeof CrictlStats>;
/** Compiled once: zod's generated fast path, the runtime parser (same errors) for what it rejects. */
const compiledStats = z.compile(CrictlStats);

function fail(path: string, reason: string): never {
  throw new InvalidSnapshotError({ source: SOURCE, path, reason });
}

/**
 * containerd sets available_bytes = limit − working set, but 0 when the limit is above 2^62,
 * i.e. unlimited (internal/cri/server/container_stats_list.go) — the field is
 * present either way. 0 is therefore "unlimited" on containerd; elsewhere (or when the host
 * facts do not name the runtime) 0 may equally mean a working set sitting exactly at its limit,
 * so the limit is left unknown. A missing wrapper means the runtime did not report it.
 */
function limitOf(available: number | null | undefined, workingSet: number | null | undefined, ctx: ParseContext): MemoryQuantities['limit'] {
  if (available === null || available === undefined || workingSet === null || workingSet === undefined) return null;
  if (available === 0) return /^containerd\b/.test(ctx.host.containerRuntime ?? '') ? 'unlimited' : null;
  return limitFromAvailable(available, workingSet);
}

export const parseCrictlStats: SourceParser = (input, ctx) => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail('', 'expected the `crictl stats -o json` object ({"stats": [...]})');
  }
  const rawStats = (input as Record<string, unknown>)['stats'];
  if (Array.isArray(rawStats) && rawStats.length > ctx.limits.maxContainers) {
    fail('stats', `${rawStats.length} containers exceed the limit of ${ctx.limits.maxContainers} per capture`);
  }
  const stats = parseOrThrow(compiledStats, input, SOURCE);
  const samples: Sample[] = [];
  for (const s of stats.stats ?? []) {
    const labels = s.attributes.labels;
    const mem = s.memory;
    const workingSet = mem?.workingSetBytes;
    samples.push(
      makeSample('crictl', {
        sampledAt: mem?.timestamp ?? null,
        identity: {
          level: 'container',
          namespace: labels?.['io.kubernetes.pod.namespace'] ?? null,
          pod: labels?.['io.kubernetes.pod.name'] ?? null,
          podUid: labels?.['io.kubernetes.pod.uid'] ?? null,
          container: labels?.['io.kubernetes.container.name'] ?? s.attributes.metadata?.name ?? null,
          containerId: s.attributes.id,
        },
        memory: {
          usage: mem?.usageBytes ?? null,
          workingSet: workingSet ?? null,
          rss: mem?.rssBytes ?? null,
          swap: s.swap?.swapUsageBytes ?? null,
          limit: limitOf(mem?.availableBytes, workingSet, ctx),
        },
      }),
    );
  }
  return samples;
};
