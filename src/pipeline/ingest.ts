import { discrepancyRows } from '../analysis/discrepancy.js';
import { InvalidSnapshotError, ObjectNotFoundError, type InvalidSnapshotDetail } from '../errors.js';
import { DEFAULT_LIMITS, type InputLimits } from '../limits.js';
import type { CaptureBundle } from '../model/bundle.js';
import { arrivalHour, quarantineErrorKey, quarantineKey } from '../outputs/layout.js';
import { sampleRows } from '../outputs/sample-rows.js';
import { parseRawJson, readAllCapped, readCaptureBytes } from '../sources/bundle.js';
import { parseCaptureSources } from '../sources/index.js';
import type { ObjectStore } from '../store/port.js';
import type { WriteOptions } from '../outputs/parquet.js';
import { stagingBatchId, StagingWriter, type CaptureRows, type StagingOptions } from './staging.js';

export interface IngestOptions {
  limits?: Partial<InputLimits>;
}

/** A rejection reason; `capture` is the index of the capture inside a `memgap.batch/v1` object. */
export type QuarantineDetail = InvalidSnapshotDetail & { capture?: number };

export interface IngestedCapture {
  cluster: string;
  node: string;
  capturedAt: Date;
  containers: number;
  /** already staged by this invocation (a second delivery): not staged again */
  duplicate?: true;
}

/**
 * `ingested`: at least one capture of the object was staged (a batch may also have quarantined
 * some: `errors` names them, and the object sits in quarantine/); `quarantined`: nothing of it
 * was usable; `missing`: deleted since its notification. `cluster`/`node`/`capturedAt` describe
 * the object's first good capture.
 */
export type IngestOutcome =
  | { status: 'ingested'; key: string; cluster: string; node: string; capturedAt: Date; captures: IngestedCapture[]; containers: number; errors: QuarantineDetail[]; written: string[] }
  | { status: 'quarantined'; key: string; errors: QuarantineDetail[]; written: string[] }
  | { status: 'missing'; key: string; written: string[] };

/** A raw object decoded and analysed, nothing written yet. */
export type ReadObject =
  | { status: 'missing'; key: string }
  | { status: 'read'; key: string; original: Buffer | null; captures: CaptureRows[]; errors: QuarantineDetail[] };

/** One valid capture → its rows, or the reasons its sources are invalid. */
export function captureRowsOf(bundle: CaptureBundle, limits: InputLimits): CaptureRows | InvalidSnapshotDetail[] {
  const capturedAt = new Date(bundle.capturedAt);
  const host = bundle.host ?? {};
  const { samples, errors } = parseCaptureSources(bundle, { capturedAt, host, limits });
  if (errors.length > 0) return errors;
  return {
    cluster: bundle.cluster,
    node: bundle.node,
    capturedAt,
    samples: sampleRows(samples, capturedAt, bundle.node),
    discrepancy: discrepancyRows(samples, { capturedAt, node: bundle.node, host }),
  };
}

const detailOf = (err: InvalidSnapshotError): InvalidSnapshotDetail => ({ source: err.source, path: err.path, reason: err.reason });

/**
 * Reads and analyses one raw object (a single capture or a `memgap.batch/v1`): every capture is
 * validated on its own. Throws only store failures (TransientStoreError) for the caller to retry.
 */
export async function readObject(input: ObjectStore, key: string, limits: InputLimits = DEFAULT_LIMITS): Promise<ReadObject> {
  let stream;
  try {
    stream = await input.get(key);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return { status: 'missing', key };
    throw err;
  }
  const original = await readAllCapped(stream, limits.maxDecompressedBytes);
  if (original === null) {
    return { status: 'read', key, original: null, captures: [], errors: [{ source: 'bundle', path: '', reason: `object larger than the limit of ${limits.maxDecompressedBytes} bytes; not copied` }] };
  }
  let raw;
  try {
    raw = parseRawJson(await readCaptureBytes(original, limits, key), limits);
  } catch (err) {
    if (err instanceof InvalidSnapshotError) return { status: 'read', key, original, captures: [], errors: [detailOf(err)] };
    throw err;
  }
  const captures: CaptureRows[] = [];
  const errors: QuarantineDetail[] = [];
  const batch = raw.kind === 'batch';
  for (const c of raw.captures) {
    const at = batch ? { capture: c.index } : {};
    if (c.error) {
      errors.push({ ...detailOf(c.error), ...at });
      continue;
    }
    const rows = captureRowsOf(c.bundle, limits);
    if (Array.isArray(rows)) errors.push(...rows.map((e) => ({ ...e, ...at })));
    else captures.push(rows);
  }
  return { status: 'read', key, original, captures, errors };
}

/**
 * Stages what readObject found and quarantines the rest (the original bytes once, plus
 * `<key>.error.json`). A capture already staged by this writer is skipped: one invocation never
 * stages a capture twice, and SQL dedupe handles deliveries across invocations.
 */
