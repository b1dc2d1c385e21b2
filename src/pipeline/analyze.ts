/**
 * `memgap analyze`: ingest every capture under the inputs (files, folders, s3 prefixes), one
 * bad capture never stopping the rest, then hand the touched (dt, cluster) partitions to the
 * follow-up steps (compaction, daily trends and reports).
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import type { InputLimits } from '../limits.js';
import { FsObjectStore } from '../store/fs-store.js';
import { isS3Location, openStore } from '../store/open-store.js';
import type { ObjectStore } from '../store/port.js';
import { compactStaging, type CompactedPartition } from './compact.js';
import { ingestChunk, stagingBatch, type ChunkResult, type ChunkTask, type IngestOutcome, type InputRef, type Partition } from './ingest.js';
import type { WorkerMessage, WorkerTask } from './ingest-worker.js';

export type { InputRef, Partition };

const CAPTURE_SUFFIXES = ['.json.gz', '.json.br', '.json'];
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
      // The output layout's own raw/ folder: keep keys as `raw/…` so quarantine/<original key> matches S3.
      const store = new FsObjectStore(path.dirname(path.resolve(input)));
      for await (const o of store.list('raw/')) if (isCaptureKey(o.key)) refs.push({ store, key: o.key });
    } else {
      const store = new FsObjectStore(input);
      for await (const o of store.list('')) if (isCaptureKey(o.key)) refs.push({ store, key: o.key });
    }
  }
  return refs;
}

/** Progress of the whole job, phase by phase (src/cli renders it). */
export type Phase = 'ingest' | 'compaction' | 'trends' | 'reports';
export type OnPhase = (phase: Phase, done: number, total: number) => void;

export interface AnalyzeSummary {
  /** objects read */
  inputs: number;
  /** objects with at least one capture staged */
  ingested: number;
  /** objects with at least one capture quarantined (a batch can be both ingested and quarantined) */
  quarantined: number;
  missing: number;
  /** captures staged (a capture delivered twice counts once per staging batch; the tables hold it once) */
  captures: number;
  containers: number;
  partitions: Partition[];
  outcomes: IngestOutcome[];
  /** compacted (table, dt, cluster) partitions */
  compacted: CompactedPartition[];
}

export interface AnalyzeOptions {
  limits?: Partial<InputLimits>;
  /** worker threads for ingest (default: up to 2, one per core; 0 = in this thread) */
  workers?: number;
  /** objects per staging batch (default: a quarter of each worker's share, at most 500) */
  chunkSize?: number;
  onProgress?: (done: number, total: number, outcome: IngestOutcome) => void;
  onPhase?: OnPhase;
  /** ingest instant (staging arrival hour); default now */
  now?: Date;
  /** Compact after ingest (default true). */
  compact?: boolean;
  /** The bundled worker script (default: ingest-worker.mjs beside this module's bundle, if present). */
  workerScript?: URL;
}

/**
 * A parsed 110-pod capture (~2 MB of JSON) outlives V8's default young generation and is promoted
 * just to die: a larger young generation lets it die young. `npm run bench`: ~7 % less CPU for
 * analyze (2 runs each way on a shared machine), ~50 MiB more RSS during ingest.
 */
const WORKER_YOUNG_GENERATION_MB = 96;

