/**
 * Typed errors. Every rejection names the source, where in it (field path or line) and why,
 * because the person reading a quarantine `.error.json` at 3 a.m. has nothing else to go on.
 */
export type SnapshotSource =
  | 'bundle'
  | 'kubeletSummary'
  | 'dockerStats'
  | 'dockerStatsTable'
  | 'dockerApiStats'
  | 'crictlStats'
  | 'kubeletResourceMetrics'
  | 'kubeletCadvisorMetrics'
  | 'kubectlTop'
  | 'metricsApi'
  | 'cgroups';

export interface InvalidSnapshotDetail {
  source: SnapshotSource;
  /** JSON path (`pods[3].containers[0].memory.usageBytes`), file name, or `line 12`. */
  path: string;
  reason: string;
}

export class InvalidSnapshotError extends Error {
  readonly source: SnapshotSource;
  readonly path: string;
  readonly reason: string;
  constructor(detail: InvalidSnapshotDetail) {
    super(`${detail.source}: ${detail.path || '(root)'}: ${detail.reason}`);
    this.name = 'InvalidSnapshotError';
    this.source = detail.source;
    this.path = detail.path;
    this.reason = detail.reason;
  }
  toJSON(): InvalidSnapshotDetail & { error: string } {
    return { error: this.name, source: this.source, path: this.path, reason: this.reason };
  }
}

/** A bad command line: exit code 2 (the README's exit codes). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Object-store failures that are worth retrying (S3 5xx, throttling, timeouts). */
export class TransientStoreError extends Error {
  override readonly name = 'TransientStoreError';
  constructor(message: string, readonly key: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
  }
}

/** Renders a zod issue path the way users read JSON: `pods[3].memory.usageBytes`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** The subset of a zod schema the parsers use: keeps this module free of a zod import. */
interface SafeParser<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } };
}

/** Validates with a schema; the first issue becomes an InvalidSnapshotError naming the source and field. */
export function parseOrThrow<T>(schema: SafeParser<T>, value: unknown, source: SnapshotSource, pathPrefix: ReadonlyArray<PropertyKey> = []): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidSnapshotError({ source, path: formatPath([...pathPrefix, ...(issue?.path ?? [])]), reason: issue?.message ?? 'invalid' });
}

/** The agent's spooled capture `index` of a batch cannot be read back (a disk fault): it is sent alone, as it is. */
export class SpooledCaptureError extends Error {
  override readonly name = 'SpooledCaptureError';
  constructor(readonly index: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
