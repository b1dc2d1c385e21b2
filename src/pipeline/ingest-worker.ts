/**
 * Worker-thread entry of `analyze` (bundled as dist/ingest-worker.mjs): ingests one chunk of
 * local capture files into its own staging files and answers with the outcomes. Local folders
 * only: the inputs and the output are passed as paths.
 */
import { parentPort } from 'node:worker_threads';
import { FsObjectStore } from '../store/fs-store.js';
import { ingestChunk, type ChunkResult, type ChunkTask } from './ingest.js';

export interface WorkerTask extends Omit<ChunkTask, 'out' | 'refs'> {
  out: string;
  refs: { root: string; key: string }[];
}

export type WorkerMessage = { type: 'progress'; done: number } | { type: 'done'; result: ChunkResult } | { type: 'error'; message: string; stack?: string };

parentPort?.on('message', (task: WorkerTask) => {
  const stores = new Map<string, FsObjectStore>();
  const storeOf = (root: string) => {
    let s = stores.get(root);
    if (!s) stores.set(root, (s = new FsObjectStore(root)));
    return s;
  };
  let done = 0;
  ingestChunk({ ...task, out: storeOf(task.out), refs: task.refs.map((r) => ({ store: storeOf(r.root), key: r.key })) }, () => parentPort!.postMessage({ type: 'progress', done: ++done } satisfies WorkerMessage))
    .then((result) => parentPort!.postMessage({ type: 'done', result } satisfies WorkerMessage))
    .catch((err: Error) => parentPort!.postMessage({ type: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) } satisfies WorkerMessage));
});