/** Where the bundled worker sits (dist/ingest-worker.mjs next to the CLI bundle); absent when running from sources. */
function workerUrl(): URL | null {
  const url = new URL('./ingest-worker.mjs', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * `memgap analyze`: ingest every capture object into staging files (one per table, cluster and
 * chunk of objects; chunks run on worker threads when the inputs and output are local folders),
 * then compact staging into the tables with DuckDB. Trends and reports follow (finish.ts).
 */
export async function analyze(inputs: readonly InputRef[], out: ObjectStore, options: AnalyzeOptions = {}): Promise<AnalyzeSummary> {
  const now = options.now ?? new Date();
  const url = options.workerScript ?? workerUrl();
  const local = out instanceof FsObjectStore && inputs.every((r) => r.store instanceof FsObjectStore);
  const workers = url && local ? Math.max(0, Math.min(options.workers ?? Math.min(2, os.availableParallelism()), inputs.length)) : 0;
  // Four chunks per worker: a worker slowed by other load does not leave the other idle at the end.
  const chunkSize = Math.max(1, options.chunkSize ?? Math.min(500, Math.ceil(inputs.length / Math.max(1, workers * 4))));
  const chunks: InputRef[][] = [];
  for (let i = 0; i < inputs.length; i += chunkSize) chunks.push(inputs.slice(i, i + chunkSize));

  const outcomes: IngestOutcome[] = [];
  const partitions = new Map<string, Partition>();
  let done = 0;
  const onObject = (o: IngestOutcome) => {
    done++;
    options.onProgress?.(done, inputs.length, o);
    options.onPhase?.('ingest', done, inputs.length);
  };
  const taskOf = (refs: InputRef[]): Omit<ChunkTask, 'out'> => ({
    refs,
    ...stagingBatch(refs.map((r) => ({ key: `${r.store.location}|${r.key}` })), now),
    ...(options.limits ? { limits: options.limits } : {}),
    // Local staging lives seconds: no compression, no statistics, fixed encodings (the fastest writer settings).
    ...(local ? { codec: 'UNCOMPRESSED' as const, statistics: false, fixedEncodings: true } : {}),
  });
  const results: ChunkResult[] = new Array(chunks.length);
  if (workers > 0) {
    let next = 0;
    const run = async () => {
      const worker = new Worker(url!, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
      try {
        while (next < chunks.length) {
          const i = next++;
          results[i] = await runInWorker(worker, out as FsObjectStore, taskOf(chunks[i]!), () => options.onPhase?.('ingest', ++done, inputs.length));
          for (const o of results[i]!.outcomes) options.onProgress?.(done, inputs.length, o);
        }
      } finally {
        await worker.terminate();
      }
    };
    await Promise.all(Array.from({ length: Math.min(workers, chunks.length) }, run));
  } else {
    for (const [i, refs] of chunks.entries()) results[i] = await ingestChunk({ ...taskOf(refs), out }, onObject);
  }
  for (const r of results) {
    outcomes.push(...r.outcomes);
    for (const p of r.partitions) partitions.set(`${p.dt}/${p.cluster}`, p);
  }

  const compacted = options.compact === false ? [] : (await compactStaging(out, { onProgress: (d, t) => options.onPhase?.('compaction', d, t) })).partitions;
  let captures = 0;
  let containers = 0;
  for (const o of outcomes) {
    if (o.status !== 'ingested') continue;
    containers += o.containers;
    captures += o.captures.filter((c) => !c.duplicate).length;
  }
  return {
    inputs: inputs.length,
    ingested: outcomes.filter((o) => o.status === 'ingested').length,
    quarantined: outcomes.filter((o) => o.status === 'quarantined' || (o.status === 'ingested' && o.errors.length > 0)).length,
    missing: outcomes.filter((o) => o.status === 'missing').length,
    captures,
    containers,
    partitions: [...partitions.values()].sort((a, b) => a.dt.localeCompare(b.dt) || a.cluster.localeCompare(b.cluster)),
    outcomes,
    compacted,
  };
}

function runInWorker(worker: Worker, out: FsObjectStore, task: Omit<ChunkTask, 'out'>, onObject: () => void): Promise<ChunkResult> {
  const message: WorkerTask = { ...task, out: out.root, refs: task.refs.map((r) => ({ root: (r.store as FsObjectStore).root, key: r.key })) };
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      if (m.type === 'progress') return onObject();
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (m.type === 'done') resolve(m.result);
      else reject(Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
    };
    const onError = (err: Error) => {
      worker.off('message', onMessage);
      reject(err);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.postMessage(message);
  });
}