export async function stageObject(read: ReadObject, staging: StagingWriter, output: ObjectStore): Promise<IngestOutcome> {
  if (read.status === 'missing') return { status: 'missing', key: read.key, written: [] };
  const written = read.errors.length > 0 ? await quarantine(output, read.key, read.original, read.errors) : [];
  if (read.captures.length === 0) return { status: 'quarantined', key: read.key, errors: read.errors, written };
  const captures: IngestedCapture[] = [];
  for (const c of read.captures) {
    const containers = c.discrepancy.filter((r) => r.level === 'container').length;
    if (staging.has(c.cluster, c.node, c.capturedAt)) {
      captures.push({ cluster: c.cluster, node: c.node, capturedAt: c.capturedAt, containers, duplicate: true });
      continue;
    }
    staging.add(c);
    captures.push({ cluster: c.cluster, node: c.node, capturedAt: c.capturedAt, containers });
  }
  const first = captures[0]!;
  return {
    status: 'ingested',
    key: read.key,
    cluster: first.cluster,
    node: first.node,
    capturedAt: first.capturedAt,
    captures,
    containers: captures.reduce((a, c) => a + (c.duplicate ? 0 : c.containers), 0),
    errors: read.errors,
    written,
  };
}

/** Nothing is lost: the original bytes go to quarantine/<key>, the reasons beside them. */
async function quarantine(output: ObjectStore, key: string, original: Buffer | null, errors: QuarantineDetail[]): Promise<string[]> {
  const written: string[] = [];
  if (original) {
    await output.put(quarantineKey(key), original);
    written.push(quarantineKey(key));
  }
  const report = { key, quarantinedAt: new Date().toISOString(), errors };
  await output.put(quarantineErrorKey(key), JSON.stringify(report, null, 2) + '\n', 'application/json');
  written.push(quarantineErrorKey(key));
  return written;
}

export interface InputRef {
  store: ObjectStore;
  key: string;
}

export interface Partition {
  dt: string;
  cluster: string;
}

/** One staging batch: the objects, where the staging files go, and the batch's identity. */
export interface ChunkTask {
  refs: readonly InputRef[];
  out: ObjectStore;
  arrival: string;
  batchId: string;
  limits?: Partial<InputLimits>;
  codec?: WriteOptions['codec'];
  statistics?: boolean;
  fixedEncodings?: boolean;
  rowGroupRows?: number;
  afterPut?: StagingOptions['afterPut'];
}

export interface ChunkResult {
  outcomes: IngestOutcome[];
  staged: string[];
  partitions: Partition[];
}

/**
 * Ingests several objects as one staging batch: decode, analyse, stage, then put the staging
 * files. A store failure while reading throws (nothing staged is put); the caller retries.
 */
export async function ingestChunk(task: ChunkTask, onObject?: (o: IngestOutcome) => void): Promise<ChunkResult> {
  const limits: InputLimits = { ...DEFAULT_LIMITS, ...task.limits };
  const { refs: _r, out, limits: _l, ...options } = task;
  const staging = new StagingWriter(out, options);
  const outcomes: IngestOutcome[] = [];
  // Read the next object while this one is analysed: the store's latency hides behind the CPU work.
  let next = refs(0);
  try {
    for (let i = 0; i < task.refs.length; i++) {
      const read = (await next)!;
      next = refs(i + 1);
      const o = await stageObject(read, staging, out);
      outcomes.push(o);
      onObject?.(o);
    }
  } catch (err) {
    await staging.abort();
    throw err;
  }
  const staged = await staging.finish();
  return { outcomes, staged, partitions: [...staging.partitions.values()] };

  function refs(i: number): Promise<ReadObject> | null {
    const ref = task.refs[i];
    if (!ref) return null;
    const p = readObject(ref.store, ref.key, limits);
    p.catch(() => {}); // surfaced when awaited
    return p;
  }
}

export interface IngestManyOptions extends Omit<ChunkTask, 'refs' | 'out' | 'arrival' | 'batchId'> {
  /** the ingest instant (its UTC hour is the staging arrival); default now */
  now?: Date;
}

/** A staging batch's arrival and id for these objects (sizes when known). */
export function stagingBatch(refs: ReadonlyArray<{ key: string; size?: number | undefined }>, now: Date = new Date()): { arrival: string; batchId: string } {
  const arrival = arrivalHour(now);
  return { arrival, batchId: stagingBatchId(arrival, refs) };
}

/** Several objects of one store as one staging batch. */
export async function ingestObjects(input: ObjectStore, keys: readonly string[], output: ObjectStore, options: IngestManyOptions = {}): Promise<ChunkResult> {
  const { now, ...rest } = options;
  return ingestChunk({ ...rest, ...stagingBatch(keys.map((key) => ({ key: `${input.location}|${key}` })), now), refs: keys.map((key) => ({ store: input, key })), out: output });
}

/** One object as its own staging batch (scripts and tests; the pipeline batches many). */
export async function ingestObject(input: ObjectStore, key: string, output: ObjectStore, options: IngestManyOptions = {}): Promise<IngestOutcome> {
  const { outcomes, staged } = await ingestObjects(input, [key], output, options);
  const o = outcomes[0]!;
  return { ...o, written: [...o.written, ...staged] };
}
