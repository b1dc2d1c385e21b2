import { InvalidSnapshotError } from '../errors.js';
import type { CaptureBundle } from '../model/bundle.js';

/**
 * The `memgap.capture/v1` envelope checks of model/bundle.ts's `CaptureBundle`, without zod.
 * Loading zod costs the agent ~14 MiB of RSS (its module graph), a fifth of the agent's whole
 * 64 MiB budget, to check six fields the agent fills itself. The zod schema stays the contract:
 * test/unit/agent/envelope.test.ts checks this validator accepts exactly what it accepts.
 * The name patterns come from model/names.ts, which does not load zod.
 */
import { CAPTURE_SCHEMA_ID as SCHEMA_ID, CLUSTER_PATTERN, NODE_PATTERN, validName } from '../model/names.js';

export { CLUSTER_PATTERN, NODE_PATTERN, validName };

const SOURCE_KEYS = ['kubeletSummary', 'dockerStats', 'dockerStatsTable', 'dockerApiStats', 'crictlStats', 'kubeletResourceMetrics', 'kubeletCadvisorMetrics', 'cgroups'] as const;
const HOST_STRINGS = ['kernel', 'containerRuntime', 'dockerVersion', 'kubeletVersion'] as const;
// RFC 3339 exactly as zod's `z.iso.datetime({ offset: true })` takes it: a real calendar date
// (leap years included), seconds required, any fraction, then Z or ±hh:mm.
const DATE = String.raw`(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))`;
const DATETIME = new RegExp(String.raw`^${DATE}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$`);

function fail(path: string, reason: string): never {
  throw new InvalidSnapshotError({ source: 'bundle', path, reason });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws InvalidSnapshotError (source `bundle`) on the first envelope field CaptureBundle would reject. */
export function assertCaptureEnvelope(candidate: unknown): asserts candidate is CaptureBundle {
  if (!isRecord(candidate)) fail('', 'bundle must be an object');
  if (candidate.schema !== SCHEMA_ID) fail('schema', `schema must be ${SCHEMA_ID}`);
  if (typeof candidate.cluster !== 'string' || !validName(candidate.cluster, CLUSTER_PATTERN)) fail('cluster', 'cluster must match [A-Za-z0-9._-]{1,63}');
  if (typeof candidate.node !== 'string' || !validName(candidate.node, NODE_PATTERN)) fail('node', 'node must match [A-Za-z0-9._-]{1,253}');
  if (typeof candidate.capturedAt !== 'string' || !DATETIME.test(candidate.capturedAt)) fail('capturedAt', 'capturedAt must be an RFC 3339 datetime');
  const host = candidate.host;
  if (host !== undefined) {
    if (!isRecord(host)) fail('host', 'host must be an object');
    if (host.cgroupVersion !== undefined && host.cgroupVersion !== 1 && host.cgroupVersion !== 2) fail('host.cgroupVersion', 'cgroupVersion must be 1 or 2');
    if (host.cgroupDriver !== undefined && host.cgroupDriver !== 'cgroupfs' && host.cgroupDriver !== 'systemd') fail('host.cgroupDriver', 'cgroupDriver must be cgroupfs or systemd');
    for (const k of HOST_STRINGS) {
      const v = host[k];
      if (v !== undefined && (typeof v !== 'string' || v.length > 256)) fail(`host.${k}`, `${k} must be a string of at most 256 characters`);
    }
  }
  const sources = candidate.sources;
  if (!isRecord(sources)) fail('sources', 'sources must be an object');
  const s = sources as Record<(typeof SOURCE_KEYS)[number], unknown>;
  for (const k of ['dockerStats', 'dockerApiStats', 'cgroups'] as const) if (s[k] !== undefined && !Array.isArray(s[k])) fail(`sources.${k}`, `${k} must be an array`);
  if (s.dockerStats !== undefined && !(s.dockerStats as unknown[]).every((l) => typeof l === 'string')) fail('sources.dockerStats', 'dockerStats must hold strings');
  for (const k of ['dockerStatsTable', 'kubeletResourceMetrics', 'kubeletCadvisorMetrics'] as const) if (s[k] !== undefined && typeof s[k] !== 'string') fail(`sources.${k}`, `${k} must be a string`);
  if (!SOURCE_KEYS.some((k) => s[k] !== undefined)) fail('sources', 'at least one source must be present');
}
