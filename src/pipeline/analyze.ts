/**
 * `memgap analyze`: ingest every capture under the inputs (files, folders, s3 prefixes), one
 * bad capture never stopping the rest, then hand the touched (dt, cluster) partitions to the
 * follow-up steps (compaction, daily trends and reports).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { InputLimits } from '../limits.js';
import { FsObjectStore } from '../store/fs-store.js';
import { isS3Location, openStore } from '../store/open-store.js';
import type { ObjectStore } from '../store/port.js';
import { ingestObject, type IngestOutcome } from './ingest.js';

export interface InputRef {
  store: ObjectStore;
  key: string;
}

const CAPTURE_SUFFIXES = ['.json.gz', '.json'];
const isCaptureKey = (key: string) => CAPTURE_SUFFIXES.some((s) => key.endsWith(s)) && !key.endsWith('.error.json') && !key.startsWith('quarantine/');

/** Expands CLI inputs into capture objects: a file, every capture below a folder, or below an s3 prefix. */
export async function resolveInputs(inputs: readonly string[], open: (location: string) => ObjectStore = openStore): Promise<InputRef[]> {
  const refs: InputRef[] = [];
  for (const input of inputs) {
    if (isS3Location(input)) {
      const store = open(input);
      for await (const o of store.list('')) if (isCaptureKey(o.key)) refs.push({ store, key: o.key });
      continue;
    }
    const info = await stat(input).catch(() => null);
    if (!info) throw new UsageError(`input not found: ${input}`);
    if (info.isFile()) {
      refs.push({ store: new FsObjectStore(path.dirname(input)), key: path.basename(input) });
    } else if (path.basename(path.resolve(input)) === 'raw') {
      // The SPEC layout's own raw/ folder: keep keys as `raw/…` so quarantine/<original key> matches S3.
      const store = new FsObjectStore(path.dirname(path.resolve(input)));
      for await (const o of store.list('raw/')) if (isCaptureKey(o.key)) refs.push({ store, key: o.key });
    } else {
      const store = new FsObjectStore(input);
      for await (const o of store.list('')) if (isCaptureKey(o.key)) refs.push({ store, key: o.key });
    }
  }
  return refs;
}

export interface Partition {
  dt: string;
  cluster: string;
}

export interface AnalyzeSummary {
  inputs: number;
  ingested: number;
  quarantined: number;
  missing: number;
  containers: number;
  partitions: Partition[];
  outcomes: IngestOutcome[];
}

export interface AnalyzeOptions {
  limits?: Partial<InputLimits>;
  concurrency?: number;
  onProgress?: (done: number, total: number, outcome: IngestOutcome) => void;
}

export async function analyze(inputs: readonly InputRef[], out: ObjectStore, options: AnalyzeOptions = {}): Promise<AnalyzeSummary> {
  const outcomes: IngestOutcome[] = new Array(inputs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      const ref = inputs[i]!;
      outcomes[i] = await ingestObject(ref.store, ref.key, out, { limits: options.limits ?? {} });
      options.onProgress?.(++done, inputs.length, outcomes[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, inputs.length)) }, worker));

  const partitions = new Map<string, Partition>();
  let containers = 0;
  for (const o of outcomes) {
    if (o.status !== 'ingested') continue;
    containers += o.containers;
    const dt = o.capturedAt.toISOString().slice(0, 10);
    partitions.set(`${dt}/${o.cluster}`, { dt, cluster: o.cluster });
  }
  return {
    inputs: inputs.length,
    ingested: outcomes.filter((o) => o.status === 'ingested').length,
    quarantined: outcomes.filter((o) => o.status === 'quarantined').length,
    missing: outcomes.filter((o) => o.status === 'missing').length,
    containers,
    partitions: [...partitions.values()].sort((a, b) => a.dt.localeCompare(b.dt) || a.cluster.localeCompare(b.cluster)),
    outcomes,
  };
}
