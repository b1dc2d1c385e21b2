import type { Readable } from 'node:stream';
import { discrepancyRows } from '../analysis/discrepancy.js';
import { InvalidSnapshotError, ObjectNotFoundError, type InvalidSnapshotDetail } from '../errors.js';
import { DEFAULT_LIMITS, type InputLimits } from '../limits.js';
import { captureFileKey, quarantineErrorKey, quarantineKey } from '../outputs/layout.js';
import { writeParquet } from '../outputs/parquet.js';
import { sampleRows } from '../outputs/sample-rows.js';
import { TABLES } from '../outputs/tables.js';
import { parseCaptureJson, readAllCapped, readCaptureBytes } from '../sources/bundle.js';
import { parseCaptureSources } from '../sources/index.js';
import type { ObjectStore } from '../store/port.js';

/** Small per-capture files are merged by the hourly compaction, which writes statistics. */
const PER_CAPTURE = { statistics: false, fixedEncodings: true };

export interface IngestOptions {
  limits?: Partial<InputLimits>;
}

export type IngestOutcome =
  | { status: 'ingested'; key: string; cluster: string; node: string; capturedAt: Date; written: string[]; containers: number }
  | { status: 'quarantined'; key: string; errors: InvalidSnapshotDetail[]; written: string[] }
  | { status: 'missing'; key: string; written: string[] };

/**
 * Ingests one capture object: decode → parse every source → discrepancy → Parquet (samples and
 * discrepancy tables, one file each per capture, keyed by the capture identity so re-runs
 * replace). A bad capture is copied to quarantine/ with `<key>.error.json` and reported as
 * `quarantined`; an object deleted since its notification is `missing`; a store failure
 * (TransientStoreError) is thrown for the caller to retry.
 */
export async function ingestObject(input: ObjectStore, key: string, output: ObjectStore, options: IngestOptions = {}): Promise<IngestOutcome> {
  const limits: InputLimits = { ...DEFAULT_LIMITS, ...options.limits };
  let stream: Readable;
  try {
    stream = await input.get(key);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return { status: 'missing', key, written: [] };
    throw err;
  }
  const original = await readAllCapped(stream, limits.maxDecompressedBytes);
  if (original === null) {
    return quarantine(output, key, null, [{ source: 'bundle', path: '', reason: `object larger than the limit of ${limits.maxDecompressedBytes} bytes; not copied` }]);
  }
  let bundle;
  try {
    bundle = parseCaptureJson(await readCaptureBytes(original, limits), limits);
  } catch (err) {
    if (err instanceof InvalidSnapshotError) return quarantine(output, key, original, [err.toJSON()]);
    throw err;
  }
  const capturedAt = new Date(bundle.capturedAt);
  const { samples, errors } = parseCaptureSources(bundle, { capturedAt, host: bundle.host ?? {}, limits });
  if (errors.length > 0) return quarantine(output, key, original, errors);

  const ctx = { capturedAt, node: bundle.node, host: bundle.host ?? {} };
  const discrepancy = discrepancyRows(samples, ctx);
  const samplesKey = captureFileKey('samples', bundle.cluster, bundle.node, capturedAt);
  const discrepancyKey = captureFileKey('discrepancy', bundle.cluster, bundle.node, capturedAt);
  await output.put(samplesKey, writeParquet(TABLES.samples, sampleRows(samples, capturedAt, bundle.node), PER_CAPTURE), 'application/vnd.apache.parquet');
  await output.put(discrepancyKey, writeParquet(TABLES.discrepancy, discrepancy, PER_CAPTURE), 'application/vnd.apache.parquet');
  return {
    status: 'ingested',
    key,
    cluster: bundle.cluster,
    node: bundle.node,
    capturedAt,
    written: [samplesKey, discrepancyKey],
    containers: discrepancy.filter((r) => r.level === 'container').length,
  };
}

/** Nothing is lost: the original bytes go to quarantine/<key>, the reasons beside them. */
async function quarantine(output: ObjectStore, key: string, original: Buffer | null, errors: InvalidSnapshotDetail[]): Promise<IngestOutcome> {
  const written: string[] = [];
  if (original) {
    await output.put(quarantineKey(key), original);
    written.push(quarantineKey(key));
  }
  const report = { key, quarantinedAt: new Date().toISOString(), errors };
  await output.put(quarantineErrorKey(key), JSON.stringify(report, null, 2) + '\n', 'application/json');
  written.push(quarantineErrorKey(key));
  return { status: 'quarantined', key, errors, written };
}
